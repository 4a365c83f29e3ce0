"""The import credential: its strength, the client's address, and a throttle on wrong guesses.

What protects the import is the credential itself: :func:`token_problem`
switches import off unless it is at least :data:`MIN_TOKEN_LENGTH`
characters, so that guessing it is hopeless (a random one:
``python -c "import secrets; print(secrets.token_urlsafe(24))"``).

One :class:`SignInThrottle` per server process is shared by every browser
session. Every try is checked, in constant time, even while its address is
told to wait: the right credential always lets its owner in, so no one can
lock the owner out by guessing, from any address or from the owner's own. A
wrong credential is counted against its address, which is told to wait twice
as long after each failure (1 s, 2 s, 4 s ... up to ``max_delay_s``); after
``global_limit`` failures from anyone within ``global_window_s``, every
wrong try is told to wait ``global_lock_s``. That lock is capped: failures
during it do not renew it, and counting starts again when it ends. Every
failure is logged with its address. Nothing sleeps on the server.

Behind a reverse proxy every connection comes from the proxy: :func:`client_address`
takes the address the proxy forwards (``X-Forwarded-For``), but only from a
proxy named in ``HIKMAP_TRUSTED_PROXIES``; anyone else could write that
header themselves.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

log = logging.getLogger("hikmap.import")

MIN_TOKEN_LENGTH = 20
IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


def token_problem(token: str) -> str:
    """Why ``token`` cannot switch import on ("" when it can)."""
    if not token:
        return "no import credential is configured for this site"
    if len(token) < MIN_TOKEN_LENGTH:
        return (
            f"the import credential is shorter than {MIN_TOKEN_LENGTH} characters, which is too easy to guess; "
            "configure a longer, random one"
        )
    return ""


def parse_networks(text: str) -> tuple[IpNetwork, ...]:
    """``"10.0.0.1, 192.0.2.0/24"`` as networks; raises ValueError naming a bad entry."""
    networks = []
    for entry in (e.strip() for e in text.split(",")):
        if not entry:
            continue
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            raise ValueError(f"HIKMAP_TRUSTED_PROXIES: {entry!r} is not an IP address or network") from None
    return tuple(networks)


def _in(address: str, networks: Iterable[IpNetwork]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)


def client_address(peer: str | None, forwarded_for: Iterable[str], trusted: Iterable[IpNetwork]) -> str:
    """The address a sign-in try counts against.

    ``peer`` is the connection's address (Streamlit gives None for loopback,
    taken as 127.0.0.1, so that a proxy on the same host can be trusted);
    ``forwarded_for`` the ``X-Forwarded-For`` header values. The header is
    read only when the peer is a trusted proxy, from the right (the entry
    the nearest proxy wrote), skipping proxies that are trusted too.
    """
    trusted = tuple(trusted)
    address = peer if isinstance(peer, str) and peer else "127.0.0.1"
    if not _in(address, trusted):
        return address
    hops = [h.strip() for value in forwarded_for for h in value.split(",") if h.strip()]
    for hop in reversed(hops):
        if not _in(hop, trusted):
            return hop
    return address


@dataclass
class _Client:
    failures: int = 0
    locked_until: float = 0.0


@dataclass(frozen=True)
class SignIn:
    """One try's outcome: ``accepted``, or how long its address is told to wait now."""

    accepted: bool
    wait_s: float = 0.0


@dataclass
class SignInThrottle:
    """Per-client exponential waits plus a capped global lock (see the module docstring)."""

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

    def attempt(self, client: str, given: str, expected: str) -> SignIn:
        """Check one try from ``client``: always, in constant time, whatever the waits say."""
        if expected and hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8")):
            self.succeeded(client)
            return SignIn(accepted=True)
        self.failed(client)
        return SignIn(accepted=False, wait_s=self.wait_s(client))

    def wait_s(self, client: str) -> float:
        """Seconds ``client`` is told to wait before its next try (0 when it may try now)."""
        now = self.clock()
        with self._lock:
            state = self._clients.get(client)
            until = max(self._global_until, state.locked_until if state else 0.0)
        return max(0.0, until - now)

    def failed(self, client: str) -> float:
        """Record a wrong credential from ``client``; return how long it is now told to wait."""
        now = self.clock()
        with self._lock:
            state = self._clients.pop(client, None) or _Client()
            state.failures += 1
            delay = min(self.base_delay_s * 2 ** (state.failures - 1), self.max_delay_s)
            state.locked_until = now + delay
            self._clients[client] = state  # most recent at the end
            while len(self._clients) > self.max_clients:
                self._clients.popitem(last=False)
            if now >= self._global_until:  # during a global lock, failures neither count nor renew it
                self._recent.append(now)
                while self._recent and self._recent[0] <= now - self.global_window_s:
                    self._recent.popleft()
                if len(self._recent) >= self.global_limit:
                    self._global_until = now + self.global_lock_s
                    self._recent.clear()  # counting starts again when the lock ends
            failures, global_count = state.failures, len(self._recent)
        log.warning(
            "import sign-in failed from %s (%d in a row; %d from anyone in the last %.0f s)",
            client,
            failures,
            global_count,
            self.global_window_s,
        )
        return delay

    def succeeded(self, client: str) -> None:
        """Forget ``client``'s failures after a right credential."""
        with self._lock:
            self._clients.pop(client, None)
