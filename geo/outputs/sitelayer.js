/* Campaign map layer: sites, council areas and outlines, on the UK map or the hex cartogram.
 *
 * The page carries only a small configuration (addresses of JSON files,
 * numbers, our own settings); the data itself is fetched as JSON (see
 * geo/mapview.py). Text from the data never reaches innerHTML: popups and the
 * legend are built with DOM text nodes, and tooltips (which Leaflet treats as
 * HTML) are escaped with esc(). Links open only http(s) addresses.
 */
function hikmapDraw(map, cfg) {
  "use strict";
  var container = map.getContainer();
  var hexLayout = cfg.layout === "hex";
  var C = cfg.chrome; // the chrome's colours (geo/settings.py CHROME): none is written here
  var renderer = cfg.canvas ? L.canvas({ padding: 0.5 }) : L.svg({ padding: 0.5 });

  // folium's page forbids zooming (maximum-scale=1, user-scalable=no): let people pinch and zoom.
  // (The component's page has its own viewport tag before folium's: rewrite every one.)
  Array.prototype.forEach.call(document.querySelectorAll('meta[name="viewport"]'), function (viewport) {
    viewport.setAttribute("content", "width=device-width, initial-scale=1");
  });
  container.setAttribute("role", "region");
  container.setAttribute(
    "aria-label",
    hexLayout
      ? "Hex map: one hexagon per council area, with the sites reported in each"
      : "Map of the UK: sites where equipment is reported, and council areas coloured by what is known"
  );

  /* Keyboard access. A site marker is a button: Tab reaches it, Enter or Space opens it. The
     council areas are one stop on the Tab path: the arrow keys move between them (in order of
     name), typing a name jumps to it, Enter or Space opens it. Escape closes a popup and puts the
     focus back where it was. (Drawn on a canvas, above many thousands of sites, markers have no
     element to focus; the table on the Data page lists the same sites.) */
  var returnFocusTo = null;
  function layerCentre(layer) {
    return layer.getLatLng ? layer.getLatLng() : layer.getBounds().getCenter();
  }
  function activate(layer, node, event) {
    returnFocusTo = node;
    layer.fire("click", { latlng: layerCentre(layer), originalEvent: event }, true);
  }
  function asButton(layer, label, onKey) {
    function decorate() {
      var node = layer._path || layer._icon;
      if (!node || node.hikmapKeyboard) {
        return;
      }
      node.hikmapKeyboard = true;
      node.setAttribute("tabindex", "0");
      node.setAttribute("role", "button");
      node.setAttribute("aria-label", label);
      node.addEventListener("keydown", function (event) {
        if (event.key === "Enter" || event.key === " ") {
          event.preventDefault();
          activate(layer, node, event);
        } else if (onKey) {
          onKey(event, layer, node);
        }
      });
      node.addEventListener("focus", function () {
        if (layer.openTooltip) {
          layer.openTooltip(layerCentre(layer));
        }
      });
      node.addEventListener("blur", function () {
        if (layer.closeTooltip) {
          layer.closeTooltip();
        }
      });
    }
    layer.on("add", decorate);
    if (layer._map) {
      decorate();
    }
  }
  container.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && map._popup && map.hasLayer(map._popup)) {
      event.preventDefault();
      map.closePopup();
    }
  });
  map.on("popupopen", function (event) {
    var node = event.popup.getElement();
    if (!node) {
      return;
    }
    node.setAttribute("role", "dialog");
    node.setAttribute("aria-label", "Evidence");
    var content = node.querySelector(".leaflet-popup-content");
    if (content) {
      content.setAttribute("tabindex", "-1");
      content.focus({ preventScroll: true });
    }
  });
  map.on("popupclose", function () {
    var node = returnFocusTo;
    returnFocusTo = null;
    if (node && document.contains(node)) {
      node.focus({ preventScroll: true });
    }
  });

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
  function sourceHref(id) {
    if (/\.html$/.test(cfg.sourcesPage)) {
      return cfg.sourcesPage + "#source-" + encodeURIComponent(id);
    }
    var query = cfg.sourcesPage + "?source=" + encodeURIComponent(id);
    try {
      return new URL(query, window.parent.location.href).href;
    } catch (e) {
      return query;
    }
  }
  /* Hidden text in a tooltip naming what it belongs to (streamlit-folium returns the clicked
     layer's tooltip as text); ids and codes are [a-z0-9-] or [A-Z0-9], escaped all the same. */
  function clickKey(kind, value) {
    return "<span hidden>hikmap:" + kind + ":" + esc(value) + ":hikmap</span>";
  }
  function getJson(url) {
    if (!url) {
      return Promise.resolve(null);
    }
    return fetch(url).then(function (r) {
      if (!r.ok) {
        throw new Error(url + ": HTTP " + r.status);
      }
      return r.json();
    });
  }

  map.attributionControl.addAttribution(esc(cfg.attribution));
  // Empty groups, on the map before the data arrives: streamlit-folium listens for clicks
  // on the layers the map has when the page starts, and a group passes on its members' clicks.
  // On the UK map, markers that would overlap (Westminster has many) gather in a numbered
  // cluster that opens as one zooms in; on the hex map each council has its own hexagon.
  var sitesLayer =
    !hexLayout && L.markerClusterGroup
      ? L.markerClusterGroup({
          // 40 px: badges of neighbouring clusters never sit on top of each other (a target to tap).
          maxClusterRadius: 40,
          showCoverageOnHover: false,
          disableClusteringAtZoom: 13,
          spiderfyOnMaxZoom: true,
          // A neutral badge with the number of places in it: the palette's colours mean statuses here.
          iconCreateFunction: function (cluster) {
            var count = cluster.getChildCount();
            // Only a number goes into this markup; the hidden words name the button for screen readers.
            return L.divIcon({
              html:
                '<span aria-hidden="true">' +
                Number(count) +
                '</span><span class="hikmap-hidden">' +
                Number(count) +
                " places here: open to zoom in</span>",
              className: "hikmap-cluster",
              iconSize: L.point(30, 30)
            });
          }
        })
      : L.featureGroup();
  sitesLayer.addTo(map);
  /* A popup opens once its click has reached the group: opening it at once can pan the map so
     far that the clustering takes the marker off the map before the click is passed on, and the
     app would never hear of it. Long popups scroll inside a height that fits the map. */
  function popupOptions() {
    return { maxWidth: 320, maxHeight: Math.max(160, container.clientHeight - 120), autoPanPadding: [16, 16] };
  }
  function openAfterClick(event) {
    var layer = event.sourceTarget || event.layer;
    if (layer && layer.getPopup && layer.getPopup()) {
      L.Util.requestAnimFrame(function () {
        layer.openPopup();
      });
    }
  }
  sitesLayer.on("click", openAfterClick);
  // For keyboard access and for tests: the site markers, whether clustered or not.
  container.hikmapSitesLayer = sitesLayer;
  var councilsLayer = L.featureGroup().addTo(map);

  /* Vector markers whose outline says the kind of site (SVG or canvas), from the vocabulary's shapes. */
  var HikShape = L.CircleMarker.extend({
    options: { outline: null },
    _updatePath: function () {
      var outline = this.options.outline;
      if (!outline) {
        return L.CircleMarker.prototype._updatePath.call(this);
      }
      var p = this._point,
        r = this._radius;
      this._parts = [
        outline.map(function (xy) {
          return L.point(p.x + xy[0] * r, p.y + xy[1] * r);
        })
      ];
      this._renderer._updatePoly(this, true);
    }
  });

  var SVG_NS = "http://www.w3.org/2000/svg";
  /* A small SVG of a legend symbol (built with DOM calls, no markup strings). */
  function symbol(outline, colour, ring) {
    var svg = document.createElementNS(SVG_NS, "svg");
    svg.setAttribute("width", "16");
    svg.setAttribute("height", "16");
    svg.setAttribute("viewBox", "-8 -8 16 16");
    svg.setAttribute("aria-hidden", "true");
    var shape;
    if (outline) {
      shape = document.createElementNS(SVG_NS, "polygon");
      shape.setAttribute(
        "points",
        outline
          .map(function (xy) {
            return xy[0] * 5.6 + "," + xy[1] * 5.6;
          })
          .join(" ")
      );
    } else {
      shape = document.createElementNS(SVG_NS, "circle");
      shape.setAttribute("r", "5.6");
    }
    shape.setAttribute("fill", ring ? C.paper : colour);
    shape.setAttribute("stroke", ring ? colour : C.ink);
    shape.setAttribute("stroke-width", ring ? "2.4" : "1.4");
    svg.appendChild(shape);
    return svg;
  }

  function drawSites(S) {
    var V = S.vocab;
    function label(list, index) {
      return index >= 0 && index < list.length ? list[index].label : "Unknown";
    }
    function labelOf(list, key) {
      for (var i = 0; i < list.length; i++) {
        if (list[i].key === key) {
          return list[i].label;
        }
      }
      return key;
    }
    var areaPrecision = -1; // the precision that stands for an area (its role in the vocabulary)
    V.precisions.forEach(function (p, i) {
      if (p.area) {
        areaPrecision = i;
      }
    });

    function claimElement(claim) {
      // claim: [vendor, text, grade, reported, status, response, [source ids], equipment count,
      //         [per source: [quote, "Publisher, date", "read against the source on …", note] or null]];
      // D.sources[id]: [title, publisher, address, archived copy]
      var box = el("div", "claim");
      var meta = el("div", "meta");
      var gradeIndex = -1;
      V.grades.forEach(function (g, i) {
        if (g.key === claim[2]) {
          gradeIndex = i;
        }
      });
      var badge = el("span", "grade", label(V.grades, gradeIndex));
      badge.style.background = gradeIndex >= 0 ? V.grades[gradeIndex].colour : C.frame;
      meta.appendChild(badge);
      meta.appendChild(
        document.createTextNode(
          " " +
            labelOf(V.vendors, claim[0]) +
            " · " +
            (claim[3] ? "reported " + claim[3] : "date not given") +
            " · " +
            labelOf(V.statuses, claim[4]) +
            " · " +
            (claim[7] !== null && claim[7] !== undefined ? claim[7] + " devices" : "number of devices not given")
        )
      );
      box.appendChild(meta);
      box.appendChild(el("p", null, claim[1]));
      if (claim[5]) {
        box.appendChild(el("p", "response", "Response: " + claim[5]));
      }
      var list = el("ol");
      var quotes = claim[8] || [];
      claim[6].forEach(function (id, k) {
        var source = D.sources[id],
          item = el("li");
        var url = source ? safeUrl(source[2]) : "";
        if (url) {
          var link = el("a", null, source[0]);
          link.href = url;
          link.target = "_blank";
          link.rel = "noopener noreferrer";
          item.appendChild(link);
        } else {
          item.appendChild(document.createTextNode(source ? source[0] : id));
        }
        if (source) {
          item.appendChild(document.createTextNode(" (" + source[1] + ") "));
        }
        var archived = source ? safeUrl(source[3]) : "";
        if (archived) {
          var copy = el("a", "archived", "archived copy");
          copy.href = archived;
          copy.target = "_blank";
          copy.rel = "noopener noreferrer";
          item.appendChild(copy);
          item.appendChild(document.createTextNode(" · "));
        }
        var about = el("a", "source-ref", "about this source");
        about.href = sourceHref(id);
        // A new tab: the component's sandboxed iframe may not navigate the app's own window.
        about.target = "_blank";
        about.rel = "noopener";
        item.appendChild(about);
        // The source's own words, marked as a quotation: who published them, when, and when the
        // claim was last read against them. Text nodes only (quotes are untrusted text).
        var quote = quotes[k];
        if (quote) {
          var words = el("blockquote");
          words.appendChild(el("p", null, quote[0]));
          item.appendChild(words);
          item.appendChild(el("p", "cite", "— " + quote[1] + (quote[2] ? " · " + quote[2] : "")));
          if (quote[3]) {
            item.appendChild(el("p", "quote-note", "Note: " + quote[3]));
          }
        }
        list.appendChild(item);
      });
      box.appendChild(el("div", "meta", "Sources:"));
      box.appendChild(list);
      return box;
    }

    /* The evidence behind the popups (addresses, claims, sources) is a file of its own, fetched
       when the first popup opens: the first paint needs none of it. */
    var D = null,
      loadingDetails = null;
    function loadDetails() {
      loadingDetails =
        loadingDetails ||
        getJson(S.details).then(function (details) {
          D = details;
        });
      return loadingDetails;
    }
    // For tests: the popups' evidence, loaded (the popups are complete once this resolves).
    container.hikmapLoadDetails = function () {
      return S.detail ? loadDetails() : Promise.resolve();
    };
    function popupFor(indices, layer) {
      var root = el("div", "hikmap-popup");
      var waiting = S.detail && !D;
      if (waiting) {
        loadDetails().then(
          function () {
            if (layer && layer.isPopupOpen()) {
              layer.setPopupContent(popupFor(indices, layer));
            }
          },
          function (error) {
            var note = root.querySelector(".more");
            if (note) {
              note.textContent = "The evidence could not be loaded: " + error.message;
            }
          }
        );
      }
      if (indices.length > 1) {
        root.appendChild(
          el("p", "meta", indices.length + (hexLayout ? " sites in this council area:" : " sites share this location:"))
        );
      }
      indices.forEach(function (i, n) {
        if (n > 0) {
          root.appendChild(el("hr"));
        }
        root.appendChild(el("h3", null, S.name[i]));
        root.appendChild(el("p", "org", S.orgs[S.org[i]] + " · " + label(V.kinds, S.kind[i])));
        if (D && (D.address[i] || D.district[i])) {
          root.appendChild(el("p", "where", [D.address[i], D.district[i]].filter(Boolean).join(" · ")));
        }
        root.appendChild(el("p", "meta", "Location: " + label(V.precisions, S.precision[i])));
        var precision = V.precisions[S.precision[i]];
        if (precision && !precision.exact) {
          root.appendChild(el("p", "caveat", precision.definition));
        }
        if (D) {
          D.claims_of[i].forEach(function (c) {
            root.appendChild(claimElement(D.claims[c]));
          });
        } else if (waiting) {
          root.appendChild(el("p", "more", S.nclaims[i] + " claim(s): loading the evidence…"));
        } else {
          root.appendChild(
            el(
              "p",
              "more",
              S.nclaims[i] +
                " claim(s); strongest evidence: " +
                label(V.grades, S.grade[i]) +
                ". Details are beside the map and in the Data table."
            )
          );
        }
      });
      return root;
    }

    /* One marker per location (per council area on the hex map); sites there share it.
       On the hex map, a site that stands for a council's area has no marker: its hexagon
       opens its evidence (see drawBoundaries). */
    var chosen =
      cfg.selected ||
      S.lat.map(function (_, j) {
        return j;
      });
    var groups = {},
      order = [];
    chosen.forEach(function (i) {
      if (S.lat[i] === null) {
        return;
      } // not placed: listed and counted, no marker
      if (hexLayout && S.precision[i] === areaPrecision) {
        (areaSitesOf[S.lad[i]] = areaSitesOf[S.lad[i]] || []).push(i);
        return;
      }
      var key = hexLayout ? S.lad[i] : S.lat[i] + "," + S.lon[i];
      if (hexLayout && !(key in hexCentres)) {
        return;
      } // no council area to stand in
      if (!(key in groups)) {
        groups[key] = [];
        order.push(key);
      }
      groups[key].push(i);
    });
    var rank = function (g) {
      return g < 0 ? 99 : g;
    }; // grades are listed strongest first
    var markers = [];
    order.forEach(function (key) {
      var indices = groups[key],
        best = indices[0];
      indices.forEach(function (j) {
        if (rank(S.grade[j]) < rank(S.grade[best])) {
          best = j;
        }
      });
      var shared = indices.length > 1;
      var kind = V.kinds[S.kind[best]];
      var position = hexLayout ? hexCentres[key] : [S.lat[best], S.lon[best]];
      var colour = S.grade[best] >= 0 ? V.grades[S.grade[best]].colour : C.frame;
      // A marker that stands for a council's area is hollow, outlined in its grade's colour.
      var hollow = indices.every(function (j) {
        return S.precision[j] === areaPrecision;
      });
      var marker = new HikShape(position, {
        renderer: renderer,
        outline: kind ? V.shapes[kind.shape] : null,
        radius: hexLayout ? 6 : shared ? 9 : 7,
        color: hollow ? colour : C.ink,
        weight: hollow ? 3 : shared ? 2.5 : 1.2,
        fillColor: hollow ? C.paper : colour,
        fillOpacity: 0.95,
        className: "hikmap-site"
      });
      var tip = shared
        ? indices.length +
          " sites: " +
          indices
            .map(function (j) {
              return S.name[j];
            })
            .join("; ")
        : S.name[best];
      // The ids ride along, unseen, so that the app knows which sites a click was on.
      marker.bindTooltip(
        clickKey(
          "site",
          indices
            .map(function (j) {
              return S.id[j];
            })
            .join(",")
        ) + esc(tip)
      );
      marker.bindPopup(function (layer) {
        return popupFor(indices, layer);
      }, popupOptions());
      // The popup opens after the click has reached the group (see openAfterClick below).
      marker.off("click", marker._openPopup, marker);
      var kindLabel = kind ? kind.label : "Site";
      asButton(
        marker,
        (shared ? tip : S.name[best] + " (" + kindLabel + ")") +
          ": strongest evidence " +
          label(V.grades, S.grade[best]) +
          (hollow ? ", stands for a council's area" : "") +
          ". Open the evidence."
      );
      markers.push(marker);
    });
    // All at once: the cluster group builds its tree in one pass (one by one is several times slower).
    if (sitesLayer.addLayers) {
      sitesLayer.addLayers(markers);
    } else {
      markers.forEach(function (m) {
        sitesLayer.addLayer(m);
      });
    }
    hexPopup = popupFor;
    container.dataset.hikmapSites = String(chosen.length);
    container.dataset.hikmapMarkers = String(order.length);
  }

  function drawLegend(S, withCouncils) {
    var V = S.vocab;
    var legend = L.control({ position: "bottomright" });
    legend.onAdd = function () {
      var box = L.DomUtil.create("div", "hikmap-legend");
      var toggle = el("button", "hikmap-legend-toggle", "Legend");
      toggle.type = "button";
      var body = el("div", "hikmap-legend-body");
      body.setAttribute("role", "group");
      body.setAttribute("aria-label", "Legend");
      function row(symbolNode, text) {
        var line = el("div");
        line.appendChild(symbolNode);
        line.appendChild(document.createTextNode(" " + text));
        body.appendChild(line);
      }
      body.appendChild(el("div", "hikmap-legend-title", "Kind of body"));
      V.kinds.forEach(function (kind) {
        row(symbol(V.shapes[kind.shape], C.paper), kind.label);
      });
      body.appendChild(el("div", "hikmap-legend-title", "Strongest evidence"));
      V.grades.forEach(function (grade) {
        row(symbol(null, grade.colour), grade.label);
      });
      row(symbol(null, C.outline, true), "Hollow: stands for a council's area");
      if (withCouncils) {
        body.appendChild(el("div", "hikmap-legend-title", "Council areas"));
        V.areaStatuses.forEach(function (state) {
          var swatch = el("span", "hikmap-swatch");
          swatch.style.background = state.colour;
          row(swatch, state.label);
        });
        body.appendChild(el("div", "hikmap-legend-note", "Paler: what is known of the county council above"));
      }
      box.appendChild(toggle);
      box.appendChild(body);
      // Collapsed where it would hide much of the map (a column beside the text, a phone).
      if (container.clientWidth < 700) {
        box.classList.add("collapsed");
      }
      toggle.setAttribute("aria-expanded", String(!box.classList.contains("collapsed")));
      toggle.addEventListener("click", function () {
        box.classList.toggle("collapsed");
        toggle.setAttribute("aria-expanded", String(!box.classList.contains("collapsed")));
        fitLegend();
      });
      L.DomEvent.disableClickPropagation(box);
      L.DomEvent.disableScrollPropagation(box);
      /* The open legend never reaches the layer control above it (nor the map's top): what does
         not fit scrolls inside it, and its toggle stays on the map. */
      fitLegend = function () {
        if (box.classList.contains("collapsed")) {
          return;
        }
        body.style.maxHeight = "";
        body.removeAttribute("tabindex");
        var layers = container.querySelector(".leaflet-control-layers");
        var ceiling = (layers || container).getBoundingClientRect()[layers ? "bottom" : "top"] + 10;
        var room = box.getBoundingClientRect().bottom - ceiling - (box.offsetHeight - body.offsetHeight);
        if (body.scrollHeight > room) {
          body.style.maxHeight = Math.max(48, Math.floor(room)) + "px";
          body.setAttribute("tabindex", "0"); // a region that scrolls is reachable by keyboard
        }
      };
      return box;
    };
    legend.addTo(map);
    map.on("resize", fitLegend);
  }
  var fitLegend = function () {};

  if (cfg.near && !hexLayout) {
    L.circle([cfg.near.lat, cfg.near.lon], {
      radius: cfg.near.km * 1000,
      renderer: renderer,
      interactive: false,
      color: C.primary,
      weight: 2,
      dashArray: "6 4",
      fill: false
    }).addTo(map);
  }

  /* The area status of a council of which nothing is known (its role in the vocabulary). */
  function unknownStatus(V) {
    return V.areaStatuses.filter(function (state) {
      return state.unknown;
    })[0];
  }
  /* What colours a council area: its own evidence, else (paler) its county council's. */
  function areaStyle(S, code) {
    var V = S.vocab,
      own = S.areas[code],
      county = S.areas[S.countyOf[code]];
    if (own) {
      return { colour: V.areaStatuses[own[0]].colour, opacity: 0.75, state: own, via: "" };
    }
    if (county) {
      return { colour: V.areaStatuses[county[0]].colour, opacity: 0.4, state: county, via: S.countyOf[code] };
    }
    var unknown = unknownStatus(V);
    return { colour: unknown.colour, opacity: hexLayout ? 0.9 : 0.25, state: null, via: "" };
  }
  function areaTooltip(S, code, name, countyName) {
    var V = S.vocab,
      style = areaStyle(S, code);
    var lines = [clickKey("area", code) + esc(name)];
    if (style.state) {
      var said = esc(V.areaStatuses[style.state[0]].label);
      lines.push(style.via ? esc(countyName || "County council") + ": " + said : said);
      style.state[1].slice(0, 3).forEach(function (note) {
        lines.push(esc(note));
      });
    } else {
      lines.push(esc(unknownStatus(V).label));
    }
    return lines.join("<br>");
  }

  /* Council areas and regions from one topology fetched from the app itself: the districts are
     decoded with topojson-client; the regions' lines (the edges where the region changes, and the
     coast: the UK's outline) are meshed from the districts' own arcs. With no tiles, the land is
     the districts' own fill, their colour already mixed with the land's (LAND). */
  function boundaryLayers(topology) {
    var districts = topology.objects.districts;
    var counties = {};
    topology.objects.counties.geometries.forEach(function (g) {
      counties[g.properties.code] = g.properties.name;
    });
    return {
      districts: topojson.feature(topology, districts),
      counties: counties,
      regions: topojson.mesh(topology, districts, function (a, b) {
        return a === b || a.properties.region !== b.properties.region;
      })
    };
  }
  var LAND = C.land;
  function mixed(colour, opacity) {
    // The colour of ``colour`` at ``opacity`` over the land (colours as #rrggbb), as an opaque colour.
    var rgb = [1, 3, 5].map(function (at) {
      var over = parseInt(colour.slice(at, at + 2), 16),
        under = parseInt(LAND.slice(at, at + 2), 16);
      return Math.round(over * opacity + under * (1 - opacity));
    });
    return (
      "#" +
      rgb
        .map(function (v) {
          return (v < 16 ? "0" : "") + v.toString(16);
        })
        .join("")
    );
  }
  function drawBoundaries(S, loaded) {
    var districts = loaded.districts,
      countyNames = loaded.counties || {},
      regions = loaded.regions;
    var stack = [];
    var onLand = cfg.outlineBasemap && !hexLayout;
    var councils = L.geoJSON(districts, {
      renderer: renderer,
      style: function (feature) {
        var style = areaStyle(S, feature.properties.code);
        var land = onLand && /^#[0-9a-fA-F]{6}$/.test(style.colour);
        return {
          color: hexLayout ? C.paper : C["district-edge"],
          weight: hexLayout ? 1.2 : 0.6,
          // GSS codes are letters and digits only, so they can sit in a class name.
          className: "hikmap-district hikmap-area-" + String(feature.properties.code).replace(/[^A-Za-z0-9]/g, ""),
          fillColor: land ? mixed(style.colour, style.opacity) : style.colour,
          fillOpacity: land ? 1 : style.opacity
        };
      },
      onEachFeature: function (feature, layer) {
        var code = feature.properties.code;
        layer.bindTooltip(areaTooltip(S, code, feature.properties.name, countyNames[S.countyOf[code]]), {
          sticky: true
        });
        var here = areaSitesOf[code];
        if (here && hexPopup) {
          layer.bindPopup(function (source) {
            return hexPopup(here, source);
          }, popupOptions());
        }
      }
    });
    councilsLayer.addLayer(councils);
    stack.push(councils);
    rovingAreas(S, councils, countyNames);
    var regionLines = regions
      ? L.geoJSON(regions, {
          renderer: renderer,
          interactive: false,
          style: { color: C["region-edge"], weight: 1.3, fill: false, className: "hikmap-region" }
        })
      : null;
    if (regionLines) {
      stack.push(regionLines);
    }
    stack.forEach(function (layer) {
      if (layer !== councils) {
        layer.addTo(map);
      }
    });
    // Drawn after the sites, so send them under the markers: top of the stack first.
    stack
      .slice()
      .reverse()
      .forEach(function (group) {
        group.eachLayer(function (layer) {
          layer.bringToBack();
        });
      });
    var overlays = { "Council areas": councilsLayer };
    if (regionLines) {
      overlays["Regions and nations"] = regionLines;
    }
    L.control.layers(null, overlays, { collapsed: true, position: "topright" }).addTo(map);
    container.dataset.hikmapDistricts = String(councils.getLayers().length);
    if (hexLayout) {
      map.fitBounds(councils.getBounds(), { padding: [8, 8] });
    }
  }

  /* The council areas as one Tab stop (a roving tabindex), in order of name. */
  function rovingAreas(S, councils, countyNames) {
    var V = S.vocab;
    var collator = new Intl.Collator("en-GB");
    var areas = councils
      .getLayers()
      .slice()
      .sort(function (a, b) {
        return collator.compare(a.feature.properties.name, b.feature.properties.name);
      });
    var typed = "",
      typedAt = 0;
    function nodeOf(layer) {
      return layer._path;
    }
    function moveTo(index) {
      var target = areas[(index + areas.length) % areas.length];
      areas.forEach(function (layer) {
        var n = nodeOf(layer);
        if (n) {
          n.setAttribute("tabindex", layer === target ? "0" : "-1");
        }
      });
      var node = nodeOf(target);
      if (node) {
        node.focus({ preventScroll: true });
      }
      var bounds = target.getBounds();
      if (!map.getBounds().contains(bounds)) {
        map.panInside ? map.panInside(bounds.getCenter()) : map.panTo(bounds.getCenter());
      }
    }
    function onKey(event, layer) {
      var at = areas.indexOf(layer);
      if (event.key === "ArrowDown" || event.key === "ArrowRight") {
        event.preventDefault();
        moveTo(at + 1);
      } else if (event.key === "ArrowUp" || event.key === "ArrowLeft") {
        event.preventDefault();
        moveTo(at - 1);
      } else if (event.key === "Home") {
        event.preventDefault();
        moveTo(0);
      } else if (event.key === "End") {
        event.preventDefault();
        moveTo(areas.length - 1);
      } else if (event.key.length === 1 && /\S/.test(event.key) && !event.ctrlKey && !event.metaKey && !event.altKey) {
        // Type-ahead: the next council whose name starts with what was typed (within a second).
        var now = Date.now();
        typed = (now - typedAt < 1000 ? typed : "") + event.key.toLowerCase();
        typedAt = now;
        for (var step = typed.length === 1 ? 1 : 0; step <= areas.length; step++) {
          var candidate = (at + step) % areas.length;
          if (areas[candidate].feature.properties.name.toLowerCase().indexOf(typed) === 0) {
            moveTo(candidate);
            break;
          }
        }
      }
    }
    areas.forEach(function (layer, i) {
      var props = layer.feature.properties,
        style = areaStyle(S, props.code);
      var said = style.state ? V.areaStatuses[style.state[0]].label : V.areaStatuses[V.areaStatuses.length - 1].label;
      if (style.via) {
        said = (countyNames[style.via] || "County council") + ": " + said;
      }
      asButton(layer, props.name + ": " + said + ". Council areas: arrow keys move, type a name to jump.", onKey);
      var node = nodeOf(layer);
      if (node) {
        node.setAttribute("tabindex", i === 0 ? "0" : "-1");
      }
    });
  }

  var hexCentres = {};
  var areaSitesOf = {}; // hex map: council code -> the sites that stand for its area
  var hexPopup = null;
  var withBoundaries = Boolean(hexLayout ? cfg.boundaries.hex : cfg.boundaries.topology);
  if (!withBoundaries) {
    container.dataset.hikmapBoundaries = "none";
  }
  var boundaryFiles = !withBoundaries
    ? Promise.resolve(null)
    : hexLayout
      ? getJson(cfg.boundaries.hex).then(function (hexes) {
          return { districts: hexes };
        })
      : getJson(cfg.boundaries.topology).then(boundaryLayers);
  Promise.all([
    getJson(cfg.data),
    boundaryFiles.catch(function (error) {
      container.dataset.hikmapBoundaryError = String(error);
      console.warn("hikmap: boundaries not drawn:", error);
      return null;
    })
  ])
    .then(function (loaded) {
      var S = loaded[0],
        boundaries = loaded[1];
      if (hexLayout && boundaries) {
        boundaries.districts.features.forEach(function (f) {
          hexCentres[f.properties.code] = [f.properties.y, f.properties.x];
        });
      }
      drawSites(S);
      drawLegend(S, Boolean(boundaries));
      if (boundaries) {
        drawBoundaries(S, boundaries);
      }
      fitLegend(); // the layer control is on the map now
      // The renderers paint the sites and the council areas on the next animation frame; mark the
      // frame after that.
      L.Util.requestAnimFrame(function () {
        container.dataset.hikmapPainted = "1";
      });
    })
    .catch(function (error) {
      container.dataset.hikmapDataError = String(error);
      console.error("hikmap: the map could not be drawn:", error);
    });
}
