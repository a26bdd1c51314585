// Runs the browser twin (static/optlab/twin.js) on a batch of twin specs, for tests/engine/test_twin.py.
//
//   node tests/js/run_twin.js cases.json results.json [twin.js]
//
// cases.json: {"cases": [{"spec": <twin spec>, "overrides": {...}, "full": bool}, ...]} (overrides and full
// optional). results.json: {"results": [[<one object per run>] or {"error": message}, ...]}. Each run:
// stopped_at, and for each recorded array (params, loss, grads, eff_lr, delta, state.<name>) the SHA-256 of
// its little-endian float64 bytes, and with "full" the bytes themselves in base64. Hashes keep a table of
// thousands of runs to a small file; an array whose hash differs is then asked for in full.
"use strict";
const crypto = require("crypto");
const fs = require("fs");
const path = require("path");

const [input, output, twinFile] = process.argv.slice(2);
const twin = require(path.resolve(twinFile || path.join(__dirname, "..", "..", "static", "optlab", "twin.js")));
const bigEndian = new Uint8Array(new Float64Array([1]).buffer)[7] !== 0x3f;

function bytes(array) {
  const b = Buffer.from(array.buffer, array.byteOffset, array.byteLength);
  return bigEndian ? Buffer.from(b).swap64() : b;
}

const {cases} = JSON.parse(fs.readFileSync(input, "utf8"));
const results = cases.map(({spec, overrides, full}) => {
  try {
    const model = twin.prepare(spec);
    const runs = [];
    for (let i = 0; i < model.runs; i++) {
      const out = model.run(i, overrides || {});
      const arrays = {params: out.params, loss: out.loss, grads: out.grads, eff_lr: out.eff_lr, delta: out.delta};
      for (const [name, values] of Object.entries(out.state)) arrays["state." + name] = values;
      const run = {stopped_at: out.stopped_at, sha256: {}, data: full ? {} : null};
      for (const [name, values] of Object.entries(arrays)) {
        const b = bytes(values);
        run.sha256[name] = crypto.createHash("sha256").update(b).digest("hex");
        if (full) run.data[name] = b.toString("base64");
      }
      runs.push(run);
    }
    return runs;
  } catch (err) {
    return {error: String((err && err.message) || err)};
  }
});
fs.writeFileSync(output, JSON.stringify({results}));
