"""What the CLI sets up for the process around a command: logging, and SIGTERM taken as Ctrl-C."""

from __future__ import annotations

import contextlib
import logging
import signal
import threading
from collections.abc import Iterator


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised where Ctrl-C would be, so that it stops the run as cleanly (exit 143)."""


@contextlib.contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """While a command runs, SIGTERM (a job killer's, ``kill``'s) stops it as Ctrl-C does: partial
    outputs removed, the last complete outputs kept, no traceback."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def terminate(_signum: int, _frame: object) -> None:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)  # one clean stop: a second SIGTERM does not cut it short
        raise Terminated

    before = signal.signal(signal.SIGTERM, terminate)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, before)


def configure_logging(verbose: bool) -> None:
    """Warnings to stderr; with ``-v`` also pipeline's INFO lines (what each stage decided), not other
    libraries'. The level is set on the ``pipeline`` logger itself: ``basicConfig`` does nothing when
    the root logger already has a handler, and an earlier ``main()`` in the process must not leave it."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s: %(message)s")
    logging.getLogger("pipeline").setLevel(logging.INFO if verbose else logging.NOTSET)
