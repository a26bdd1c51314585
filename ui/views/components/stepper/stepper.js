// Step-through for Vega-Lite charts with a "step" param: play, pause, step, speed.
// Everything runs in the browser: a frame only sets the view's "step" signal, so the
// chart is neither re-embedded (no flicker) nor re-scaled (zoom and pan are kept).
// Talks to Streamlit with the components v1 message protocol (no build step needed).
(function () {
  "use strict";
  const send = (type, data) => window.parent.postMessage(Object.assign({ isStreamlitMessage: true, type }, data), "*");
  const $ = (id) => document.getElementById(id);
  let view = null, specText = null, steps = 0, step = 0, playing = false, last = 0, carry = 0;
  let stepsPerSecond = 100;

  function setHeight() { send("streamlit:setFrameHeight", { height: document.body.scrollHeight + 8 }); }

  function show(s) {
    step = Math.max(0, Math.min(steps, Math.round(s)));
    $("scrub").value = String(step);
    $("label").textContent = "step " + step + " / " + steps;
    document.body.dataset.step = String(step);
    if (view) view.signal("step", step).runAsync();
  }

  function setPlaying(on) {
    playing = on && steps > 0;
    if (playing && step >= steps) show(0);
    $("play").textContent = playing ? "⏸ Pause" : "▶ Play";
    $("play").setAttribute("aria-label", playing ? "Pause" : "Play");
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
    // full run in about 40, 20, 10, 5 or 2 seconds
    return [40, 20, 10, 5, 2].map((sec) => Math.max(1, Math.round(total / sec)));
  }

  // Fit side-by-side views into the frame's width (and the window's height): scale every
  // view's width and height by one factor, so maps keep their aspect ratio.
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

  function fit(spec) {
    const views = spec.hconcat || spec.vconcat || [spec];
    const across = !!spec.hconcat;
    const pad = 90;  // axis labels, legend and spacing per view
    let w = 0, h = 0;
    views.forEach((v) => {
      const vw = typeof v.width === "number" ? v.width : 0, vh = typeof v.height === "number" ? v.height : 0;
      w = across ? w + vw + pad : Math.max(w, vw + pad);
      h = across ? Math.max(h, vh) : h + vh + pad;
    });
    let avail = window.innerHeight;
    try { avail = window.parent.innerHeight || avail; } catch (e) { /* another origin */ }
    const factor = Math.min(1, (document.body.clientWidth - 10) / Math.max(w, 1), (avail - 170) / Math.max(h, 1));
    if (factor < 1 && factor > 0.2) {
      views.forEach((v) => {
        if (typeof v.width === "number") v.width = Math.floor(v.width * factor);
        if (typeof v.height === "number") v.height = Math.floor(v.height * factor);
      });
    }
    return spec;
  }

  // Refit when the frame's width changes (a new window size, the sidebar opened or closed); not
  // when only its height changes, which our own setFrameHeight does after every drawing.
  let lastArgs = null, resizeTimer = null, fittedWidth = null;
  window.addEventListener("resize", () => {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(() => {
      if (lastArgs && document.body.clientWidth !== fittedWidth) { specText = null; render(lastArgs); }
    }, 250);
  });

  async function render(args) {
    lastArgs = args;
    document.body.classList.toggle("dark", args.theme === "dark");
    document.body.style.setProperty("--fs", (args.font_size || 15) + "px");
    if (args.spec === specText) { setHeight(); return; }  // same chart: keep the view, zoom and step
    specText = args.spec;
    fittedWidth = document.body.clientWidth;
    const spec = fit(withRows(JSON.parse(args.spec)));
    steps = args.steps;
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
    // a new chart opens at its last step; a redrawn one (new data, resize) stays where the user was
    const keep = view ? Math.min(step, steps) : steps;
    try {
      const result = await vegaEmbed("#chart", spec, {
        actions: { export: true, source: false, compiled: false, editor: false },
        renderer: args.renderer || "canvas", theme: args.theme === "dark" ? "dark" : undefined,
      });
      if (view) view.finalize();
      view = result.view;
      $("error").textContent = "";
    } catch (err) {
      $("error").textContent = "The chart could not be drawn: " + err;
    }
    show(args.start_at_end === false ? 0 : keep);
    setHeight();
  }

  $("play").addEventListener("click", () => setPlaying(!playing));
  $("first").addEventListener("click", () => { setPlaying(false); show(0); });
  $("last").addEventListener("click", () => { setPlaying(false); show(steps); });
  $("back").addEventListener("click", () => { setPlaying(false); show(step - 1); });
  $("fwd").addEventListener("click", () => { setPlaying(false); show(step + 1); });
  $("scrub").addEventListener("input", (e) => { setPlaying(false); show(Number(e.target.value)); });
  $("speed").addEventListener("change", (e) => { stepsPerSecond = Number(e.target.value); });
  document.addEventListener("keydown", (e) => {
    if (e.target.tagName === "SELECT") return;
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
