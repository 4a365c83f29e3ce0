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


# Where a council area's tooltip is drawn, against the map (page pixels).
TOOLTIP_PLACE = """() => {
  const map = document.querySelector('.leaflet-container').getBoundingClientRect();
  const tip = document.querySelector('.leaflet-tooltip');
  if (!tip) { return null; }
  const box = tip.getBoundingClientRect();
  return { text: tip.textContent, left: box.left - map.left, right: map.right - box.right, width: box.width };
}"""


@pytest.mark.parametrize("width,height", [(1400, 1000), (390, 844)])
@pytest.mark.parametrize("across", [0.12, 0.5, 0.88])
def test_an_area_tooltip_stays_on_the_map_wherever_it_is_touched(published_url, chromium, width, height, across):
    """Touched left, centre or right of the map, a council's tooltip (its name, status and notes) is read whole."""
    context = chromium.new_context(viewport={"width": width, "height": height}, has_touch=width < 500)
    page = context.new_page()
    page.goto(f"{published_url}/index.html?council=E08000011")
    page.wait_for_function(
        "() => document.querySelector('.leaflet-container')?.dataset.hikmapPainted === '1'", timeout=30_000
    )
    page.locator(".leaflet-container").scroll_into_view_if_needed()
    box = page.locator(".leaflet-container").bounding_box()
    point = page.evaluate(
        """(across) => {
      const map = document.querySelector('.leaflet-container').getBoundingClientRect();
      const y = map.top + map.height / 2;
      // The council framed by the filter fills the middle of the map; find its edge-most point on this line.
      for (let step = 0; step <= 40; step++) {
        const x = map.left + map.width * (across + (across < 0.5 ? 1 : -1) * step * 0.01);
        const hit = document.elementFromPoint(x, y);
        if (hit && hit.classList.contains('hikmap-area-E08000011')) { return [x, y]; }
      }
      return null;
    }""",
        across,
    )
    assert point is not None, "Knowsley's area is not under this line of the map"
    if width < 500:
        page.touchscreen.tap(*point)
    else:
        page.mouse.move(*point)
    page.locator(".leaflet-tooltip").wait_for()
    place = page.evaluate(TOOLTIP_PLACE)
    assert "Knowsley" in place["text"], place
    assert place["left"] >= 0 and place["right"] >= 0, (place, box)
    context.close()
