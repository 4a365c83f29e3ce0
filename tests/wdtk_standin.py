"""A local stand-in for WhatDoTheyKnow: JSON in Alaveteli's shapes, with fictional requests.

Serves what the pull reads, as Alaveteli's ``json_for_api`` methods shape it
(see /work/research/alaveteli-api.md, built from Alaveteli's source):

* ``/feed/search/<query>.json[?page=N]`` and ``/feed/user/<url_name>.json``: a JSON
  array of events (``info_request`` with its 11 shallow keys, ``public_body``,
  ``user``, ``snippet``), 25 a page, newest described first, ``[]`` past the end;
  only ``sent``, ``followup_sent``, ``response`` and ``comment`` events of
  requests of normal prominence; the search takes words joined by ``OR`` and a
  ``dd/mm/yyyy..dd/mm/yyyy`` range on the event's date;
* ``/request/<url_title>.json``: the request with ``user`` (or ``user_name``),
  ``public_body`` and every event; ``/request/<id>.json`` answers 301 to it;
  404 unknown, 410 removed, 403 hidden, all with empty bodies;
* ``Cache-Control: max-age=…, public`` and an ``ETag``; ``If-None-Match`` gets 304.

Faults can be queued per path (served before the real answer): a status with
headers (429 with ``Retry-After``, 500), a pause longer than the client's
timeout, a body that is not JSON. Every request's path and headers are logged.

Every title, name, snippet and user here is fictional, except the councils'
names and WhatDoTheyKnow numbers, which come from ``data/authorities.csv`` so
that matching them is tested on the real table.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import html
import json
import re
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import unquote

from werkzeug.wrappers import Request, Response

STATES_WITH_LABELS = {
    "waiting_response": "Awaiting response",
    "waiting_clarification": "Waiting clarification",
    "gone_postal": "Handled by postal mail",
    "not_held": "Information not held",
    "rejected": "Refused",
    "successful": "Successful",
    "partially_successful": "Partially successful",
    "internal_review": "Awaiting internal review",
    "error_message": "Delivery error",
    "requires_admin": "Unusual response",
    "user_withdrawn": "Withdrawn by the requester",
    "attention_requested": "Reported for administrator attention",
    "vexatious": "Considered by administrators as vexatious",
    "not_foi": "Considered by administrators as not an FOI request",
}
FEED_EVENTS = ("sent", "followup_sent", "response", "comment")
PER_PAGE = 25


def stamp(day: dt.date, hour: int = 10) -> str:
    """A timestamp as Rails writes it for Europe/London (winter offset, for simplicity)."""
    return f"{day.isoformat()}T{hour:02d}:15:27.000+00:00"


def body(number: int, name: str, tags: list[list] | None = None, url_name: str = "") -> dict:
    return {
        "id": number,
        "url_name": url_name or re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_"),
        "name": name,
        "short_name": "",
        "created_at": stamp(dt.date(2008, 1, 10)),
        "updated_at": stamp(dt.date(2024, 1, 15)),
        "home_page": None,
        "notes": "",
        "publication_scheme": "",
        "disclosure_log": "",
        "tags": tags if tags is not None else [],
        "info": {
            "requests_count": 10,
            "requests_successful_count": 4,
            "requests_not_held_count": 1,
            "requests_overdue_count": 0,
            "requests_visible_classified_count": 8,
        },
    }


@dataclass
class FakeRequest:
    """One fictional request and its events."""

    id: int
    url_title: str
    title: str
    body: dict
    sent: dt.date
    state: str = "waiting_response"
    responded: dt.date | None = None
    answer_text: str = "Fictional answer text about the cameras."
    awaiting_description: bool = False
    prominence: str = "normal"
    law_used: str = "foi"
    user: dict | None = field(
        default_factory=lambda: {"url_name": "fictional_requester", "name": "Fictional Requester"}
    )
    user_name: str | None = None  # an external request: user is None and this is the free-text name
    removed: bool = False  # 410

    def user_json(self) -> dict:
        if self.user is None:
            return {"name": self.user_name or "Anonymous user"}
        return {"id": 700000 + self.id, "ban_text": "", "about_me": "Fictional.", **self.user}

    def shallow(self) -> dict:
        label = "Awaiting classification" if self.awaiting_description else STATES_WITH_LABELS[self.state]
        updated = self.responded or self.sent
        return {
            "id": self.id,
            "url_title": self.url_title,
            "title": self.title,
            "created_at": stamp(self.sent, 9),
            "updated_at": stamp(updated, 14),
            "described_state": self.state,
            "display_status": label,
            "awaiting_description": self.awaiting_description,
            "prominence": self.prominence,
            "law_used": self.law_used,
            "tags": [],
        }

    def events(self) -> list[dict]:
        """Every event, oldest first, as ``InfoRequestEvent#json_for_api(false)`` shapes it."""
        base = self.id * 10
        described = stamp(self.responded or self.sent, 15)
        found = [
            {
                "id": base + 1,
                "event_type": "sent",
                "created_at": stamp(self.sent, 9),
                "described_state": "waiting_response",
                "calculated_state": "waiting_response",
                "last_described_at": stamp(self.sent, 9),
                "incoming_message_id": None,
                "outgoing_message_id": self.id * 3,
                "comment_id": None,
                "display_status": "Clarification",
                "_text": f"Please tell me about Hikvision or Dahua cameras. {self.title}",
            }
        ]
        if self.responded is not None:
            calculated = None if self.awaiting_description else self.state
            found.append(
                {
                    "id": base + 2,
                    "event_type": "response",
                    "created_at": stamp(self.responded, 16),
                    "described_state": None,
                    "calculated_state": calculated,
                    "last_described_at": described,
                    "incoming_message_id": self.id * 3 + 1,
                    "outgoing_message_id": None,
                    "comment_id": None,
                    "display_status": "Response" if calculated is None else STATES_WITH_LABELS[self.state],
                    "_text": self.answer_text,
                }
            )
            if not self.awaiting_description:
                found.append(
                    {
                        "id": base + 3,
                        "event_type": "status_update",
                        "created_at": described,
                        "described_state": self.state,
                        "calculated_state": self.state,
                        "last_described_at": described,
                        "incoming_message_id": None,
                        "outgoing_message_id": None,
                        "comment_id": None,
                    }
                )
        return found

    def document(self) -> dict:
        """``InfoRequest#json_for_api(true)``."""
        found = self.shallow()
        if self.user is None:
            found["user_name"] = self.user_name
        else:
            found["user"] = self.user_json()
        found["public_body"] = self.body
        found["info_request_events"] = [{k: v for k, v in e.items() if k != "_text"} for e in self.events()]
        return found


def _highlight(text: str, words: list[str]) -> str:
    """As Alaveteli's ``highlight_and_excerpt``: HTML-escaped text, the matching words in spans."""
    escaped = html.escape(text, quote=False)
    for word in words:
        escaped = re.sub(rf"(?i)\b({re.escape(word)})", r'<span class="highlight">\1</span>', escaped)
    return escaped[:300]


@dataclass
class Fault:
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    pause: float = 0.0  # seconds before answering (longer than the client's timeout: a timeout)
    body: bytes | None = None  # served instead of the real answer (malformed JSON)


class StandIn:
    """The stand-in site: its requests, queued faults, and a log of what was asked."""

    def __init__(self, requests: list[FakeRequest], max_age: int = 3600, memo: bool = False) -> None:
        self.requests = {r.url_title: r for r in requests}
        self.max_age = max_age
        # Keep each feed's sorted events between pages (the benchmark: requests do not change during a run).
        self.memo: dict[str, list] | None = {} if memo else None
        self.faults: dict[str, list[Fault]] = {}
        self.log: list[tuple[str, dict[str, str]]] = []
        self.lock = threading.Lock()

    def fault(self, path: str, *faults: Fault) -> None:
        """Serve these faults, in order, to the next requests for ``path`` (with its query string)."""
        self.faults.setdefault(path, []).extend(faults)

    def paths(self) -> list[str]:
        return [p for p, _ in self.log]

    # --- the site ------------------------------------------------------------------------
    def handle(self, request: Request) -> Response:
        path = request.full_path.rstrip("?")
        with self.lock:
            self.log.append((path, dict(request.headers)))
            queued = self.faults.get(path)
            fault = queued.pop(0) if queued else None
        if fault is not None:
            if fault.pause:
                time.sleep(fault.pause)
            if fault.body is not None or fault.status != 200:
                return Response(fault.body or b"", status=fault.status, headers=fault.headers)
        status, document = self.route(request)
        if status == 301:
            return Response(b"", status=301, headers={"Location": document})
        if status != 200:
            return Response(b"", status=status)  # Alaveteli's `head :not_found` and friends
        payload = json.dumps(document).encode("utf-8")
        etag = '"' + hashlib.md5(payload).hexdigest() + '"'
        headers = {"Cache-Control": f"max-age={self.max_age}, public", "ETag": etag, "Vary": "Cookie"}
        if request.headers.get("If-None-Match") == etag:
            return Response(b"", status=304, headers=headers)
        return Response(payload, status=200, headers=headers, content_type="application/json; charset=utf-8")

    def route(self, request: Request):
        path = unquote(request.path)
        page = request.args.get("page", "1")
        page_number = int(page) if page.isascii() and page.isdigit() and int(page) >= 1 else 1
        match = re.fullmatch(r"/request/([^/]+)\.json", path)
        if match:
            key = match.group(1)
            if key.isdigit():
                found = next((r for r in self.requests.values() if r.id == int(key)), None)
                return (301, f"/request/{found.url_title}.json") if found else (404, None)
            found = self.requests.get(key)
            if found is None:
                return 404, None
            if found.removed:
                return 410, None
            if found.prominence in ("hidden", "requester_only"):
                return 403, None
            return 200, found.document()
        match = re.fullmatch(r"/feed/search/(.+)\.json", path)
        if match and self.memo is not None and path in self.memo:
            return 200, self.page([], page_number, "described", key=path)
        if match:
            return 200, self.page(self.search(match.group(1)), page_number, "described", key=path)
        match = re.fullmatch(r"/feed/user/([^/]+)\.json", path)
        if match:
            name = match.group(1)
            events = [
                (r, e)
                for r in self.requests.values()
                for e in r.events()
                if r.user is not None and r.user.get("url_name") == name
            ]
            return 200, self.page(events, page_number, "newest", key=path)
        return 404, None

    def search(self, query: str) -> list[tuple[FakeRequest, dict]]:
        dates = re.search(r"([0-9]{2})/([0-9]{2})/([0-9]{4})\.\.([0-9]{2})/([0-9]{2})/([0-9]{4})", query)
        start = end = None
        if dates:
            d1, m1, y1, d2, m2, y2 = (int(g) for g in dates.groups())
            start, end = dt.date(y1, m1, d1), dt.date(y2, m2, d2)
            query = query.replace(dates.group(0), " ")
        words = [w.lower() for w in re.findall(r"[A-Za-z]+", query) if w not in ("OR", "AND")]
        found = []
        for request in self.requests.values():
            for event in request.events():
                day = dt.date.fromisoformat(event["created_at"][:10])
                if start and not (start <= day <= end):
                    continue
                text = (request.title + " " + event.get("_text", "")).lower()
                if any(re.search(rf"\b{w}", text) for w in words):
                    found.append((request, {**event, "_words": words}))
        return found

    def page(self, events: list[tuple[FakeRequest, dict]], page: int, order: str, key: str = "") -> list[dict]:
        if self.memo is not None and key in self.memo:
            shown = self.memo[key]
        else:
            shown = [
                (r, e)
                for r, e in events
                if e["event_type"] in FEED_EVENTS and r.prominence == "normal" and not r.removed
            ]
            field_name = "last_described_at" if order == "described" else "created_at"
            shown.sort(key=lambda pair: (pair[1][field_name] or pair[1]["created_at"], pair[1]["id"]), reverse=True)
            if self.memo is not None:
                self.memo[key] = shown
        chunk = shown[(page - 1) * PER_PAGE : page * PER_PAGE]
        return [
            {
                **{k: v for k, v in e.items() if not k.startswith("_")},
                "snippet": _highlight(e.get("_text", ""), e.get("_words", [])),
                "info_request": r.shallow(),
                "public_body": r.body,
                "user": r.user_json(),
            }
            for r, e in chunk
        ]


def serve(requests: list[FakeRequest], max_age: int = 3600, memo: bool = False):
    """A running stand-in on a free loopback port (threaded): (server, stand-in, base URL). Stop with server.stop()."""
    from pytest_httpserver import HTTPServer

    site = StandIn(requests, max_age=max_age, memo=memo)
    server = HTTPServer(host="127.0.0.1", port=0, threaded=True)
    server.expect_request(re.compile(".*")).respond_with_handler(site.handle)
    server.start()
    return server, site, server.url_for("").rstrip("/")


def many_requests(count: int, bodies: list[dict], start: dt.date = dt.date(2024, 1, 8)) -> list[FakeRequest]:
    """``count`` fictional requests over the bodies, in every state, one a day from ``start`` (for the benchmark)."""
    states = list(STATES_WITH_LABELS)
    found = []
    for n in range(count):
        state = states[n % len(states)]
        sent = start + dt.timedelta(days=n % 700)
        responded = sent + dt.timedelta(days=15) if state not in ("waiting_response", "error_message") else None
        found.append(
            FakeRequest(
                id=100000 + n,
                url_title=f"fictional_hikvision_question_{n}",
                title=f"Fictional question {n} about Hikvision cameras",
                body=bodies[n % len(bodies)],
                sent=sent,
                state=state,
                responded=responded,
            )
        )
    return found
