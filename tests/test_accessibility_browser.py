"""WCAG 2.2 AA in a real browser: axe-core on every page and inside the map, and reflow at 320 px and 200 %.

axe-core comes from the npm registry, pinned in package.json and package-lock.json
(``npm ci``, run by scripts/test), and is injected into each page with Playwright.
Every rule tagged for WCAG 2.0, 2.1 and 2.2 at levels A and AA runs; none is
switched off and no part of a page is excluded. A failure lists each rule with
its impact and every failing element (its selector and what is wrong), so a
reader can fix it from the message alone.

The map's own page (folium's, inside the ``streamlit_folium`` iframe) is checked
on its own by ``test_map_frame_has_no_wcag_violations``; the Streamlit pages are
checked with ``iframes: false`` so that each failure names the document it is in.
"""

from __future__ import annotations

import json

import pytest
from conftest import ARTIFACTS, ROOT, map_frame, start_app, stop_app, wait_until_drawn

pytestmark = [pytest.mark.browser, pytest.mark.boundaries]

AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
SECTION_HEIGHT = 12_000  # px: the tallest window axe runs in; longer pages are checked in sections
SECTION_OVERLAP = 600  # px: sections overlap, so an element cut by one section's edge is whole in the next
IMPORT_TOKEN = "accessibility-test-token"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]

# Each page, and a heading or text that is there only once the page has been drawn.
PAGES = {
    "map": ("/", "Hikvision cameras in UK public buildings"),
    "data": ("/data", "The evidence as a table"),
    "councils": ("/councils", "Councils: what is known, and who to ask"),
    "sources": ("/sources", "Every publication the data cites"),
    "method": ("/method", "How the data is gathered and checked"),
    "import": ("/import", "Import FOI results"),
    "answers": ("/answers", "Answers to read"),
}


def axe_source() -> str:
    if not AXE.is_file():
        pytest.fail(f"{AXE.relative_to(ROOT)} is missing: run `npm ci` at the repository root (scripts/test does)")
    return str(AXE)


def run_axe(target, *, iframes: bool) -> list[dict]:
    """Inject axe-core into a page or frame and return its WCAG 2.2 A/AA violations."""
    if not target.evaluate("() => typeof window.axe === 'object'"):
        target.add_script_tag(path=axe_source())
    return target.evaluate(
        """async ([tags, iframes]) => {
            const results = await axe.run(document, {
                runOnly: {type: 'tag', values: tags},
                resultTypes: ['violations'],
                iframes,
            });
            return results.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl, tags: v.tags,
                nodes: v.nodes.map(n => ({target: n.target, html: n.html, summary: n.failureSummary})),
            }));
        }""",
        [WCAG_TAGS, iframes],
    )


def describe(violations: list[dict], where: str) -> str:
    """A report a reader can act on: rule, impact, what it asks, and each failing element."""
    lines = [f"{len(violations)} WCAG 2.2 A/AA rule(s) fail on {where}:"]
    for violation in violations:
        lines.append(f"- {violation['id']} ({violation['impact']}): {violation['help']} <{violation['helpUrl']}>")
        for node in violation["nodes"]:
            summary = " ".join((node["summary"] or "").split())
            lines.append(f"    at {json.dumps(node['target'])}: {summary}")
            lines.append(f"       {node['html'][:200]}")
    return "\n".join(lines)


def run_axe_on_whole_page(page) -> list[dict]:
    """axe on every part of a Streamlit page, each part in turn on screen.

    Streamlit scrolls its main area and sidebar inside the window, and axe leaves
    text scrolled out of sight out of its colour contrast check. So the window is
    made tall (up to ``SECTION_HEIGHT``) and the main area is scrolled through in
    overlapping sections; the violations of all sections are merged by rule and element.
    """
    height = page.evaluate(
        """() => Math.max(document.documentElement.scrollHeight,
            ...[...document.querySelectorAll('[data-testid="stMain"], [data-testid="stSidebarContent"]')]
                .map(e => e.scrollHeight))"""
    )
    window = min(height + 40, SECTION_HEIGHT)
    page.set_viewport_size({"width": page.viewport_size["width"], "height": max(window, page.viewport_size["height"])})
    page.wait_for_timeout(300)
    page.locator('[data-testid="stApp"][data-test-script-state="notRunning"]').wait_for(timeout=60_000)
    merged: dict[str, dict] = {}
    top = 0
    while True:
        reached = page.evaluate(
            """(top) => { const main = document.querySelector('[data-testid="stMain"]');
                if (!main) return {top: 0, end: true};
                main.scrollTop = top;
                return {top: main.scrollTop, end: main.scrollTop + main.clientHeight >= main.scrollHeight - 1}; }""",
            top,
        )
        page.wait_for_timeout(200)
        for violation in run_axe(page, iframes=False):
            kept = merged.setdefault(violation["id"], {**violation, "nodes": []})
            seen = {json.dumps(n["target"]) for n in kept["nodes"]}
            kept["nodes"] += [n for n in violation["nodes"] if json.dumps(n["target"]) not in seen]
        if reached["end"]:
            return list(merged.values())
        top = reached["top"] + page.viewport_size["height"] - SECTION_OVERLAP


def open_page(page, app_url: str, name: str) -> None:
    path, heading = PAGES[name]
    page.goto(f"{app_url}{path}")
    wait_until_drawn(page, heading)
    if name == "map":
        map_frame(page, timeout_s=60)


@pytest.mark.parametrize("name", list(PAGES))
def test_page_has_no_wcag_violations(app_url, watched_page, name):
    page = watched_page.page
    open_page(page, app_url, name)
    violations = run_axe_on_whole_page(page)
    assert violations == [], describe(violations, f"the {name} page ({PAGES[name][0]})")


def open_council_panel(page, app_url: str) -> None:
    """The councils page with Perth and Kinross's panel open, found by typing its name."""
    open_page(page, app_url, "councils")
    box = page.get_by_label("Find a council by name or postcode")
    box.fill("perth & kinross")
    box.press("Enter")
    page.locator(".st-key-councils_panel").wait_for(timeout=30_000)
    wait_until_drawn(page, "Ask this council")
    assert "Perth and Kinross" in page.locator(".st-key-councils_panel").inner_text()


def test_councils_page_with_a_council_panel_has_no_wcag_violations(app_url, watched_page):
    page = watched_page.page
    open_council_panel(page, app_url)
    violations = run_axe_on_whole_page(page)
    assert violations == [], describe(violations, "the councils page with Perth and Kinross's panel open")


@pytest.fixture(scope="module")
def import_app_url():
    """The app with an import credential configured, so the Import page shows its forms."""
    process, url = start_app(extra_env={"HIKMAP_IMPORT_TOKEN": IMPORT_TOKEN})
    yield url
    stop_app(process)


@pytest.mark.parametrize("signed_in", [False, True], ids=["sign-in", "upload"])
def test_import_page_forms_have_no_wcag_violations(import_app_url, watched_page, signed_in):
    page = watched_page.page
    page.goto(f"{import_app_url}/import")
    wait_until_drawn(page, "Import FOI results")
    if signed_in:
        page.get_by_label("Import token").fill(IMPORT_TOKEN)
        page.get_by_role("button", name="Sign in").click()
        wait_until_drawn(page, "Download the template")
    else:
        page.get_by_label("Import token").wait_for()
    violations = run_axe_on_whole_page(page)
    state = "signed in, with the upload form" if signed_in else "with the sign-in form"
    assert violations == [], describe(violations, f"the import page {state}")


# The map's frame in each layout, and framed on London, where many sites are close together.
MAP_VIEWS = {"uk": "/", "hex": "/?layout=hex", "london": "/?region=London"}


@pytest.mark.parametrize("view", list(MAP_VIEWS))
def test_map_frame_has_no_wcag_violations(app_url, watched_page, view):
    """folium's page inside the streamlit_folium iframe: the map, its markers, areas and legend."""
    page = watched_page.page
    page.goto(f"{app_url}{MAP_VIEWS[view]}")
    wait_until_drawn(page, PAGES["map"][1])
    frame, _ = map_frame(page, timeout_s=60)
    page.wait_for_timeout(1000)  # markers settle once the map has framed the view (fitBounds)
    violations = run_axe(frame, iframes=False)
    assert violations == [], describe(violations, f"the map's frame, {view} view ({MAP_VIEWS[view]})")


# axe leaves text over the map out of its contrast rule ("incomplete"): the controls'
# backgrounds are translucent over tiles and areas it cannot see through. This measures
# it directly: each text on a control or cluster against its own background laid over
# white (the controls are at least 94 % opaque), by WCAG's formula.
MAP_TEXT_CONTRAST = """() => {
    const rgba = c => { const m = c.match(/[\\d.]+/g).map(Number); return [m[0], m[1], m[2], m.length > 3 ? m[3] : 1]; };
    const over = (top, bottom) => [0, 1, 2].map(i => top[i] * top[3] + bottom[i] * (1 - top[3]));
    const lum = rgb => { const c = rgb.map(v => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; });
        return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2]; };
    const background = e => { const layers = [];
        for (let n = e; n && n.nodeType === 1; n = n.parentElement) {
            const c = rgba(getComputedStyle(n).backgroundColor); if (c[3] > 0) layers.push(c);
            if (n.classList.contains('leaflet-control') || n.classList.contains('hikmap-cluster')) break; }
        return layers.reverse().reduce((below, layer) => over(layer, below), [255, 255, 255]); };
    const texts = [...document.querySelectorAll('.leaflet-control-container *, .hikmap-cluster')].filter(e =>
        [...e.childNodes].some(n => n.nodeType === 3 && n.textContent.trim()) && e.getClientRects().length);
    return texts.map(e => { const cs = getComputedStyle(e), fg = rgba(cs.color), bg = background(e);
        const a = lum(over(fg, bg)), b = lum(bg);
        const large = parseFloat(cs.fontSize) >= 24 || (parseFloat(cs.fontSize) >= 18.66 && parseInt(cs.fontWeight) >= 700);
        return {text: e.textContent.trim().slice(0, 40), ratio: (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05),
                needed: large ? 3 : 4.5}; });
}"""


def low_contrast_map_text(frame) -> list[dict]:
    """Texts on the map's controls and clusters below WCAG 1.4.3's ratio (none expected)."""
    frame.evaluate("() => document.querySelectorAll('.hikmap-legend').forEach(l => l.classList.remove('collapsed'))")
    texts = frame.evaluate(MAP_TEXT_CONTRAST)
    assert texts, "no text found on the map's controls"
    return [t for t in texts if t["ratio"] < t["needed"]]


@pytest.mark.parametrize("view", ["uk", "hex"])
def test_text_on_the_map_controls_meets_contrast(app_url, watched_page, view):
    page = watched_page.page
    page.goto(f"{app_url}{MAP_VIEWS[view]}")
    frame, _ = map_frame(page, timeout_s=60)
    assert low_contrast_map_text(frame) == []


# WCAG 1.4.10 Reflow: content at 320 CSS px wide, and at 200 % zoom of a 1280 px window
# (640 CSS px at a device scale factor of 2), needs no scrolling in two dimensions and
# loses nothing. Data tables are the one exception WCAG allows (they scroll inside themselves).
VIEWPORTS = {
    "320px": ({"width": 320, "height": 800}, 1),
    "zoom200": ({"width": 640, "height": 800}, 2),
}
REFLOW_PAGES = [*PAGES, "councils-panel"]
REFLOW_CHECK = """() => {
    const root = document.documentElement;
    const edge = root.clientWidth + 1;
    const exempt = e => e.closest('[data-testid="stDataFrame"], [data-testid="stTable"]')
        || e.closest('[data-testid="stSidebar"][data-collapsed="true"]');
    const shown = e => { const r = e.getBoundingClientRect(), cs = getComputedStyle(e);
        return r.width > 0 && r.height > 0 && cs.visibility !== 'hidden' && cs.display !== 'none'; };
    const name = e => e.tagName.toLowerCase()
        + (e.closest('[data-testid]') ? ` in [data-testid=${e.closest('[data-testid]').dataset.testid}]` : '')
        + (e.textContent.trim() ? ` "${e.textContent.trim().slice(0, 60)}"` : '');
    const all = [...document.querySelectorAll('body *')].filter(e => !exempt(e) && shown(e));
    const sideways = all.filter(e => ['auto', 'scroll'].includes(getComputedStyle(e).overflowX)
        && e.scrollWidth > e.clientWidth + 1).map(e => `${name(e)} (${e.scrollWidth} px in ${e.clientWidth} px)`);
    const pastEdge = all.filter(e => e.getBoundingClientRect().right > edge)
        .filter(e => !all.includes(e.parentElement) || e.parentElement.getBoundingClientRect().right <= edge)
        .map(e => `${name(e)} (right edge at ${Math.round(e.getBoundingClientRect().right)} px)`);
    const cut = all.filter(e => getComputedStyle(e).textOverflow === 'ellipsis' && e.clientWidth > 0
        && e.scrollWidth > e.clientWidth + 1).map(e => `${name(e)} (${e.scrollWidth} px of text in ${e.clientWidth} px)`);
    return {scroll: root.scrollWidth, client: root.clientWidth,
            sideways: sideways.slice(0, 10), pastEdge: pastEdge.slice(0, 10), cut: cut.slice(0, 10)};
}"""


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
@pytest.mark.parametrize("name", REFLOW_PAGES)
def test_page_reflows_without_horizontal_scrolling(app_url, chromium, name, viewport, request):
    size, scale = VIEWPORTS[viewport]
    context = chromium.new_context(viewport=size, device_scale_factor=scale)
    page = context.new_page()
    try:
        if name == "councils-panel":
            open_council_panel(page, app_url)
        else:
            open_page(page, app_url, name)
        found = page.evaluate(REFLOW_CHECK)
        where = f"the {name} page at {viewport} ({size['width']} CSS px wide)"
        assert found["scroll"] <= found["client"] + 1, (
            f"{where} scrolls sideways: the document is {found['scroll']} px wide in a {found['client']} px window; "
            f"past the right edge: {found['pastEdge']}"
        )
        assert found["sideways"] == [], (
            f"{where}: parts that scroll sideways (outside data tables): {found['sideways']}"
        )
        assert found["pastEdge"] == [], f"{where}: content cut off at the right edge: {found['pastEdge']}"
        assert found["cut"] == [], f"{where}: text cut short with an ellipsis: {found['cut']}"
    finally:
        ARTIFACTS.mkdir(exist_ok=True)
        try:
            page.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
        except Exception as error:  # a debugging aid only
            print(f"screenshot failed: {error}")
        context.close()
