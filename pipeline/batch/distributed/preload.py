"""Set-up of the worker processes of a LocalCluster (Dask ``preload``): Ctrl-C is the client's.

A terminal's Ctrl-C signals its whole foreground process group: the client, the LocalCluster's
worker processes and their ffmpeg. The client stops the job (its tasks end, running chunks finish,
the cluster closes); a worker that took the signal itself would die mid-task and print a traceback.
So a worker ignores SIGINT, and starts its ffmpeg in process groups of their own.

Each worker's scratch folder (object-store inputs, outputs before upload, the chunk cache's mirror:
:func:`pipeline.core.storage.scratch_root`) is its own: ``subpipe`` in the worker's Dask local directory.
"""

from __future__ import annotations

import os
import signal
import threading
from typing import Any

from pipeline.media.ffmpeg import start_in_own_process_group


def dask_setup(worker: Any) -> None:
    """Called by Dask in each worker process as it starts."""
    folder = getattr(worker, "local_directory", None)
    if folder:
        os.environ["SUBPIPE_SCRATCH"] = os.path.join(folder, "subpipe")
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    start_in_own_process_group()
