// Every chart of Optimiser Lab: a Vega-Lite spec embedded with the Vega libraries shipped beside
// this file, fitted to its frame (and, for the page's first chart, to the screen), optionally
// with step-through controls that drive the chart's "step" param: play, pause, step, speed.
// A frame of playback only sets that signal: the chart is neither re-embedded (no flicker) nor
// re-scaled (zoom and pan are kept), and nothing goes back to the server.
// Talks to Streamlit with the components v1 message protocol (no build step needed).
(function () {
  "use strict";
  const send = (type, data) => window.parent.postMessage(Object.assign({ isStreamlitMessage: true, type }, data), "*");
  const $ = (id) => document.getElementById(id);
  const NARROW = 640;  // px: side-by-side views are stacked below this width (a phone)
  const GROW = 2.2;  // the most a chart is enlarged to fill a big screen
  let view = null, specText = null, args = null, steps = 0, step = 0, playing = false, last = 0, carry = 0;
  let stepsPerSecond = 100, fittedFor = null, explain = null;

  // The frame's height follows what was drawn. ``data-fitted`` is set once a drawing is fitted and
  // its height sent (empty while one is under way): the browser tests wait for it, not for a time.
  function setHeight() {
    const height = Math.ceil(document.body.scrollHeight) + 4;
    send("streamlit:setFrameHeight", { height });
    document.body.dataset.fitted = String(height);
  }

  // -- playback --------------------------------------------------------------------------------

  function show(s) {
    step = Math.max(0, Math.min(steps, Math.round(s)));
    $("scrub").value = String(step);
    $("label").textContent = "step " + step + " / " + steps;
    document.body.dataset.step = String(step);
    if (view) view.signal("step", step).runAsync();
    if (explain) fillPanel(step);
  }

  // -- the step explainer's panel: the update rule's numbers at the player's step ---------------

  const fmt = (v) => (v === null || v === undefined) ? "—"
    : (v === 0 ? "0" : (Math.abs(v) >= 1e-3 && Math.abs(v) < 1e5 ? Number(v.toPrecision(4)).toString() : v.toExponential(3)));

  function buildPanel(data) {
    const el = $("panel");
    explain = data && data.steps && data.steps.length ? data : null;
    el.hidden = !explain;
    document.body.dataset.explain = explain ? explain.optimizer : "";
    if (!explain) { el.innerHTML = ""; return; }
    const head = explain.coords.map((c) => "<th scope='col'>" + c + "</th>").join("");
    const body = explain.labels.map((label, r) => "<tr><th scope='row'>" + label + "</th>" +
      explain.coords.map((c, j) => "<td data-row='" + r + "' data-coord='" + j + "'></td>").join("") + "</tr>").join("");
    el.innerHTML = "<h3 id='ptitle'></h3><table><thead><tr><th scope='col'></th>" + head +
      "</tr></thead><tbody>" + body + "</tbody></table><div class='note' id='pnote'></div>" + arrowLegend(explain.arrows);
  }

  // The arrows' legend: a dash sample and its text (what the arrow is, and its scale) per kind.
  function arrowLegend(kinds) {
    if (!kinds || !kinds.length) return "";
    const items = kinds.map((k) => "<li><svg width='34' height='10' aria-hidden='true'><line x1='1' y1='5' x2='33' " +
      "y2='5' stroke='currentColor' stroke-width='3' stroke-dasharray='" + (k.dash || []).join(",") + "'/></svg> " +
      k.label + "</li>").join("");
    return "<div class='arrows'><b>Arrows on the map</b>, from θ at t − 1, each kind at its own scale:" +
      "<ul>" + items + "</ul></div>";
  }

  function fillPanel(s) {
    const steps = explain.steps;
    let lo = 0, hi = steps.length - 1, k = -1;  // the last drawn step up to s
    while (lo <= hi) { const mid = (lo + hi) >> 1; if (steps[mid] <= s) { k = mid; lo = mid + 1; } else hi = mid - 1; }
    const t = k >= 0 ? steps[k] : 0;
    $("ptitle").textContent = explain.title + (k >= 0 ? ": the update at step " + t : ": the start (step 0)");
    document.getElementById("panel").dataset.step = String(t);
    for (const td of $("panel").querySelectorAll("td")) {
      const v = k >= 0 ? explain.values[k][Number(td.dataset.row)][Number(td.dataset.coord)] : null;
      td.textContent = k >= 0 ? fmt(v) : "";
      td.dataset.value = v === null || v === undefined ? "" : String(v);
    }
    $("pnote").textContent = k < 0 ? "Step forward (→) to see the first update filled in." : (explain.note || "");
  }

  // -- click to start: a click on the map's shading sends that cell's centre ------------------

  function onClick(event, item) {
    const d = item && item.datum;
    if (!args.pick || !d || typeof d.cx !== "number" || typeof d.cy !== "number") return;  // not the map's box
    const round = (v) => Math.round(v * 1000) / 1000;
    const start = [round(d.cx), round(d.cy)];
    document.body.dataset.picked = start.join(",");
    send("streamlit:setComponentValue", { value: { start, nonce: Date.now() + Math.random() }, dataType: "json" });
  }

  function setPlaying(on) {
    playing = on && steps > 0;
    if (playing && step >= steps) show(0);
    $("play").classList.toggle("playing", playing);
    $("play").setAttribute("aria-label", playing ? "Pause" : "Play");
    $("play").title = playing ? "Pause (space)" : "Play (space)";
    document.body.dataset.playing = playing ? "1" : "0";
    last = performance.now(); carry = 0;
    if (playing) requestAnimationFrame(tick);
  }

  function tick(now) {
    if (!playing) return;
    carry += (now - last) / 1000 * stepsPerSecond;
    last = now;
    const advance = Math.floor(carry);
    if (advance >= 1) { carry -= advance; show(step + advance); }
    if (step >= steps) { setPlaying(false); return; }
    requestAnimationFrame(tick);
  }

  function speeds(total) {
    // the whole run in about 40, 20, 10, 5 or 2 seconds
    return [40, 20, 10, 5, 2].map((sec) => Math.max(1, Math.round(total / sec)));
  }

  // -- the spec --------------------------------------------------------------------------------

  // Datasets come by columns ({"columns": {name: [values]}}, smaller and faster to make on the
  // server); Vega-Lite wants rows.
  function withRows(spec) {
    const ds = spec.datasets || {};
    for (const name of Object.keys(ds)) {
      const cols = ds[name] && ds[name].columns;
      if (!cols) continue;
      const keys = Object.keys(cols);
      const n = keys.length ? cols[keys[0]].length : 0;
      const out = new Array(n);
      for (let i = 0; i < n; i++) {
        const row = {};
        for (const k of keys) row[k] = cols[k][i];
        out[i] = row;
      }
      ds[name] = out;
    }
    return spec;
  }

  function views(spec) { return spec.hconcat || spec.vconcat || [spec]; }

  // The room for the chart: the frame's width, and (fit "screen": the page's first chart) the
  // screen's height below the frame's top, less the controls.
  function room() {
    // beside the panel, the ⋯ menu's column (vega-embed pads the chart by about 38 px for it) counts too
    const under = document.body.classList.contains("narrow") || document.body.classList.contains("panel-below");
    const panel = explain && !under ? $("panel").getBoundingClientRect().width + 14 + 44 : 0;
    const width = Math.max(document.body.clientWidth - 4 - panel, 120);
    let screen = window.innerHeight, top = 0;
    try {
      screen = window.parent.innerHeight || screen;
      const frame = window.frameElement;
      if (frame) top = Math.max(frame.getBoundingClientRect().top, 0);
    } catch (e) { /* another origin: the frame's own height */ }
    const bar = (steps > 0 ? $("bar").getBoundingClientRect().height : 0)
      + (explain && under ? $("panel").getBoundingClientRect().height + 12 : 0);  // a panel below: both on the screen
    // "screen": what is left of the first screen below the frame's top; a chart of the first screen
    // stacked below another (a phone) starts low on it, and gets a screen of its own instead
    const below = args.fit === "screen" && top < screen / 2 ? screen - top : screen;
    const height = Math.max(below - bar - 16, 220);
    return { width, height: args.fit === "screen" ? height : Math.min(height, args.max_height || height) };
  }

  // Side-by-side views stack on a narrow screen (the loss beside a map goes below it).
  function arranged(spec, width) {
    if (spec.hconcat && width < NARROW) {
      spec.vconcat = spec.hconcat;
      delete spec.hconcat;
    }
    return spec;
  }

  // Sizes to draw at, so that what is drawn (axes, legends and titles included) fills the room
  // without going past it. A view with a width of its own (a map: equal scales) is scaled by one
  // factor in both directions; a view as wide as its frame ("container") takes the width, and on
  // the page's first chart (fit "screen") the height. ``drawn`` is what the last embedding drew at
  // ``sizes``: the difference is what does not scale.
  function scaled(spec, sizes, drawn, box) {
    const across = !!spec.hconcat, down = !!spec.vconcat;
    const sumW = across ? sizes.reduce((a, s) => a + s.w, 0) : Math.max(...sizes.map((s) => s.w));
    const sumH = down ? sizes.reduce((a, s) => a + s.h, 0) : Math.max(...sizes.map((s) => s.h));
    const fw = (box.width - (drawn.width - sumW)) / Math.max(sumW, 1);
    const fh = (box.height - (drawn.height - sumH)) / Math.max(sumH, 1);
    const locked = Math.max(0.2, Math.min(fw, fh, GROW));
    const out = sizes.map((s) => s.locked
      ? { w: Math.floor(s.w * locked), h: Math.floor(s.h * locked), locked: true }
      : { w: Math.floor(s.w * Math.max(0.2, fw)),
          h: Math.floor(s.h * Math.max(0.2, args.fit === "screen" ? Math.min(fh, GROW) : Math.min(fh, 1))),
          locked: false });
    if (box.width < NARROW) {  // a phone: no chart taller than it is wide
      out.forEach((s) => { if (!s.locked) s.h = Math.min(s.h, Math.max(s.w, 260)); });
    }
    // Views marked to stretch (a loss curve beside a map) take the width the maps leave.
    const stretch = ((spec.usermeta || {}).stretch || []).filter((i) => i < out.length);
    if (across && stretch.length) {
      const spare = box.width - (drawn.width - sumW) - out.reduce((a, s) => a + s.w, 0);
      if (spare > 0) stretch.forEach((i) => { out[i].w += Math.floor(spare / stretch.length); });
    }
    return out;
  }

  function sizesOf(spec, box) {
    const n = views(spec).length;
    return views(spec).map((v) => ({
      w: typeof v.width === "number" ? v.width : Math.max((spec.hconcat ? box.width / n : box.width) - 100, 100),
      h: typeof v.height === "number" ? v.height : 300,
      locked: typeof v.width === "number",
    }));
  }

  // A view's title never widens it, nor is it cut: a title (or subtitle line) too long for the
  // view is set in a smaller type.
  function fitted(lines, width, size) {
    const longest = Math.max(...[].concat(lines).map((t) => String(t).length), 1);
    return Math.max(11, Math.min(size, Math.floor(width / (0.56 * longest))));
  }

  function apply(spec, sizes) {
    const config = spec.config || {}, titles = config.title || {};
    views(spec).forEach((v, i) => {
      v.width = sizes[i].w; v.height = sizes[i].h;
      if (!v.title) return;
      v.title = typeof v.title === "object" && !Array.isArray(v.title) ? v.title : { text: v.title };
      const room = sizes[i].w + 50;  // the title may run over the axis labels at its left
      v.title.fontSize = fitted(v.title.text, room, titles.fontSize || 15);
      if (v.title.subtitle) v.title.subtitleFontSize = fitted(v.title.subtitle, room, titles.subtitleFontSize || 13);
    });
    return spec;
  }

  function drawnBox() {
    const el = $("chart").querySelector("canvas.marks, svg.marks");
    if (!el) return null;
    const r = el.getBoundingClientRect();
    return { width: r.width, height: r.height };
  }

  async function embed(spec) {
    const result = await vegaEmbed("#chart", spec, {
      actions: { export: true, source: false, compiled: false, editor: false },
      renderer: args.renderer || "canvas", theme: args.theme === "dark" ? "dark" : undefined,
    });
    if (view) view.finalize();
    view = result.view;
    window.__vegaView = view;  // for the browser tests: the data the chart holds, by dataset name
    window.__datasets = Object.keys(spec.datasets || {});
    view.addEventListener("click", onClick);
  }

  async function draw() {
    document.body.dataset.fitted = "";
    const box = room();
    fittedFor = box.width + "x" + box.height;
    const base = () => arranged(withRows(JSON.parse(args.spec)), document.body.clientWidth);
    let spec = base();
    let sizes = sizesOf(spec, box);
    await embed(apply(spec, sizes));
    for (let pass = 0; pass < 3; pass++) {  // what does not scale is measured, then the rest fits
      const drawn = drawnBox();
      if (!drawn) break;
      const next = scaled(spec, sizes, drawn, box);
      const change = Math.max(...next.map((s, i) => Math.abs(s.w - sizes[i].w) / Math.max(sizes[i].w, 1)));
      const over = drawn.width > box.width + 1 || drawn.height > box.height + 1;
      if (change < 0.02 && !over) break;
      sizes = next;
      spec = base();
      await embed(apply(spec, sizes));
    }
  }

  // -- rendering -------------------------------------------------------------------------------

  async function render(newArgs) {
    args = newArgs;
    document.body.classList.toggle("dark", args.theme === "dark");
    document.body.style.setProperty("--fs", (args.font_size || 15) + "px");
    $("chart").setAttribute("aria-label", args.description || "chart");
    if (args.spec === specText) { setHeight(); return; }  // same chart: keep the view, zoom and step
    specText = args.spec;
    steps = args.steps || 0;
    document.body.classList.toggle("narrow", document.body.clientWidth < NARROW);
    let across = 1;
    try {
      const parsed = JSON.parse(args.spec);
      across = (parsed.hconcat || [0]).length;
      buildPanel((parsed.usermeta || {}).explain);
    } catch (e) { buildPanel(null); }
    if (explain) {
      fillPanel(steps);  // its width, before the chart is fitted beside it
      // beside the chart if each of its views keeps 300 px, else below it
      const left = document.body.clientWidth - $("panel").getBoundingClientRect().width - 58;
      document.body.classList.toggle("panel-below", left / across < 300);
    }
    $("bar").hidden = steps <= 0;
    if (steps > 0) {
      $("scrub").max = String(steps);
      const sel = $("speed");
      sel.innerHTML = "";
      speeds(steps).forEach((v, i) => {
        const o = document.createElement("option");
        o.value = String(v); o.textContent = v + " steps/s";
        if (i === 2) o.selected = true;
        sel.appendChild(o);
      });
      stepsPerSecond = Number(sel.value);
    }
    // a new chart opens at its last step; a redrawn one (new data, resize) stays where the user was
    const keep = view ? Math.min(step, steps) : steps;
    try {
      await draw();
      $("error").textContent = "";
    } catch (err) {
      $("error").textContent = "The chart could not be drawn: " + err;
    }
    if (steps > 0) show(args.start_at_end === false ? 0 : keep);
    setHeight();
  }

  // Refit when the room changes (a new window size, the sidebar opened or closed); not when only
  // the frame's own height changes, which setFrameHeight does after every drawing.
  let resizeTimer = null;
  function refit() {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(async () => {
      if (!args) return;
      const box = room();
      if (box.width + "x" + box.height === fittedFor) return;
      await draw();
      if (steps > 0) show(step);
      setHeight();
    }, 250);
  }
  window.addEventListener("resize", refit);
  try { window.parent.addEventListener("resize", refit); } catch (e) { /* another origin */ }

  $("play").addEventListener("click", () => setPlaying(!playing));
  $("first").addEventListener("click", () => { setPlaying(false); show(0); });
  $("last").addEventListener("click", () => { setPlaying(false); show(steps); });
  $("back").addEventListener("click", () => { setPlaying(false); show(step - 1); });
  $("fwd").addEventListener("click", () => { setPlaying(false); show(step + 1); });
  $("scrub").addEventListener("input", (e) => { setPlaying(false); show(Number(e.target.value)); });
  $("speed").addEventListener("change", (e) => { stepsPerSecond = Number(e.target.value); });
  document.addEventListener("keydown", (e) => {
    if (steps <= 0 || e.target.tagName === "SELECT") return;
    if (e.key === " ") { e.preventDefault(); setPlaying(!playing); }
    else if (e.key === "ArrowLeft") { setPlaying(false); show(step - 1); }
    else if (e.key === "ArrowRight") { setPlaying(false); show(step + 1); }
    else if (e.key === "Home") { setPlaying(false); show(0); }
    else if (e.key === "End") { setPlaying(false); show(steps); }
  });
  window.addEventListener("message", (event) => {
    if (event.data && event.data.type === "streamlit:render") render(event.data.args);
  });
  send("streamlit:componentReady", { apiVersion: 1 });
})();
