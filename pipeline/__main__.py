"""``python -m pipeline``: the same CLI as ``subpipe``."""

import sys

from pipeline.cli.main import main

sys.exit(main())
