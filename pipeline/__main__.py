"""``python -m pipeline``: the same CLI as ``subpipe``."""

import sys

from pipeline.cli import main

sys.exit(main())
