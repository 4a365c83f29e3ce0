"""The import page in a real browser: sign in, upload, read the report and preview, confirm, see the map grow.

Runs the app against a scratch copy of ``data/`` (the committed data is never
written) with an import token set in the environment.
"""

from __future__ import annotations

import csv
import shutil

import pytest
from conftest import ARTIFACTS, ROOT, map_frame, start_app, stop_app, wait_for_text
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

TOKEN = "fictional-import-test-token-0123456789"
# Template syntax and HTML in an imported sheet must come out as the same text (issue: data text never runs).
SITE_NAME = "{{ 7*7 }} Example Test Hospital <b>(fictional)</b>"
HEADER = [
    "organisation",
    "kind",
    "site_name",
    "postcode",
    "foi_sent",
    "foi_status",
    "foi_outcome",
    "vendor",
    "claim",
    "grade",
    "reported",
    "status",
    "source_title",
    "source_publisher",
    "source_url",
    "source_published",
    "source_quote",
    "source_checked",
]
ROW = [
    "Example Test Trust",
    "nhs",
    SITE_NAME,
    "SW1A 2AA",
    "2026-10-01",
    "answered",
    "Hikvision cameras in use",
    "hikvision",
    "{% if true %}Example Test Trust{% endif %} said in a freedom of information answer that it uses Hikvision cameras.",
    "official",
    "2026-10-20",
    "confirmed",
    "FOI answer on CCTV",
    "Example Test Trust",
    "https://www.example.org/foi/example_cctv",
    "2026-10-20",
    "Example Test Trust uses Hikvision cameras at the hospital.",
    "2026-10-21",
]


@pytest.fixture
def import_app(tmp_path):
    data = tmp_path / "data"
    shutil.copytree(ROOT / "data", data, ignore=shutil.ignore_patterns("backups"))
    process, url = start_app(data_dir=data, extra_env={"HIKMAP_IMPORT_TOKEN": TOKEN})
    yield url, data
    stop_app(process)


def sign_in(page, url: str) -> None:
    page.goto(url + "/import")
    page.get_by_label("Import token").fill(TOKEN)
    page.get_by_role("button", name="Sign in").click()
    wait_for_text(page, "Download the template")


def test_upload_preview_confirm_and_find_the_site_on_the_map(import_app, watched_page, tmp_path):
    url, data = import_app
    page = watched_page.page
    ARTIFACTS.mkdir(exist_ok=True)

    page.goto(url + "/")
    _, before = map_frame(page)
    sites_before = int(before["hikmapSites"])

    upload = tmp_path / "results.csv"
    with open(upload, "w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows([HEADER, ROW])

    sign_in(page, url)
    page.locator('input[type="file"]').set_input_files(str(upload))
    wait_for_text(page, "1 row(s): 1 accepted, 0 rejected")
    frame, preview = map_frame(page)
    assert preview["hikmapSites"] == "1"  # the preview shows the new site only
    marker = frame.locator("path.hikmap-site").first
    marker.hover()
    tooltip = frame.locator(".leaflet-tooltip").first
    tooltip.wait_for()
    assert tooltip.inner_text() == SITE_NAME  # the name as text, tags and all
    page.screenshot(path=str(ARTIFACTS / "import-report-desktop-1400.png"), full_page=True)
    assert SITE_NAME not in (data / "sites.csv").read_text(encoding="utf-8")

    page.get_by_role("button", name="Confirm and apply the import").click()
    wait_for_text(page, "Imported: 1 new sites, 0 changed sites, 1 new claims, 1 new FOI requests, 1 new sources.")
    page.screenshot(path=str(ARTIFACTS / "import-applied-desktop-1400.png"), full_page=True)
    assert SITE_NAME in (data / "sites.csv").read_text(encoding="utf-8")
    assert any((data / "backups").iterdir())

    page.goto(url + "/?q=Example+Test+Hospital")
    frame, after = map_frame(page)
    assert int(after["hikmapSites"]) == 1
    marker = frame.locator("path.hikmap-site").first
    marker.hover()
    tooltip = frame.locator(".leaflet-tooltip").first
    tooltip.wait_for()
    assert tooltip.inner_text() == SITE_NAME
    marker.click()
    popup = frame.locator(".hikmap-popup")
    popup.wait_for()
    # The popup's evidence is fetched when it first opens ("loading the evidence…" until then).
    expect(popup).to_contain_text(ROW[8], timeout=20_000)  # the claim's template syntax, as typed
    page.screenshot(path=str(ARTIFACTS / "import-template-syntax-on-the-map.png"))
    page.goto(url + "/")
    _, everything = map_frame(page, min_sites=sites_before + 1)
    assert int(everything["hikmapSites"]) == sites_before + 1
    assert watched_page.external_requests == []


def test_import_page_on_a_phone(import_app, chromium, tmp_path):
    url, _ = import_app
    context = chromium.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    page = context.new_page()
    try:
        sign_in(page, url)
        upload = tmp_path / "broken.csv"
        with open(upload, "w", encoding="utf-8", newline="") as handle:
            csv.writer(handle).writerows([HEADER, ROW[:3] + ["NOT A CODE"] + ROW[4:]])
        page.locator('input[type="file"]').set_input_files(str(upload))
        wait_for_text(page, "1 row(s): 0 accepted, 1 rejected")
        wait_for_text(page, "Nothing can be applied until every row is accepted")
        assert page.get_by_role("button", name="Confirm and apply the import").count() == 0
        width = page.evaluate("document.documentElement.scrollWidth")
        page.screenshot(path=str(ARTIFACTS / "import-report-phone-390.png"), full_page=True)
        assert width <= 390
    finally:
        context.close()


def test_import_page_is_switched_off_without_a_credential(tmp_path, chromium):
    data = tmp_path / "data"
    shutil.copytree(ROOT / "data", data, ignore=shutil.ignore_patterns("backups"))
    process, url = start_app(data_dir=data, extra_env={"HIKMAP_IMPORT_TOKEN": ""})
    context = chromium.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    try:
        page.goto(url + "/import")
        wait_for_text(page, "Import is switched off")
        assert page.locator('input[type="file"]').count() == 0
        assert page.locator('input[type="password"]').count() == 0
    finally:
        context.close()
        stop_app(process)


def test_the_server_refuses_an_upload_over_the_import_limit_posted_straight_to_it(import_app, watched_page, tmp_path):
    """The uploader's limit is only the browser's: the server must hold its own (server.maxUploadSize)."""
    from geo.importing import MAX_BYTES

    url, _ = import_app
    page = watched_page.page
    sign_in(page, url)
    small = tmp_path / "results.csv"
    with open(small, "w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows([HEADER, ROW])
    with page.expect_request(lambda r: "/_stcore/upload_file/" in r.url and r.method == "PUT") as sent:
        page.locator('input[type="file"]').set_input_files(str(small))
    upload_url, headers = sent.value.url, sent.value.headers
    wait_for_text(page, "1 row(s): 1 accepted, 0 rejected")
    xsrf = {"X-Xsrftoken": headers["x-xsrftoken"]} if "x-xsrftoken" in headers else {}

    def post(size: int) -> int:
        body = {"file": {"name": "big.csv", "mimeType": "text/csv", "buffer": b"x" * size}}
        return page.request.put(
            upload_url.rsplit("/", 1)[0] + f"/fictional-{size}", multipart=body, headers=xsrf
        ).status

    assert post(MAX_BYTES + 1) == 413
    assert post(1024) == 204  # the same route, session and token take a file within the limit


def test_the_server_upload_limit_is_the_import_limit():
    import tomllib

    from geo.importing import MAX_BYTES

    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert config["server"]["maxUploadSize"] * 1024 * 1024 == MAX_BYTES
