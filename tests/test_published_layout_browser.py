"""The published pages read at desktop and phone widths: the evidence table keeps its words whole
(a card per claim on a phone), and the open legend leaves the layer control free and its own
toggle on the map."""

from __future__ import annotations

import pytest
from conftest import PageWatch

pytestmark = [pytest.mark.browser, pytest.mark.boundaries]

# Words of letters only (up to 14 of them) that the browser laid out over more than one line.
BROKEN_WORDS = """() => {
  const broken = [];
  for (const cell of document.querySelectorAll('#evidence tbody th, #evidence tbody td')) {
    const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      for (const match of node.data.matchAll(/[A-Za-z]{2,14}/g)) {
        const range = document.createRange();
        range.setStart(node, match.index);
        range.setEnd(node, match.index + match[0].length);
        const tops = new Set(Array.from(range.getClientRects(), r => Math.round(r.top)));
        if (tops.size > 1) { broken.push(match[0]); }
      }
    }
  }
  return broken;
}"""


@pytest.mark.parametrize("width,height", [(1600, 1000), (1400, 1000), (1024, 768), (390, 844)])
def test_the_evidence_table_keeps_its_words_whole(published_url, chromium, width, height):
    context = chromium.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    watch = PageWatch(page)
    page.goto(f"{published_url}/table.html")
    page.wait_for_function("() => document.getElementById('evidence').dataset.rows !== undefined", timeout=30_000)
    assert page.locator("#evidence tbody tr").count() > 50
    assert page.evaluate(BROKEN_WORDS) == []
    # Nothing wider than the window: no sideways scrolling of the page or of the table.
    assert page.evaluate("() => document.documentElement.scrollWidth") <= width
    wrap = page.evaluate(
        "() => { const w = document.querySelector('.table-wrap'); return [w.scrollWidth, w.clientWidth]; }"
    )
    assert wrap[0] <= wrap[1]
    cards = page.evaluate("() => getComputedStyle(document.querySelector('#evidence tbody tr')).display") == "block"
    assert cards == (width < 1500)
    if cards:  # each value is named by its column
        headers = page.evaluate(
            "() => Array.from(document.querySelectorAll('#evidence thead th'), th => th.textContent)"
        )
        labels = page.evaluate(
            "() => Array.from(document.querySelector('#evidence tbody tr').children, c => c.dataset.label || null)"
        )
        assert labels == [None, *headers[1:]]
    assert watch.console_errors == [] and watch.failures == []
    context.close()


LEGEND_PLACE = """() => {
  const box = (el) => el.getBoundingClientRect();
  const map = box(document.querySelector('.leaflet-container'));
  const legend = box(document.querySelector('.hikmap-legend'));
  const layers = box(document.querySelector('.leaflet-control-layers'));
  const toggle = document.querySelector('.hikmap-legend-toggle');
  const t = box(toggle);
  const hit = document.elementFromPoint(t.left + t.width / 2, t.top + t.height / 2);
  return {
    overlapsLayers: !(legend.top >= layers.bottom || legend.bottom <= layers.top ||
                      legend.left >= layers.right || legend.right <= layers.left),
    insideMap: legend.top >= map.top && legend.bottom <= map.bottom,
    toggleReachable: hit === toggle,
    open: !document.querySelector('.hikmap-legend').classList.contains('collapsed'),
  };
}"""


@pytest.mark.parametrize("query", ["", "?layout=hex"])
@pytest.mark.parametrize("width,height", [(1300, 900), (1400, 1000), (390, 844)])
def test_the_open_legend_leaves_the_layer_control_free(published_url, chromium, query, width, height):
    context = chromium.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    page.goto(f"{published_url}/index.html{query}")
    page.wait_for_function(
        "() => document.querySelector('.leaflet-container')?.dataset.hikmapPainted === '1'", timeout=30_000
    )
    page.locator(".leaflet-container").scroll_into_view_if_needed()
    if page.evaluate("() => document.querySelector('.hikmap-legend').classList.contains('collapsed')"):
        page.locator(".hikmap-legend-toggle").click()
    place = page.evaluate(LEGEND_PLACE)
    assert place == {"overlapsLayers": False, "insideMap": True, "toggleReachable": True, "open": True}
    # Closed again by its own toggle, where a click reaches it.
    page.locator(".hikmap-legend-toggle").click()
    assert page.evaluate("() => document.querySelector('.hikmap-legend').classList.contains('collapsed')")
    context.close()
