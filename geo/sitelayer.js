/* Campaign map layer: sites, councils and outlines, drawn from one JSON config.
 *
 * Text from the data never reaches innerHTML: popups are built with DOM text
 * nodes, and tooltips (which Leaflet treats as HTML) are escaped with esc().
 * Links open only http(s) addresses. Inlined into the page by geo/mapview.py.
 */
function hikmapDraw(map, cfg) {
  "use strict";
  var S = cfg.sites;
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

  map.attributionControl.addAttribution(cfg.attribution);

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

  function claimElement(claim) {
    // claim: [vendor, text, grade, reported, status, response, [source ids]]
    var box = el("div", "claim");
    var meta = el("div", "meta");
    var gradeIndex = S.enums.grade.indexOf(claim[2]);
    var badge = el("span", "grade", label(S.labels.grade, gradeIndex));
    badge.style.background = cfg.gradeColours[gradeIndex] || "#777";
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
  var groups = {}, order = [], i;
  for (i = 0; i < S.lat.length; i++) {
    var key = S.lat[i] + "," + S.lon[i];
    if (!(key in groups)) { groups[key] = []; order.push(key); }
    groups[key].push(i);
  }
  var rank = function (g) { return g < 0 ? 99 : g; }; // grades are listed strongest first
  var sitesLayer = L.featureGroup();
  order.forEach(function (key) {
    var indices = groups[key], best = indices[0];
    indices.forEach(function (j) { if (rank(S.grade[j]) < rank(S.grade[best])) { best = j; } });
    var shared = indices.length > 1;
    var marker = new HikShape([S.lat[best], S.lon[best]], {
      renderer: renderer,
      shape: S.kind[best] >= 0 ? cfg.shapes[S.kind[best]] : "circle",
      radius: shared ? 9 : 7,
      color: "#1a1a1a",
      weight: shared ? 2.5 : 1.2,
      fillColor: S.grade[best] >= 0 ? cfg.gradeColours[S.grade[best]] : "#999999",
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
  sitesLayer.addTo(map);
  container.dataset.hikmapSites = String(S.lat.length);
  container.dataset.hikmapMarkers = String(order.length);
  // The renderer paints on the next animation frame; mark the frame after that.
  L.Util.requestAnimFrame(function () { container.dataset.hikmapPainted = "1"; });

  if (cfg.near) {
    L.circle([cfg.near.lat, cfg.near.lon], {
      radius: cfg.near.km * 1000, renderer: renderer, interactive: false,
      color: "#0072B2", weight: 2, dashArray: "6 4", fill: false
    }).addTo(map);
  }

  /* Legend: collapsible on narrow screens. */
  var legend = L.control({ position: "bottomright" });
  legend.onAdd = function () {
    var box = L.DomUtil.create("div", "hikmap-legend");
    var toggle = el("button", "hikmap-legend-toggle", "Legend");
    toggle.type = "button";
    var body = el("div", "hikmap-legend-body");
    body.innerHTML = cfg.legend; // built and escaped server-side from the schema's labels
    box.appendChild(toggle);
    box.appendChild(body);
    // Collapsed where it would hide much of the map (a column beside the text, a phone).
    if (container.clientWidth < 700) { box.classList.add("collapsed"); }
    toggle.addEventListener("click", function () { box.classList.toggle("collapsed"); });
    L.DomEvent.disableClickPropagation(box);
    return box;
  };
  legend.addTo(map);

  /* Councils, regions and (with no tiles) the UK outline, fetched from the app itself. */
  if (!cfg.boundaries.ltla) { container.dataset.hikmapBoundaries = "none"; return; }
  function getJson(url) {
    if (!url) { return Promise.resolve(null); }
    return fetch(url).then(function (r) {
      if (!r.ok) { throw new Error(url + ": HTTP " + r.status); }
      return r.json();
    });
  }
  Promise.all([getJson(cfg.outlineBasemap ? cfg.boundaries.uk : ""), getJson(cfg.boundaries.ltla), getJson(cfg.boundaries.rgn)])
    .then(function (loaded) {
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
          var status = cfg.districtStatus[feature.properties.code] || "no-data";
          return {
            color: "#8a8a8a", weight: 0.6, className: "hikmap-district",
            fillColor: cfg.districtColours[status], fillOpacity: status === "no-data" ? 0.25 : 0.6
          };
        },
        onEachFeature: function (feature, layer) {
          var status = cfg.districtStatus[feature.properties.code] || "no-data";
          layer.bindTooltip(esc(feature.properties.name) + "<br>" + esc(cfg.districtLabels[status]), { sticky: true });
        }
      });
      stack.push(councils);
      var regions = loaded[2] ? L.geoJSON(loaded[2], {
        renderer: renderer, interactive: false,
        style: { color: "#333333", weight: 1.3, fill: false, className: "hikmap-region" }
      }) : null;
      if (regions) { stack.push(regions); }
      stack.forEach(function (layer) { layer.addTo(map); });
      // Drawn after the sites, so send them under the markers: top of the stack first.
      stack.slice().reverse().forEach(function (group) {
        group.eachLayer(function (layer) { layer.bringToBack(); });
      });
      var overlays = { "Councils": councils };
      if (regions) { overlays["Regions and nations"] = regions; }
      L.control.layers(null, overlays, { collapsed: true, position: "topright" }).addTo(map);
      container.dataset.hikmapDistricts = String(councils.getLayers().length);
    })
    .catch(function (error) {
      container.dataset.hikmapBoundaryError = String(error);
      console.warn("hikmap: boundaries not drawn:", error);
    });
}
