"""The map from the keyboard alone: find a council, open its evidence, close it; markers too.

Focus starts on the map's own elements (the frame is reached by Tab like any
other); from there only keys are pressed.
"""

from __future__ import annotations

import pytest
from conftest import map_frame

from geo.evidence.dataset import load_dataset

pytestmark = [pytest.mark.browser, pytest.mark.boundaries]

DATA = load_dataset()


def focused(frame) -> dict:
    return frame.evaluate("""() => {
      const n = document.activeElement;
      return {tag: n.tagName.toLowerCase(), cls: n.getAttribute('class') || '', label: n.getAttribute('aria-label') || '',
              inPopup: Boolean(n.closest('.leaflet-popup')), text: (n.innerText || '').slice(0, 400)};
    }""")


def test_keyboard_finds_a_council_on_the_hex_map_opens_its_evidence_and_closes_it(app_url, watched_page):
    page = watched_page.page
    page.goto(app_url + "/?layout=hex")
    frame, _ = map_frame(page)
    frame.locator("path.hikmap-district").first.wait_for()
    # The council areas are one Tab stop: the first in order of name holds it.
    stops = frame.locator("path.hikmap-district[tabindex='0']")
    assert stops.count() == 1
    stops.first.focus()
    for key in "perth":
        page.keyboard.press(key)
    now = focused(frame)
    assert now["label"].startswith("Perth and Kinross:") and "hikmap-district" in now["cls"]
    page.keyboard.press("Enter")
    frame.locator(".hikmap-popup").wait_for()
    now = focused(frame)
    assert now["inPopup"] and "Perth and Kinross Council" in now["text"]
    page.keyboard.press("Escape")
    frame.locator(".hikmap-popup").wait_for(state="detached")
    assert focused(frame)["label"].startswith("Perth and Kinross:")
    # Arrow keys move to the next council by name, and only one area stays on the Tab path.
    page.keyboard.press("ArrowDown")
    assert not focused(frame)["label"].startswith("Perth and Kinross:")
    assert frame.locator("path.hikmap-district[tabindex='0']").count() == 1
    watched_page.assert_clean()


def test_keyboard_opens_a_council_panel_and_a_marker_popup_on_the_uk_map(app_url, watched_page):
    page = watched_page.page
    page.goto(app_url + "/?region=Wales")
    frame, _ = map_frame(page)
    frame.locator("path.hikmap-district[tabindex='0']").first.focus()
    for key in "wrexham":
        page.keyboard.press(key)
    assert focused(frame)["label"].startswith("Wrexham:")
    page.keyboard.press("Enter")
    panel = page.locator(".st-key-map_council")
    panel.wait_for(timeout=30_000)
    assert "Wrexham" in panel.inner_text() and "Ask this council" in panel.inner_text()

    frame = next(f for f in page.frames if "streamlit_folium" in f.url)
    marker = frame.locator("path.hikmap-site[role='button']").first
    marker.wait_for()
    marker.focus()
    label = focused(frame)["label"]
    assert "strongest evidence" in label
    page.keyboard.press("Enter")
    frame.locator(".hikmap-popup").wait_for()
    assert focused(frame)["inPopup"]
    page.keyboard.press("Escape")
    frame.locator(".hikmap-popup").wait_for(state="detached")
    assert focused(frame)["label"] == label
    # The focus ring is drawn: a focused marker's outline turns black and thick.
    stroke = frame.evaluate("() => getComputedStyle(document.activeElement).strokeWidth")
    assert stroke == "4px"
    watched_page.assert_clean()


def test_the_legend_toggle_works_by_keyboard(app_url, watched_page):
    page = watched_page.page
    page.goto(app_url + "/")
    frame, _ = map_frame(page)
    toggle = frame.locator(".hikmap-legend-toggle")
    toggle.focus()
    before = toggle.get_attribute("aria-expanded")
    page.keyboard.press("Enter")
    assert toggle.get_attribute("aria-expanded") != before
    page.keyboard.press("Space")
    assert toggle.get_attribute("aria-expanded") == before


def test_the_layer_control_works_by_keyboard(app_url, watched_page):
    """Enter opens Leaflet's layer list; Tab reaches its boxes; Space hides and shows the council areas."""
    page = watched_page.page
    page.goto(app_url + "/")
    frame, _ = map_frame(page)
    areas = frame.locator("path.hikmap-district")
    areas.first.wait_for()
    shown = areas.count()
    toggle = frame.locator(".leaflet-control-layers-toggle")
    toggle.focus()
    page.keyboard.press("Enter")
    frame.locator(".leaflet-control-layers-expanded").wait_for()
    box = frame.get_by_role("checkbox", name="Council areas")
    for _ in range(10):  # Tab from the toggle into the list
        if box.evaluate("b => b === document.activeElement"):
            break
        page.keyboard.press("Tab")
    assert box.evaluate("b => b === document.activeElement")
    assert box.is_checked()
    page.keyboard.press("Space")
    assert not box.is_checked()
    areas.first.wait_for(state="detached")
    page.keyboard.press("Space")
    assert box.is_checked()
    areas.first.wait_for()
    assert areas.count() == shown
    watched_page.assert_clean()
