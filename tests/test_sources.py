"""Sources that do not rot: ``python -m geo sources check`` and ``python -m geo sources archive``.

Every request goes to a local stand-in (pytest-httpserver): the pages of fictional sources, and
a fictional Wayback Machine answering the availability API and Save Page Now. Nothing here
touches the internet. Pauses go to a fake clock, so no test waits out the one-a-second rule
and none measures time: the rule is proved by the moments the fake clock gives the requests.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import requests
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from geo import settings
from geo.evidence import linkcheck, wayback
from geo.evidence.datapackage import check_package, is_wayback_copy
from geo.evidence.linkcheck import DEAD, LIVE, MOVED, SKIPPED, Address, Checker, HostRateLimiter

ROOT = Path(__file__).resolve().parent.parent
COPY_TS = "20240102030405"


class FakeClock:
    """A clock that moves only when something sleeps on it."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def make_checker(clock: FakeClock, delay: float = 1.0, timeout: float = 5.0) -> Checker:
    return Checker(HostRateLimiter(delay, clock, clock.sleep), timeout, requests.Session())


def check_one(checker: Checker, url: str) -> linkcheck.LinkResult:
    return checker.check(Address("fictional-source", "url", url, 2))


def redirect(to: str, status: int = 301) -> Response:
    return Response("", status=status, headers={"Location": to})


# --- The rate limit ------------------------------------------------------------------------------
def test_the_limiter_spaces_each_host_and_lets_hosts_pass_each_other(clock):
    limiter = HostRateLimiter(1.0, clock, clock.sleep)
    moments = [(host, limiter.wait(host)) for host in ["a", "a", "b", "a", "b", "c"]]
    assert moments == [("a", 0.0), ("a", 1.0), ("b", 1.0), ("a", 2.0), ("b", 2.0), ("c", 2.0)]
    assert clock.sleeps == [1.0, 1.0]  # only "a" after "a" waited: b and c never waited for a


def test_the_limiter_books_moments_for_waiters_that_have_not_woken_yet(clock):
    """Three callers asking at the same moment (threads) are booked a second apart, not all at once."""
    sleeps: list[float] = []
    limiter = HostRateLimiter(1.0, clock, sleeps.append)  # the clock does not move: nobody has woken yet
    assert [limiter.wait("a") for _ in range(3)] == [0.0, 1.0, 2.0]
    assert [limiter.wait("b")] == [0.0]
    assert sleeps == [1.0, 2.0]


def test_requests_to_one_host_are_a_second_apart_by_the_fake_clock(httpserver, clock):
    """The moments the server sees requests, read off the fake clock: a second apart per host, hosts interleaved."""
    other = HTTPServer(port=0)
    other.start()
    try:
        seen: list[tuple[int, float]] = []

        def page(request: Request) -> Response:
            seen.append((request.host.rsplit(":", 1)[1], clock.now))
            return Response("fictional page", status=200)

        for server in (httpserver, other):
            server.expect_request(re.compile(r"^/page/\d$")).respond_with_handler(page)
        items = [Address(f"fictional-{i}", "url", httpserver.url_for(f"/page/{i}"), i + 2) for i in range(3)]
        items += [Address(f"fictional-other-{i}", "url", other.url_for(f"/page/{i}"), i + 5) for i in range(2)]
        results = make_checker(clock).check_all(items)
    finally:
        other.stop()
    assert [r.outcome for r in results] == [LIVE] * 5
    first, second = str(httpserver.port), str(other.port)
    assert [t for port, t in seen if port == first] == [0.0, 1.0, 2.0]
    assert [t for port, t in seen if port == second] == [0.0, 1.0]
    assert clock.sleeps and all(s <= 1.0 for s in clock.sleeps)


# --- Outcomes --------------------------------------------------------------------------------------
def test_a_live_page(httpserver, clock):
    httpserver.expect_request("/live").respond_with_data("fictional page")
    result = check_one(make_checker(clock), httpserver.url_for("/live"))
    assert result.outcome == LIVE and result.status == 200
    assert [(h.status, h.method) for h in result.hops] == [(200, "HEAD")]
    request = httpserver.log[0][0]
    assert request.method == "HEAD" and request.headers["User-Agent"] == settings.user_agent()


def test_a_chain_of_301_and_302_is_followed_hop_by_hop(httpserver, clock):
    httpserver.expect_request("/old").respond_with_response(redirect("/middle", 301))
    httpserver.expect_request("/middle").respond_with_response(redirect(httpserver.url_for("/new"), 302))
    httpserver.expect_request("/new").respond_with_data("fictional page")
    result = check_one(make_checker(clock), httpserver.url_for("/old"))
    assert result.outcome == MOVED and not result.minor_move
    assert [h.status for h in result.hops] == [301, 302, 200]
    assert [h.url for h in result.hops] == [httpserver.url_for(p) for p in ("/old", "/middle", "/new")]
    assert result.final_url == httpserver.url_for("/new")
    text = linkcheck.report_text([result])
    assert "Moved (1)" in text and f"now: {httpserver.url_for('/new')}" in text and "301 " in text


def test_a_redirect_loop_is_dead(httpserver, clock):
    httpserver.expect_request("/loop-a").respond_with_response(redirect("/loop-b"))
    httpserver.expect_request("/loop-b").respond_with_response(redirect("/loop-a", 302))
    result = check_one(make_checker(clock), httpserver.url_for("/loop-a"))
    assert result.outcome == DEAD and "redirect loop" in result.error
    assert len(httpserver.log) == 2  # each address asked once


def test_too_many_redirects_is_dead(httpserver, clock):
    httpserver.expect_request(re.compile(r"^/hop/\d+$")).respond_with_handler(
        lambda request: redirect(f"/hop/{int(request.path.rsplit('/', 1)[1]) + 1}")
    )
    result = check_one(make_checker(clock), httpserver.url_for("/hop/0"))
    assert result.outcome == DEAD and "redirects" in result.error
    assert len(result.hops) == linkcheck.MAX_HOPS + 1


@pytest.mark.parametrize(
    ("status", "words"),
    [(404, "not found"), (410, "gone"), (500, "server error")],
)
def test_an_error_status_is_dead_after_get_confirms_it(httpserver, clock, status, words):
    httpserver.expect_request("/broken").respond_with_data("", status=status)
    result = check_one(make_checker(clock), httpserver.url_for("/broken"))
    assert result.outcome == DEAD and result.status == status
    assert [request.method for request, _ in httpserver.log] == ["HEAD", "GET"]
    assert words in linkcheck.why(result)
    text = linkcheck.report_text([result])
    assert "Dead links (1)" in text and httpserver.url_for("/broken") in text and words in text


def test_head_refused_then_get_works(httpserver, clock):
    httpserver.expect_request("/no-head", method="HEAD").respond_with_data("", status=405)
    httpserver.expect_request("/no-head", method="GET").respond_with_data("fictional page")
    result = check_one(make_checker(clock), httpserver.url_for("/no-head"))
    assert result.outcome == LIVE
    assert [(h.status, h.method) for h in result.hops] == [(200, "GET")]
    assert [request.method for request, _ in httpserver.log] == ["HEAD", "GET"]


def test_no_answer_in_time_is_dead(clock):
    answered = threading.Event()

    def slow(request: Request) -> Response:
        answered.wait(5)  # released as soon as the client has given up
        return Response("too late")

    # A server of its own, stopped (its late answer done) before the next test uses the shared one.
    server = HTTPServer(port=0)
    server.expect_request("/slow").respond_with_handler(slow)
    server.start()
    try:
        result = check_one(make_checker(clock, timeout=0.2), server.url_for("/slow"))
    finally:
        answered.set()
        server.stop()
    assert result.outcome == DEAD and "no answer within 0.2 seconds" in result.error


def test_no_connection_is_dead(clock):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = check_one(make_checker(clock), f"http://127.0.0.1:{port}/nothing-listens")
    assert result.outcome == DEAD and "no connection" in result.error


@pytest.mark.parametrize("address", ["ftp://example.org/file", "javascript:alert(1)", "mailto:someone@example.org"])
def test_an_address_that_is_not_http_is_skipped_and_never_requested(httpserver, clock, address, monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("a request was made")

    checker = make_checker(clock)
    monkeypatch.setattr(checker.session, "request", refuse)
    result = check_one(checker, address)
    assert result.outcome == SKIPPED and result.hops == ()


@pytest.mark.parametrize("target", ["ftp://example.org/file", "javascript:alert(1)"])
def test_a_redirect_to_something_not_http_is_not_followed(httpserver, clock, target):
    httpserver.expect_request("/elsewhere").respond_with_response(redirect(target, 302))
    result = check_one(make_checker(clock), httpserver.url_for("/elsewhere"))
    assert result.outcome == DEAD and "not a web address" in result.error
    assert [request.path for request, _ in httpserver.log] == ["/elsewhere"]


def test_a_hostile_address_cannot_drive_the_terminal():
    odd = "http://example.org/x\x1b[2Jcleared"
    result = linkcheck.LinkResult(
        Address("fictional-source", "url", "http://example.org/odd", 2),
        DEAD,
        (linkcheck.Hop("http://example.org/odd", 302, "HEAD"), linkcheck.Hop(odd, 500, "GET")),
        odd,
    )
    text = linkcheck.report_text([result])
    assert "\x1b" not in text and "http://example.org/x\\x1b[2Jcleared" in text


def test_the_same_page_on_https_or_with_a_slash_is_a_minor_move():
    assert linkcheck.same_page("http://example.org/a", "https://www.example.org/a/")
    assert not linkcheck.same_page("https://example.org/a", "https://example.org/b")
    assert not linkcheck.same_page("https://example.org/a?id=1", "https://example.org/a?id=2")


def test_addresses_take_url_and_archive_url_and_interleave_hosts():
    rows = [
        (2, {"id": "one", "url": "https://a.example/1", "archive_url": "https://web.archive.org/web/x/1"}),
        (3, {"id": "two", "url": "https://a.example/2", "archive_url": ""}),
        (4, {"id": "three", "url": "", "archive_url": ""}),
    ]
    found = linkcheck.addresses(rows)
    assert [(a.source, a.field, a.line) for a in found] == [
        ("one", "url", 2),
        ("one", "archive_url", 2),
        ("two", "url", 3),
    ]
    assert [a.url for a in linkcheck.interleave(found)] == [
        "https://a.example/1",
        "https://web.archive.org/web/x/1",
        "https://a.example/2",
    ]


# --- Fictional data packages ----------------------------------------------------------------------
SOURCE_HEADER = ["id", "title", "publisher", "published", "kind", "url", "archive_url", "note"]


def fictional_package(folder: Path, sources: list[tuple[str, str, str]]) -> Path:
    """A copy of data/ whose sources are fictional (id, url, archive_url) and whose claims, figures and
    sites are emptied (they cite the real sources)."""
    data = folder / "data"
    shutil.copytree(ROOT / "data", data, ignore=shutil.ignore_patterns("backups", "build"))
    for name in ("claims", "claim_sources", "figures", "figure_sources", "sites", "foi_requests"):
        path = data / f"{name}.csv"
        path.write_text(path.read_text(encoding="utf-8").splitlines()[0] + "\n", encoding="utf-8")
    rows = [
        [source, f"Fictional report {n}", "Example Gazette (fictional)", "2024-01-02", "press", url, copy, "Fictional."]
        for n, (source, url, copy) in enumerate(sources, 1)
    ]
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows([SOURCE_HEADER] + rows)
    (data / "sources.csv").write_text(out.getvalue(), encoding="utf-8")
    assert check_package(data) == []
    return data


def geo_command(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "geo", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **env},
    )


# --- The check command ------------------------------------------------------------------------------
def test_check_command_reports_dead_and_moved_and_exits_1(httpserver, tmp_path):
    httpserver.expect_request("/fine").respond_with_data("fictional page")
    httpserver.expect_request("/moved").respond_with_response(redirect("/fine", 301))
    httpserver.expect_request("/gone").respond_with_data("", status=410)
    data = fictional_package(
        tmp_path,
        [
            ("fictional-fine", httpserver.url_for("/fine"), ""),
            ("fictional-moved", httpserver.url_for("/moved"), ""),
            ("fictional-gone", httpserver.url_for("/gone"), ""),
        ],
    )
    report = tmp_path / "links.csv"
    done = geo_command(
        "sources", "check", "--data", str(data), "--report", str(report), env={"HIKMAP_SOURCES_DELAY": "0.01"}
    )
    assert done.returncode == 1, done.stderr
    assert "Dead links (1)" in done.stdout and "fictional-gone (sources.csv line 4)" in done.stdout
    assert "Moved (1)" in done.stdout and "fictional-moved" in done.stdout
    raw = report.read_bytes()
    assert raw.startswith("\ufeff".encode())
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert [(r["source"], r["outcome"], r["status"]) for r in rows] == [
        ("fictional-fine", "live", "200"),
        ("fictional-moved", "moved", "200"),
        ("fictional-gone", "dead", "410"),
    ]
    assert rows[1]["hops"] == f"301 {httpserver.url_for('/moved')} → 200 {httpserver.url_for('/fine')}"


def test_check_command_exits_0_when_all_live_and_writes_json(httpserver, tmp_path):
    httpserver.expect_request(re.compile(r"^/page/\d$")).respond_with_data("fictional page")
    data = fictional_package(tmp_path, [(f"fictional-{i}", httpserver.url_for(f"/page/{i}"), "") for i in range(3)])
    report = tmp_path / "links.json"
    done = geo_command(
        "sources", "check", "--data", str(data), "--report", str(report), env={"HIKMAP_SOURCES_DELAY": "0.01"}
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Every link works." in done.stdout
    loaded = json.loads(report.read_text(encoding="utf-8"))
    assert loaded["counts"] == {"dead": 0, "moved": 0, "live": 3, "skipped": 0}
    assert [a["hops"][0]["status"] for a in loaded["addresses"]] == [200, 200, 200]


# --- The Wayback Machine ------------------------------------------------------------------------------
class FictionalWayback:
    """A stand-in for the availability API and Save Page Now; ``known`` maps a page to its copy's timestamp."""

    def __init__(self, server: HTTPServer) -> None:
        self.server = server
        self.known: dict[str, str] = {}
        self.save_answers: list[Response] = []  # answers to Save Page Now, in turn; then a copy is made
        self.saved: list[str] = []
        server.expect_request("/wayback/available").respond_with_handler(self.available)
        server.expect_request(re.compile(r"^/save/.+")).respond_with_handler(self.save)

    def available(self, request: Request) -> Response:
        url = request.args["url"]
        snapshots = {}
        if url in self.known:
            copy = f"http://web.archive.org/web/{self.known[url]}/{url}"
            closest = {"status": "200", "available": True, "url": copy, "timestamp": self.known[url]}
            snapshots = {"closest": closest}
        return Response(json.dumps({"url": url, "archived_snapshots": snapshots}), content_type="application/json")

    def save(self, request: Request) -> Response:
        url = request.full_path.removeprefix("/save/").rstrip("?")
        if self.save_answers:
            return self.save_answers.pop(0)
        self.saved.append(url)
        self.known[url] = "20261203120000"
        return Response("", status=200, headers={"Content-Location": f"/web/20261203120000/{url}"})

    def requests_to(self, path: str) -> int:
        return sum(1 for request, _ in self.server.log if request.path.startswith(path))


@pytest.fixture
def machine(httpserver) -> FictionalWayback:
    return FictionalWayback(httpserver)


def client_for(machine: FictionalWayback, clock: FakeClock) -> wayback.Wayback:
    base = machine.server.url_for("").rstrip("/")
    return wayback.Wayback(HostRateLimiter(1.0, clock, clock.sleep), 5.0, base, base, requests.Session(), clock.sleep)


def archive_urls(data: Path) -> dict[str, str]:
    return {r["id"]: r["archive_url"] for r in csv.DictReader((data / "sources.csv").open(encoding="utf-8"))}


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (
            f"http://web.archive.org/web/{COPY_TS}/https://example.org/a",
            f"https://web.archive.org/web/{COPY_TS}/https://example.org/a",
        ),
        (f"/web/{COPY_TS}/http://example.org/a?b=1", f"https://web.archive.org/web/{COPY_TS}/http://example.org/a?b=1"),
        (f"https://web.archive.org/web/{COPY_TS}id_/https://example.org/a", ""),
        ("https://web.archive.org/web/2024/https://example.org/a", ""),
        (f"https://archive.example.org/web/{COPY_TS}/https://example.org/a", ""),
        (f"https://web.archive.org/web/{COPY_TS}/javascript:alert(1)", ""),
        ("javascript:alert(1)", ""),
    ],
)
def test_only_wayback_copies_in_the_one_form_are_accepted(given, expected):
    assert wayback.copy_address(given) == expected
    assert not expected or is_wayback_copy(expected)


def test_retry_after_in_seconds_or_as_a_date():
    import datetime as dt

    now = dt.datetime(2026, 12, 3, 12, 0, 0, tzinfo=dt.UTC)
    assert wayback.retry_after("7") == 7.0
    assert wayback.retry_after("Thu, 03 Dec 2026 12:00:30 GMT", now) == 30.0
    assert wayback.retry_after("soon") is None
    assert wayback.pause_before_retry(3, None) == 20.0


def test_an_existing_copy_is_found_and_recorded(machine, clock, tmp_path):
    data = fictional_package(tmp_path, [("fictional-a", "https://example.org/fictional-a", "")])
    machine.known["https://example.org/fictional-a"] = COPY_TS
    report = wayback.archive_sources(data, client_for(machine, clock))
    assert [(o.result, o.detail) for o in report.outcomes] == [
        ("found", f"https://web.archive.org/web/{COPY_TS}/https://example.org/fictional-a")
    ]
    assert report.recorded == 1 and machine.requests_to("/save/") == 0
    assert archive_urls(data)["fictional-a"] == f"https://web.archive.org/web/{COPY_TS}/https://example.org/fictional-a"
    assert check_package(data) == []


def test_a_missing_copy_is_asked_for_and_recorded(machine, clock, tmp_path):
    data = fictional_package(tmp_path, [("fictional-b", "https://example.org/fictional-b?page=2", "")])
    report = wayback.archive_sources(data, client_for(machine, clock))
    assert machine.saved == ["https://example.org/fictional-b?page=2"]
    assert report.of(wayback.SAVED)[0].detail == (
        "https://web.archive.org/web/20261203120000/https://example.org/fictional-b?page=2"
    )
    assert archive_urls(data)["fictional-b"].startswith("https://web.archive.org/web/20261203120000/")
    assert check_package(data) == []


def test_a_copy_of_an_error_page_or_elsewhere_is_no_copy(machine, clock):
    machine.server.clear()

    def odd(request: Request) -> Response:
        url = request.args["url"]
        closest = {"status": "302", "available": True, "url": f"http://web.archive.org/web/{COPY_TS}/{url}"}
        if url.endswith("elsewhere"):
            closest = {"status": "200", "available": True, "url": f"https://archive.example.org/web/{COPY_TS}/{url}"}
        return Response(json.dumps({"archived_snapshots": {"closest": closest}}), content_type="application/json")

    machine.server.expect_request("/wayback/available").respond_with_handler(odd)
    client = client_for(machine, clock)
    assert client.available("https://example.org/redirecting") == ""
    assert client.available("https://example.org/elsewhere") == ""


def test_save_refused_is_a_failure_and_nothing_is_written(machine, clock, tmp_path):
    data = fictional_package(tmp_path, [("fictional-c", "https://example.org/fictional-c", "")])
    before = (data / "sources.csv").read_bytes()
    machine.save_answers = [Response("refused", status=403)]
    report = wayback.archive_sources(data, client_for(machine, clock))
    assert [(o.result, o.detail) for o in report.outcomes] == [("failed", "Save Page Now refused: answer 403")]
    assert (data / "sources.csv").read_bytes() == before


def test_429_is_retried_after_the_pause_retry_after_asks_for(machine, clock, tmp_path):
    data = fictional_package(tmp_path, [("fictional-d", "https://example.org/fictional-d", "")])
    machine.save_answers = [Response("slow down", status=429, headers={"Retry-After": "7"})]
    report = wayback.archive_sources(data, client_for(machine, clock))
    assert report.of(wayback.SAVED) and 7.0 in clock.sleeps
    assert machine.requests_to("/save/") == 2


def test_5xx_is_retried_with_growing_pauses_then_given_up(machine, clock, tmp_path):
    data = fictional_package(tmp_path, [("fictional-e", "https://example.org/fictional-e", "")])
    machine.save_answers = [Response("down", status=503) for _ in range(5)]
    report = wayback.archive_sources(data, client_for(machine, clock))
    assert [o.result for o in report.outcomes] == ["failed"]
    assert "answer 503, 5 times" in report.outcomes[0].detail
    pauses = [s for s in clock.sleeps if s >= wayback.FIRST_PAUSE]
    assert pauses == [5.0, 10.0, 20.0, 40.0]
    assert machine.requests_to("/save/") == 5


def test_a_retry_after_too_long_ends_the_attempts(machine, clock, tmp_path):
    data = fictional_package(tmp_path, [("fictional-f", "https://example.org/fictional-f", "")])
    machine.save_answers = [Response("later", status=429, headers={"Retry-After": "3600"})]
    report = wayback.archive_sources(data, client_for(machine, clock))
    assert report.outcomes[0].result == "failed" and "run again later" in report.outcomes[0].detail
    assert machine.requests_to("/save/") == 1


def test_every_request_to_the_wayback_machine_is_a_second_apart(machine, clock, tmp_path):
    moments: list[float] = []
    original = machine.available

    def timed(request: Request) -> Response:
        moments.append(clock.now)
        return original(request)

    machine.server.clear()
    machine.server.expect_request("/wayback/available").respond_with_handler(timed)
    machine.server.expect_request(re.compile(r"^/save/.+")).respond_with_handler(
        lambda request: (moments.append(clock.now), machine.save(request))[1]
    )
    data = fictional_package(tmp_path, [(f"fictional-{i}", f"https://example.org/fictional-{i}", "") for i in range(3)])
    wayback.archive_sources(data, client_for(machine, clock))
    assert len(moments) == 6  # three look-ups, three saves
    assert all(b - a >= 1.0 for a, b in itertools.pairwise(moments))


def test_a_rerun_changes_nothing_and_asks_nothing(machine, clock, tmp_path):
    data = fictional_package(
        tmp_path, [("fictional-g", "https://example.org/fictional-g", ""), ("fictional-h", "https://example.org/h", "")]
    )
    machine.known["https://example.org/fictional-g"] = COPY_TS
    wayback.archive_sources(data, client_for(machine, clock))
    after_first = (data / "sources.csv").read_bytes()
    asked = len(machine.server.log)
    report = wayback.archive_sources(data, client_for(machine, clock))
    assert report.outcomes == [] and report.recorded == 0
    assert len(machine.server.log) == asked
    assert (data / "sources.csv").read_bytes() == after_first


def test_a_dry_run_saves_nothing_and_writes_nothing(machine, clock, tmp_path):
    data = fictional_package(
        tmp_path, [("fictional-i", "https://example.org/fictional-i", ""), ("fictional-j", "https://example.org/j", "")]
    )
    machine.known["https://example.org/fictional-i"] = COPY_TS
    before = (data / "sources.csv").read_bytes()
    report = wayback.archive_sources(data, client_for(machine, clock), dry_run=True)
    assert [o.result for o in report.outcomes] == ["found", "would-save"]
    assert machine.requests_to("/save/") == 0
    assert (data / "sources.csv").read_bytes() == before
    assert "Dry run" in report.text(dry_run=True)


def test_an_interrupted_run_keeps_what_it_found_in_a_whole_file(machine, clock, tmp_path):
    sources = [(f"fictional-{i}", f"https://example.org/fictional-{i}", "") for i in range(4)]
    data = fictional_package(tmp_path, sources)
    for _, url, _ in sources:
        machine.known[url] = COPY_TS

    def stop_after_two(done, total, outcome):
        if done == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        wayback.archive_sources(data, client_for(machine, clock), progress=stop_after_two)
    copies = archive_urls(data)
    assert [bool(copies[f"fictional-{i}"]) for i in range(4)] == [True, True, False, False]
    assert check_package(data) == []


def test_an_interrupted_write_leaves_the_old_file_whole(machine, clock, tmp_path, monkeypatch):
    data = fictional_package(tmp_path, [("fictional-k", "https://example.org/fictional-k", "")])
    machine.known["https://example.org/fictional-k"] = COPY_TS
    before = (data / "sources.csv").read_bytes()

    def killed(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", killed)
    with pytest.raises(KeyboardInterrupt):
        wayback.archive_sources(data, client_for(machine, clock))
    assert (data / "sources.csv").read_bytes() == before
    assert [p.name for p in data.iterdir() if p.name.startswith(".sources.csv.")] == []


def test_a_copy_is_recorded_only_where_the_row_is_as_it_was(tmp_path):
    data = fictional_package(
        tmp_path,
        [
            ("fictional-l", "https://example.org/fictional-l", ""),
            (
                "fictional-m",
                "https://example.org/fictional-m",
                f"https://web.archive.org/web/{COPY_TS}/https://example.org/fictional-m",
            ),
        ],
    )
    copy = "https://web.archive.org/web/20250101000000/https://example.org/{}"
    written = wayback.record_copies(
        data,
        {
            "fictional-l": ("https://example.org/changed-since", copy.format("changed-since")),
            "fictional-m": ("https://example.org/fictional-m", copy.format("fictional-m")),
        },
    )
    assert written == 0
    with pytest.raises(ValueError, match="not a Wayback Machine copy"):
        wayback.record_copies(data, {"fictional-l": ("https://example.org/fictional-l", "https://example.org/copy")})


def test_archive_command_against_the_stand_in(machine, tmp_path):
    data = fictional_package(
        tmp_path, [("fictional-n", "https://example.org/fictional-n", ""), ("fictional-o", "https://example.org/o", "")]
    )
    machine.known["https://example.org/fictional-n"] = COPY_TS
    env = {"HIKMAP_SOURCES_DELAY": "0.01", "HIKMAP_WAYBACK_URL": machine.server.url_for("").rstrip("/")}
    done = geo_command("sources", "archive", "--data", str(data), env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 already in the Wayback Machine, 1 saved now" in done.stdout
    assert "2 archived copies recorded in sources.csv" in done.stdout
    assert all(is_wayback_copy(v) for v in archive_urls(data).values())
    again = geo_command("sources", "archive", "--data", str(data), env=env)
    assert again.returncode == 0 and again.stdout.startswith("0 sources without an archived copy")
