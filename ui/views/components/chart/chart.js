// Every chart of Optimiser Lab, drawn in the page's own document by one runtime per browser tab.
//
// This ES module is a Streamlit Components v2 component (ui/views/stepper.py mounts it, no
// iframe). The browser evaluates it once per tab (Streamlit imports the same module for every
// mount), and it loads the Vega libraries once, from the app's static files (static/vega/, served
// by Streamlit at app/static/): every chart of every page shares them.
//
// A chart receives its Vega-Lite spec with its data and a few arguments (what it is, how it fits,
// how many steps its player has) as JSON bytes, and draws it:
// * fitted to its frame (the page's first chart to the first screen, growing on a big one;
//   side-by-side views stacked on a phone), with its box reserved before anything is drawn, so
//   that the text below never jumps;
// * updated in place when only its data changed (Vega's data API: the player's step, the zoom and
//   the page's scroll are kept), embedded again only when its structure changed, untouched when
//   nothing changed;
// * with a player when it has steps: play, pause, step, first/last, a scrubber, a speed menu and
//   the keys space, arrows, Home and End; a frame of playback only sets the chart's "step" signal;
// * with the step explainer's panel (the update rule's numbers at the player's step), a text
//   alternative, and the ⋯ menu that saves it as PNG or SVG;
// * and, on a map that allows it, a click that sends the clicked point to the server ("pick").

const STATIC_VEGA = "app/static/vega/";
const LIBRARIES = ["vega.min.js", "vega-lite.min.js", "vega-embed.min.js"];
const NARROW = 640; // px: side-by-side views are stacked below this width (a phone)
const GROW = 2.2; // the most a chart is enlarged to fill a big screen
const REFIT_MS = 250; // a resize is acted on once it has paused this long
const ACTIONS = 38; // px: vega-embed pads a chart on its right for the ⋯ menu (on a phone it overlays the chart)

// -- the Vega runtime: loaded once per tab -----------------------------------------------------

let runtime = null;

function loadScript(src) {
  return new Promise((resolve, reject) => {
    const el = document.createElement("script");
    el.src = src;
    el.async = false;
    el.onload = resolve;
    el.onerror = () => reject(new Error("could not load " + src));
    document.head.appendChild(el);
  });
}

// The Vega libraries, from the app's own server: relative to the page's address, as Streamlit's
// own assets are, so that a base URL path or a host's prefix is followed.
function vegaRuntime() {
  if (!runtime) {
    runtime = (async () => {
      if (window.vega && window.vegaLite && window.vegaEmbed) return;
      for (const file of LIBRARIES) {
        await loadScript(new URL(STATIC_VEGA + file, document.baseURI).href);
      }
    })();
    runtime.catch(() => { runtime = null; }); // a failed load is tried again by the next chart
  }
  return runtime;
}

// The browser twin of the engine (static/optlab/twin.js), loaded when a chart first needs it.
let twinLoad = null;
function twinRuntime() {
  if (!twinLoad) {
    twinLoad = window.OptLabTwin ? Promise.resolve() : loadScript(new URL("app/static/optlab/twin.js", document.baseURI).href);
    twinLoad.catch(() => { twinLoad = null; });
  }
  return twinLoad.then(() => window.OptLabTwin);
}

// -- pure helpers (exported for the tests) ------------------------------------------------------

const decoder = new TextDecoder();

// The payload: {"digest": ..., "args": {...}, "structure": ..., "datasets": {name: digest},
// "spec": {...}}. The digest comes first, so that an unchanged chart is known without parsing.
export function peekDigest(bytes) {
  const head = decoder.decode(bytes.subarray(0, 80));
  const m = /^\{"digest":"([0-9a-f]+)"/.exec(head);
  return m ? m[1] : null;
}

// The chart's key (its ``args.key``, the second member): which chart a payload is for.
export function peekKey(bytes) {
  const head = decoder.decode(bytes.subarray(0, 400));
  const m = /^\{"digest":"[0-9a-f]+","args":\{"key":"([^"\\]*)"/.exec(head);
  return m ? m[1] : null;
}

// Datasets come by columns ({"columns": {name: [values]}}: smaller, and quicker for the server to
// make); Vega wants rows.
export function rowsOf(d) {
  const cols = d && d.columns;
  if (!cols) return d;
  const keys = Object.keys(cols);
  const n = keys.length ? cols[keys[0]].length : 0;
  const out = new Array(n);
  for (let i = 0; i < n; i++) {
    const row = {};
    for (const k of keys) row[k] = cols[k][i];
    out[i] = row;
  }
  return out;
}

// A spec ready for Vega: its own copy of everything, datasets as rows. Vega writes into the rows
// and specs it is given (tuple ids, computed fields), so no two drawings may share them.
export function forVega(spec) {
  const { datasets, ...rest } = spec;
  const out = structuredClone(rest);
  out.datasets = {};
  for (const name of Object.keys(datasets || {})) out.datasets[name] = rowsOf(datasets[name]);
  return out;
}

export function views(spec) {
  return spec.hconcat || spec.vconcat || [spec];
}

// What Vega-Lite names a view of a concatenation in the compiled Vega spec: its own name, else
// "concat_<i>" (its size signals are "<name>_width" and "_height", its scales "<name>_x" and
// "_y", its group mark "<name>_group"); a single view is the spec itself (null).
export function viewName(spec, i) {
  if (!(spec.hconcat || spec.vconcat)) return null;
  return views(spec)[i].name || "concat_" + i;
}

// The signals that may hold view i's width or height, its own first: Vega-Lite gives side-by-side
// views of one height a shared "height" signal, and stacked views of one height "childHeight"
// (widths likewise), instead of one per view.
export function sizeSignals(spec, i, dim) {
  const name = viewName(spec, i);
  if (name === null) return [];
  const child = "child" + dim[0].toUpperCase() + dim.slice(1);
  const across = dim === "height" ? !!spec.hconcat : !!spec.vconcat;
  return [name + "_" + dim, across ? dim : child];
}

// ``v`` to about a thousandth of its axis's span (a click's own precision): -0.6641 on a box
// from -1.5 to 1.5 is sent as -0.664.
export function roundTo(v, domain) {
  const span = Math.abs(domain[domain.length - 1] - domain[0]) || 1;
  const decimals = Math.max(0, Math.min(12, 3 - Math.floor(Math.log10(span))));
  return Number(v.toFixed(decimals));
}

// The views that are maps: those with a layer of contour cells (their data "contour-...").
export function mapViews(spec) {
  const isContour = (l) => !!(l.data && String(l.data.name || "").startsWith("contour"));
  return views(spec).map((v, i) => ((v.layer || [v]).some(isContour) ? i : -1)).filter((i) => i >= 0);
}

// Side-by-side views stack on a narrow screen (the loss beside a map goes below it).
export function arranged(spec, width) {
  if (spec.hconcat && width < NARROW) {
    spec.vconcat = spec.hconcat;
    delete spec.hconcat;
  }
  return spec;
}

// A projected chart (presentation mode's type sizes, for the back of a room) on a phone (``width``:
// the screen's, not the chart's box): its type,
// its legend's symbols and its legend's columns at the screen style's sizes (ui/views/theme.py),
// so that axes and legends leave the plot its room and nothing is drawn past the phone's width.
// A new spec (the datasets shared); the spec itself when nothing changes.
export const PROJECTED = 18; // theme.PROJECTED: a type size from which a style is for projection
const SCREEN_TYPE = 13; // theme.ChartStyle().font_size
export function readable(spec, width) {
  const type = ((spec.config || {}).axis || {}).labelFontSize;
  if (width >= NARROW || !(type >= PROJECTED)) return spec;
  const k = SCREEN_TYPE / type;
  const { datasets, ...rest } = spec;
  const out = structuredClone(rest);
  if (datasets !== undefined) out.datasets = datasets;
  const shrink = (o) => {
    if (!o || typeof o !== "object") return;
    for (const [key, v] of Object.entries(o)) {
      if (typeof v === "number" && /fontSize$/i.test(key)) o[key] = Math.round(v * k);
      else if (typeof v === "number" && key === "symbolSize") o[key] = Math.round(v * k * k);
      else if (typeof v === "number" && key === "symbolStrokeWidth") o[key] = Math.max(1.5, v * k);
      else if (v && typeof v === "object" && !Array.isArray(v)) shrink(v);
    }
  };
  shrink(out.config);
  // a legend's columns: as many as fit the width at the screen's type size (theme.legend_columns)
  const legends = (v) => {
    for (const l of [v, ...(v.layer || [])]) {
      for (const enc of Object.values(l.encoding || {})) {
        const legend = enc && enc.legend;
        if (!legend || typeof legend.columns !== "number") continue;
        const labels = ((enc.scale || {}).domain || []).map(String);
        const longest = Math.max(1, ...labels.map((t) => t.length));
        const per = longest * 0.55 * SCREEN_TYPE + 1.5 * SCREEN_TYPE + 10;
        legend.columns = Math.max(1, Math.min(legend.columns, Math.floor((width - 60) / per))); // the page's margins
      }
      if (l !== v && (l.layer || l.hconcat || l.vconcat)) views(l).forEach(legends);
    }
  };
  views(out).forEach(legends);
  return out;
}

// The type size of the chart's HTML (its player's bar, the explain panel): the projected size
// shrinks to the screen's on a phone, as its drawing does (``readable``).
export function barType(fontSize, width) {
  const size = fontSize || 15;
  return width < NARROW ? Math.min(size, SCREEN_TYPE + 2) : size;
}

// The screen's width, for ``readable`` and ``barType``: a phone's, not a chart's box (a chart in one
// of two columns on a projector is narrower than NARROW and keeps the projector's type).
function phoneWidth() {
  return Math.min(window.innerWidth, document.documentElement.clientWidth || window.innerWidth);
}

// The sizes each view asks for: a view with a width of its own (a map: equal scales) keeps its
// proportions ("locked"); a view as wide as its frame takes a share of the width.
export function sizesOf(spec, box) {
  const n = views(spec).length;
  return views(spec).map((v) => ({
    w: typeof v.width === "number" ? v.width : Math.max((spec.hconcat ? box.width / n : box.width) - 100, 100),
    h: typeof v.height === "number" ? v.height : 300,
    locked: typeof v.width === "number",
  }));
}

// Sizes to draw at, so that what is drawn (axes, legends and titles included) fills the room
// without going past it. ``chrome`` is what does not scale (drawn size less the views' sizes),
// measured on a drawing or remembered from the last one. A locked view is scaled by one factor in
// both directions; the page's first chart (fit "screen") grows to the room's height too.
export function scaled(spec, sizes, chrome, box, fit) {
  const across = !!spec.hconcat, down = !!spec.vconcat;
  const sumW = across ? sizes.reduce((a, s) => a + s.w, 0) : Math.max(...sizes.map((s) => s.w));
  const sumH = down ? sizes.reduce((a, s) => a + s.h, 0) : Math.max(...sizes.map((s) => s.h));
  const fw = (box.width - chrome.width) / Math.max(sumW, 1);
  const fh = (box.height - chrome.height) / Math.max(sumH, 1);
  const locked = Math.max(0.2, Math.min(fw, fh, GROW));
  const out = sizes.map((s) => s.locked
    ? { w: Math.floor(s.w * locked), h: Math.floor(s.h * locked), locked: true }
    : { w: Math.floor(s.w * Math.max(0.2, fw)),
        h: Math.floor(s.h * Math.max(0.2, fit === "screen" ? Math.min(fh, GROW) : Math.min(fh, 1))),
        locked: false });
  if (box.width < NARROW) { // a phone: no chart taller than it is wide
    out.forEach((s) => { if (!s.locked) s.h = Math.min(s.h, Math.max(s.w, 260)); });
  }
  // Views marked to stretch (a loss curve beside a map) take the width the maps leave.
  const stretch = ((spec.usermeta || {}).stretch || []).filter((i) => i < out.length);
  if (across && stretch.length) {
    const spare = box.width - chrome.width - out.reduce((a, s) => a + s.w, 0);
    if (spare > 0) stretch.forEach((i) => { out[i].w += Math.floor(spare / stretch.length); });
  }
  return out;
}

// Sizes less ``dw`` and ``dh`` px of drawing: side by side views share the width taken off (one
// below another, the height), a locked view keeps its shape. For a drawing still past its room
// once fitted: its axes' labels changed width as the views shrank (fewer or other ticks), so the
// room left for the views was measured on a drawing that is no longer there.
export function shrunk(spec, sizes, dw, dh) {
  const across = !!spec.hconcat, down = !!spec.vconcat;
  const n = sizes.length;
  return sizes.map((s) => {
    const w = Math.max(40, s.w - Math.ceil(across ? dw / n : dw));
    const h = Math.max(40, s.h - Math.ceil(down ? dh / n : dh));
    if (!s.locked) return { w, h, locked: false };
    const f = Math.min(w / Math.max(s.w, 1), h / Math.max(s.h, 1));
    return { w: Math.floor(s.w * f), h: Math.floor(s.h * f), locked: true };
  });
}

// What does not scale, guessed before a chart's first drawing (its axes, titles and legends, from
// the type size); later drawings use what the last one measured.
export function guessChrome(spec, fontSize) {
  const across = !!spec.hconcat, down = !!spec.vconcat;
  const one = (v) => {
    const out = { width: 3.7 * fontSize + 10, height: 3.6 * fontSize };  // axis labels and titles
    if (v.title) {
      const t = typeof v.title === "object" && !Array.isArray(v.title) ? v.title : { text: v.title };
      out.height += 1.35 * fontSize * (1 + [].concat(t.subtitle || []).length);
    }
    const color = (v.layer || [v]).map((l) => (l.encoding || {}).color).find((c) => c && c.field && c.legend !== null);
    if (color) {
      const legend = color.legend || {};
      if (legend.orient === "bottom") {
        const labels = color.scale && color.scale.domain ? color.scale.domain.length : 4;
        out.height += 2 * fontSize + Math.ceil(labels / (legend.columns || 1)) * 1.4 * fontSize;
      } else {
        out.width += 9 * fontSize;  // a legend at the right
      }
    }
    return out;
  };
  const parts = views(spec).map(one);
  const sum = (f) => parts.reduce((a, p) => a + f(p), 0), max = (f) => Math.max(...parts.map(f));
  return { width: across ? sum((p) => p.width) + 20 * (parts.length - 1) : max((p) => p.width),
           height: down ? sum((p) => p.height) + 20 * (parts.length - 1) : max((p) => p.height) };
}

// A view's title never widens it, nor is it cut: a title too long for its view is set smaller.
export function fittedFont(lines, width, size) {
  const longest = Math.max(...[].concat(lines).map((t) => String(t).length), 1);
  return Math.max(11, Math.min(size, Math.floor(width / (0.56 * longest))));
}

export function applySizes(spec, sizes) {
  const titles = (spec.config || {}).title || {};
  views(spec).forEach((v, i) => {
    v.width = sizes[i].w;
    v.height = sizes[i].h;
    if (!v.title) return;
    v.title = typeof v.title === "object" && !Array.isArray(v.title) ? v.title : { text: v.title };
    const room = sizes[i].w + 50; // the title may run over the axis labels at its left
    v.title.fontSize = fittedFont(v.title.text, room, titles.fontSize || 15);
    if (v.title.subtitle) v.title.subtitleFontSize = fittedFont(v.title.subtitle, room, titles.subtitleFontSize || 13);
  });
  return spec;
}

// The whole run in about 40, 20, 10, 5 or 2 seconds.
export function speeds(total) {
  return [40, 20, 10, 5, 2].map((sec) => Math.max(1, Math.round(total / sec)));
}

export function fmt(v) {
  if (v === null || v === undefined) return "—";
  if (v === 0) return "0";
  return Math.abs(v) >= 1e-3 && Math.abs(v) < 1e5 ? Number(v.toPrecision(4)).toString() : v.toExponential(3);
}

// The index of the last explained step at or before ``s`` (-1: none).
export function lastAtOrBefore(steps, s) {
  let lo = 0, hi = steps.length - 1, k = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (steps[mid] <= s) { k = mid; lo = mid + 1; } else hi = mid - 1;
  }
  return k;
}

// The frames of an animation: the steps shown, from 0 to the last, at ``fps`` frames a second
// when ``stepsPerSecond`` steps go by each second (at least two frames).
export function exportFrames(total, stepsPerSecond, fps) {
  const seconds = Math.max(total / Math.max(stepsPerSecond, 1), 2 / fps);
  const n = Math.max(2, Math.round(seconds * fps) + 1);
  const steps = Array.from({ length: n }, (_, k) => Math.round((k * total) / (n - 1)));
  return { steps, seconds: (n - 1) / fps };
}

const VENDOR = "app/static/vendor/";

async function gifWriter(w, h, fps) {
  const { GIFEncoder, quantize, applyPalette } = await import(new URL(VENDOR + "gifenc.esm.js", document.baseURI).href);
  const gif = GIFEncoder();
  let palette = null;
  const delay = Math.round(1000 / fps);
  return {
    palette(g) { palette = quantize(g.getImageData(0, 0, w, h).data, 256); },
    async add(g, frame, k) {
      const index = applyPalette(g.getImageData(0, 0, w, h).data, palette);
      gif.writeFrame(index, w, h, { palette: k === 0 ? palette : undefined, delay });
    },
    async finish() {
      gif.finish();
      return new Blob([gif.bytes()], { type: "image/gif" });
    },
  };
}

async function mp4Writer(w, h, fps) {
  if (typeof VideoEncoder === "undefined") {
    throw new Error("this browser makes MP4 videos only on https or on localhost (a classroom server over " +
      "plain http cannot); save a GIF, or open the app as https or on this computer");
  }
  const codec = w * h > 1280 * 720 ? "avc1.640028" : "avc1.42001f";  // High 4.0 for 1080p, else Baseline 3.1
  const config = { codec, width: w, height: h, bitrate: 4e6, framerate: fps, avc: { format: "avc" } };
  if (!(await VideoEncoder.isConfigSupported(config)).supported) {
    throw new Error("this browser has no H.264 encoder for " + w + " × " + h + "; save a GIF");
  }
  if (!window.Mp4Muxer) await loadScript(new URL(VENDOR + "mp4-muxer.js", document.baseURI).href);
  const muxer = new window.Mp4Muxer.Muxer({
    target: new window.Mp4Muxer.ArrayBufferTarget(), video: { codec: "avc", width: w, height: h, frameRate: fps },
    fastStart: "in-memory",
  });
  let failed = null;
  const encoder = new VideoEncoder({ output: (chunk, meta) => muxer.addVideoChunk(chunk, meta),
    error: (e) => { failed = e; } });
  encoder.configure(config);
  return {
    async add(g, frame, k) {
      if (failed) throw failed;
      const video = new VideoFrame(frame, { timestamp: Math.round((k * 1e6) / fps), duration: Math.round(1e6 / fps) });
      encoder.encode(video, { keyFrame: k % (2 * fps) === 0 });
      video.close();
      if (encoder.encodeQueueSize > 8) await new Promise((done) => setTimeout(done, 0));
    },
    async finish() {
      await encoder.flush();
      if (failed) throw failed;
      encoder.close();
      muxer.finalize();
      return new Blob([muxer.target.buffer], { type: "video/mp4" });
    },
  };
}

// -- the DOM of one chart ------------------------------------------------------------------------

const ICONS = {
  first: "M6 5h2v14H6zM20 5v14L9.5 12z",
  back: "M16 5v14L5 12z",
  play: "M7 4.5v15L19.5 12z",
  pause: "M6 4.5h4.5v15H6zM13.5 4.5H18v15h-4.5z",
  fwd: "M8 5v14l11-7z",
  last: "M4 5v14l10.5-7zM16 5h2v14h-2z",
  save: "M12 3v10.2l3.6-3.6 1.4 1.4-6 6-6-6 1.4-1.4 3.6 3.6V3zM5 19h14v2H5z",
};

function icon(path, cls) {
  return "<svg " + (cls ? "class='" + cls + "' " : "") + "viewBox='0 0 24 24' aria-hidden='true'><path d='" +
    path + "'/></svg>";
}

const BAR_HTML =
  "<button type='button' data-act='first' title='First step (Home)' aria-label='First step'>" + icon(ICONS.first) + "</button>" +
  "<button type='button' data-act='back' title='One step back (←)' aria-label='One step back'>" + icon(ICONS.back) + "</button>" +
  "<button type='button' data-act='play' class='ol-play' title='Play (space)' aria-label='Play'>" +
  icon(ICONS.play, "ol-i-play") + icon(ICONS.pause, "ol-i-pause") +
  "<span class='ol-i-play'>Play</span><span class='ol-i-pause'>Pause</span></button>" +
  "<button type='button' data-act='fwd' title='One step forward (→)' aria-label='One step forward'>" + icon(ICONS.fwd) + "</button>" +
  "<button type='button' data-act='last' title='Last step (End)' aria-label='Last step'>" + icon(ICONS.last) + "</button>" +
  "<input class='ol-scrub' type='range' min='0' max='100' step='1' value='100' aria-label='Step'>" +
  "<span class='ol-label' aria-live='polite'></span>" +
  "<select class='ol-speed' aria-label='Playback speed' title='Playback speed'></select>" +
  "<button type='button' data-act='animation' class='ol-save' title='Save the animation as a GIF or an MP4 video' " +
  "aria-label='Video: save the animation' aria-expanded='false'>" + icon(ICONS.save) + "<span>Video</span></button>";

const EXPORT_HTML =
  "<label>Format <select class='ol-x-format'><option value='mp4' title='H.264: PowerPoint, Keynote and Google Slides play it'>MP4 (for slides)" +
  "</option><option value='gif'>GIF</option></select></label>" +
  "<label>Size <select class='ol-x-size'><option value='1280x720'>1280 × 720</option><option value='1920x1080'>" +
  "1920 × 1080</option><option value='drawn'>as drawn</option></select></label>" +
  "<span class='ol-x-speed'></span>" +
  "<button type='button' class='ol-x-make'>Make</button><button type='button' class='ol-x-cancel' hidden>Stop</button>" +
  "<span class='ol-x-status' role='status'></span>";

function escapeHtml(s) {
  return String(s).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
}

// What does not scale (axes, legends, titles) of each chart on each screen, as its last drawing
// measured it: a chart drawn again (a page visited again, the tab reloaded) plans its box exactly
// and fits in one pass. Kept for the tab (sessionStorage, when the browser allows it).
const remembered = {
  get(key) {
    try { return JSON.parse(sessionStorage.getItem("optlab.chrome." + key) || "null"); } catch (e) { return null; }
  },
  set(key, value) {
    try { sessionStorage.setItem("optlab.chrome." + key, JSON.stringify(value)); } catch (e) { /* not kept */ }
  },
};

class Chart {
  constructor(host) {
    this.host = host;
    const root = document.createElement("div");
    root.className = "ol-chart";
    root.dataset.testid = "stVegaLiteChart"; // a chart, to tools that look for Streamlit's own
    root.setAttribute("data-optlab-chart", "");
    root.innerHTML = "<div class='ol-bar' role='toolbar' aria-label='Step-through controls' hidden>" + BAR_HTML +
      "</div><div class='ol-export' role='group' aria-label='Save the animation' hidden>" + EXPORT_HTML + "</div>" +
      "<div class='ol-tune' role='group' aria-label='Tune the runs live' hidden></div>" +
      "<div class='ol-wrap'><div class='ol-view'><div class='ol-livenote' aria-live='polite' hidden></div></div>" +
      "<aside class='ol-panel' aria-label='The update at this step' aria-live='polite' hidden></aside></div>" +
      "<div class='ol-error' role='alert'></div>";
    host.appendChild(root);
    this.root = root;
    this.q = (sel) => root.querySelector(sel);
    this.view = null;
    this.spec = null; // the spec drawn, as received (datasets by columns; Vega is given copies)
    this.digest = null;
    this.structure = null;
    this.datasetDigests = {};
    this.args = {};
    this.steps = 0;
    this.step = 0;
    this.playing = false;
    this.explain = null;
    this.sizes = null;
    this.fittedFor = null;
    this.pending = null; // the newest payload not yet drawn
    this.busy = false;
    this.setTrigger = null;
    this.live = new Live(this);
    this.bindControls();
    this.resizeObserver = new ResizeObserver(() => this.refitSoon());
    this.resizeObserver.observe(host.parentElement || host);
    this.onWindowResize = () => this.refitSoon();
    window.addEventListener("resize", this.onWindowResize);
    root.__chart = this; // for the browser tests: the chart, its view and its data
  }

  // -- receiving ------------------------------------------------------------------------------

  receive(bytes) {
    this.mark("receive");
    const digest = peekDigest(bytes);
    if (digest && digest === this.digest && !this.pending) return; // nothing changed
    this.pending = bytes;
    if (!this.busy) this.drain();
  }

  async drain() {
    this.busy = true;
    try {
      while (this.pending) {
        const bytes = this.pending;
        this.pending = null;
        await this.show(JSON.parse(decoder.decode(bytes)));
      }
    } finally {
      this.busy = false;
    }
  }

  mark(what) {
    (this.timeline = this.timeline || []).push([what, Math.round(performance.now())]);
  }

  async show(payload) {
    this.mark("show");
    const before = this.args;
    this.args = payload.args || {};
    const a = this.args;
    this.root.classList.toggle("ol-dark", a.theme === "dark");
    this.root.style.setProperty("--fs", barType(a.font_size, phoneWidth()) + "px");
    this.root.dataset.key = a.key || "";
    const newSteps = a.steps || 0;
    const explain = ((payload.spec || {}).usermeta || {}).explain;
    this.setupBar(newSteps);
    // a kept chart put back with another structure (its page changed it meanwhile, or another
    // page's chart has its key) opens at its last step, as a new chart does
    if (this.adoptedFrom !== undefined && payload.structure !== this.adoptedFrom) this.step = this.steps;
    this.adoptedFrom = undefined;
    this.buildPanel(explain);
    this.live.arriving(((payload.spec || {}).usermeta || {}).live || null);
    this.phoneScreens = Number(((payload.spec || {}).usermeta || {}).phone_screens) || 1;
    const same = this.view && payload.structure === this.structure && a.fit === before.fit &&
      a.theme === before.theme && a.pick === before.pick;
    this.root.dataset.fitted = "";
    try {
      if (same) {
        await this.update(payload);
      } else {
        this.root.classList.toggle("ol-narrow", this.root.clientWidth < NARROW);
        this.onPhone = phoneWidth() < NARROW; // the type drawn (``readable``) is the phone's
        this.structure = payload.structure; // the sizes remembered for this structure apply
        if (this.explain) this.placePanel(payload.spec);
        const box = this.plan(payload.spec);
        this.reserve(box);
        await vegaRuntime();
        this.mark("runtime");
        await this.embedFitted(payload, box);
      }
      this.q(".ol-error").textContent = "";
      this.digest = payload.digest;
      this.structure = payload.structure;
      this.datasetDigests = payload.datasets || {};
    } catch (err) {
      this.q(".ol-error").textContent = "The chart could not be drawn: " + err.message +
        (String(err.message).includes("could not load") ?
          " (the app serves its chart libraries from static/vega/: start it from the repository root, " +
          "where .streamlit/config.toml turns static serving on)" : "");
      this.digest = this.structure = null; // the next payload is drawn anew
    }
    if (this.steps > 0) this.showStep(this.step);
    this.settled();
    if (this.view && this.fittedFor) {  // moved while it was drawn: fitted again to where it is
      const room = this.room();
      if (room.width + "x" + room.height !== this.fittedFor) this.refitSoon();
    }
    guarded(() => this.live.received(((payload.spec || {}).usermeta || {}).live || null));
  }

  // Only the data changed: the drawn view takes the new rows (the step, the zoom and the page's
  // scroll stay as they are).
  async update(payload) {
    const spec = payload.spec;
    const changed = Object.keys(payload.datasets || {}).filter((n) => payload.datasets[n] !== this.datasetDigests[n]);
    for (const name of changed) {
      this.view.data(name, rowsOf(spec.datasets[name]));
      this.spec.datasets[name] = spec.datasets[name];
    }
    this.root.dataset.updated = String(Number(this.root.dataset.updated || 0) + 1);
    if (changed.length) await this.view.runAsync();
  }

  // -- sizing ---------------------------------------------------------------------------------

  memoryKey() {
    return (this.args.key || "") + "|" + this.args.fit + "|" + this.args.font_size + "|" +
      window.innerWidth + "x" + window.innerHeight + "|" + this.structure;
  }

  // The room for the chart: the frame's width, and (fit "screen": the page's first chart) the
  // screen's height below the frame's top, less the controls.
  room() {
    const under = this.root.classList.contains("ol-narrow") || this.root.classList.contains("ol-panel-below");
    const panel = this.explain && !under ? this.q(".ol-panel").getBoundingClientRect().width + 14 : 0;
    const actions = this.root.classList.contains("ol-narrow") ? 0 : ACTIONS;
    const width = Math.max(this.root.clientWidth - actions - panel, 120);
    const screen = window.innerHeight;
    const scroller = this.root.closest("[data-testid='stMain']");
    const top = Math.max(this.root.getBoundingClientRect().top + (scroller ? scroller.scrollTop : window.scrollY), 0);
    const bar = (this.steps > 0 ? this.q(".ol-bar").getBoundingClientRect().height : 0) +
      this.q(".ol-tune").getBoundingClientRect().height + this.q(".ol-export").getBoundingClientRect().height +
      (this.explain && under ? this.q(".ol-panel").getBoundingClientRect().height + 12 : 0);
    // "screen": what is left of the first screen below the chart's top; a chart of the first
    // screen stacked below another (a phone) starts low on it, and gets a screen of its own
    const below = this.args.fit === "screen" && top < screen / 2 ? screen - top : screen;
    // a chart of many views stacked on a phone may take more than a screen (``usermeta.phone_screens``)
    const screens = this.root.clientWidth < NARROW ? Math.max(this.phoneScreens || 1, 1) : 1;
    const height = Math.max(below - bar - 16, 220) * screens;
    return { width, height, bar };
  }

  // The box the chart is drawn in, decided before anything is drawn: the room's width, and the
  // height its views will take at that width (the room's height at most), with what does not
  // scale (axes, legends, titles) as the last drawing of this chart measured it, else as guessed
  // from the spec. The chart's element takes this height at once and keeps it: the drawing is
  // fitted into it, and nothing below the chart moves when it is drawn.
  plan(spec) {
    const room = this.room();
    const known = remembered.get(this.memoryKey());
    const s = readable(arranged({ ...spec }, this.root.clientWidth), phoneWidth());
    const chrome = known ? known.chrome : guessChrome(s, barType(this.args.font_size, phoneWidth()));
    const sizes = scaled(s, sizesOf(s, room), chrome, room, this.args.fit);
    const sumH = s.vconcat ? sizes.reduce((a, v) => a + v.h, 0) : Math.max(...sizes.map((v) => v.h));
    const height = Math.min(room.height, Math.ceil(sumH + chrome.height) + 2);
    return { width: room.width, height, bar: room.bar, room: room.width + "x" + room.height };
  }

  reserve(box) {
    this.root.style.minHeight = Math.ceil(box.height + box.bar + 4) + "px";
  }

  drawnBox(container) {
    const el = container.querySelector("canvas.marks, svg.marks");
    if (!el) return null;
    const r = el.getBoundingClientRect();
    return { width: r.width, height: r.height };
  }

  // A new structure: embed the spec at sizes fitted to the room. What does not scale (axes,
  // legend, titles) is taken from the last drawing of this chart, else measured on a first
  // drawing; the views are then resized in place (their size signals), or embedded again only
  // where Vega-Lite made a size a constant.
  async embedFitted(payload, box) {
    // the room the box was planned for: if the page has moved the chart since (its libraries
    // loaded meanwhile, and text above it, such as a lesson's note shown with it, was laid
    // out), ``settled`` sees the room changed and fits the drawing to the room it has now
    this.fittedFor = box.room;
    const spec = readable(arranged(payload.spec, this.root.clientWidth), phoneWidth());
    const key = this.memoryKey();
    const known = remembered.get(key);
    // with the chrome this chart's last drawing measured, the first drawing fits its box; else it
    // is drawn at its natural sizes (on a phone, at sizes fitted with the guessed chrome: natural
    // sizes are far wider than a phone), measured, and resized in place (``fit``)
    const natural = sizesOf(spec, box);
    const chrome = known ? known.chrome :
      this.root.clientWidth < NARROW ? guessChrome(spec, barType(this.args.font_size, phoneWidth())) : null;
    let sizes = chrome ? scaled(spec, natural, chrome, box, this.args.fit) : natural;
    const holder = document.createElement("div");
    holder.className = "ol-pending";
    this.q(".ol-view").appendChild(holder);
    const old = this.view;
    let view;
    try {
      view = await this.embedIn(holder, spec, sizes);
      this.mark("embedded");
      ({ view, sizes } = await this.fit(view, spec, sizes, holder, box));
      this.mark("fitted");
    } catch (err) {
      holder.remove();
      throw err;
    }
    // the new drawing replaces the old one in one go
    for (const el of [...this.q(".ol-view").children]) if (el !== holder && !el.classList.contains("ol-livenote")) el.remove();
    holder.classList.replace("ol-pending", "ol-drawn"); // vega-embed's own classes stay
    if (old) old.finalize();
    this.view = view;
    this.spec = spec;
    this.sizes = sizes;
    const drawn = this.drawnBox(holder);
    if (drawn) {
      const chrome = this.chromeOf(spec, sizes, drawn);
      remembered.set(this.memoryKey(), { chrome });
    }
  }

  async embedIn(holder, spec, sizes, previous) {
    const result = await window.vegaEmbed(holder, applySizes(forVega(spec), sizes), {
      actions: { export: true, source: false, compiled: false, editor: false },
      renderer: this.args.renderer || "canvas",
      theme: this.args.theme === "dark" ? "dark" : undefined,
      i18n: { PNG_ACTION: "Save as PNG", SVG_ACTION: "Save as SVG" },
    });
    if (previous) previous.finalize();
    this.root.dataset.embeds = String(Number(this.root.dataset.embeds || 0) + 1);
    this.label(holder);
    result.view.addEventListener("click", (event, item) => this.onClick(event, item));
    return result.view;
  }

  chromeOf(spec, sizes, drawn) {
    const sumW = spec.hconcat ? sizes.reduce((a, s) => a + s.w, 0) : Math.max(...sizes.map((s) => s.w));
    const sumH = spec.vconcat ? sizes.reduce((a, s) => a + s.h, 0) : Math.max(...sizes.map((s) => s.h));
    return { width: drawn.width - sumW, height: drawn.height - sumH };
  }

  // The views take new sizes through their size signals, without compiling the spec again; false
  // where Vega-Lite compiled a size as a constant, or shares one signal between views that are to
  // differ (the spec is then embedded again at the new sizes).
  resizeInPlace(view, spec, sizes) {
    const signals = new Map();
    const has = (name) => { try { view.signal(name); return true; } catch (e) { return false; } };
    for (let i = 0; i < sizes.length; i++) {
      for (const dim of ["width", "height"]) {
        const names = sizeSignals(spec, i, dim);
        if (!names.length) continue;
        const name = names.find(has);
        const value = dim === "width" ? sizes[i].w : sizes[i].h;
        if (name === undefined || (signals.has(name) && signals.get(name) !== value)) return false;
        signals.set(name, value);
      }
    }
    for (const [name, value] of signals) view.signal(name, value);
    if (!(spec.hconcat || spec.vconcat)) view.width(sizes[0].w).height(sizes[0].h);
    view.resize(); // autosize "pad" lays the view out again on this run (it does so only once by itself)
    return true;
  }

  // Measure what was drawn, then resize the views until it fills the room (at most 3 passes, and a
  // fourth only to take off an overflow that is left).
  async fit(view, spec, sizes, holder, box) {
    for (let pass = 0; pass < 4; pass++) {
      const drawn = this.drawnBox(holder);
      if (!drawn) break;
      const next = scaled(spec, sizes, this.chromeOf(spec, sizes, drawn), box, this.args.fit);
      const change = Math.max(...next.map((s, i) => Math.abs(s.w - sizes[i].w) / Math.max(sizes[i].w, 1)),
        ...next.map((s, i) => Math.abs(s.h - sizes[i].h) / Math.max(sizes[i].h, 1)));
      const overW = drawn.width - box.width, overH = drawn.height - box.height;
      const over = overW > 1 || overH > 1;
      if (change < 0.05 && !over) break;  // within 5% of the room and inside it: drawn once
      if (pass === 3 && !over) break;
      // past the room once fitted (the last pass, or no more change to make): the overflow off
      sizes = over && (change < 0.05 || pass >= 2) ? shrunk(spec, sizes, Math.max(overW, 0) + 1, Math.max(overH, 0) + 1) : next;
      if (this.resizeInPlace(view, spec, sizes)) await view.runAsync();
      else view = await this.embedIn(holder, spec, sizes, view);
    }
    return { view, sizes };
  }

  refitSoon() {
    clearTimeout(this.refitTimer);
    this.refitTimer = setTimeout(() => this.refit(), REFIT_MS);
  }

  // The room changed (a new window size, the sidebar opened or closed): fit again in place.
  async refit() {
    if (!this.view || this.busy || !this.root.isConnected) return;
    const room = this.room();
    if (room.width + "x" + room.height === this.fittedFor) { this.settled(); return; }
    if ((this.root.clientWidth < NARROW) !== this.root.classList.contains("ol-narrow") ||
        (phoneWidth() < NARROW) !== this.onPhone) {
      this.pending = this.pendingOrLast();
      this.structure = null; // stacking changes the structure: embed again
      this.drain();
      return;
    }
    this.root.dataset.fitted = "";
    const box = this.plan(this.spec);
    this.reserve(box);
    this.fittedFor = room.width + "x" + room.height;
    const holder = this.q(".ol-drawn");
    const chrome = this.chromeOf(this.spec, this.sizes, this.drawnBox(holder) || { width: 0, height: 0 });
    const fitted = await this.fit(this.view, this.spec, scaled(this.spec, sizesOf(this.spec, box), chrome, box,
      this.args.fit), holder, box);
    this.view = fitted.view;
    this.sizes = fitted.sizes;
    this.settled();
  }

  pendingOrLast() {
    return this.lastBytes || null;
  }

  // The drawing is fitted into its box: the tests wait for this mark.
  settled() {
    const height = Math.ceil(this.root.getBoundingClientRect().height);
    this.root.dataset.fitted = String(height);
  }

  // -- accessibility --------------------------------------------------------------------------

  label(holder) {
    const marks = holder.querySelector("canvas.marks, svg.marks");
    if (marks) {
      marks.setAttribute("role", "img");
      marks.setAttribute("aria-label", this.args.description || "A chart.");
    }
    const summary = holder.querySelector("details > summary");
    if (summary) {
      summary.setAttribute("aria-label", "Chart menu: save as PNG or SVG");
      summary.setAttribute("title", "Save as PNG or SVG");
    }
  }

  // -- the player -----------------------------------------------------------------------------

  bindControls() {
    const bar = this.q(".ol-bar");
    bar.addEventListener("click", (e) => {
      const act = e.target.closest("button") && e.target.closest("button").dataset.act;
      if (!act) return;
      if (act === "play") { this.setPlaying(!this.playing); return; }
      if (act === "animation") { this.toggleExport(); return; }
      this.setPlaying(false);
      this.showStep({ first: 0, back: this.step - 1, fwd: this.step + 1, last: this.steps }[act]);
    });
    this.q(".ol-scrub").addEventListener("input", (e) => { this.setPlaying(false); this.showStep(Number(e.target.value)); });
    this.q(".ol-speed").addEventListener("change", (e) => {
      this.stepsPerSecond = Number(e.target.value);
      this.showExportSpeed();
    });
    this.q(".ol-x-make").addEventListener("click", () => this.makeAnimation());
    this.q(".ol-x-cancel").addEventListener("click", () => { this.exporting = null; });
    // keys act while focus is in this chart (a click on the chart focuses its Play button)
    this.root.addEventListener("keydown", (e) => {
      if (this.steps <= 0 || e.target.tagName === "SELECT" || e.altKey || e.ctrlKey || e.metaKey) return;
      const to = { ArrowLeft: this.step - 1, ArrowRight: this.step + 1, Home: 0, End: this.steps }[e.key];
      if (e.key === " " && e.target.tagName !== "BUTTON") { e.preventDefault(); this.setPlaying(!this.playing); }
      else if (to !== undefined) { e.preventDefault(); this.setPlaying(false); this.showStep(to); }
    });
    this.q(".ol-view").addEventListener("pointerdown", (e) => {
      this.pressedAt = [e.clientX, e.clientY];
      if (this.steps > 0) this.q(".ol-play").focus({ preventScroll: true });
      if (this.args.pick && this.live.meta && e.button === 0) this.live.press(e);
    }, true);
  }

  setupBar(steps) {
    const bar = this.q(".ol-bar");
    bar.hidden = steps <= 0;
    if (steps === this.steps) return;
    const first = this.steps === 0 && !this.view;
    this.steps = steps;
    if (steps <= 0) return;
    this.q(".ol-scrub").max = String(steps);
    const sel = this.q(".ol-speed");
    sel.innerHTML = "";
    speeds(steps).forEach((v, i) => {
      const o = document.createElement("option");
      o.value = String(v);
      o.textContent = v + " steps/s";
      if (i === 2) o.selected = true;
      sel.appendChild(o);
    });
    this.stepsPerSecond = Number(sel.value);
    // a new chart opens at its last step; a redrawn one stays where the user was
    this.step = first ? steps : Math.min(this.step, steps);
  }

  showStep(s) {
    this.step = Math.max(0, Math.min(this.steps, Math.round(s)));
    this.q(".ol-scrub").value = String(this.step);
    this.q(".ol-label").textContent = "step " + this.step + " / " + this.steps;
    this.root.dataset.step = String(this.step);
    if (this.view) this.view.signal("step", this.step).runAsync();
    if (this.explain) this.fillPanel(this.step);
    guarded(() => this.live.stepShown());
  }

  setPlaying(on) {
    this.playing = on && this.steps > 0;
    if (this.playing && this.step >= this.steps) this.showStep(0);
    const play = this.q(".ol-play");
    play.classList.toggle("ol-playing", this.playing);
    play.setAttribute("aria-label", this.playing ? "Pause" : "Play");
    play.title = this.playing ? "Pause (space)" : "Play (space)";
    this.root.dataset.playing = this.playing ? "1" : "0";
    this.last = performance.now();
    this.carry = 0;
    if (this.playing) requestAnimationFrame((t) => this.tick(t));
  }

  tick(now) {
    if (!this.playing || !this.root.isConnected) return;
    this.carry += (now - this.last) / 1000 * this.stepsPerSecond;
    this.last = now;
    const advance = Math.floor(this.carry);
    if (advance >= 1) { this.carry -= advance; this.showStep(this.step + advance); }
    if (this.step >= this.steps) { this.setPlaying(false); return; }
    requestAnimationFrame((t) => this.tick(t));
  }

  // -- the animation for slides: GIF or MP4, made in the browser ------------------------------
  //
  // What the player shows (every view of the chart as drawn: a map and the loss beside it), from
  // step 0 to the last at the player's speed, framed at the chosen size on the page's background.
  // Made here, frame by frame from Vega's own drawing (view.toCanvas): it costs the server nothing.
  // GIF: gifenc (one palette, taken from the last frame, where every path is drawn). MP4: the
  // browser's H.264 encoder (WebCodecs), put in an MP4 file by mp4-muxer; browsers offer it only
  // on https or localhost, and the panel says so where it is missing.

  toggleExport() {
    const box = this.q(".ol-export"), open = box.hidden;
    box.hidden = !open;
    this.q(".ol-save").setAttribute("aria-expanded", String(open));
    if (open) this.showExportSpeed();
  }

  showExportSpeed() {
    const frames = exportFrames(this.steps, this.stepsPerSecond, 25);
    this.q(".ol-x-speed").textContent = "at " + this.stepsPerSecond + " steps/s (the player's speed): " +
      (frames.seconds).toFixed(1) + " s";
  }

  async makeAnimation() {
    if (!this.view || this.exporting) return;
    const format = this.q(".ol-x-format").value, sizeText = this.q(".ol-x-size").value;
    const status = this.q(".ol-x-status");
    const job = {};
    this.exporting = job;
    this.setPlaying(false);
    this.q(".ol-x-make").hidden = true;
    this.q(".ol-x-cancel").hidden = false;
    const keep = this.step;
    try {
      const fps = format === "gif" ? 20 : 25;
      const plan = exportFrames(this.steps, this.stepsPerSecond, fps);
      const drawn = await this.view.toCanvas(1);
      const [w, h] = sizeText === "drawn" ? [drawn.width, drawn.height].map((v) => v + (v % 2))
        : sizeText.split("x").map(Number);
      const frame = document.createElement("canvas");
      frame.width = w; frame.height = h;
      const g = frame.getContext("2d", { willReadFrequently: format === "gif" });
      const paint = async (step) => {
        this.view.signal("step", step);
        await this.view.runAsync();
        const c = await this.view.toCanvas(Math.min(w / drawn.width, h / drawn.height) * (window.devicePixelRatio || 1));
        g.fillStyle = this.live.background();
        g.fillRect(0, 0, w, h);
        const k = Math.min(w / c.width, h / c.height);
        g.drawImage(c, (w - c.width * k) / 2, (h - c.height * k) / 2, c.width * k, c.height * k);
      };
      const encoder = format === "gif" ? await gifWriter(w, h, fps) : await mp4Writer(w, h, fps);
      if (format === "gif") { await paint(this.steps); encoder.palette(g); }
      for (let k = 0; k < plan.steps.length; k++) {
        if (this.exporting !== job) throw new Error("stopped");
        status.textContent = "frame " + (k + 1) + " of " + plan.steps.length;
        await paint(plan.steps[k]);
        await encoder.add(g, frame, k);
      }
      const blob = await encoder.finish();
      const name = (this.args.key || "animation") + "." + format;
      const a = document.createElement("a");
      a.href = URL.createObjectURL(blob);
      a.download = name;
      this.root.appendChild(a);
      a.click();
      setTimeout(() => { URL.revokeObjectURL(a.href); a.remove(); }, 10000);
      status.textContent = "Saved " + name + ": " + plan.steps.length + " frames, " + plan.seconds.toFixed(1) + " s, " +
        w + " × " + h + ", " + Math.round(blob.size / 1024) + " KB.";
      this.root.dataset.exported = JSON.stringify({ format, frames: plan.steps.length, width: w, height: h, fps });
    } catch (err) {
      status.textContent = err.message === "stopped" ? "Stopped." : "Could not make it: " + err.message;
    } finally {
      this.exporting = null;
      this.q(".ol-x-make").hidden = false;
      this.q(".ol-x-cancel").hidden = true;
      this.showStep(keep);
    }
  }

  // -- the step explainer's panel -------------------------------------------------------------

  buildPanel(data) {
    const el = this.q(".ol-panel");
    const explain = data && data.steps && data.steps.length ? data : null;
    const sameRows = explain && this.explain && explain.title === this.explain.title &&
      JSON.stringify(explain.labels) === JSON.stringify(this.explain.labels) &&
      JSON.stringify(explain.coords) === JSON.stringify(this.explain.coords);
    this.explain = explain;
    el.hidden = !explain;
    this.root.dataset.explain = explain ? explain.optimizer : "";
    if (!explain) { el.innerHTML = ""; return; }
    if (sameRows) return; // the numbers are filled in at the step shown
    const head = explain.coords.map((c) => "<th scope='col'>" + escapeHtml(c) + "</th>").join("");
    const body = explain.labels.map((label, r) => "<tr><th scope='row'>" + escapeHtml(label) + "</th>" +
      explain.coords.map((c, j) => "<td data-row='" + r + "' data-coord='" + j + "'></td>").join("") + "</tr>").join("");
    el.innerHTML = "<h3 class='ol-ptitle'></h3><table><thead><tr><th scope='col'><span class='ol-sr'>quantity</span></th>" +
      head + "</tr></thead><tbody>" + body + "</tbody></table><div class='ol-note'></div>" + arrowLegend(explain.arrows);
  }

  // beside the chart if each of its views keeps 300 px, else below it
  placePanel(spec) {
    this.fillPanel(this.steps);
    const across = (spec.hconcat || [0]).length;
    const left = this.root.clientWidth - this.q(".ol-panel").getBoundingClientRect().width - 14 - ACTIONS;
    this.root.classList.toggle("ol-panel-below", left / across < 300);
  }

  fillPanel(s) {
    const ex = this.explain;
    const live = this.live && (this.live.dragging || this.live.pending) ? this.live.panelValues(s) : null;
    const k = live ? (live.t > 0 ? 0 : -1) : lastAtOrBefore(ex.steps, s);
    const t = live ? live.t : (k >= 0 ? ex.steps[k] : 0);
    const values = live ? [live.values] : ex.values;
    const panel = this.q(".ol-panel");
    this.q(".ol-ptitle").textContent = ex.title + (k >= 0 ? ": the update at step " + t : ": the start (step 0)");
    panel.dataset.step = String(t);
    panel.dataset.live = live ? "1" : "";
    for (const td of panel.querySelectorAll("td")) {
      const v = k >= 0 ? values[k][Number(td.dataset.row)][Number(td.dataset.coord)] : null;
      td.textContent = k >= 0 ? fmt(v) : "";
      td.dataset.value = v === null || v === undefined ? "" : String(v);
    }
    this.q(".ol-note").textContent = live
      ? "Computed in your browser from the start you are dragging; the server's run replaces it when you let go."
      : (k < 0 ? "Step forward (→) to see the first update filled in." : (ex.note || ""));
  }

  // -- click to start: a click on a map's plotted box sends the point under the pointer ---------

  // The point of map view ``i`` under a pointer event (its scales inverted), or null outside its
  // plotted box.
  pointOn(event, i, round = true, clamp = false) {
    const b = this.live.box(i);
    if (!b) return null;
    const canvas = this.q(".ol-drawn canvas.marks, .ol-drawn svg.marks");
    const r = canvas.getBoundingClientRect();
    let px = event.clientX - r.left - b.x, py = event.clientY - r.top - b.y;
    if (clamp) { px = Math.max(0, Math.min(b.w, px)); py = Math.max(0, Math.min(b.h, py)); }
    if (!(px >= 0 && px <= b.w && py >= 0 && py <= b.h)) return null;
    const x = b.sx.invert(px), y = b.sy.invert(py);
    return round ? [roundTo(x, b.sx.domain()), roundTo(y, b.sy.domain())] : [x, y];
  }

  // A click: with "select", the chosen fields of the mark clicked; with "pick", the point under
  // the pointer in a plotted box (a map's, when the chart has maps), sent as
  // {"point": [x, y], "view": i}.
  onClick(event, item) {
    if (this.live.dragged) { this.live.dragged = false; return; }
    // the end of a drag (a pan of the map) is not a click
    const from = this.pressedAt;
    if (from && Math.hypot(event.clientX - from[0], event.clientY - from[1]) > 5) return;
    if (!this.setTrigger || !this.view) return;
    const fields = this.args.select || [];
    const d = item && item.datum;
    if (fields.length && d && fields.every((f) => f in d)) {
      const datum = Object.fromEntries(fields.map((f) => [f, d[f]]));
      this.root.dataset.selected = JSON.stringify(datum);
      this.setTrigger("select", { datum });
      return;
    }
    if (!this.args.pick) return;
    const maps = mapViews(this.spec);
    for (const i of maps.length ? maps : views(this.spec).map((_, k) => k)) {
      const p = this.pointOn(event, i);
      if (!p) continue;
      const point = p;
      this.root.dataset.picked = point.join(",");
      this.setTrigger("pick", { point, view: i });
      return;
    }
  }

  // The chart's element has left the page (a page switch): stop what runs, keep the drawing.
  detach() {
    this.setPlaying(false);
    clearTimeout(this.refitTimer);
    this.resizeObserver.disconnect();
    guarded(() => this.live.clear());
    this.root.remove();
  }

  // Back on a page: the drawing goes into the element Streamlit gives it now, as it was left.
  attach(host) {
    if (this.playing) this.setPlaying(false); // left playing (and back within a second): paused where it was
    this.host = host;
    this.adoptedFrom = this.structure; // (its next payload may bring another: ``show``)
    host.appendChild(this.root);
    // not "fitted" until its first report has fitted it again to the room it has here
    this.root.dataset.fitted = "";
    this.resizeObserver.disconnect();
    this.resizeObserver.observe(host.parentElement || host);
  }

  destroy() {
    this.destroyed = true;
    this.playing = false;
    clearTimeout(this.refitTimer);
    this.resizeObserver.disconnect();
    window.removeEventListener("resize", this.onWindowResize);
    if (this.view) this.view.finalize();
    this.view = null;
  }
}

// The arrows' legend: a dash sample and its text (what the arrow is, and its scale) per kind.
function arrowLegend(kinds) {
  if (!kinds || !kinds.length) return "";
  const items = kinds.map((k) => "<li><svg width='34' height='10' aria-hidden='true'><line x1='1' y1='5' x2='33' " +
    "y2='5' stroke='currentColor' stroke-width='3' stroke-dasharray='" + (k.dash || []).join(",") + "'/></svg> " +
    escapeHtml(k.label) + "</li>").join("");
  return "<div class='ol-arrows'><b>Arrows on the map</b>, from θ at t − 1, each kind at its own scale:" +
    "<ul>" + items + "</ul></div>";
}

// -- the step explainer, computed in the browser: the twin of ui/views/optimizers.py's rows -------
//
// While a start is dragged the panel and the arrows follow the preview's runs: each optimiser's
// rows between g_t and Δθ_t, and its running direction, as ui/views/optimizers.py ``VIEWS`` defines
// them (tests/ui/test_live.py holds the two equal, optimiser by optimiser). ``c`` is one update:
// c.g, c.delta, c.eff ([x, y]), c.t (its step), c.h(name) (a hyperparameter), c.s(name) (the
// optimiser's state after it), c.before(name) (the state before it), c.lr_t.

const pair = (b) => (Array.isArray(b) ? b : [b, b]);  // a number stands for both coordinates
const add = (a, b) => { const q = pair(b); return [a[0] + q[0], a[1] + q[1]]; };
const div = (a, b) => { const q = pair(b); return [a[0] / q[0], a[1] / q[1]]; };
const mul = (k, a) => [k * a[0], k * a[1]];
const sqrtv = (a) => [Math.sqrt(a[0]), Math.sqrt(a[1])];
const neg = (a) => [-a[0], -a[1]];
const bias = (c, beta) => 1 - Math.pow(c.h(beta), c.t);
const adamBias = (c, beta) => (c.h("bias_correction") ? bias(c, beta) : 1);
const M_ROW = ["m_t = β₁m + (1−β₁)g", (c) => c.s("m")];
const V_ROW = ["v_t = β₂v + (1−β₂)g²", (c) => c.s("v")];
const RMS_ROW = ["v_t = ρv + (1−ρ)g²", (c) => c.s("v")];
const BUFFER_ROW = ["b_t = μb + g", (c) => c.s("buf")];
const lookAhead = (c) => add(c.g, mul(c.h("momentum"), c.s("buf")));
const lionC = (c) => add(mul(c.h("beta1"), c.before("m")), mul(1 - c.h("beta1"), c.g));
const mHat = (c) => neg(div(c.s("m"), bias(c, "beta1")));
const adamMHat = (c) => neg(div(c.s("m"), adamBias(c, "beta1")));

function adamRows(c) {
  const corrected = !!c.h("bias_correction");
  const second = c.h("amsgrad") ? "v_max" : "v";
  const rows = [M_ROW, V_ROW];
  if (c.h("amsgrad")) rows.push(["max(v) (AMSGrad)", (x) => x.s("v_max")]);
  if (corrected) {
    rows.push(["1 − β₁ᵗ", (x) => adamBias(x, "beta1")], ["1 − β₂ᵗ", (x) => adamBias(x, "beta2")],
      ["m̂_t = m_t/(1 − β₁ᵗ)", (x) => div(x.s("m"), adamBias(x, "beta1"))],
      ["v̂_t = v_t/(1 − β₂ᵗ)", (x) => div(x.s(second), adamBias(x, "beta2"))]);
  }
  rows.push([corrected ? "√v̂_t + ε" : "√v_t + ε", (x) => add(sqrtv(div(x.s(second), adamBias(x, "beta2"))), x.h("eps"))]);
  return rows;
}

function rmspropRows(c) {
  if (!c.h("centered")) return [RMS_ROW, ["√v_t + ε", (x) => add(sqrtv(x.s("v")), x.h("eps"))]];
  return [RMS_ROW, ["ḡ_t = ρḡ + (1−ρ)g", (x) => x.s("g_avg")],
    ["√(v_t − ḡ_t²) + ε", (x) => { const v = x.s("v"), a = x.s("g_avg");
      return [Math.sqrt(Math.max(v[0] - a[0] * a[0], 0)) + x.h("eps"), Math.sqrt(Math.max(v[1] - a[1] * a[1], 0)) + x.h("eps")]; }]];
}

const NADAM_ROWS = [M_ROW, V_ROW, ["1 − β₁ᵗ", (c) => bias(c, "beta1")], ["1 − β₂ᵗ", (c) => bias(c, "beta2")],
  ["v̂_t = v_t/(1 − β₂ᵗ)", (c) => div(c.s("v"), bias(c, "beta2"))]];

export const EXPLAIN = {
  sgd: { rows: () => [] },
  momentum: { rows: () => [BUFFER_ROW], direction: (c) => neg(c.s("buf")) },
  nesterov: { rows: () => [BUFFER_ROW, ["g + μb_t", lookAhead]], direction: (c) => neg(lookAhead(c)) },
  adagrad: { rows: () => [["G_t = G + g²", (c) => c.s("sum_sq")], ["√G_t + ε", (c) => add(sqrtv(c.s("sum_sq")), c.h("eps"))]] },
  rmsprop: { rows: rmspropRows },
  adam: { rows: adamRows, direction: adamMHat },
  adamw: { rows: adamRows, direction: adamMHat },
  nadam: { rows: () => NADAM_ROWS, direction: mHat },
  radam: { rows: () => NADAM_ROWS, direction: mHat },
  adamax: { rows: () => [M_ROW, ["u_t = max(β₂u, |g| + ε)", (c) => c.s("u")], ["1 − β₁ᵗ", (c) => bias(c, "beta1")]],
            direction: mHat },
  adadelta: { rows: () => [RMS_ROW, ["u_t = ρu + (1−ρ)Δx²", (c) => c.s("acc_delta")]] },
  lion: { rows: () => [["c_t = β₁m + (1−β₁)g", lionC], ["sign(c_t)", (c) => lionC(c).map(Math.sign)],
    ["m_t = β₂m + (1−β₂)g", (c) => c.s("m")]], direction: (c) => neg(lionC(c)) },
};

// Update t (1..steps) of a twin's run as the rows' ``c``.
export function updateOf(out, t, hyper, lrFactors) {
  const i = t - 1, at = (a, k) => [a[2 * k], a[2 * k + 1]];
  return {
    t, g: at(out.grads, i), delta: at(out.delta, i), eff: at(out.eff_lr, i),
    h: (name) => { const v = hyper[name]; return typeof v === "boolean" ? (v ? 1 : 0) : v; },
    s: (name) => at(out.state[name], i),
    before: (name) => (i > 0 ? at(out.state[name], i - 1) : [0, 0]),
    get lr_t() { return hyper.lr * (lrFactors ? lrFactors[i] : 1); },
  };
}

// The panel's rows (labels and [x, y] values) of ``optimizer`` at update ``c``.
export function explainRows(optimizer, c) {
  const rows = [["g_t gradient", (x) => x.g], ...EXPLAIN[optimizer].rows(c), ["η_t learning rate", (x) => x.lr_t],
    ["effective η", (x) => x.eff], ["Δθ_t step", (x) => x.delta]];
  return rows.map(([label, f]) => {
    const v = f(c);
    return [label, Array.isArray(v) ? v : [v, v]];
  });
}

// -- live: drag the start, and every path follows in the browser -------------------------------
//
// A map whose chart carries ``usermeta.live`` (ui/views/live.py: each series' run described for
// the browser twin, static/optlab/twin.js, which computes what the engine computes) lets the
// student press on its start marker and drag: at every frame the twin recomputes every series
// from the pointer's point and an overlay, drawn over each map and loss view's plotted box with
// the chart's own scales, shows the new paths and losses. Nothing goes to the server until the
// pointer is released: then the new start is sent ("pick"), and the overlay stays until the
// server's run, the same numbers, is drawn in its place.

const GRAB = 16; // px: how near the start marker a press grabs it

export function segmentsOf(params, steps, upTo) {
  // the path as [x, y] pairs up to step upTo (the twin's params: x0, y0, x1, y1, ...)
  const n = Math.min(steps, upTo) + 1;
  const out = new Array(n);
  for (let i = 0; i < n; i++) out[i] = [params[2 * i], params[2 * i + 1]];
  return out;
}

class Live {
  constructor(chart) {
    this.chart = chart;
    this.meta = null;
    this.twins = new Map(); // series key -> {twin, digest}
    this.results = null; // series key -> [run outputs (copies)]
    this.dragging = false;
    this.pending = null; // what was sent on release (a start, a slider's value), until the server's run shows it
    this.hyper = {}; // optimiser -> {name: value}: a slider being moved
    this.point = null;
    this.frame = 0;
    this.overlays = [];
    this.image = null;
    this.frames = 0;
    this.computeMs = [];
  }

  // A payload arrived: its runs (before the chart is drawn: the sliders take their room first).
  arriving(meta) {
    this.meta = meta;
    this.chart.root.toggleAttribute("data-live", !!meta);
    this.buildTune(meta);
  }

  // ...and once it is drawn: a preview that waited for the server's run goes (a payload arrives only
  // when the chart changed: after a release, that is the run from the released value; if the server
  // refused the value, the chart is back as it was, and the preview goes too).
  received(meta) {
    if (this.pending) {
      this.pending = null;
      this.hyper = {};
      this.clear(); // the server's run is drawn: the preview goes
      if (this.chart.explain) this.chart.fillPanel(this.chart.step);  // and the panel shows the server's numbers
    }
    if (!meta) { this.clear(); return; }
    if (meta.image && (!this.image || this.image.src !== meta.image)) {
      this.image = new Image();
      this.image.src = meta.image;
    }
  }

  // The start marker's position in page pixels on map view i, or null.
  markerAt(event) {
    if (!this.meta || !this.chart.view) return null;
    for (const i of this.meta.maps) {
      const p = this.chart.pointOn(event, i, false);
      if (!p) continue;
      const px = this.toPixels(i, this.meta.start);
      const here = this.toPixels(i, p);
      if (px && here && Math.hypot(px[0] - here[0], px[1] - here[1]) <= GRAB) return i;
    }
    return null;
  }

  // A view's plotted box in the drawing's pixels and its scales: {x, y, w, h, sx, sy}.
  box(i) {
    const c = this.chart, spec = c.spec, view = c.view;
    const name = viewName(spec, i);
    const root = view.scenegraph().root.items[0];
    // the drawing's origin: the view's (room for the axes at the left and top) plus its padding
    const pad = view.padding();
    let ox = view.origin()[0] + (pad.left || 0) + root.x, oy = view.origin()[1] + (pad.top || 0) + root.y, w, h;
    if (name !== null) {
      const mark = root.items.find((m) => m.name === name + "_group");
      if (!mark || !mark.items.length) return null;
      const g = mark.items[0];
      ox += g.x; oy += g.y; w = g.width; h = g.height;
    } else {
      w = view.width(); h = view.height();
    }
    const sx = view.scale(name === null ? "x" : name + "_x"), sy = view.scale(name === null ? "y" : name + "_y");
    return { x: ox, y: oy, w, h, sx, sy };
  }

  toPixels(i, p) {
    const b = this.box(i);
    return b ? [b.x + b.sx(p[0]), b.y + b.sy(p[1])] : null;
  }

  async press(event) {
    const i = this.markerAt(event);
    if (i === null) return false;
    event.stopPropagation(); // the map's own pan does not see this press
    event.preventDefault();
    const twin = await twinRuntime();
    this.prepare(twin);
    this.hyper = {};
    this.dragging = true;
    this.view = i;
    this.chart.root.dataset.dragging = "1";
    this.frames = 0;
    this.started = performance.now();
    this.computeMs = [];
    const target = this.chart.q(".ol-view");
    const move = (e) => {
      e.stopPropagation();
      const p = this.chart.pointOn(e, this.view, true, true);  // rounded as a click's: the server's start
      if (p) this.point = p;
      if (!this.frame) this.frame = requestAnimationFrame(() => { this.frame = 0; this.preview(); });
    };
    const up = (e) => {
      e.stopPropagation();
      target.removeEventListener("pointermove", move, true);
      target.removeEventListener("pointerup", up, true);
      this.dragging = false;
      this.dragged = true; // the click that ends a drag is not a click on the map
      setTimeout(() => { this.dragged = false; }, 400);
      this.chart.root.dataset.dragging = "";
      this.chart.root.dataset.dragFps = String(Math.round(this.frames / ((performance.now() - this.started) / 1000)));
      if (this.point && !same(this.point, this.meta.start)) {
        this.pending = true;
        this.chart.root.dataset.picked = this.point.join(",");
        this.chart.setTrigger("pick", { point: this.point, view: this.view });
      } else {
        this.clear();
      }
    };
    target.addEventListener("pointermove", move, true);
    target.addEventListener("pointerup", up, true);
    try { target.setPointerCapture(event.pointerId); } catch (e) { /* a synthetic event */ }
    this.point = this.meta.start;
    this.preview();
    return true;
  }

  prepare(twin) {
    const noise = this.meta.noise || {};
    for (const s of this.meta.series) {
      const known = this.twins.get(s.key);
      if (known && known.source === s.twin) continue;
      const spec = { ...s.twin, runs: s.twin.runs.map((r) => ({ ...r, noise: typeof r.noise === "string" ? noise[r.noise] : r.noise })) };
      this.twins.set(s.key, { source: s.twin, twin: twin.prepare(spec) });
    }
  }

  // Every series from the point under the pointer, drawn.
  preview() {
    if (!this.meta) return;
    const t0 = performance.now();
    this.results = new Map();
    for (const s of this.meta.series) {
      const { twin } = this.twins.get(s.key);
      const runs = [];
      for (let r = 0; r < twin.runs; r++) {
        try {
          const hyper = { ...s.twin.runs[r].hyper, ...(this.hyper[s.twin.optimizer.name] || {}) };
          const out = twin.run(r, { start: this.point || this.meta.start, hyper: this.hyper[s.twin.optimizer.name] || {} });
          // the twin's own arrays (valid until this series' next run, the next frame): no copies
          runs.push({ out, params: out.params, loss: out.loss, stopped: out.stopped_at, hyper });
        } catch (e) {
          runs.push(null); // a start where the function is not defined: nothing to draw
        }
      }
      this.results.set(s.key, runs);
    }
    const t1 = performance.now();
    this.draw();
    if (this.chart.explain) this.chart.fillPanel(this.chart.step);
    this.note();
    this.computeMs.push([t1 - t0, performance.now() - t1]);
    this.frames += 1;
    this.chart.root.dataset.previewed = (this.point || this.meta.start).join(",");
  }

  // -- the sliders beside the player: η and the averaging coefficients of each optimiser shown --

  buildTune(meta) {
    const box = this.chart.q(".ol-tune");
    const tune = (meta && meta.tune) || [];
    box.hidden = !tune.length || this.chart.steps <= 0;
    const signature = JSON.stringify(tune.map((t) => [t.optimizer, t.hypers.map((h) => [h.name, h.grid.length])]));
    if (signature !== this.tuneSignature) {
      this.tuneSignature = signature;
      box.innerHTML = "";
      if (!tune.length) return;
      const pick = document.createElement("select");
      pick.className = "ol-tune-opt";
      pick.setAttribute("aria-label", "The optimiser whose settings the sliders change");
      for (const t of tune) {
        const o = document.createElement("option");
        o.value = t.optimizer; o.textContent = t.title;
        pick.appendChild(o);
      }
      pick.addEventListener("change", () => this.showSliders());
      box.appendChild(pick);
      box.appendChild(Object.assign(document.createElement("span"), { className: "ol-sliders" }));
    }
    if (tune.length) this.showSliders();
  }

  showSliders() {
    const box = this.chart.q(".ol-tune");
    const which = box.querySelector(".ol-tune-opt").value;
    const t = this.meta.tune.find((x) => x.optimizer === which);
    const holder = box.querySelector(".ol-sliders");
    holder.innerHTML = "";
    for (const h of t.hypers) {
      const label = document.createElement("label");
      const input = document.createElement("input");
      const out = document.createElement("output");
      input.type = "range"; input.min = "0"; input.max = String(h.grid.length - 1); input.step = "1";
      input.value = String(h.grid.indexOf(h.value));
      input.dataset.name = h.name;
      input.setAttribute("aria-label", t.title + " " + h.symbol);
      out.textContent = fmt(h.value);
      label.append(h.symbol + " ", input, out);
      input.addEventListener("input", () => this.slide(t, h, h.grid[Number(input.value)], out));
      input.addEventListener("change", () => this.release(t, h, h.grid[Number(input.value)]));
      holder.appendChild(label);
    }
  }

  async slide(t, h, value, out) {
    out.textContent = fmt(value);
    const twin = await twinRuntime();
    this.prepare(twin);
    this.hyper = { ...this.hyper, [t.optimizer]: { ...(this.hyper[t.optimizer] || {}), [h.name]: value } };
    if (!this.frame) this.frame = requestAnimationFrame(() => { this.frame = 0; this.preview(); });
  }

  release(t, h, value) {
    if (value === h.value) { this.hyper = {}; this.clear(); return; }
    const o = t.optimizer, name = h.name;
    this.pending = true;
    this.chart.root.dataset.tuned = o + "." + name + "=" + value;
    if (this.chart.setTrigger) this.chart.setTrigger("tune", { optimizer: o, name, value });
  }

  stepShown() {
    if (this.results && (this.dragging || this.pending)) this.draw();
  }

  overlay(k, b) {
    let c = this.overlays[k];
    const holder = this.chart.q(".ol-drawn");
    if (!c || c.parentElement !== holder) {
      c = document.createElement("canvas");
      c.className = "ol-live";
      c.setAttribute("aria-hidden", "true");
      holder.appendChild(c);
      this.overlays[k] = c;
    }
    const marks = holder.querySelector("canvas.marks, svg.marks");
    const ratio = window.devicePixelRatio || 1;
    const left = marks.offsetLeft + b.x, top = marks.offsetTop + b.y;
    if (c.width !== Math.round(b.w * ratio) || c.height !== Math.round(b.h * ratio)) {
      c.width = Math.round(b.w * ratio);
      c.height = Math.round(b.h * ratio);
    }
    Object.assign(c.style, { left: left + "px", top: top + "px", width: b.w + "px", height: b.h + "px" });
    const g = c.getContext("2d");
    g.setTransform(ratio, 0, 0, ratio, 0, 0);
    return g;
  }

  draw() {
    const m = this.meta, step = this.chart.steps > 0 ? this.chart.step : Infinity;
    let k = 0;
    for (const i of m.maps) {
      const b = this.box(i);
      if (!b) continue;
      const g = this.overlay(k++, b);
      g.fillStyle = this.background();  // opaque: the old paths do not show through the shading
      g.fillRect(0, 0, b.w, b.h);
      const [x0, x1] = m.box[0], [y0, y1] = m.box[1];
      if (this.image && this.image.complete) {
        g.globalAlpha = 1;
        g.drawImage(this.image, b.sx(x0), b.sy(y1), b.sx(x1) - b.sx(x0), b.sy(y0) - b.sy(y1));
      }
      for (const s of m.series) {
        if (!s.views.includes(i)) continue;
        for (const run of this.results.get(s.key)) {
          if (!run) continue;
          const last = Math.min(step, run.stopped >= 0 ? run.stopped - 1 : m.steps);
          const shown = drawnUpTo(s, last), head = shown[shown.length - 1] || 0;
          polyline(g, s, m.line, shown, (t) => [b.sx(run.params[2 * t]), b.sy(run.params[2 * t + 1])]);
          const hx = b.sx(run.params[2 * head]), hy = b.sy(run.params[2 * head + 1]);
          dot(g, hx, hy, Math.sqrt(m.point * 2.5) / 2, s.color, "white");
        }
      }
      if (m.arrows && this.chart.explain) this.drawArrows(g, b, i, step);
      for (const [mx, my] of m.minima) diamond(g, b.sx(mx), b.sy(my), Math.sqrt(m.point * 3) / 1.6);
      const start = this.point || m.start;
      dot(g, b.sx(start[0]), b.sy(start[1]), Math.sqrt(m.point * 2) / 2, "#000000", null);
    }
    if (m.loss) {
      const b = this.box(m.loss.view);
      if (!b) return;
      const g = this.overlay(k++, b);
      g.fillStyle = this.background();
      g.fillRect(0, 0, b.w, b.h);
      const floor = m.loss.floor;
      for (const s of m.series) {
        for (const run of this.results.get(s.key)) {
          if (!run) continue;
          const last = Math.min(step, run.stopped >= 0 ? run.stopped - 1 : m.steps);
          polyline(g, s, m.line, drawnUpTo(s, last), (t) => [b.sx(t), b.sy(Math.max(run.loss[t] - m.fmin, floor))]);
        }
      }
    }
  }

  // Over the map while previewing: that these are the browser's numbers, each series' final f.
  note() {
    const el = this.chart.q(".ol-livenote");
    const m = this.meta;
    const finals = m.series.map((s) => {
      const run = this.results.get(s.key)[0];
      if (!run) return s.label + ": not defined there";
      const last = run.stopped >= 0 ? run.stopped - 1 : m.steps;
      return s.label + " f = " + fmt(run.loss[last]) + (run.stopped >= 0 ? " (stopped)" : "");
    });
    el.textContent = "Preview, computed in your browser: " + finals.join(" · ");
    el.hidden = false;
  }

  // The step explainer's arrows at the step shown, for every series on map view i: the step taken,
  // −g and the running direction from θ at t − 1, at the server's scales, cut at its longest.
  drawArrows(g, b, i, step) {
    const m = this.meta, a = m.arrows;
    const [x0, x1] = m.box[0], [y0, y1] = m.box[1], w = x1 - x0, h = y1 - y0;
    const cos = Math.cos(a.angle * Math.PI / 180), sin = Math.sin(a.angle * Math.PI / 180);
    for (const s of m.series) {
      if (!s.views.includes(i)) continue;
      const run = this.results.get(s.key)[0];
      if (!run) continue;
      const t = Math.min(step, run.stopped >= 0 ? run.stopped - 1 : m.steps);
      if (t < 1) continue;
      const c = updateOf(run.out, t, run.hyper, s.twin.lr_factors);
      const from = [run.params[2 * (t - 1)], run.params[2 * (t - 1) + 1]];
      const towards = EXPLAIN[s.twin.optimizer.name].direction;
      const kinds = { step: c.delta, gradient: neg(c.g), direction: towards ? towards(c) : null };
      g.strokeStyle = s.color;
      g.lineWidth = Math.max(1.5, m.line * 0.9);
      for (const [kind, v] of Object.entries(kinds)) {
        if (!v || !(kind in a.scales) || !v.every(Number.isFinite)) continue;
        let vx = v[0] * a.scales[kind], vy = v[1] * a.scales[kind];
        const length = Math.hypot(vx, vy);
        if (length > a.longest) { vx *= a.longest / length; vy *= a.longest / length; }
        const ux = vx / w, uy = vy / h, u = Math.hypot(ux, uy);
        const tip = [from[0] + vx, from[1] + vy];
        g.setLineDash(a.dashes[kind] || []);
        g.beginPath();
        g.moveTo(b.sx(from[0]), b.sy(from[1]));
        g.lineTo(b.sx(tip[0]), b.sy(tip[1]));
        if (u > 0) {
          for (const part of [1, -1]) {
            const bx = (ux * cos - uy * sin * part) / u * a.head * w, by = (ux * sin * part + uy * cos) / u * a.head * h;
            g.moveTo(b.sx(tip[0]), b.sy(tip[1]));
            g.lineTo(b.sx(tip[0] + bx), b.sy(tip[1] + by));
          }
        }
        g.stroke();
      }
      g.setLineDash([]);
    }
  }

  // The panel's numbers at step s from the preview's first series, when it is the one explained
  // (labels as the server's: otherwise the panel keeps the server's numbers).
  panelValues(s) {
    const ex = this.chart.explain;
    if (!this.results || !ex || !this.meta) return null;
    const first = this.meta.series.find((x) => x.twin.optimizer.name === ex.optimizer) || this.meta.series[0];
    const run = this.results.get(first.key) && this.results.get(first.key)[0];
    if (!run) return null;
    const t = Math.min(s, run.stopped >= 0 ? run.stopped - 1 : this.meta.steps);
    if (t < 1) return { t: 0, values: null };
    const rows = explainRows(first.twin.optimizer.name, updateOf(run.out, t, run.hyper, first.twin.lr_factors));
    if (rows.length !== ex.labels.length || rows.some(([label], r) => label !== ex.labels[r])) return null;
    return { t, values: rows.map(([, v]) => v) };
  }

  // The page's background behind the chart (Streamlit's theme variable, else white or dark).
  background() {
    const v = getComputedStyle(this.chart.root).getPropertyValue("--st-background-color").trim();
    return v || (this.chart.root.classList.contains("ol-dark") ? "#0e1117" : "#ffffff");
  }

  clear() {
    if (this.frame) cancelAnimationFrame(this.frame);
    this.frame = 0;
    for (const c of this.overlays) if (c) c.remove();
    this.overlays = [];
    const note = this.chart.q(".ol-livenote");
    if (note) note.hidden = true;
    if (!this.dragging) this.results = null;
  }
}

// The steps a series' chart draws up to ``last``, as the chart draws them (a long run is thinned).
export function drawnUpTo(series, last) {
  const drawn = series.drawn && series.drawn.length ? series.drawn : null;
  const out = [];
  if (!drawn) { for (let t = 0; t <= last; t++) out.push(t); return out; }
  for (const t of drawn) { if (t > last) break; out.push(t); }
  return out;
}

// The live preview is an extra: a fault in it never stops the chart itself.
function guarded(f) {
  try { f(); } catch (e) { console.warn("Optimiser Lab: the live preview failed:", e); }
}

function same(a, b) {
  return !!a && !!b && Math.abs(a[0] - b[0]) < 1e-12 && Math.abs(a[1] - b[1]) < 1e-12;
}

// A series' line through the steps ``ts`` (``at(t)``: the pixel of step t), in its colour and dash.
function polyline(g, series, width, ts, at) {
  g.strokeStyle = series.color;
  g.lineWidth = width;
  g.setLineDash(series.dash || []);
  g.beginPath();
  ts.forEach((t, i) => { const [x, y] = at(t); if (i === 0) g.moveTo(x, y); else g.lineTo(x, y); });
  g.stroke();
  g.setLineDash([]);
}

function dot(g, x, y, r, fill, stroke) {
  g.beginPath();
  g.arc(x, y, r, 0, 2 * Math.PI);
  g.fillStyle = fill;
  g.fill();
  if (stroke) { g.strokeStyle = stroke; g.lineWidth = 1.5; g.stroke(); }
}

function diamond(g, x, y, r) {
  g.beginPath();
  g.moveTo(x, y - r); g.lineTo(x + r, y); g.lineTo(x, y + r); g.lineTo(x - r, y); g.closePath();
  g.fillStyle = "#FFD700";
  g.fill();
  g.strokeStyle = "#000000";
  g.lineWidth = 1;
  g.stroke();
}

// -- Streamlit's entry point -------------------------------------------------------------------

const charts = new WeakMap(); // the element Streamlit gives a chart -> its Chart

// Charts whose page is not shown, kept drawn (their Vega views alive, off the page): a page switch
// unmounts every element of the page it leaves, and coming back re-attaches each chart as it was
// left (its step, zoom and player), with no Vega work at all when its data are the same, and an
// update in place when only they changed. Drawing a page's charts anew is most of what a page
// switch costs in the browser. At most SHELF charts and SHELF_BYTES of their payloads are kept;
// the least recently shown goes first.
export const SHELF = 12;
export const SHELF_BYTES = 24e6;
const byKey = new Map(); // the chart's key (``args.key``) -> its Chart, shown or shelved, least recent first

export function evictions(entries, limit, maxBytes) {
  // ``entries``: [key, bytes] least recent first; the keys to let go so that at most ``limit``
  // remain and their bytes are at most ``maxBytes`` (the newest is always kept)
  const out = [];
  let n = entries.length, total = entries.reduce((a, [, b]) => a + b, 0);
  for (const [key, bytes] of entries) {
    if (n <= 1 || (n <= limit && total <= maxBytes)) break;
    out.push(key); n -= 1; total -= bytes;
  }
  return out;
}

function remember(key, chart) {
  byKey.delete(key);
  byKey.set(key, chart);
  const shelved = [...byKey].filter(([, c]) => !c.root.isConnected);
  const gone = new Set(evictions(shelved.map(([k, c]) => [k, (c.lastBytes && c.lastBytes.byteLength) || 0]),
    SHELF, SHELF_BYTES));
  for (const k of gone) { byKey.get(k).destroy(); byKey.delete(k); }
}

// The chart for a new element: the one shelved (or just unmounted) under the same key, else a new one.
function chartFor(key, host) {
  const kept = key ? byKey.get(key) : null;
  if (kept && !kept.destroyed && !kept.root.isConnected) {
    kept.attach(host);
    return kept;
  }
  return new Chart(host);
}

export default function mount(component) {
  const { data, parentElement, setTriggerValue } = component;
  const key = data ? peekKey(data) : null; // (Streamlit's ``component.key`` is new for every mount)
  let chart = charts.get(parentElement);
  if (!chart || !chart.root.isConnected) {
    chart = chartFor(key, parentElement);
    charts.set(parentElement, chart);
    if (key) remember(key, chart);
  }
  chart.setTrigger = setTriggerValue;
  if (data) {
    chart.lastBytes = data;
    chart.receive(data);
  }
  // Streamlit calls this before it mounts the same element with new data, and when the element
  // goes: a chart whose element has left the page is shelved (or taken down, without an id).
  return () => setTimeout(() => {
    if (chart.root.isConnected || chart.destroyed) return;
    if (key && byKey.get(key) === chart) { chart.detach(); remember(key, chart); } else chart.destroy();
  }, 1000);
}
