// The step explainer in the browser (chart.js EXPLAIN, explainRows, updateOf) on the twin's runs, for
// tests/ui/test_live.py: node tests/js/run_explain.mjs cases.json out.json
// cases.json: {"cases": [{"spec": <twin spec>, "steps": [t, ...]}]}; out.json: {"results": [{t: {"labels": [...],
// "values": [[x, y], ...], "direction": [x, y] or null}}]}.
import { readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";

import { EXPLAIN, explainRows, updateOf } from "../../ui/views/components/chart/chart.js";

const require = createRequire(import.meta.url);
const twin = require("../../static/optlab/twin.js");
const [input, output] = process.argv.slice(2);
const { cases } = JSON.parse(readFileSync(input, "utf8"));
const results = cases.map(({ spec, steps }) => {
  const model = twin.prepare(spec);
  const out = model.run(0);
  const hyper = { ...spec.runs[0].hyper };
  const result = {};
  for (const t of steps) {
    const c = updateOf(out, t, hyper, spec.lr_factors);
    const rows = explainRows(spec.optimizer.name, c);
    const direction = EXPLAIN[spec.optimizer.name].direction;
    result[t] = { labels: rows.map(([label]) => label), values: rows.map(([, v]) => v),
                  direction: direction ? direction(c) : null };
  }
  return result;
});
writeFileSync(output, JSON.stringify({ results }, (k, v) => (typeof v === "number" && !Number.isFinite(v) ? null : v)));
