/* The published map and table: the app's filters, read from the URL and applied in the browser.
 *
 * The rules are those of geo/filters.py (apply_filters and Filters.from_params); the browser
 * tests check that both select the same sites and claims. Data arrives as JSON and reaches the
 * page only as DOM text (textContent), never as markup.
 */
(function () {
  "use strict";
  var page = JSON.parse(document.getElementById("hikmap-page").textContent);
  var MULTI = {
    nation: "nations",
    region: "regions",
    council: "councils",
    kind: "kinds",
    vendor: "vendors",
    grade: "grades",
    status: "statuses"
  };
  var MAX_TEXT = 200;

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
  function isoDate(text) {
    // A real calendar date in YYYY-MM-DD, as Python's date.fromisoformat accepts it.
    if (!/^\d{4}-\d{2}-\d{2}$/.test(text)) {
      return "";
    }
    var d = new Date(text + "T00:00:00Z");
    return !isNaN(d) && d.toISOString().slice(0, 10) === text ? text : "";
  }

  /* Filters.from_params: comma lists (repeated parameters are accepted too), unknown values dropped. */
  function readFilters(search, allowed) {
    var params = new URLSearchParams(search),
      f = { messages: [] };
    Object.keys(MULTI).forEach(function (key) {
      var name = MULTI[key],
        seen = [];
      params
        .getAll(key)
        .join(",")
        .split(",")
        .forEach(function (v) {
          v = v.trim();
          if (v && seen.indexOf(v) < 0) {
            seen.push(v);
          }
        });
      var unknown = seen.filter(function (v) {
        return allowed[name].indexOf(v) < 0;
      });
      if (unknown.length) {
        f.messages.push("ignored unknown " + key + ": " + unknown.join(", "));
      }
      f[name] = seen.filter(function (v) {
        return allowed[name].indexOf(v) >= 0;
      });
    });
    ["from", "to"].forEach(function (key) {
      var raw = (params.get(key) || "").trim();
      f[key] = raw ? isoDate(raw) : "";
      if (raw && !f[key]) {
        f.messages.push("ignored " + key + "='" + raw + "': not a date (YYYY-MM-DD)");
      }
    });
    f.text = (params.get("q") || "").trim().slice(0, MAX_TEXT);
    f.layout = params.get("layout") === "hex" ? "hex" : "geo";
    f.embed = params.get("view") === "embed";
    return f;
  }
  function activeFilters(f) {
    return (
      Object.keys(MULTI).some(function (k) {
        return f[MULTI[k]].length;
      }) ||
      f.from ||
      f.to ||
      f.text
    );
  }
  function toQuery(f) {
    var parts = [];
    Object.keys(MULTI).forEach(function (key) {
      if (f[MULTI[key]].length) {
        parts.push(key + "=" + encodeURIComponent(f[MULTI[key]].join(",")));
      }
    });
    ["from", "to"].forEach(function (key) {
      if (f[key]) {
        parts.push(key + "=" + f[key]);
      }
    });
    if (f.text) {
      parts.push("q=" + encodeURIComponent(f.text));
    }
    return parts.join("&");
  }

  /* partial_date_range: the first and last day a YYYY, YYYY-MM or YYYY-MM-DD date can mean. */
  function dateRange(value) {
    var bits = value.split("-");
    if (bits.length === 1) {
      return [value + "-01-01", value + "-12-31"];
    }
    if (bits.length === 2) {
      var last = new Date(Date.UTC(+bits[0], +bits[1], 0)).getUTCDate();
      return [value + "-01", value + "-" + (last < 10 ? "0" : "") + last];
    }
    return [value, value];
  }
  function contains(haystack, needle) {
    // pandas str.contains(case=False, regex=False) compares upper-cased text.
    return (
      String(haystack || "")
        .toUpperCase()
        .indexOf(needle) >= 0
    );
  }

  /* apply_filters: site filters pick sites; claim filters pick claims, and a site stays only
     if one of its claims matches; free text matches site fields or claim text. */
  function select(index, f) {
    var S = index.sites,
      C = index.claims,
      n = S.kind.length,
      m = C.site.length,
      i,
      j;
    var keep = [],
      claimKeep = [];
    for (i = 0; i < n; i++) {
      var ok =
        (!f.nations.length || f.nations.indexOf(S.nation[i]) >= 0) &&
        (!f.regions.length || f.regions.indexOf(S.region[i]) >= 0) &&
        (!f.kinds.length || f.kinds.indexOf(S.kind[i]) >= 0);
      if (ok && f.councils.length) {
        ok = S.areaCodes[i].some(function (code) {
          return f.councils.indexOf(code) >= 0;
        });
      }
      keep.push(ok);
    }
    var low = f.from || "0000-01-01",
      high = f.to || "9999-12-31";
    for (j = 0; j < m; j++) {
      var okc =
        (!f.vendors.length || f.vendors.indexOf(C.vendor[j]) >= 0) &&
        (!f.grades.length || f.grades.indexOf(C.grade[j]) >= 0) &&
        (!f.statuses.length || f.statuses.indexOf(C.status[j]) >= 0);
      if (okc && (f.from || f.to)) {
        var r = C.reported[j] ? dateRange(C.reported[j]) : null;
        okc = r !== null && r[1] >= low && r[0] <= high;
      }
      claimKeep.push(okc);
    }
    var claimFiltered = f.vendors.length || f.grades.length || f.statuses.length || f.from || f.to;
    var hasClaim;
    if (f.text) {
      var needle = f.text.toUpperCase(),
        siteText = [];
      for (i = 0; i < n; i++) {
        siteText.push(
          S.text[i].some(function (t) {
            return contains(t, needle);
          })
        );
      }
      for (j = 0; j < m; j++) {
        claimKeep[j] =
          claimKeep[j] && (contains(C.text[j][0], needle) || contains(C.text[j][1], needle) || siteText[C.site[j]]);
      }
      hasClaim = {};
      for (j = 0; j < m; j++) {
        if (claimKeep[j]) {
          hasClaim[C.site[j]] = true;
        }
      }
      for (i = 0; i < n; i++) {
        keep[i] = keep[i] && (siteText[i] || !!hasClaim[i]);
      }
    }
    if (claimFiltered) {
      hasClaim = {};
      for (j = 0; j < m; j++) {
        if (claimKeep[j]) {
          hasClaim[C.site[j]] = true;
        }
      }
      for (i = 0; i < n; i++) {
        keep[i] = keep[i] && !!hasClaim[i];
      }
    }
    var sites = [],
      claims = [];
    for (i = 0; i < n; i++) {
      if (keep[i]) {
        sites.push(i);
      }
    }
    for (j = 0; j < m; j++) {
      if (claimKeep[j] && keep[C.site[j]]) {
        claims.push(j);
      }
    }
    return { sites: sites, claims: claims };
  }

  /* view_bounds: the selected sites and the places a filter names; null for the whole UK. */
  function viewBounds(index, f, chosen) {
    var lats = [],
      lons = [];
    chosen.sites.forEach(function (i) {
      if (index.sites.lat[i] !== null) {
        lats.push(index.sites.lat[i]);
        lons.push(index.sites.lon[i]);
      }
    });
    f.councils.concat(f.regions, f.nations).forEach(function (name) {
      var box = index.extents[name];
      if (box) {
        lats.push(box[0], box[2]);
        lons.push(box[1], box[3]);
      }
    });
    if (!lats.length) {
      return null;
    }
    var pad = 0.01;
    return [
      [Math.min.apply(null, lats) - pad, Math.min.apply(null, lons) - pad],
      [Math.max.apply(null, lats) + pad, Math.max.apply(null, lons) + pad]
    ];
  }

  function fillForm(form, f) {
    if (!form) {
      return;
    }
    Object.keys(MULTI).forEach(function (key) {
      var select = form.elements[key];
      Array.prototype.forEach.call(select.options, function (o) {
        o.selected = f[MULTI[key]].indexOf(o.value) >= 0;
      });
    });
    form.elements.q.value = f.text;
    form.elements.from.value = f.from;
    form.elements.to.value = f.to;
    // Show the chosen filters open, except on a phone, where the open form would push the
    // map a screen or more down; the counts line says the view is filtered.
    if (activeFilters(f) && window.matchMedia("(min-width: 700px)").matches) {
      form.querySelector("details").open = true;
    }
    form.addEventListener("submit", function (event) {
      // The app's URL form: one parameter per filter, values joined by commas.
      event.preventDefault();
      var chosen = {
        from: isoDate(form.elements.from.value),
        to: isoDate(form.elements.to.value),
        text: form.elements.q.value.trim().slice(0, MAX_TEXT)
      };
      Object.keys(MULTI).forEach(function (key) {
        chosen[MULTI[key]] = Array.prototype.filter
          .call(form.elements[key].options, function (o) {
            return o.selected;
          })
          .map(function (o) {
            return o.value;
          });
      });
      var query = toQuery(chosen);
      if (f.layout === "hex") {
        query = "layout=hex" + (query ? "&" + query : "");
      }
      window.location.search = query ? "?" + query : "";
    });
    var reset = document.getElementById("reset");
    if (reset) {
      reset.href = f.layout === "hex" ? "?layout=hex" : "?";
    }
  }
  function keepFiltersInLinks(f) {
    var query = toQuery(f);
    Array.prototype.forEach.call(document.querySelectorAll("a[data-keep-filters='1']"), function (a) {
      if (!query) {
        return;
      }
      var href = a.getAttribute("href");
      a.setAttribute("href", href + (href.indexOf("?") >= 0 ? "&" : "?") + query);
    });
  }
  function showCounts(f, chosen) {
    var counts = document.getElementById("counts");
    counts.textContent = "";
    var b1 = el("strong", null, String(chosen.sites.length)),
      b2 = el("strong", null, String(chosen.claims.length));
    counts.appendChild(b1);
    counts.appendChild(document.createTextNode(" of " + page.siteCount + " sites · "));
    counts.appendChild(b2);
    counts.appendChild(
      document.createTextNode(" of " + page.claimCount + " claims" + (activeFilters(f) ? " match the filters." : "."))
    );
    var ignored = document.getElementById("ignored");
    if (f.messages.length) {
      ignored.hidden = false;
      ignored.textContent = "Not applied: " + f.messages.join("; ") + ".";
    }
  }

  function drawMap(index, f, chosen) {
    var layout = page.layouts[f.layout],
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
    if (page.tiles && f.layout === "geo") {
      L.tileLayer(page.tiles.url, { attribution: page.tiles.attribution, maxZoom: page.tiles.maxZoom }).addTo(map);
    }
    if (f.layout === "geo") {
      map.fitBounds(viewBounds(index, f, chosen) || index.ukBounds, { maxZoom: page.fitMaxZoom });
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
        if (k) {
          sources.appendChild(document.createTextNode("; "));
        }
        var link = el("a", null, pair[1]);
        link.href = "sources.html#source-" + encodeURIComponent(pair[0]);
        sources.appendChild(link);
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
      var f = readFilters(window.location.search, index.allowed);
      if (f.embed) {
        document.documentElement.classList.add("embed");
      }
      fillForm(document.getElementById("filters"), f);
      keepFiltersInLinks(f);
      var chosen = select(index, f);
      showCounts(f, chosen);
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
