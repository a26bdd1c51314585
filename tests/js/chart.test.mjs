// The chart component's pure functions (ui/views/components/chart/chart.js), under Node's test
// runner: `node --test tests/js/`. tests/ui/test_chart_js.py runs this file in the Python suite.
import assert from "node:assert/strict";
import { test } from "node:test";

import {
  arranged, barType, evictions, fittedFont, fmt, forVega, guessChrome, lastAtOrBefore, mapViews, peekDigest, peekKey,
  readable, roundTo, shrunk,
  rowsOf, scaled, sizeSignals, sizesOf, speeds, viewName, views,
} from "../../ui/views/components/chart/chart.js";

const encoder = new TextEncoder();

test("the digest is read from the payload's first bytes, without parsing the rest", () => {
  const bytes = encoder.encode('{"digest":"0a1b2c","args":{},"spec":' + "x".repeat(100000) + "}");
  assert.equal(peekDigest(bytes), "0a1b2c");
  assert.equal(peekDigest(encoder.encode('{"args":{}}')), null);
});

test("the chart's key is read from the payload's first bytes too", () => {
  const bytes = encoder.encode('{"digest":"0a1b2c","args":{"key":"loss_gap","theme":"light"},"spec":' + "x".repeat(1000) + "}");
  assert.equal(peekKey(bytes), "loss_gap");
  assert.equal(peekKey(encoder.encode('{"digest":"0a1b2c","args":{"theme":"light","key":"k"}}')), null); // not first: unknown
  assert.equal(peekKey(encoder.encode('{"args":{"key":"k"}}')), null);
});

test("the shelf lets the least recently shown charts go, beyond its count or its bytes", () => {
  const e = (...sizes) => sizes.map((b, i) => ["c" + i, b]);
  assert.deepEqual(evictions(e(1, 1, 1), 3, 100), []);
  assert.deepEqual(evictions(e(1, 1, 1, 1), 3, 100), ["c0"]); // one too many: the oldest
  assert.deepEqual(evictions(e(60, 30, 30), 12, 100), ["c0"]); // 120 bytes: the oldest until 60
  assert.deepEqual(evictions(e(10, 95, 10), 12, 100), ["c0", "c1"]);
  assert.deepEqual(evictions(e(500), 12, 100), []); // the newest stays, whatever its size
  assert.deepEqual(evictions([], 12, 100), []);
});

test("a drawing past its room is shrunk by its overflow: shared across, kept in shape when locked", () => {
  assert.deepEqual(shrunk({}, [{ w: 450, h: 199, locked: false }], 6, 0), [{ w: 444, h: 199, locked: false }]);
  assert.deepEqual(shrunk({ hconcat: [{}, {}] }, [{ w: 300, h: 300, locked: true }, { w: 200, h: 300, locked: false }], 20, 0),
    [{ w: 290, h: 290, locked: true }, { w: 190, h: 300, locked: false }]);
  assert.deepEqual(shrunk({ vconcat: [{}, {}] }, [{ w: 300, h: 100, locked: false }, { w: 300, h: 100, locked: false }], 0, 10),
    [{ w: 300, h: 95, locked: false }, { w: 300, h: 95, locked: false }]);
  assert.deepEqual(shrunk({}, [{ w: 41, h: 41, locked: false }], 30, 30), [{ w: 40, h: 40, locked: false }]); // never below 40 px
});

test("columns become rows, and rows stay rows", () => {
  assert.deepEqual(rowsOf({ columns: { x: [1, 2], y: ["a", null] } }), [{ x: 1, y: "a" }, { x: 2, y: null }]);
  assert.deepEqual(rowsOf({ columns: {} }), []);
  const rows = [{ a: 1 }];
  assert.equal(rowsOf(rows), rows);
});

test("each drawing gets its own copy of the spec and its rows", () => {
  const spec = { layer: [{ mark: "line" }], datasets: { d: { columns: { x: [1] } } } };
  const a = forVega(spec), b = forVega(spec);
  assert.deepEqual(a.datasets.d, [{ x: 1 }]);
  a.layer[0].mark = "point";
  a.datasets.d[0].x = 99;
  assert.equal(b.layer[0].mark, "line");
  assert.equal(b.datasets.d[0].x, 1);
  assert.deepEqual(spec.datasets.d, { columns: { x: [1] } }); // the received spec is untouched
});

test("a concatenation's views are named as Vega-Lite names them", () => {
  const spec = { hconcat: [{ layer: [] }, { name: "loss", mark: "line" }] };
  assert.equal(viewName(spec, 0), "concat_0");
  assert.equal(viewName(spec, 1), "loss");
  assert.equal(viewName({ mark: "line" }, 0), null);
  assert.equal(views({ mark: "line" }).length, 1);
});

test("maps are the views with a contour layer", () => {
  const map = { layer: [{ data: { name: "contour-1" }, mark: "image" }, { data: { name: "path-0" }, mark: "line" }] };
  const loss = { data: { name: "path-0" }, mark: "line" };
  assert.deepEqual(mapViews({ hconcat: [map, loss] }), [0]);
  assert.deepEqual(mapViews({ hconcat: [loss, map, map] }), [1, 2]);
  assert.deepEqual(mapViews(loss), []);
});

test("side-by-side views stack on a phone, not on a laptop", () => {
  assert.ok(arranged({ hconcat: [{}, {}] }, 1000).hconcat);
  const phone = arranged({ hconcat: [{}, {}] }, 390);
  assert.ok(phone.vconcat && !phone.hconcat);
});

test("sizes fill the room: a locked map keeps its proportions, a free view takes the width", () => {
  const spec = { hconcat: [{ width: 400, height: 300 }, {}], usermeta: { stretch: [1] } };
  const box = { width: 1000, height: 600 };
  const natural = sizesOf(spec, box);
  assert.deepEqual(natural[0], { w: 400, h: 300, locked: true });
  assert.equal(natural[1].locked, false);
  const chrome = { width: 100, height: 80 };
  const out = scaled(spec, natural, chrome, box, "screen");
  assert.ok(Math.abs(out[0].w / out[0].h - 400 / 300) < 0.01);  // floored to whole pixels
  const used = out[0].w + out[1].w + chrome.width;
  assert.ok(used <= box.width && used >= box.width - 2, `width used ${used}`);
  assert.ok(out[0].h + chrome.height <= box.height);
});

test("a chart fitted to its width never grows taller than asked, the page's first one may", () => {
  const spec = { mark: "line" };
  const box = { width: 800, height: 900 };
  const natural = sizesOf(spec, box);
  const chrome = { width: 60, height: 60 };
  assert.equal(scaled(spec, natural, chrome, box, "width")[0].h, natural[0].h);
  assert.ok(scaled(spec, natural, chrome, box, "screen")[0].h > natural[0].h);
});

test("on a phone a free view is no taller than it is wide", () => {
  const out = scaled({ mark: "line" }, [{ w: 300, h: 900, locked: false }], { width: 50, height: 50 },
    { width: 360, height: 2000 }, "screen");
  assert.ok(out[0].h <= Math.max(out[0].w, 260));
});

test("the guessed chrome grows with the type, the titles and a legend below", () => {
  const plain = guessChrome({ mark: "line" }, 15);
  assert.ok(guessChrome({ mark: "line" }, 24).height > plain.height);
  const titled = guessChrome({ mark: "line", title: { text: "t", subtitle: ["a", "b"] } }, 15);
  assert.ok(titled.height > plain.height);
  const legend = { field: "label", scale: { domain: ["a", "b", "c", "d"] }, legend: { orient: "bottom", columns: 2 } };
  assert.ok(guessChrome({ mark: "line", encoding: { color: legend } }, 15).height > plain.height);
  const two = guessChrome({ hconcat: [{ mark: "line" }, { mark: "line" }] }, 15);
  assert.ok(two.width > plain.width);
});

test("titles too long for their view are set smaller, never below 11 px", () => {
  assert.equal(fittedFont("short", 500, 15), 15);
  assert.ok(fittedFont("a very long title ".repeat(5), 300, 15) < 15);
  assert.equal(fittedFont("x".repeat(500), 100, 15), 11);
});

test("speeds play the whole run in 40 to 2 seconds", () => {
  assert.deepEqual(speeds(2000), [50, 100, 200, 400, 1000]);
  assert.deepEqual(speeds(10), [1, 1, 1, 2, 5]);
});

test("the panel's numbers", () => {
  assert.equal(fmt(null), "—");
  assert.equal(fmt(0), "0");
  assert.equal(fmt(0.0123456), "0.01235");
  assert.equal(fmt(1.5e-7), "1.500e-7");
  assert.equal(lastAtOrBefore([1, 2, 5, 9], 6), 2);
  assert.equal(lastAtOrBefore([1, 2, 5, 9], 0), -1);
  assert.equal(lastAtOrBefore([1, 2, 5, 9], 9), 3);
});

test("a clicked point is rounded to about a thousandth of its axis", () => {
  assert.equal(roundTo(-0.66412, [-1.5, 1.5]), -0.664);
  assert.equal(roundTo(123.456, [0, 1000]), 123);
  assert.equal(roundTo(0.0012345, [0, 0.01]), 0.00123);
});

test("the preview draws the steps the chart draws", async () => {
  const { drawnUpTo } = await import("../../ui/views/components/chart/chart.js");
  assert.deepEqual(drawnUpTo({ drawn: [0, 2, 4, 6, 7] }, 5), [0, 2, 4]);
  assert.deepEqual(drawnUpTo({ drawn: [] }, 3), [0, 1, 2, 3]);
  assert.deepEqual(drawnUpTo({}, 1), [0, 1]);
});

test("an animation's frames run from step 0 to the last at the player's speed", async () => {
  const { exportFrames } = await import("../../ui/views/components/chart/chart.js");
  const plan = exportFrames(2000, 200, 25);  // ten seconds
  assert.equal(plan.steps.length, 251);
  assert.equal(plan.steps[0], 0);
  assert.equal(plan.steps[250], 2000);
  assert.equal(plan.seconds, 10);
  assert.ok(plan.steps.every((s, k) => k === 0 || s >= plan.steps[k - 1]));
  assert.ok(exportFrames(5, 1000, 20).steps.length >= 2);  // at least two frames
});

test("a view's size signals: its own first, then the one Vega-Lite shares between views of one size", () => {
  const across = { hconcat: [{ mark: "line" }, { name: "loss", mark: "line" }] };
  assert.deepEqual(sizeSignals(across, 0, "height"), ["concat_0_height", "height"]);
  assert.deepEqual(sizeSignals(across, 1, "width"), ["loss_width", "childWidth"]);
  const down = { vconcat: [{ mark: "line" }, { mark: "line" }] };
  assert.deepEqual(sizeSignals(down, 1, "height"), ["concat_1_height", "childHeight"]);
  assert.deepEqual(sizeSignals(down, 0, "width"), ["concat_0_width", "width"]);
  assert.deepEqual(sizeSignals({ mark: "line" }, 0, "width"), []);
});

// A projected chart (?present=1) opened on a phone: the Trajectories map's legend at 22 px, in two
// columns, was 406 px wide in a 358 px box, and its axes left the map 41 px.
const projected = () => ({
  config: { axis: { labelFontSize: 22, titleFontSize: 23 }, title: { fontSize: 26, subtitleFontSize: 22 },
    legend: { labelFontSize: 22, symbolSize: 360, symbolStrokeWidth: 4 } },
  datasets: { path: { columns: { x: [1, 2] } } },
  hconcat: [
    { layer: [{ encoding: { color: { field: "label", scale: { domain: ["SGD + Momentum", "RMSProp", "Adam"] },
      legend: { orient: "bottom", columns: 3 } } } }] },
    { encoding: { x: { field: "step" } } },
  ],
});

test("on a phone a projected chart takes the screen's type sizes and a legend's columns fit its width", () => {
  const spec = projected();
  const out = readable(spec, 358);
  assert.equal(out.config.axis.labelFontSize, 13);
  assert.equal(out.config.title.fontSize, 15);
  assert.equal(out.config.legend.symbolSize, Math.round(360 * (13 / 22) ** 2));
  assert.ok(out.config.legend.symbolStrokeWidth < 4 && out.config.legend.symbolStrokeWidth >= 1.5);
  assert.equal(out.hconcat[0].layer[0].encoding.color.legend.columns, 2); // 14 characters at 13 px: two fit 338 px
  assert.equal(out.datasets, spec.datasets); // the data is shared, not copied
  assert.equal(spec.config.axis.labelFontSize, 22); // the spec received is left as it was
  assert.equal(spec.hconcat[0].layer[0].encoding.color.legend.columns, 3);
  assert.equal(readable(projected(), 200).hconcat[0].layer[0].encoding.color.legend.columns, 1);
});

test("a projected chart on a wide screen, and a screen chart anywhere, are drawn as sent", () => {
  const spec = projected();
  assert.equal(readable(spec, 1200), spec);
  const screen = { config: { axis: { labelFontSize: 13 } }, encoding: { color: { legend: { columns: 3 } } } };
  assert.equal(readable(screen, 358), screen);
  assert.equal(readable({ mark: "line" }, 358).mark, "line");
});

test("the player's type shrinks to the screen's on a phone", () => {
  assert.equal(barType(24, 358), 15);
  assert.equal(barType(15, 358), 15);
  assert.equal(barType(24, 1200), 24);
  assert.equal(barType(undefined, 1200), 15);
});
