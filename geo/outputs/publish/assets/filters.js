/* The published copy's filters: geo/filters.py's rules, following the specification it hands over.
 *
 * Every parameter, label, limit, date pattern, text column and message comes from the `spec`
 * argument (geo.filters.filter_spec, shipped in the filter index JSON); nothing here repeats one.
 * Pure functions, no DOM: publish.js uses them in the browser, and tests/test_filter_parity.py runs
 * them under Node against the app's own Filters.from_params, apply_filters and view_frame.
 */
(function (root, factory) {
  "use strict";
  var api = factory();
  if (typeof module === "object" && module.exports) {
    module.exports = api;
  } else {
    root.hikmapFilters = api;
  }
})(typeof self !== "undefined" ? self : this, function () {
  "use strict";

  /* Trim the spec's whitespace (Python's str.isspace characters, all in the BMP) from both ends. */
  function strip(spec, text) {
    var start = 0,
      end = text.length;
    while (start < end && spec.whitespace.indexOf(text.charAt(start)) >= 0) {
      start++;
    }
    while (end > start && spec.whitespace.indexOf(text.charAt(end - 1)) >= 0) {
      end--;
    }
    return text.slice(start, end);
  }
  /* The first `limit` characters, counted in code points as Python counts them. */
  function cut(text, limit) {
    var chars = Array.from(text);
    return chars.length > limit ? chars.slice(0, limit).join("") : text;
  }
  function fullMatch(pattern, text) {
    return new RegExp("^(?:" + pattern + ")$").exec(text);
  }
  function daysInMonth(year, month) {
    var leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
    return [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1];
  }
  /* `text` if it is a real calendar date in the spec's one form (YYYY-MM-DD, year 0001 on), else "". */
  function calendarDate(spec, text) {
    var match = fullMatch(spec.datePattern, text);
    if (!match) {
      return "";
    }
    var year = +match[1],
      month = +match[2],
      day = +match[3];
    if (year < 1 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) {
      return "";
    }
    return text;
  }
  function message(spec, kind, fields) {
    return spec.messages[kind].replace(/\{(\w+)\}/g, function (_, name) {
      return String(fields[name]);
    });
  }
  function fold(text) {
    return text.toUpperCase();
  }
  function paramOfKind(spec, kind) {
    return spec.params.filter(function (p) {
      return p.kind === kind;
    })[0];
  }

  /* Filters.from_params: every value of a list parameter (comma lists too), the last of any other. */
  function read(spec, search, allowed) {
    var params = new URLSearchParams(search),
      f = { messages: [] };
    spec.params.forEach(function (p) {
      var given = params.getAll(p.key);
      if (p.kind === "choice") {
        var seen = new Set();
        given.forEach(function (value) {
          value.split(",").forEach(function (v) {
            v = strip(spec, v);
            if (v) {
              seen.add(v);
            }
          });
        });
        var items = Array.from(seen);
        if (items.length > spec.maxValues) {
          f.messages.push(
            message(spec, "too_many", { key: p.key, count: items.length - spec.maxValues, max: spec.maxValues })
          );
          items = items.slice(0, spec.maxValues);
        }
        if (allowed && allowed[p.field]) {
          var valid = new Set(allowed[p.field]);
          var unknown = items.filter(function (v) {
            return !valid.has(v);
          });
          if (unknown.length) {
            f.messages.push(message(spec, "unknown", { key: p.key, values: unknown.join(", ") }));
          }
          items = items.filter(function (v) {
            return valid.has(v);
          });
        }
        f[p.field] = items;
        return;
      }
      var raw = given.length ? strip(spec, given[given.length - 1]) : "";
      f[p.field] = p.kind === "distance" ? spec.defaultRadiusKm : "";
      if (!raw) {
        return;
      }
      if (p.kind === "date") {
        if (calendarDate(spec, raw)) {
          f[p.field] = raw;
        } else {
          f.messages.push(message(spec, "date", { key: p.key, value: raw }));
        }
      } else if (p.kind === "distance") {
        var km = fullMatch(spec.distancePattern, raw) ? Number(raw) : NaN;
        if (km > 0 && km <= spec.maxRadiusKm) {
          f[p.field] = km;
        } else {
          f.messages.push(message(spec, "distance", { key: p.key, value: raw }));
        }
      } else {
        f[p.field] = cut(raw, p.maxLength);
      }
    });
    return f;
  }

  /* Filters.selects: whether a filter the published copy applies is set (all but "near a postcode"). */
  function selects(spec, f) {
    return spec.params.some(function (p) {
      return p.published && f[p.field] && (p.kind === "choice" ? f[p.field].length > 0 : f[p.field] !== "");
    });
  }

  /* The app's URL form of the filters the published copy applies: one parameter each, lists joined by commas. */
  function toQuery(spec, f) {
    var parts = [];
    spec.params.forEach(function (p) {
      var value = f[p.field];
      if (!p.published || !value || !value.length) {
        return;
      }
      parts.push(p.key + "=" + encodeURIComponent(p.kind === "choice" ? value.join(",") : value));
    });
    return parts.join("&");
  }

  /* partial_date_range: the first and last day a YYYY, YYYY-MM or YYYY-MM-DD date can mean. */
  function dateRange(value) {
    var bits = value.split("-");
    if (bits.length === 1) {
      return [value + "-01-01", value + "-12-31"];
    }
    if (bits.length === 2) {
      var last = daysInMonth(+bits[0], +bits[1]);
      return [value + "-01", value + "-" + last];
    }
    return [value, value];
  }
  function markSites(claimKeep, claimSite) {
    var has = new Set();
    for (var j = 0; j < claimKeep.length; j++) {
      if (claimKeep[j]) {
        has.add(claimSite[j]);
      }
    }
    return has;
  }

  /* apply_filters: site filters pick sites; claim filters pick claims, and a site stays only if one of
     its claims matches; free text matches a site's text columns or a claim's. Returns positions. */
  function select(spec, index, f) {
    var S = index.sites,
      C = index.claims,
      n = S.lat.length,
      m = C.site.length,
      i,
      j;
    var keep = new Array(n).fill(true),
      claimKeep = new Array(m).fill(true),
      claimFiltered = false;
    spec.params.forEach(function (p) {
      if (p.kind !== "choice" || !p.published || !f[p.field].length) {
        return;
      }
      var wanted = new Set(f[p.field]),
        column = (p.table === "sites" ? S : C)[p.column],
        marks = p.table === "sites" ? keep : claimKeep;
      for (var k = 0; k < marks.length; k++) {
        var value = column[k];
        var hit = p.many
          ? value.some(function (v) {
              return wanted.has(v);
            })
          : wanted.has(value);
        if (!hit) {
          marks[k] = false;
        }
      }
      if (p.table === "claims") {
        claimFiltered = true;
      }
    });
    var bounds = {};
    spec.params.forEach(function (p) {
      if (p.kind === "date") {
        bounds[p.bound] = f[p.field];
      }
    });
    if (bounds.from || bounds.to) {
      claimFiltered = true;
      var low = bounds.from || "0000-01-01",
        high = bounds.to || "9999-12-31",
        reported = C[spec.dateColumn];
      for (j = 0; j < m; j++) {
        var range = reported[j] ? dateRange(reported[j]) : null;
        if (range === null || range[1] < low || range[0] > high) {
          claimKeep[j] = false;
        }
      }
    }
    var text = f[paramOfKind(spec, "text").field];
    if (text) {
      var needle = fold(text),
        siteText = [];
      var matches = function (values) {
        return values.some(function (v) {
          return fold(v).indexOf(needle) >= 0;
        });
      };
      for (i = 0; i < n; i++) {
        siteText.push(matches(S.text[i]));
      }
      for (j = 0; j < m; j++) {
        claimKeep[j] = claimKeep[j] && (matches(C.text[j]) || siteText[C.site[j]]);
      }
      var withText = markSites(claimKeep, C.site);
      for (i = 0; i < n; i++) {
        keep[i] = keep[i] && (siteText[i] || withText.has(i));
      }
    }
    if (claimFiltered) {
      var withClaim = markSites(claimKeep, C.site);
      for (i = 0; i < n; i++) {
        keep[i] = keep[i] && withClaim.has(i);
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

  /* view_frame: the selected sites and the frames of the places named; null for the whole UK. */
  function frame(spec, index, f, chosen) {
    if (!selects(spec, f)) {
      return null;
    }
    var lats = [],
      lons = [];
    chosen.sites.forEach(function (i) {
      if (index.sites.lat[i] !== null && index.sites.lon[i] !== null) {
        lats.push(index.sites.lat[i]);
        lons.push(index.sites.lon[i]);
      }
    });
    spec.params.forEach(function (p) {
      if (!p.place) {
        return;
      }
      f[p.field].forEach(function (name) {
        var box = index.frames[name];
        if (box) {
          lats.push(box[0], box[2]);
          lons.push(box[1], box[3]);
        }
      });
    });
    if (!lats.length) {
      return null;
    }
    var pad = spec.framePad,
      south = lats[0],
      north = lats[0],
      west = lons[0],
      east = lons[0];
    for (var k = 1; k < lats.length; k++) {
      south = Math.min(south, lats[k]);
      north = Math.max(north, lats[k]);
      west = Math.min(west, lons[k]);
      east = Math.max(east, lons[k]);
    }
    return [
      [south - pad, west - pad],
      [north + pad, east + pad]
    ];
  }

  return {
    read: read,
    selects: selects,
    toQuery: toQuery,
    select: select,
    frame: frame,
    message: message,
    strip: strip,
    cut: cut,
    calendarDate: calendarDate
  };
});
