/* The published map and table: the app's filters, read from the URL and applied in the browser.
 *
 * The rules are in filters.js (hikmapFilters), which follows the specification geo/filters.py
 * hands over in the filter index (`index.spec`); this file is only the page: the form, the counts,
 * the map and the table. Data arrives as JSON and reaches the page only as DOM text
 * (textContent), never as markup.
 */
(function () {
  "use strict";
  var page = JSON.parse(document.getElementById("hikmap-page").textContent);
  var filters = window.hikmapFilters;

  function getJson(url) {
    return fetch(url).then(function (r) {
      if (!r.ok) {
        throw new Error(url + ": HTTP " + r.status);
      }
      return r.json();
    });
  }
  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) {
      node.className = cls;
    }
    if (text !== undefined && text !== null) {
      node.textContent = text;
    }
    return node;
  }
  /* The page's own parameters (not filters): the layout and the embed view. */
  var params = new URLSearchParams(window.location.search),
    layoutName = params.get("layout") === "hex" ? "hex" : "geo",
    embed = params.get("view") === "embed";

  function fillForm(form, index, f) {
    if (!form) {
      return;
    }
    var spec = index.spec;
    spec.params.forEach(function (p) {
      var field = form.elements[p.key];
      if (!p.published || !field) {
        return;
      }
      if (p.kind === "choice") {
        Array.prototype.forEach.call(field.options, function (o) {
          o.selected = f[p.field].indexOf(o.value) >= 0;
        });
      } else {
        field.value = f[p.field];
      }
    });
    // Show the chosen filters open, except on a phone, where the open form would push the
    // map a screen or more down; the counts line says the view is filtered.
    if (filters.selects(spec, f) && window.matchMedia("(min-width: 700px)").matches) {
      form.querySelector("details").open = true;
    }
    form.addEventListener("submit", function (event) {
      // The form's values read by the same rules as a URL, then written in the app's URL form.
      event.preventDefault();
      var chosen = filters.read(spec, new URLSearchParams(new FormData(form)).toString(), index.allowed);
      var query = filters.toQuery(spec, chosen);
      if (layoutName === "hex") {
        query = "layout=hex" + (query ? "&" + query : "");
      }
      window.location.search = query ? "?" + query : "";
    });
    var reset = document.getElementById("reset");
    if (reset) {
      reset.href = layoutName === "hex" ? "?layout=hex" : "?";
    }
  }
  function keepFiltersInLinks(spec, f) {
    var query = filters.toQuery(spec, f);
    Array.prototype.forEach.call(document.querySelectorAll("a[data-keep-filters='1']"), function (a) {
      if (!query) {
        return;
      }
      var href = a.getAttribute("href");
      a.setAttribute("href", href + (href.indexOf("?") >= 0 ? "&" : "?") + query);
    });
  }
  function showCounts(spec, f, chosen) {
    var counts = document.getElementById("counts");
    counts.textContent = "";
    var b1 = el("strong", null, String(chosen.sites.length)),
      b2 = el("strong", null, String(chosen.claims.length));
    counts.appendChild(b1);
    counts.appendChild(document.createTextNode(" of " + page.siteCount + " sites · "));
    counts.appendChild(b2);
    counts.appendChild(
      document.createTextNode(
        " of " + page.claimCount + " claims" + (filters.selects(spec, f) ? " match the filters." : ".")
      )
    );
    // What only the app can do (near a postcode) is said too: the published copy has no postcode directory.
    var notes = f.messages.slice();
    spec.params.forEach(function (p) {
      if (!p.published && p.kind === "postcode" && f[p.field]) {
        notes.push(filters.message(spec, "app_only", { key: p.key, value: f[p.field] }));
      }
    });
    var ignored = document.getElementById("ignored");
    if (notes.length) {
      ignored.hidden = false;
      ignored.textContent = "Not applied: " + notes.join("; ") + ".";
    }
  }
  /* A council's own feed, offered when the view is filtered to that council (names and paths are
     the page's own configuration, shown as text). */
  function showCouncilFeeds(f) {
    var box = document.getElementById("council-feeds"),
      known = page.councilFeeds || {};
    if (!box || !f.councils) {
      return;
    }
    f.councils.forEach(function (code) {
      var feed = known[code];
      if (!Object.prototype.hasOwnProperty.call(known, code) || !feed) {
        return;
      }
      var link = el("a", null, "Follow changes for " + feed[1] + " (Atom feed)");
      link.href = feed[0];
      link.type = "application/atom+xml";
      if (box.childNodes.length) {
        box.appendChild(document.createTextNode(" · "));
      }
      box.appendChild(link);
      box.hidden = false;
    });
  }

  function drawMap(index, f, chosen) {
    var layout = page.layouts[layoutName],
      o = layout.options;
    var map = L.map("map", {
      crs: o.crs === "Simple" ? L.CRS.Simple : L.CRS.EPSG3857,
      center: o.center,
      zoom: o.zoom,
      minZoom: o.minZoom,
      maxZoom: o.maxZoom,
      zoomSnap: o.zoomSnap
    });
    if (o.scale) {
      L.control.scale().addTo(map);
    }
    if (page.tiles && layoutName === "geo") {
      L.tileLayer(page.tiles.url, { attribution: page.tiles.attribution, maxZoom: page.tiles.maxZoom }).addTo(map);
    }
    if (layoutName === "geo") {
      map.fitBounds(filters.frame(index.spec, index, f, chosen) || index.ukBounds, { maxZoom: page.fitMaxZoom });
    }
    var cfg = JSON.parse(JSON.stringify(layout.layer));
    cfg.selected = chosen.sites.length === page.siteCount ? null : chosen.sites;
    window.map = map;
    hikmapDraw(map, cfg);
  }

  function drawTable(rows, chosen) {
    var body = document.querySelector("#evidence tbody");
    var fields = ["site", "organisation", "kind", "grade", "reported", "status", "devices", "claim"];
    // Each cell carries its column's name, shown beside the value where the table becomes cards.
    var labels = Array.prototype.map.call(document.querySelectorAll("#evidence thead th"), function (th) {
      return th.textContent;
    });
    var wanted = {};
    chosen.claims.forEach(function (c) {
      wanted[c] = true;
    });
    rows.position.forEach(function (claim, j) {
      if (!wanted[claim]) {
        return;
      }
      var tr = el("tr");
      fields.forEach(function (name, k) {
        var cell = el(k === 0 ? "th" : "td", null, rows[name][j]);
        if (k === 0) {
          cell.scope = "row";
        } else {
          cell.dataset.label = labels[k];
        }
        tr.appendChild(cell);
      });
      var sources = el("td");
      sources.dataset.label = labels[8];
      rows.sources[j].forEach(function (pair, k) {
        // One block per source: its link, then its words (a "; " between them read oddly after a quote).
        var source = el("div", "source");
        var link = el("a", null, pair[1]);
        link.href = "sources.html#source-" + encodeURIComponent(pair[0]);
        source.appendChild(link);
        // The source's words for this claim, marked as a quotation, with who published them, when,
        // and when the claim was last read against them (text nodes only: quotes are untrusted).
        var quote = rows.quotes[j][k];
        if (quote) {
          var words = el("blockquote");
          words.appendChild(el("p", null, quote[0]));
          source.appendChild(words);
          source.appendChild(el("p", "cite", "— " + quote[1] + (quote[2] ? " · " + quote[2] : "")));
          if (quote[3]) {
            source.appendChild(el("p", "quote-note", "Note: " + quote[3]));
          }
        }
        sources.appendChild(source);
      });
      tr.appendChild(sources);
      [rows.location[j], rows.council[j]].forEach(function (value, k) {
        var cell = el("td", null, value);
        cell.dataset.label = labels[9 + k];
        tr.appendChild(cell);
      });
      body.appendChild(tr);
    });
    document.getElementById("evidence").dataset.rows = String(chosen.claims.length);
  }

  getJson(page.index)
    .then(function (index) {
      var f = filters.read(index.spec, window.location.search, index.allowed);
      if (embed) {
        document.documentElement.classList.add("embed");
      }
      fillForm(document.getElementById("filters"), index, f);
      keepFiltersInLinks(index.spec, f);
      var chosen = filters.select(index.spec, index, f);
      showCounts(index.spec, f, chosen);
      showCouncilFeeds(f);
      document.body.dataset.hikmapSelected = chosen.sites.join(",");
      document.body.dataset.hikmapClaims = String(chosen.claims.length);
      if (page.page === "map") {
        drawMap(index, f, chosen);
      } else {
        return getJson(page.table).then(function (rows) {
          drawTable(rows, chosen);
        });
      }
    })
    .catch(function (error) {
      var counts = document.getElementById("counts");
      counts.textContent = "The data could not be loaded: " + error.message;
      console.error("hikmap:", error);
    });
})();
