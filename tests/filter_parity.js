/* The published copy's filters (geo/outputs/publish/assets/filters.js) on a batch of URLs, for
 * tests/test_filter_parity.py: reads {"index": <filter index>, "queries": [<query string>, ...]}
 * as JSON on stdin, writes one result per query as JSON on stdout.
 */
"use strict";
const path = require("path");
const filters = require(path.join(__dirname, "..", "geo", "outputs", "publish", "assets", "filters.js"));

let input = "";
process.stdin.setEncoding("utf8");
process.stdin.on("data", chunk => (input += chunk));
process.stdin.on("end", () => {
  const { index, queries } = JSON.parse(input);
  const spec = index.spec;
  const results = queries.map(query => {
    const f = filters.read(spec, query, index.allowed);
    const chosen = filters.select(spec, index, f);
    const values = {};
    spec.params.forEach(p => (values[p.field] = f[p.field]));
    return {
      filters: values,
      messages: f.messages,
      sites: chosen.sites,
      claims: chosen.claims,
      frame: filters.frame(spec, index, f, chosen),
      query: filters.toQuery(spec, f)
    };
  });
  process.stdout.write(JSON.stringify(results));
});
