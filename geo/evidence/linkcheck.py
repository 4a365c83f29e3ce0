"""Checking the sources' addresses: does each still answer, and where does it lead now?

``python -m geo sources check`` asks every address in ``sources.csv`` (``url``, and
``archive_url`` where there is one) for its HTTP status, following redirects one hop at a
time, and sorts the answers for a campaigner:

* **live**: the page answers (2xx) at the address given;
* **moved**: it answers, but only after redirects to another address (each hop is kept);
* **dead**: an error status (4xx, 5xx), no connection, no answer in time, a redirect loop,
  too many redirects, or a redirect to something that is not a web address;
* **skipped**: not an http(s) address, so never requested.

Manners: one request a second per host at most (:class:`HostRateLimiter`, the delay is
``HIKMAP_SOURCES_DELAY``); ``HEAD`` first, and ``GET`` (whose body is not read) where ``HEAD``
is refused (405, 501) or answered with an error, since many servers mishandle ``HEAD``;
the project's User-Agent; a timeout (``HIKMAP_SOURCES_TIMEOUT``). Only http(s)
addresses are ever requested, redirects included.

The pure parts (which addresses, the order, the outcome, the words and the rows of the
report) are separate from the requests, which go through :mod:`requests`.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit, urlunsplit

import requests

from geo import settings
from geo.evidence.datapackage import is_http_url

REDIRECTS = frozenset({301, 302, 303, 307, 308})
HEAD_REFUSED = frozenset({405, 501})
MAX_HOPS = 10

LIVE, MOVED, DEAD, SKIPPED = "live", "moved", "dead", "skipped"
OUTCOMES = (DEAD, MOVED, LIVE, SKIPPED)

Clock = Callable[[], float]
Sleep = Callable[[float], None]
Progress = Callable[[int, int, "LinkResult"], None]


class HostRateLimiter:
    """At most one request per ``delay`` seconds to each host (thread-safe).

    :meth:`wait` books the host's next free moment and sleeps until it; two hosts never wait
    for each other. ``clock`` and ``sleep`` are :func:`time.monotonic` and :func:`time.sleep`
    unless a test gives a fake clock.
    """

    def __init__(self, delay: float, clock: Clock = time.monotonic, sleep: Sleep = time.sleep) -> None:
        if delay < 0:
            raise ValueError("the delay between two requests cannot be negative")
        self.delay = delay
        self._clock = clock
        self._sleep = sleep
        self._next: dict[str, float] = {}
        self._lock = threading.Lock()

    def wait(self, host: str) -> float:
        """Sleep until a request to ``host`` is allowed; return the moment booked for it."""
        with self._lock:
            now = self._clock()
            slot = max(now, self._next.get(host, now))
            self._next[host] = slot + self.delay
        if slot > now:
            self._sleep(slot - now)
        return slot


def host_key(url: str) -> str:
    """What the rate limit counts by: the host name (lower case) and port, if any."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    try:
        port = parts.port
    except ValueError:
        port = None
    return f"{host}:{port}" if port else host


@dataclass(frozen=True)
class Address:
    """One address to check: which source, which field, which line of sources.csv."""

    source: str
    field: str  # "url" or "archive_url"
    url: str
    line: int = 0


@dataclass(frozen=True)
class Hop:
    """One answer on the way: the address asked, its status and how it was asked."""

    url: str
    status: int
    method: str


@dataclass(frozen=True)
class LinkResult:
    address: Address
    outcome: str  # LIVE, MOVED, DEAD or SKIPPED
    hops: tuple[Hop, ...] = ()
    final_url: str = ""
    error: str = ""  # why a link is dead or skipped when no status says it

    @property
    def status(self) -> int | None:
        return self.hops[-1].status if self.hops else None

    @property
    def minor_move(self) -> bool:
        """Moved only from http to https, to or from ``www.``, or by a final slash."""
        return self.outcome == MOVED and same_page(self.address.url, self.final_url)


def addresses(rows: Iterable[tuple[int, dict[str, str]]]) -> list[Address]:
    """The addresses of ``sources.csv``'s rows (line, row): ``url``, then ``archive_url`` where given."""
    found = []
    for line, row in rows:
        for name in ("url", "archive_url"):
            value = (row.get(name) or "").strip()
            if value:
                found.append(Address(row.get("id", ""), name, value, line))
    return found


def interleave(items: Sequence[Address]) -> list[Address]:
    """The addresses taken one host at a time in turn, so that a host's pause is spent on others."""
    by_host: dict[str, list[Address]] = {}
    for item in items:
        by_host.setdefault(host_key(item.url), []).append(item)
    mixed = itertools.zip_longest(*by_host.values())
    return [item for group in mixed for item in group if item is not None]


def same_page(a: str, b: str) -> bool:
    """True when two addresses differ only by http/https, a leading ``www.`` or a final slash."""

    def plain(url: str) -> tuple[str, str, str]:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower().removeprefix("www.")
        return host, parts.path.rstrip("/") or "/", parts.query

    return plain(a) == plain(b)


def outcome_of(start: str, hops: Sequence[Hop]) -> str:
    """LIVE, MOVED or DEAD from the answers: the last one's status, and whether it is elsewhere."""
    if not hops:
        return DEAD
    last = hops[-1]
    if 200 <= last.status < 300:
        return LIVE if _same_address(last.url, start) else MOVED
    return DEAD


def _same_address(a: str, b: str) -> bool:
    def norm(url: str) -> str:
        parts = urlsplit(url)
        return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), parts.path or "/", parts.query, ""))

    return norm(a) == norm(b)


# --- Asking -------------------------------------------------------------------------------------
@dataclass
class Checker:
    """What checking needs: a session, the rate limiter, a timeout and the User-Agent."""

    limiter: HostRateLimiter
    timeout: float
    session: requests.Session = field(default_factory=requests.Session)
    user_agent: str = field(default_factory=settings.user_agent)  # one User-Agent for every outside request
    max_hops: int = MAX_HOPS

    def _ask(self, method: str, url: str) -> requests.Response:
        self.limiter.wait(host_key(url))
        response = self.session.request(
            method,
            url,
            allow_redirects=False,
            timeout=self.timeout,
            stream=True,  # the body of a GET is never read
            headers={"User-Agent": self.user_agent, "Accept": "*/*"},
        )
        response.close()
        return response

    def _probe(self, url: str) -> tuple[Hop, str]:
        """One address's answer (HEAD, else GET) and where it redirects to ("" if nowhere)."""
        response = self._ask("HEAD", url)
        method = "HEAD"
        if response.status_code in HEAD_REFUSED or response.status_code >= 400:
            response = self._ask("GET", url)
            method = "GET"
        return Hop(url, response.status_code, method), response.headers.get("Location", "").strip()

    def check(self, address: Address) -> LinkResult:
        """Follow ``address`` hop by hop; every request passes the rate limiter first."""
        if not is_http_url(address.url):
            return LinkResult(address, SKIPPED, error="not an http(s) address: not requested")
        hops: list[Hop] = []
        seen: set[str] = set()
        url = address.url
        while True:
            if url in seen:
                return LinkResult(address, DEAD, tuple(hops), url, "redirect loop: the addresses send to each other")
            if len(hops) > self.max_hops:
                return LinkResult(address, DEAD, tuple(hops), url, f"more than {self.max_hops} redirects")
            seen.add(url)
            try:
                hop, location = self._probe(url)
            except requests.Timeout:
                return LinkResult(address, DEAD, tuple(hops), url, f"no answer within {self.timeout:g} seconds")
            except requests.exceptions.SSLError:
                return LinkResult(address, DEAD, tuple(hops), url, "the site's secure connection failed (certificate)")
            except requests.ConnectionError:
                return LinkResult(
                    address, DEAD, tuple(hops), url, "no connection: the site is down or its name no longer exists"
                )
            except requests.RequestException as error:
                return LinkResult(address, DEAD, tuple(hops), url, f"the request failed: {type(error).__name__}")
            hops.append(hop)
            if hop.status not in REDIRECTS:
                break
            if not location:
                return LinkResult(address, DEAD, tuple(hops), url, "a redirect that says nowhere to go")
            target = urljoin(url, location)
            if not is_http_url(target):
                return LinkResult(
                    address, DEAD, tuple(hops), target, "redirects to something that is not a web address: not followed"
                )
            url = target
        return LinkResult(address, outcome_of(address.url, hops), tuple(hops), url)

    def check_all(self, items: Sequence[Address], progress: Progress | None = None) -> list[LinkResult]:
        """Every address, one host at a time in turn (:func:`interleave`); results in ``items``' order."""
        results: dict[Address, LinkResult] = {}
        order = interleave(items)
        for done, item in enumerate(order, 1):
            results[item] = self.check(item)
            if progress:
                progress(done, len(order), results[item])
        return [results[item] for item in items]


def checker(
    session: requests.Session | None = None, clock: Clock = time.monotonic, sleep: Sleep = time.sleep
) -> Checker:
    """A :class:`Checker` with the settings' delay and timeout."""
    limiter = HostRateLimiter(settings.sources_delay(), clock, sleep)
    return Checker(limiter, settings.sources_timeout(), session or requests.Session())


# --- The report ---------------------------------------------------------------------------------
_STATUS_WORDS = {
    301: "moved permanently",
    302: "found elsewhere (temporary)",
    303: "see another page",
    307: "moved temporarily",
    308: "moved permanently",
    400: "the site did not understand the request",
    401: "the page needs a log-in",
    403: "the site refuses access (it may block automatic checks: try it in a browser)",
    404: "not found: the page is gone or its address changed",
    410: "gone: the site says the page was removed for good",
    429: "the site asked us to slow down: check again later",
    451: "unavailable for legal reasons",
    500: "the site failed (server error)",
    502: "the site's gateway failed",
    503: "the site is unavailable for now",
    504: "the site's gateway gave no answer in time",
}


def status_words(status: int) -> str:
    """A status in words a campaigner reads."""
    if status in _STATUS_WORDS:
        return _STATUS_WORDS[status]
    if 200 <= status < 300:
        return "works"
    if 400 <= status < 500:
        return "the site refuses the request"
    if status >= 500:
        return "the site failed (server error)"
    return "an unusual answer"


def why(result: LinkResult) -> str:
    """Why a result is what it is, in words: the error, or the last status."""
    if result.error:
        return result.error
    if result.status is None:
        return ""
    return f"{result.status}: {status_words(result.status)}"


def printable(text: str) -> str:
    """``text`` with control characters shown as escapes: a remote ``Location`` cannot drive the terminal."""
    return "".join(ch if ch.isprintable() else f"\\x{ord(ch):02x}" for ch in text)


def path_text(result: LinkResult) -> str:
    """Each hop as ``STATUS address``, joined by arrows."""
    return " → ".join(f"{hop.status} {hop.url}" for hop in result.hops)


def _field_words(address: Address) -> str:
    return "its archived copy" if address.field == "archive_url" else "its address"


def report_text(results: Sequence[LinkResult], checked_on: str = "") -> str:
    """The report a campaigner reads: dead links first, then moved ones, then the counts."""
    counts = {outcome: sum(1 for r in results if r.outcome == outcome) for outcome in OUTCOMES}
    sources = len({r.address.source for r in results})
    when = f" on {checked_on}" if checked_on else ""
    lines = [
        f"Checked {len(results)} addresses of {sources} sources{when}: "
        f"{counts[LIVE]} work, {counts[MOVED]} moved, {counts[DEAD]} dead, {counts[SKIPPED]} skipped."
    ]
    dead = [r for r in results if r.outcome == DEAD]
    if dead:
        lines += [
            "",
            f"Dead links ({len(dead)}): readers cannot open these. Find the page again (search for its title), "
            "or rely on its archived copy; then correct sources.csv.",
        ]
        for r in dead:
            lines.append(f"- {r.address.source} (sources.csv line {r.address.line}), {_field_words(r.address)}:")
            lines.append(f"    {r.address.url}")
            lines.append(f"    {why(r)}")
            if len(r.hops) > 1:
                lines.append(f"    on the way: {path_text(r)}")
    moved = [r for r in results if r.outcome == MOVED and not r.minor_move]
    if moved:
        lines += [
            "",
            f"Moved ({len(moved)}): these lead to another address now. Check that the new page is the same "
            "publication before changing the address in sources.csv.",
        ]
        for r in moved:
            lines.append(f"- {r.address.source} (sources.csv line {r.address.line}), {_field_words(r.address)}:")
            lines.append(f"    {r.address.url}")
            lines.append(f"    now: {r.final_url}")
            lines.append(f"    on the way: {path_text(r)}")
    minor = [r for r in results if r.minor_move]
    if minor:
        lines += [
            "",
            f"Moved within the same site ({len(minor)}): only http to https, www. or a final slash changed. "
            "Harmless; update when convenient.",
        ]
        lines += [f"- {r.address.source}: {r.address.url} → {r.final_url}" for r in minor]
    skipped = [r for r in results if r.outcome == SKIPPED]
    if skipped:
        lines += ["", f"Skipped ({len(skipped)}): not web addresses, so not checked."]
        lines += [f"- {r.address.source} (sources.csv line {r.address.line}): {r.address.url}" for r in skipped]
    if not dead and not moved:
        lines += ["", "Every link works."]
    return "\n".join(printable(line) for line in lines) + "\n"


REPORT_COLUMNS = ("source", "field", "line", "url", "outcome", "status", "final_url", "why", "hops")


def report_rows(results: Sequence[LinkResult]) -> list[list[str]]:
    """One row per address (columns :data:`REPORT_COLUMNS`), for a spreadsheet or a script."""
    return [
        [
            r.address.source,
            r.address.field,
            str(r.address.line),
            r.address.url,
            r.outcome,
            "" if r.status is None else str(r.status),
            r.final_url,
            why(r),
            path_text(r),
        ]
        for r in results
    ]


def report_json(results: Sequence[LinkResult], checked_on: str = "") -> dict:
    """The report as JSON: each address with its outcome and every hop."""
    return {
        "checked": checked_on,
        "counts": {outcome: sum(1 for r in results if r.outcome == outcome) for outcome in OUTCOMES},
        "addresses": [
            {
                "source": r.address.source,
                "field": r.address.field,
                "line": r.address.line,
                "url": r.address.url,
                "outcome": r.outcome,
                "status": r.status,
                "final_url": r.final_url,
                "why": why(r),
                "hops": [{"url": h.url, "status": h.status, "method": h.method} for h in r.hops],
            }
            for r in results
        ],
    }
