"""What the pull has read from the site so far, kept in the cache folder (SQLite), never in ``data/``.

One file, ``<cache>/wdtk/state.sqlite``, committed after every page and every
request read, so a pull killed at any moment carries on where it stopped:

* ``requests``: per request (by ``url_title``) what the project keeps of it
  (:class:`SiteRequest`: its title, states, dates, body, and the text of its
  latest answer's snippet for the answers queue), and whether it still needs
  reading (``stale``). Nothing of the requester is kept: no name, no user page.
* ``events``: each feed event seen, with the time it was last described, so a
  later run stops paging once it reaches a page it has wholly seen before.
* ``feeds``: per feed, the next page to read in the open run, and whether a
  pass over it ever reached its end.
* ``meta``: the open run, if a run was interrupted.

Titles and snippets are the site's text: untrusted, shown only as text.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import asdict, dataclass, field
from pathlib import Path


@dataclass
class SiteRequest:
    """What the project keeps of one request on the site (no personal data)."""

    url_title: str
    title: str = ""
    state: str = ""  # described_state, or waiting_classification while a response is not described
    law_used: str = ""  # foi or eir
    sent: str = ""  # YYYY-MM-DD of the first message sent (else the request's creation)
    responded: str = ""  # YYYY-MM-DD of the latest response
    incoming_id: int | None = None  # the latest response's message, for a link to it
    body: dict = field(default_factory=dict)  # id, url_name, name, tags of the body asked
    snippet: str = ""  # plain text of the latest response as the search feed quotes it
    by_campaign: bool = False  # sent by the configured campaign account
    gone: bool = False  # the site answered 403, 404 or 410 when last asked
    read: bool = False  # read in full (its JSON), not only seen in a feed

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> SiteRequest:
        values = json.loads(text)
        return cls(**{k: v for k, v in values.items() if k in cls.__dataclass_fields__})


class State:
    """The pull's memory (see the module docstring)."""

    def __init__(self, path: Path) -> None:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(str(path), isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.executescript(
            """
            CREATE TABLE IF NOT EXISTS requests (url_title TEXT PRIMARY KEY, record TEXT NOT NULL,
                                                 stale INTEGER NOT NULL, run INTEGER NOT NULL);
            CREATE TABLE IF NOT EXISTS events (id INTEGER PRIMARY KEY, described TEXT NOT NULL);
            CREATE TABLE IF NOT EXISTS feeds (key TEXT PRIMARY KEY, next_page INTEGER NOT NULL,
                                              complete INTEGER NOT NULL, run INTEGER NOT NULL);
            CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
            """
        )

    def close(self) -> None:
        self.db.close()

    # --- runs --------------------------------------------------------------------------
    def open_run(self) -> tuple[int, bool]:
        """The run to work in, and whether it resumes one that was interrupted."""
        row = self.db.execute("SELECT value FROM meta WHERE key = 'open_run'").fetchone()
        if row:
            return int(row[0]), True
        last = self.db.execute("SELECT value FROM meta WHERE key = 'last_run'").fetchone()
        run = int(last[0]) + 1 if last else 1
        with self.db:
            self.db.execute("INSERT OR REPLACE INTO meta VALUES ('open_run', ?)", (str(run),))
            self.db.execute("INSERT OR REPLACE INTO meta VALUES ('last_run', ?)", (str(run),))
        return run, False

    def close_run(self, run: int, finished_feeds: list[str]) -> None:
        with self.db:
            for key in finished_feeds:
                self.db.execute("UPDATE feeds SET complete = 1 WHERE key = ?", (key,))
            self.db.execute("DELETE FROM meta WHERE key = 'open_run'")

    # --- feeds -------------------------------------------------------------------------
    def feed_position(self, key: str, run: int) -> tuple[int, bool]:
        """The next page of ``key`` in ``run`` (1 for a new run), and whether a pass ever finished it."""
        row = self.db.execute("SELECT next_page, complete, run FROM feeds WHERE key = ?", (key,)).fetchone()
        if row is None:
            return 1, False
        page, complete, seen_run = row
        return (page if seen_run == run else 1), bool(complete)

    def event_known(self, event_id: int, described: str) -> bool:
        row = self.db.execute("SELECT described FROM events WHERE id = ?", (event_id,)).fetchone()
        return row is not None and row[0] == described

    def save_page(self, key: str, run: int, next_page: int, events: list[tuple[int, str]], seen: list[SiteRequest]):
        """One feed page read: its events, what it says of each request (marked to read), where to go on."""
        with self.db:
            self.db.executemany("INSERT OR REPLACE INTO events VALUES (?, ?)", events)
            for record in seen:
                self._put(record, stale=True, run=run)
            self.db.execute(
                "INSERT INTO feeds VALUES (?, ?, 0, ?) ON CONFLICT(key) DO UPDATE SET next_page = ?, run = ?",
                (key, next_page, run, next_page, run),
            )

    # --- requests ----------------------------------------------------------------------
    def get(self, url_title: str) -> SiteRequest | None:
        row = self.db.execute("SELECT record FROM requests WHERE url_title = ?", (url_title,)).fetchone()
        return SiteRequest.from_json(row[0]) if row else None

    def has(self, url_title: str) -> bool:
        return self.db.execute("SELECT 1 FROM requests WHERE url_title = ?", (url_title,)).fetchone() is not None

    def mark_stale(self, url_titles: list[str], run: int) -> None:
        with self.db:
            for url_title in url_titles:
                if not self.has(url_title):
                    self._put(SiteRequest(url_title), stale=True, run=run)

    def stale(self) -> list[str]:
        return [r[0] for r in self.db.execute("SELECT url_title FROM requests WHERE stale = 1 ORDER BY url_title")]

    def save_request(self, record: SiteRequest, run: int) -> None:
        with self.db:
            self._put(record, stale=False, run=run)

    def all(self) -> list[SiteRequest]:
        return [SiteRequest.from_json(r[0]) for r in self.db.execute("SELECT record FROM requests ORDER BY url_title")]

    def _put(self, record: SiteRequest, stale: bool, run: int) -> None:
        if stale:
            # A feed's view of a request never overwrites what a full read found, except what it says better.
            old = self.get(record.url_title)
            if old is not None:
                record = _merge(old, record)
        self.db.execute(
            "INSERT OR REPLACE INTO requests VALUES (?, ?, ?, ?)",
            (record.url_title, record.to_json(), 1 if stale else 0, run),
        )


def _merge(old: SiteRequest, seen: SiteRequest) -> SiteRequest:
    """A request as known, updated with what a feed event says of it (a newer snippet, title, state)."""
    merged = SiteRequest(**asdict(old))
    for name in ("title", "state", "law_used", "body"):
        if getattr(seen, name):
            setattr(merged, name, getattr(seen, name))
    if seen.snippet and seen.responded >= old.responded:
        merged.snippet = seen.snippet
        merged.responded = seen.responded
    return merged


def load_records(path: Path) -> dict[str, SiteRequest]:
    """Every request the pull has read, by ``url_title`` ({} before the first pull); for the answers queue."""
    if not Path(path).is_file():
        return {}
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return {r[0]: SiteRequest.from_json(r[1]) for r in db.execute("SELECT url_title, record FROM requests")}
    except sqlite3.OperationalError:  # not a pull's state file
        return {}
    finally:
        db.close()
