"""Reading an Alaveteli site (WhatDoTheyKnow) politely: one request at a time, cached, retried.

Every GET goes through :class:`Client`:

* a User-Agent that names the project and its contact (:func:`geo.settings.user_agent`);
* a pause of ``delay`` seconds after each answer that came from the network (an answer
  served from the cache costs the site nothing and is not paused for);
* an HTTP cache on disk (requests-cache, SQLite, in the cache folder) that follows the
  site's ``Cache-Control`` (an hour for requests and feeds) and otherwise asks again
  with the validators it holds (``If-None-Match``), so a re-run downloads only what changed;
* retries with exponential backoff (tenacity) on 429, on 5xx and on timeouts or broken
  connections, honouring ``Retry-After`` (seconds or a date), at most ``attempts`` tries;
  a wait longer than ``max_wait`` is not waited: the run stops that call with an error.

Alaveteli answers an unknown or removed request with 404 (410 from a front end) and a
hidden one with 403, all with empty bodies (see the reference notes): those come back
as ``None``. A body that is not JSON is an error, and it is dropped from the cache so
that the next run asks again.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import requests
import requests_cache
import tenacity

from geo import settings

GONE = (403, 404, 410)  # hidden, unknown or removed: the request is not public (any more)


class WdtkError(RuntimeError):
    """A call that failed for good (after its retries), with the address and the reason."""


class _TryAgain(Exception):
    """A 429 or 5xx answer: worth another try, after ``retry_after`` seconds if the site said."""

    def __init__(self, status: int, retry_after: float | None) -> None:
        super().__init__(f"HTTP {status}")
        self.status = status
        self.retry_after = retry_after


def retry_after_seconds(value: str | None, now: dt.datetime | None = None) -> float | None:
    """``Retry-After`` as seconds from now: a number of seconds or an HTTP date; None if absent or unreadable."""
    if not value:
        return None
    text = value.strip()
    if text.isascii() and text.isdigit():
        return float(text)
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return max(0.0, (when - (now or dt.datetime.now(dt.UTC))).total_seconds())


@dataclass
class Client:
    """A polite reader of one Alaveteli site (see the module docstring)."""

    base: str
    cache_dir: Path
    delay: float = 1.0
    timeout: float = 30.0
    attempts: int = 5
    backoff: float = 1.0  # first wait after a failure, doubled each time (capped at 60 s)
    max_wait: float = 300.0
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic
    network_calls: int = 0  # answers that came over the network (including 304 revalidations)
    cached_calls: int = 0  # answers served from the cache without asking the site
    waits: list[float] = field(default_factory=list)  # every wait before a retry, in seconds
    _last_network: float | None = None
    session: requests_cache.CachedSession = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.base = self.base.rstrip("/")
        self.cache_dir = Path(self.cache_dir)
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        # The cache can be lost at no cost (the pull's progress is kept apart, in state.sqlite): its writes
        # are not flushed to disk one by one (WAL, no fsync per answer), which a process killed mid-write survives.
        cache = requests_cache.SQLiteCache(str(self.cache_dir / "http-cache.sqlite"), wal=True, fast_save=True)
        self.session = requests_cache.CachedSession(
            backend=cache,
            cache_control=True,  # the site's Cache-Control decides how long an answer is fresh ...
            expire_after=0,  # ... and without one, every answer is checked again (with its ETag)
            allowable_codes=(200,),
        )
        self.session.headers["User-Agent"] = settings.user_agent()
        self.session.headers["Accept"] = "application/json"

    @classmethod
    def from_settings(cls, cache_dir: Path | None = None, **overrides) -> Client:
        """A client for ``HIKMAP_WDTK_URL`` with the configured delay and timeout."""
        return cls(
            base=settings.wdtk_url(),
            cache_dir=cache_dir or settings.cache_dir() / "wdtk",
            delay=settings.wdtk_delay(),
            timeout=settings.wdtk_timeout(),
            **overrides,
        )

    def close(self) -> None:
        self.session.close()

    # --- the site's documents -------------------------------------------------------------
    def request_url(self, url_title: str) -> str:
        """The public page of a request: ``<site>/request/<url_title>`` (its key in foi_requests.csv)."""
        return f"{self.base}/request/{quote(url_title, safe='')}"

    def search_feed(self, query: str, page: int) -> list[dict]:
        """One page (25 events, newest described first) of ``/feed/search/<query>.json``."""
        return self._feed(f"/feed/search/{quote(query, safe=':/')}.json", page)

    def user_feed(self, url_name: str, page: int) -> list[dict]:
        """One page of ``/feed/user/<url_name>.json``: the events of one account's requests."""
        return self._feed(f"/feed/user/{quote(url_name, safe='')}.json", page)

    def info_request(self, url_title: str) -> dict | None:
        """``/request/<url_title>.json``; None when the request is hidden, unknown or removed."""
        document = self.get_json(f"/request/{quote(url_title, safe='')}.json")
        if document is not None and not isinstance(document, dict):
            raise WdtkError(f"{self.base}/request/{url_title}.json: expected a JSON object")
        return document

    def _feed(self, path: str, page: int) -> list[dict]:
        document = self.get_json(path, {"page": str(page)} if page > 1 else None)
        if document is None:
            raise WdtkError(f"{self.base}{path}: the feed is not there (HTTP 403, 404 or 410)")
        if not isinstance(document, list) or not all(isinstance(e, dict) for e in document):
            self._forget(path, page)
            raise WdtkError(f"{self.base}{path} page {page}: expected a JSON list of events")
        return document

    # --- HTTP ---------------------------------------------------------------------------
    def get_json(self, path: str, params: dict[str, str] | None = None):
        """The JSON at ``path`` (parsed), or None for 403/404/410; :class:`WdtkError` otherwise."""
        url = self.base + path
        response = self._get(url, params)
        if response.status_code in GONE:
            return None
        if response.status_code != 200:
            raise WdtkError(f"{response.url}: HTTP {response.status_code}")
        try:
            return json.loads(response.content.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as error:
            self.session.cache.delete(requests=[response.request])  # never keep a broken answer
            raise WdtkError(f"{response.url}: not JSON ({error})") from None

    def _forget(self, path: str, page: int) -> None:
        request = requests.Request("GET", self.base + path, params={"page": str(page)} if page > 1 else None)
        self.session.cache.delete(requests=[self.session.prepare_request(request)])

    def _get(self, url: str, params: dict[str, str] | None) -> requests.Response:
        retrying = tenacity.Retrying(
            retry=tenacity.retry_if_exception_type((_TryAgain, requests.Timeout, requests.ConnectionError)),
            stop=tenacity.stop_after_attempt(self.attempts),
            wait=self._wait,
            sleep=self._sleep_before_retry,
            reraise=True,
        )
        try:
            for attempt in retrying:
                with attempt:
                    return self._get_once(url, params)
        except _TryAgain as error:
            raise WdtkError(f"{url}: HTTP {error.status} after {self.attempts} tries") from None
        except (requests.Timeout, requests.ConnectionError) as error:
            raise WdtkError(f"{url}: no answer after {self.attempts} tries ({type(error).__name__})") from None
        raise AssertionError("unreachable")  # pragma: no cover

    def _get_once(self, url: str, params: dict[str, str] | None) -> requests.Response:
        self._pause()
        try:
            response = self.session.get(url, params=params, timeout=self.timeout)
        except (requests.Timeout, requests.ConnectionError):
            self._last_network = self.clock()
            raise
        if getattr(response, "from_cache", False) and not getattr(response, "revalidated", False):
            self.cached_calls += 1
        else:
            self.network_calls += 1
            self._last_network = self.clock()
        if response.status_code == 429 or response.status_code >= 500:
            wait = retry_after_seconds(response.headers.get("Retry-After"))
            if wait is not None and wait > self.max_wait:
                raise WdtkError(f"{response.url}: the site asks to wait {wait:.0f} s (more than {self.max_wait:.0f})")
            raise _TryAgain(response.status_code, wait)
        return response

    def _wait(self, state: tenacity.RetryCallState) -> float:
        error = state.outcome.exception() if state.outcome else None
        if isinstance(error, _TryAgain) and error.retry_after is not None:
            return error.retry_after
        return min(self.backoff * 2 ** (state.attempt_number - 1), 60.0)

    def _sleep_before_retry(self, seconds: float) -> None:
        self.waits.append(seconds)
        if seconds > 0:
            self.sleep(seconds)
        if seconds >= self.delay:
            self._last_network = None  # the wait was at least as long as the pause

    def _pause(self) -> None:
        """Wait until ``delay`` seconds have passed since the last answer from the network."""
        if self._last_network is None or self.delay <= 0:
            return
        remaining = self._last_network + self.delay - self.clock()
        if remaining > 0:
            self.sleep(remaining)
