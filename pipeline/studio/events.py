"""Server-sent events: what the studio pushes to every open page (edits, renders, approvals, reloads).

:meth:`Events.publish` may be called from any thread (the render thread does); each open page has a
queue on the server's event loop, bounded so that a page that stopped reading cannot hold memory.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable

HEARTBEAT_S = 15.0
_QUEUE = 256
_CLOSE = ("", "")


class Events:
    """The pages listening, and the loop their queues live on."""

    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._queues: set[asyncio.Queue[tuple[str, str]]] = set()

    def publish(self, name: str, data: object) -> None:
        """Send event ``name`` with JSON ``data`` to every open page (from any thread)."""
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        message = (name, json.dumps(data, ensure_ascii=False))
        loop.call_soon_threadsafe(self._put, message)

    def _put(self, message: tuple[str, str]) -> None:
        for queue in list(self._queues):
            if queue.full():  # a page that stopped reading loses events, not the server's memory
                continue
            queue.put_nowait(message)

    def close(self) -> None:
        """End every stream (the server is stopping)."""
        if self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._put, _CLOSE)

    async def stream(self, allowed: Callable[[], bool] = lambda: True) -> AsyncIterator[str]:
        """One page's events in the text/event-stream format, with a comment line as heartbeat; it ends as
        soon as ``allowed`` says the page's credential no longer holds (signed out)."""
        self._loop = asyncio.get_running_loop()
        queue: asyncio.Queue[tuple[str, str]] = asyncio.Queue(_QUEUE)
        self._queues.add(queue)
        try:
            yield ": connected\n\n"
            while True:
                try:
                    name, data = await asyncio.wait_for(queue.get(), HEARTBEAT_S)
                except TimeoutError:
                    if not allowed():
                        return
                    yield ": heartbeat\n\n"
                    continue
                if (name, data) == _CLOSE or not allowed():
                    return
                yield f"event: {name}\ndata: {data}\n\n"
        finally:
            self._queues.discard(queue)

    def bind(self, loop: asyncio.AbstractEventLoop) -> None:
        """The loop the pages' queues live on (the server's, set at start-up)."""
        self._loop = loop
