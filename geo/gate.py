"""Slowing down guesses at the import credential.

One :class:`SignInThrottle` per server process is shared by every browser
session, so opening a new tab does not reset it. Each client address that
gets the credential wrong must wait before its next try, twice as long after
each failure (1 s, 2 s, 4 s ... up to ``max_delay_s``); a try during the wait
is refused without being checked. Because addresses can be many (or shared,
behind a proxy), a global cap also holds: after ``global_limit`` failures
from anyone within ``global_window_s``, every client waits ``global_lock_s``.
Nothing sleeps on the server: a refused try costs nothing.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict, deque
from dataclasses import dataclass, field
from typing import Callable

log = logging.getLogger("hikmap.import")


@dataclass
class _Client:
    failures: int = 0
    locked_until: float = 0.0


@dataclass
class SignInThrottle:
    """Per-client exponential delay plus a global cap (see the module docstring)."""

    base_delay_s: float = 1.0
    max_delay_s: float = 300.0
    global_limit: int = 30
    global_window_s: float = 600.0
    global_lock_s: float = 120.0
    max_clients: int = 10_000  # memory bound: the longest-quiet client is forgotten first
    clock: Callable[[], float] = time.monotonic
    _clients: OrderedDict = field(default_factory=OrderedDict, repr=False)
    _recent: deque = field(default_factory=deque, repr=False)  # times of failures, any client
    _global_until: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def wait_s(self, client: str) -> float:
        """Seconds before ``client`` may try again (0 when it may try now)."""
        now = self.clock()
        with self._lock:
            state = self._clients.get(client)
            until = max(self._global_until, state.locked_until if state else 0.0)
        return max(0.0, until - now)

    def failed(self, client: str) -> float:
        """Record a wrong credential from ``client``; return how long it must now wait."""
        now = self.clock()
        with self._lock:
            state = self._clients.pop(client, None) or _Client()
            state.failures += 1
            delay = min(self.base_delay_s * 2 ** (state.failures - 1), self.max_delay_s)
            state.locked_until = now + delay
            self._clients[client] = state  # most recent at the end
            while len(self._clients) > self.max_clients:
                self._clients.popitem(last=False)
            self._recent.append(now)
            while self._recent and self._recent[0] <= now - self.global_window_s:
                self._recent.popleft()
            if len(self._recent) >= self.global_limit:
                self._global_until = now + self.global_lock_s
            failures, global_count = state.failures, len(self._recent)
        log.warning("import sign-in failed from %s (%d in a row; %d from anyone in the last %.0f s)",
                    client, failures, global_count, self.global_window_s)
        return delay

    def succeeded(self, client: str) -> None:
        """Forget ``client``'s failures after a right credential."""
        with self._lock:
            self._clients.pop(client, None)
