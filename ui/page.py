"""The frame every page shares: page config, URL state, sidebar, notices, navigation.

A page is::

    with page.view("trajectories") as ctx:
        traces = run_settings(ctx.settings)
        ...

The frame reads the URL (once per page and session), draws the shared controls,
shows notices, and at the end writes the view's values back into the URL and
draws the navigation with links that carry them.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import altair as alt
import pandas as pd
import streamlit as st

from engine import OPTIMIZERS, Trace

from . import charts, controls, snippets, stepper
from .frames import divergence_messages
from .params import SHARED_FIELDS, Field, Flag, Settings
from .runtime import freeze_imported_heap, limit_malloc_arenas, release_free_memory
from .style import ChartStyle


@dataclass(frozen=True)
class PageInfo:
    id: str
    path: str
    title: str
    icon: str
    summary: str


PAGES: tuple[PageInfo, ...] = (
    PageInfo("home", "dashboard.py", "Home", ":material/home:",
             "The chapter's figure, live: SGD+Momentum, RMSProp and Adam on noisy Rosenbrock."),
    PageInfo("trajectories", "pages/1_Trajectories.py", "Trajectories", ":material/route:",
             "Where does each optimiser go? Paths over the contour map, with a step scrubber."),
    PageInfo("loss", "pages/2_Loss_curves.py", "Loss curves", ":material/trending_down:",
             "How fast does the loss fall? Loss and distance to the minimum, over several seeds."),
    PageInfo("learning_rates", "pages/3_Learning_rates.py", "Learning rates", ":material/tune:",
             "Why do adaptive methods adapt? The effective learning rate of every parameter."),
    PageInfo("bias_correction", "pages/4_Bias_correction.py", "Bias correction", ":material/balance:",
             "What does Adam's bias correction fix? m and v against their corrected versions."),
    PageInfo("sparse", "pages/5_Sparse_gradients.py", "Sparse gradients", ":material/grain:",
             "Why AdaGrad for rare features? Frequency against learning rate and error."),
    PageInfo("sensitivity", "pages/6_LR_sensitivity.py", "LR sensitivity", ":material/query_stats:",
             "How forgiving is each optimiser? Final loss against learning rate, on equal terms."),
    PageInfo("weight_decay", "pages/7_Weight_decay.py", "Weight decay", ":material/compress:",
             "Adam + L2 or AdamW? Where each settles, and how hard it pulls each weight."),
    PageInfo("schedules", "pages/8_Schedules.py", "Schedules", ":material/schedule:",
             "Warm-up, decay and clipping: the learning rate over time, and its effect."),
    PageInfo("baselines", "pages/9_Second_order.py", "Second order", ":material/functions:",
             "BFGS, Newton-CG and Nelder-Mead on the same map, counted in evaluations."),
    PageInfo("guide", "pages/10_Practical_guide.py", "Practical guide", ":material/menu_book:",
             "The chapter's advice per task, each as a one-click experiment."),
)
PAGE_BY_ID = {p.id: p for p in PAGES}
ROOT = Path(__file__).resolve().parent.parent

PRESENT = Flag("present", False, "Presentation mode",
               "Large type and thick lines for projection; the sidebar starts collapsed.")


# Projection: large type everywhere on the page (the charts scale through ChartStyle).
PRESENTATION_CSS = """
<style id="presentation-mode">
  [data-testid="stMain"] [data-testid="stMarkdownContainer"] p,
  [data-testid="stMain"] [data-testid="stMarkdownContainer"] li { font-size: 1.45rem; line-height: 1.45; }
  [data-testid="stMain"] h1 { font-size: 3.2rem; }
  [data-testid="stMain"] h4 { font-size: 1.9rem; }
  [data-testid="stMain"] [data-testid="stWidgetLabel"] p { font-size: 1.25rem; }
  [data-testid="stMain"] .katex { font-size: 1.45em; }
  [data-testid="stMain"] [data-testid="stCaptionContainer"] { font-size: 1.2rem; }
</style>
"""


@dataclass
class ViewContext:
    page: PageInfo
    settings: Settings
    fields: dict[str, Field]
    used: set[str] = field(default_factory=set)
    style: ChartStyle = field(default_factory=ChartStyle)

    def widget(self, f: Field, container=None, **kw):
        """A page-local control: drawn, remembered, and kept in the URL."""
        self.used.add(f.key)
        return controls.widget(f, container, **kw)

    def value(self, f: Field):
        return controls.get(f)

    def query(self) -> dict[str, str]:
        """The URL values of the view so far."""
        return controls.url_values(self.fields, self.used)

    def state(self) -> tuple:
        """Every value of the view (shared, presentation, this page's own), resolved: with the
        page's id, what a chart of the page depends on. Cached chart specs are keyed on it."""
        values = []
        for k, f in sorted(self.fields.items()):
            v = controls.get(f)
            values.append((k, tuple(v) if isinstance(v, list) else v))
        return (self.page.id, tuple(values))

    def shared_query(self) -> dict[str, str]:
        """The values a link to another page carries: the shared ones (another page does not
        know this page's own controls, and would flag them as unknown)."""
        return {k: v for k, v in self.query().items() if k in SHARED_FIELDS or k == PRESENT.key}


def _fmt(v) -> str:
    """A value for LaTeX: 1e-08 reads like a subtraction there, so small and large numbers
    are written as powers of ten."""
    if isinstance(v, bool):
        return "on" if v else "off"
    v = float(v)
    if v != 0 and (abs(v) < 1e-3 or abs(v) >= 1e4):
        mantissa, exponent = f"{v:.2e}".split("e")
        mantissa = mantissa.rstrip("0").rstrip(".")
        power = rf"10^{{{int(exponent)}}}"
        return power if mantissa == "1" else rf"{mantissa} \cdot {power}"
    return f"{v:g}"


def formula_panel(optimizers, settings: Settings, container=None, columns: int = 2,
                  overrides: Mapping[str, Mapping] | None = None) -> None:
    """Each optimiser's update rule in LaTeX, with the values currently chosen
    (``overrides`` replaces some of them, e.g. a page's own learning rates)."""
    box = container or st
    cols = box.columns(min(columns, max(len(optimizers), 1)))
    for i, opt in enumerate(optimizers):
        spec = OPTIMIZERS[opt]
        hyper = {**settings.hyper(opt), **(overrides or {}).get(opt, {})}
        with cols[i % len(cols)]:
            st.markdown(f"**{spec.title}** — {spec.summary}")
            st.latex(rule_latex(spec.latex))
            values = [rf"{spec.hypers[k].symbol} = {_fmt(v)}" for k, v in hyper.items()
                      if spec.hypers[k].kind != "bool"]
            flags = [f"{spec.hypers[k].label}: {_fmt(v)}" for k, v in hyper.items()
                     if spec.hypers[k].kind == "bool"]
            st.latex(r",\quad ".join(values))
            if flags:
                st.caption(" · ".join(flags))


# Chart specs per view, shared by the sessions that show the same view (each gets a copy).
SPEC_CACHE = {"max_entries": 128, "ttl": 1800, "show_spinner": False}


def _spec(chart, style: ChartStyle) -> tuple[dict, bool]:
    """The chart's Vega-Lite spec as ``st.altair_chart`` makes it (data as DataFrames, sent as
    Arrow), without Altair's JSON-schema validation (a quarter of a page's server time; the
    tests validate every chart builder's spec), and whether it keeps its own width (maps).
    ``chart``: an Altair chart, or a spec dict with DataFrames in its ``datasets`` (``mapspec``)."""
    if isinstance(chart, dict):
        return charts.with_style(dict(chart), style), isinstance(chart.get("width"), int) or "hconcat" in chart
    spec_width = getattr(chart, "width", alt.Undefined)
    fixed = isinstance(spec_width, int) or isinstance(chart, alt.HConcatChart)
    datasets: dict[str, Any] = {}
    with stepper.altair_transformer("to_arrow_dataset", no_theme=True, datasets=datasets):
        spec = chart.to_dict(validate=False)
    spec["datasets"] = {**spec.get("datasets", {}), **datasets}
    return charts.with_style(spec, style), fixed


@st.cache_data(**SPEC_CACHE)
def _cached_spec(view: tuple, key: str, style: tuple, _build) -> tuple[dict, bool]:
    return _spec(_build(), ChartStyle(*style))


def chart(build, ctx: ViewContext, key: str, container=None) -> None:
    """Render a chart with the page's type sizes.

    ``build``: a function that builds the Altair chart (or a ``mapspec`` dict). Its spec is cached per view
    (``ctx.state()``, the key and the style): Altair's chart building and serialisation are
    most of a page's server time, and a rerun, or another student on the same view, skips
    them. ``build`` must depend only on the view's values (as every page's charts do: the URL
    reproduces the view)."""
    box = container or st
    spec, fixed = _cached_spec(ctx.state(), key, dataclasses.astuple(ctx.style), build)
    box.vega_lite_chart(spec=spec, key=key, width="content" if fixed else "stretch")


def rule_latex(latex: str) -> str:
    """KaTeX ignores a bare line break in display mode: lay multi-line rules out in `gathered`."""
    return rf"\begin{{gathered}}{latex}\end{{gathered}}" if r"\\" in latex else latex


def current_url(ctx: ViewContext) -> str:
    """The address of exactly this view: the page's URL with every non-default value."""
    base = (getattr(st.context, "url", None) or f"http://localhost:8501/{_url_path(ctx.page)}").split("?")[0]
    query = urlencode(ctx.query(), safe=",")
    return f"{base}?{query}" if query else base


def _url_path(info: PageInfo) -> str:
    if info.path == "dashboard.py":
        return ""
    return Path(info.path).stem.split("_", 1)[1]


def _csv(frame: pd.DataFrame | Callable[[], pd.DataFrame]) -> bytes:
    return (frame() if callable(frame) else frame).to_csv(index=False).encode()


def share_panel(ctx: ViewContext, data: Mapping[str, pd.DataFrame | Callable[[], pd.DataFrame]],
                code: str) -> None:
    """Link to this view, the data of its charts as CSV, and a script that recomputes it.
    ``data``: DataFrames, or functions that make them (a full-resolution table made only
    when its button is clicked, not on every rerun)."""
    with st.expander("Share, download, reproduce", icon=":material/share:"):
        st.markdown("**Link to this exact view** (page, controls, presentation mode): copy it with the "
                    "button at the right of the box.")
        st.code(current_url(ctx), language=None)
        st.markdown("**Data** of the charts, as CSV:")
        cols = st.columns(max(len(data), 1))
        for col, (name, frame) in zip(cols, data.items()):
            # the CSV is made when the button is clicked, not on every rerun
            col.download_button(f"{name}.csv", functools.partial(_csv, frame),
                                file_name=f"{ctx.page.id}-{name}.csv", mime="text/csv", key=f"download_{name}",
                                icon=":material/download:")
        st.markdown("**Charts as PNG or SVG**: the ⋯ menu at the top right of each chart.")
        st.markdown("**Reproduce in Python** (run it from the repository root):")
        st.code(code, language="python")


def settings_snippet(s: Settings, optimizers=None, seeds=None, extra: Mapping[str, Any] | None = None) -> str:
    """The script that recomputes the shared settings' runs (one per optimiser)."""
    runs = [snippets.Run(o, o, s.hyper(o), extra or {}) for o in (optimizers or s.optimizers)]
    return snippets.runs_snippet(s.objective, dict(s.objective_options), runs, s.steps, s.start, s.noise,
                                 seeds if seeds is not None else (s.seed,))


def divergence_notice(traces: Mapping[str, Trace], labels=None) -> None:
    for msg in divergence_messages(traces, labels):
        st.warning(msg, icon=":material/warning:")


def explain(text: str, look_for: str) -> None:
    """The page's explanation and its 'what to look for' (read aloud when presenting: then the
    explanation folds away so that the charts fit on the projected screen)."""
    if controls.get(PRESENT):
        with st.expander("About this view"):
            st.markdown(text)
    else:
        st.markdown(text)
    st.info(f"**What to look for.** {look_for}", icon=":material/visibility:")


def _nav(container, current: PageInfo, query: dict[str, str]) -> None:
    container.markdown("## Optimiser Lab")
    for p in PAGES:
        if not (ROOT / p.path).exists():  # e.g. AppTest started on a single page
            continue
        container.page_link(p.path, label=p.title, icon=p.icon, query_params=query,
                            disabled=False, help=p.summary)


@contextmanager
def view(page_id: str, local_fields: tuple[Field, ...] = ()) -> Iterator[ViewContext]:
    info = PAGE_BY_ID[page_id]
    present_raw = st.query_params.get("present", "")
    presenting_hint = present_raw.lower() in ("1", "true", "yes", "on")
    # A local favicon: a material-icon favicon is fetched from a font CDN, which a
    # classroom network (or this sandbox) may not reach.
    st.set_page_config(page_title=f"{info.title} · Optimiser Lab", page_icon=str(ROOT / "assets" / "icon.png"),
                       layout="wide",
                       initial_sidebar_state="collapsed" if presenting_hint else "expanded")
    fields = {**SHARED_FIELDS, PRESENT.key: PRESENT, **{f.key: f for f in local_fields}}
    controls.enter_page(page_id)
    controls.apply_url(page_id, fields)
    nav = st.sidebar.container()
    settings, used = controls.shared_sidebar(st.sidebar)
    ctx = ViewContext(info, settings, fields, used | {PRESENT.key})
    controls.widget(PRESENT, st.sidebar)
    if controls.get(PRESENT):
        ctx.style = ChartStyle.presentation()
        st.html(PRESENTATION_CSS)
    st.title(info.title)
    for msg in controls.notices():
        st.warning(msg, icon=":material/link_off:")
    if controls.notices():
        st.button("Dismiss link notices", key="dismiss_notices",
                  on_click=lambda: st.session_state.update({controls.NOTICES: []}))
    try:
        yield ctx
    except ValueError as err:  # invalid input that got past the controls: say so, keep the view
        st.error(f"This view cannot be computed with these settings: {err}", icon=":material/block:")
    finally:
        query = controls.url_values(fields, ctx.used)
        controls.write_url(query)
        _nav(nav, info, ctx.shared_query())
        freeze_imported_heap()  # modules this run imported: out of every later collection
        release_free_memory()  # the run's temporaries: pages back to the system


alt.vegalite.v6.schema.core.load_schema()  # Altair's schema, loaded before the freeze
freeze_imported_heap()  # the imports above are the server's long-lived heap
limit_malloc_arenas()  # many script threads: fewer, fuller heaps
