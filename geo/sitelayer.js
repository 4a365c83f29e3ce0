/* Campaign map layer: sites, councils and outlines.
 *
 * The page carries only a small configuration (addresses of JSON files,
 * numbers, our own colours); the data itself is fetched as JSON (see
 * geo/mapview.py). Text from the data never reaches innerHTML: popups and the
 * legend are built with DOM text nodes, and tooltips (which Leaflet treats as
 * HTML) are escaped with esc(). Links open only http(s) addresses.
 */
function hikmapDraw(map, cfg) {
  "use strict";
  var container = map.getContainer();
  var renderer = cfg.canvas ? L.canvas({ padding: 0.5 }) : L.svg({ padding: 0.5 });

  function esc(text) {
    return String(text).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }
  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }
  function safeUrl(url) {
    return /^https?:\/\//i.test(url || "") ? url : "";
  }
  function label(list, index) {
    return index >= 0 && index < list.length ? list[index] : "Unknown";
  }
  function sourceHref(id) {
    var query = cfg.sourcesPage + "?source=" + encodeURIComponent(id);
    try { return new URL(query, window.parent.location.href).href; } catch (e) { return query; }
  }
  function getJson(url) {
    if (!url) { return Promise.resolve(null); }
    return fetch(url).then(function (r) {
      if (!r.ok) { throw new Error(url + ": HTTP " + r.status); }
      return r.json();
    });
  }

  map.attributionControl.addAttribution(esc(cfg.attribution));
  // Empty groups, on the map before the data arrives: streamlit-folium listens for clicks
  // on the layers the map has when the page starts, and a group passes on its members' clicks.
  var sitesLayer = L.featureGroup().addTo(map);
  var councilsLayer = L.featureGroup().addTo(map);

  /* Vector markers whose shape says the kind of site (SVG or canvas). */
  var HikShape = L.CircleMarker.extend({
    options: { shape: "circle" },
    _updatePath: function () {
      var shape = this.options.shape;
      if (shape === "circle") { return L.CircleMarker.prototype._updatePath.call(this); }
      var p = this._point, r = this._radius, pts = [], i;
      function at(dx, dy) { pts.push(L.point(p.x + dx, p.y + dy)); }
      if (shape === "square") { var s = r * 0.85; at(-s, -s); at(s, -s); at(s, s); at(-s, s); }
      else if (shape === "triangle") { at(0, -r * 1.15); at(r * 1.05, r * 0.8); at(-r * 1.05, r * 0.8); }
      else if (shape === "diamond") { var d = r * 1.2; at(0, -d); at(d, 0); at(0, d); at(-d, 0); }
      else { // star
        for (i = 0; i < 10; i++) {
          var rad = (i % 2 === 0 ? r * 1.3 : r * 0.55), angle = -Math.PI / 2 + i * Math.PI / 5;
          at(rad * Math.cos(angle), rad * Math.sin(angle));
        }
      }
      this._parts = [pts];
      this._renderer._updatePoly(this, true);
    }
  });

  /* A small SVG of a legend symbol (built with DOM calls, no markup strings). */
  var SVG_NS = "http://www.w3.org/2000/svg";
  var SVG_PATHS = {
    circle: "M -6 0 A 6 6 0 1 0 6 0 A 6 6 0 1 0 -6 0 Z",
    square: "M -5.5 -5.5 H 5.5 V 5.5 H -5.5 Z",
    triangle: "M 0 -7 L 6.5 5 L -6.5 5 Z",
    diamond: "M 0 -7 L 7 0 L 0 7 L -7 0 Z",
    star: "M 0 -7 L 1.9 -2.3 L 6.7 -2.2 L 3 0.9 L 4.1 5.7 L 0 3 L -4.1 5.7 L -3 0.9 L -6.7 -2.2 L -1.9 -2.3 Z"
  };
  function symbol(shape, colour) {
    var svg = document.createElementNS(SVG_NS, "svg");
    svg.setAttribute("width", "14"); svg.setAttribute("height", "14");
    svg.setAttribute("viewBox", "-8 -8 16 16"); svg.setAttribute("aria-hidden", "true");
    var path = document.createElementNS(SVG_NS, "path");
    path.setAttribute("d", SVG_PATHS[shape] || SVG_PATHS.circle);
    path.setAttribute("fill", colour); path.setAttribute("stroke", "#222"); path.setAttribute("stroke-width", "1.5");
    svg.appendChild(path);
    return svg;
  }

  function drawSites(S) {
    var V = S.vocab;

    function claimElement(claim) {
      // claim: [vendor, text, grade, reported, status, response, [source ids]]
      var box = el("div", "claim");
      var meta = el("div", "meta");
      var gradeIndex = S.enums.grade.indexOf(claim[2]);
      var badge = el("span", "grade", label(S.labels.grade, gradeIndex));
      badge.style.background = V.gradeColours[gradeIndex] || "#777";
      meta.appendChild(badge);
      meta.appendChild(document.createTextNode(
        " " + (S.labels.vendor[claim[0]] || claim[0]) + " · reported " + claim[3] +
        " · " + (S.labels.status[claim[4]] || claim[4])));
      box.appendChild(meta);
      box.appendChild(el("p", null, claim[1]));
      if (claim[5]) { box.appendChild(el("p", "response", "Response: " + claim[5])); }
      var list = el("ol");
      claim[6].forEach(function (id) {
        var source = S.sources[id], item = el("li");
        var url = source ? safeUrl(source[2]) : "";
        if (url) {
          var link = el("a", null, source[0]);
          link.href = url; link.target = "_blank"; link.rel = "noopener noreferrer";
          item.appendChild(link);
        } else {
          item.appendChild(document.createTextNode(source ? source[0] : id));
        }
        if (source) { item.appendChild(document.createTextNode(" (" + source[1] + ") ")); }
        var about = el("a", "source-ref", "about this source");
        about.href = sourceHref(id);
        // A new tab: the component's sandboxed iframe may not navigate the app's own window.
        about.target = "_blank";
        about.rel = "noopener";
        item.appendChild(about);
        list.appendChild(item);
      });
      box.appendChild(el("div", "meta", "Sources:"));
      box.appendChild(list);
      return box;
    }

    function popupFor(indices) {
      var root = el("div", "hikmap-popup");
      if (indices.length > 1) {
        root.appendChild(el("p", "meta", indices.length + " sites share this location:"));
      }
      indices.forEach(function (i, n) {
        if (n > 0) { root.appendChild(el("hr")); }
        root.appendChild(el("h3", null, S.name[i]));
        root.appendChild(el("p", "org", S.orgs[S.org[i]] + " · " + label(S.labels.kind, S.kind[i])));
        if (S.detail && S.address[i]) {
          root.appendChild(el("p", "where", S.address[i] + (S.district[i] ? " (" + S.district[i] + ")" : "")));
        }
        root.appendChild(el("p", "meta", "Location: " + label(S.labels.precision, S.precision[i])));
        var caveat = S.labels.caveat[S.precision[i]];
        if (caveat) { root.appendChild(el("p", "caveat", caveat)); }
        if (S.detail) {
          S.claims_of[i].forEach(function (c) { root.appendChild(claimElement(S.claims[c])); });
        } else {
          root.appendChild(el("p", "more", S.nclaims[i] + " claim(s); strongest evidence: " +
            label(S.labels.grade, S.grade[i]) + ". Details are beside the map and in the Data table."));
        }
      });
      return root;
    }

    /* One marker per location; sites at the same place share it. */
    var chosen = cfg.selected || S.lat.map(function (_, j) { return j; });
    var groups = {}, order = [];
    chosen.forEach(function (i) {
      var key = S.lat[i] + "," + S.lon[i];
      if (!(key in groups)) { groups[key] = []; order.push(key); }
      groups[key].push(i);
    });
    var rank = function (g) { return g < 0 ? 99 : g; }; // grades are listed strongest first
    order.forEach(function (key) {
      var indices = groups[key], best = indices[0];
      indices.forEach(function (j) { if (rank(S.grade[j]) < rank(S.grade[best])) { best = j; } });
      var shared = indices.length > 1;
      var marker = new HikShape([S.lat[best], S.lon[best]], {
        renderer: renderer,
        shape: S.kind[best] >= 0 ? V.shapes[S.kind[best]] : "circle",
        radius: shared ? 9 : 7,
        color: "#1a1a1a",
        weight: shared ? 2.5 : 1.2,
        fillColor: S.grade[best] >= 0 ? V.gradeColours[S.grade[best]] : "#999999",
        fillOpacity: 0.95,
        className: "hikmap-site"
      });
      var tip = shared
        ? indices.length + " sites: " + indices.map(function (j) { return S.name[j]; }).join("; ")
        : S.name[best];
      marker.bindTooltip(esc(tip));
      marker.bindPopup(function () { return popupFor(indices); }, { maxWidth: 320, autoPanPadding: [16, 16] });
      sitesLayer.addLayer(marker);
    });
    container.dataset.hikmapSites = String(chosen.length);
    container.dataset.hikmapMarkers = String(order.length);
    // The renderer paints on the next animation frame; mark the frame after that.
    L.Util.requestAnimFrame(function () { container.dataset.hikmapPainted = "1"; });
  }

  function drawLegend(S, withCouncils) {
    var V = S.vocab;
    var legend = L.control({ position: "bottomright" });
    legend.onAdd = function () {
      var box = L.DomUtil.create("div", "hikmap-legend");
      var toggle = el("button", "hikmap-legend-toggle", "Legend");
      toggle.type = "button";
      var body = el("div", "hikmap-legend-body");
      function row(symbolNode, text) {
        var line = el("div");
        line.appendChild(symbolNode);
        line.appendChild(document.createTextNode(" " + text));
        body.appendChild(line);
      }
      body.appendChild(el("div", "hikmap-legend-title", "Kind of site"));
      S.labels.kind.forEach(function (text, k) { row(symbol(V.shapes[k], "#ffffff"), text); });
      body.appendChild(el("div", "hikmap-legend-title", "Strongest evidence"));
      S.labels.grade.forEach(function (text, g) { row(symbol("circle", V.gradeColours[g]), text); });
      if (withCouncils) {
        body.appendChild(el("div", "hikmap-legend-title", "Councils"));
        Object.keys(V.districtColours).forEach(function (state) {
          var swatch = el("span", "hikmap-swatch");
          swatch.style.background = V.districtColours[state];
          row(swatch, V.districtLabels[state]);
        });
      }
      box.appendChild(toggle);
      box.appendChild(body);
      // Collapsed where it would hide much of the map (a column beside the text, a phone).
      if (container.clientWidth < 700) { box.classList.add("collapsed"); }
      toggle.addEventListener("click", function () { box.classList.toggle("collapsed"); });
      L.DomEvent.disableClickPropagation(box);
      return box;
    };
    legend.addTo(map);
  }

  if (cfg.near) {
    L.circle([cfg.near.lat, cfg.near.lon], {
      radius: cfg.near.km * 1000, renderer: renderer, interactive: false,
      color: "#0072B2", weight: 2, dashArray: "6 4", fill: false
    }).addTo(map);
  }

  /* Councils, regions and (with no tiles) the UK outline, fetched from the app itself. */
  function drawBoundaries(S, loaded) {
    var V = S.vocab;
    var stack = [];
    if (loaded[0]) {
      stack.push(L.geoJSON(loaded[0], {
        renderer: renderer, interactive: false,
        style: { color: "#7a7a7a", weight: 1, fillColor: "#fbfbf8", fillOpacity: 1 }
      }));
    }
    var councils = L.geoJSON(loaded[1], {
      renderer: renderer,
      style: function (feature) {
        var status = S.districtStatus[feature.properties.code] || "no-data";
        return {
          color: "#8a8a8a", weight: 0.6, className: "hikmap-district",
          fillColor: V.districtColours[status], fillOpacity: status === "no-data" ? 0.25 : 0.6
        };
      },
      onEachFeature: function (feature, layer) {
        var status = S.districtStatus[feature.properties.code] || "no-data";
        layer.bindTooltip(esc(feature.properties.name) + "<br>" + esc(V.districtLabels[status]), { sticky: true });
      }
    });
    councilsLayer.addLayer(councils);
    stack.push(councils);
    var regions = loaded[2] ? L.geoJSON(loaded[2], {
      renderer: renderer, interactive: false,
      style: { color: "#333333", weight: 1.3, fill: false, className: "hikmap-region" }
    }) : null;
    if (regions) { stack.push(regions); }
    stack.forEach(function (layer) { if (layer !== councils) { layer.addTo(map); } });
    // Drawn after the sites, so send them under the markers: top of the stack first.
    stack.slice().reverse().forEach(function (group) {
      group.eachLayer(function (layer) { layer.bringToBack(); });
    });
    var overlays = { "Councils": councilsLayer };
    if (regions) { overlays["Regions and nations"] = regions; }
    L.control.layers(null, overlays, { collapsed: true, position: "topright" }).addTo(map);
    container.dataset.hikmapDistricts = String(councils.getLayers().length);
  }

  var withBoundaries = Boolean(cfg.boundaries.ltla);
  if (!withBoundaries) { container.dataset.hikmapBoundaries = "none"; }
  var boundaryFiles = withBoundaries
    ? Promise.all([getJson(cfg.outlineBasemap ? cfg.boundaries.uk : ""), getJson(cfg.boundaries.ltla), getJson(cfg.boundaries.rgn)])
    : Promise.resolve(null);
  getJson(cfg.data)
    .then(function (S) {
      drawSites(S);
      drawLegend(S, withBoundaries);
      return boundaryFiles.then(function (loaded) { if (loaded) { drawBoundaries(S, loaded); } })
        .catch(function (error) {
          container.dataset.hikmapBoundaryError = String(error);
          console.warn("hikmap: boundaries not drawn:", error);
        });
    })
    .catch(function (error) {
      container.dataset.hikmapDataError = String(error);
      console.error("hikmap: the map data could not be loaded:", error);
    });
}
