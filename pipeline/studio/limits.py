"""Request rate limits per client: token buckets, refilled at a steady rate, that a burst may empty.

A client is its address and its credential (one browser, one script), so reviewers behind one
proxy do not share a bucket. A request over the limit gets 429 with ``Retry-After``.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Rate:
    """``per_second`` requests on average, ``burst`` at once."""

    per_second: float
    burst: float


READS = Rate(200.0, 400.0)
WRITES = Rate(25.0, 50.0)
LOGINS = Rate(10 / 60, 10.0)  # ten tries, then one every six seconds
LOGIN_ADDRESSES = Rate(1.0, 30.0)  # sign-ins from one address, whatever the names
MAX_CLIENTS = 10_000


@dataclass
class Buckets:
    """The buckets of one kind of request, by client."""

    rate: Rate
    clock: object = field(default=time.monotonic)
    _levels: dict[str, tuple[float, float]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def take(self, client: str) -> float:
        """Take one request from ``client``'s bucket: 0 when allowed, else the seconds until it would be."""
        now = self._now()
        with self._lock:
            level, then = self._levels.get(client, (self.rate.burst, now))
            level = min(self.rate.burst, level + (now - then) * self.rate.per_second)
            if client not in self._levels and len(self._levels) >= MAX_CLIENTS:
                self._forget_oldest()
            if level >= 1.0:
                self._levels[client] = (level - 1.0, now)
                return 0.0
            self._levels[client] = (level, now)
            return (1.0 - level) / self.rate.per_second

    def _forget_oldest(self) -> None:
        """Forget the half of the buckets used longest ago (a forgotten bucket starts full again)."""
        ordered = sorted(self._levels.items(), key=lambda kv: kv[1][1])
        self._levels = dict(ordered[len(ordered) // 2 :])

    def _now(self) -> float:
        clock = self.clock
        return float(clock()) if callable(clock) else time.monotonic()
