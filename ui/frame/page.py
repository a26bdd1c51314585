"""The frame every page opens: page config, URL state, sidebar, notices, navigation.

A page script is::

    from ui.frame import page

    with page.open("trajectories") as view:
        traces = view.run(view.settings.specs())
        view.player(lambda: charts.map_and_progress(...), steps, key="trajectories")
        view.explain(text, look_for)

The frame starts the process's machinery (``ui.compute.startup``, once), reads the URL (once
per page and session), draws the shared controls, shows the link notices, and at the end writes
the view's values back into the URL and draws the navigation, with links that carry them. A
``ValueError`` from the view (settings that cannot be computed, a view over the server's
budget) is shown as a message; the controls stay.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import streamlit as st

from engine import RunSpec, Trace, get_objective
from engine.baselines import BaselinePath
from ui.compute import budget, memory, runs, startup
from ui.compute.cache import ByteCache
from ui.state import session, widgets
from ui.state.fields import PRESENT, SHARED_FIELDS, DataSet, Field, hyper_key
from ui.state.lesson import LESSON_KEYS
from ui.state.settings import Settings
from ui.views import frames, stepper
from ui.views import live as live_views
from ui.views.theme import ChartStyle

from . import lesson as lessons
from . import panels
from .registry import ALL_FIELDS, PAGES, ROOT, Page, page_fields

# Every page: a compact title close to the top, so that the first chart starts on the first screen.
LAYOUT_CSS = """
<style id="layout">
  [data-testid="stMainBlockContainer"] { padding-top: 3.5rem; padding-bottom: 3rem; }
  [data-testid="stMain"] h1 { font-size: 2.1rem; padding: 0 0 0.25rem 0; }
  [data-testid="stSidebar"] [data-testid="stSidebarUserContent"] { padding-top: 1rem; }
  [data-testid="stMain"] table td, [data-testid="stMain"] table th { font-variant-numeric: tabular-nums; }
  /* KaTeX draws a hair past its box: with room for it, a formula that fits does not scroll */
  [data-testid="stMain"] .katex-display { padding: 0.15em 0.25em; }
  /* captions: Streamlit's faded grey is 3.8:1 on the sidebar; this is above 6:1 in both themes */
  [data-testid="stCaptionContainer"] { color: inherit; opacity: 0.8; }
</style>
"""

# Projection: large type everywhere a student reads (the charts scale through ChartStyle), the
# title compact, the sidebar's controls readable when the teacher opens it.
PRESENTATION_CSS = """
<style id="presentation-mode">
  [data-testid="stMainBlockContainer"] { padding-top: 3.2rem; }
  [data-testid="stMain"] [data-testid="stMarkdownContainer"] p,
  [data-testid="stMain"] [data-testid="stMarkdownContainer"] li { font-size: 1.45rem; line-height: 1.45; }
  [data-testid="stMain"] h1 { font-size: 2.3rem; }
  [data-testid="stMain"] h4 { font-size: 1.9rem; }
  [data-testid="stWidgetLabel"] p { font-size: 1.25rem; }
  [data-testid="stNumberInput"] input, [data-testid="stTextInput"] input,
  [data-baseweb="select"] { font-size: 1.25rem; }
  [data-testid="stSliderThumbValue"], [data-testid="stSliderTickBar"] { font-size: 1.1rem; }
  [data-testid="stMain"] .katex { font-size: 1.45em; }
  [data-testid="stMain"] [data-testid="stCaptionContainer"] { font-size: 1.2rem; }
  [data-testid="stMain"] table { font-size: 1.3rem; }
  [data-testid="stMain"] [data-testid="stExpander"] summary p { font-size: 1.45rem; }
</style>
"""

PROGRESS_SECONDS = 1.0  # estimated engine time above which a view says what it is computing

# Built charts, shared by the sessions that show the same view: the chart component's payload
# (immutable bytes, with their text alternative), plain charts and players alike.
CHART_SPECS: ByteCache[stepper.Built] = ByteCache(max_bytes=50_000_000, ttl=1800, copy_out=False)


def clear_caches() -> None:
    """Forget every cached result and chart (a fresh server, as far as caches go)."""
    for cache in (runs.TRACES, runs.BASELINES, runs.LANDSCAPES, CHART_SPECS):
        cache.clear()


@dataclass
class View:
    """A page's handle on its frame: its settings and style, its controls, the cached engine,
    and how its charts are drawn."""

    page: Page
    settings: Settings
    fields: dict[str, Field]
    used: set[str] = field(default_factory=set)
    style: ChartStyle = field(default_factory=ChartStyle)
    presenting: bool = False
    spent: float = 0.0  # estimated engine seconds this run of the view has asked for
    planned: float = 0.0  # estimated engine seconds of all its runs, cached or not (a function of its settings)
    held: int = 0  # bytes of the results it has asked for
    controls: Any = None  # where the page's own controls go (the sidebar's "This view")
    alerts: Any = None  # notices and errors, under the title
    stage: Any = None  # the page's first screen, under its title: its first chart goes there
    notes: Any = None  # the explanation and what to look for, under the first chart
    hidden: frozenset = frozenset()  # controls a lesson step hides: not drawn, in force all the same
    holding: bool = False  # a lesson step's question is up: its charts wait for Reveal
    _staged: bool = False
    _stage_boxes: set = field(default_factory=set)

    # -- controls -----------------------------------------------------------------------------

    def widget(self, key: str, container=None, **kw):
        """A page-local control (by its URL key): drawn, remembered, and kept in the URL."""
        f = self.page.field(key)
        self.used.add(f.key)
        if f.key in self.hidden:
            return session.get(f)
        return widgets.widget(f, container if container is not None else self.controls, **kw)

    def value(self, key: str):
        return session.get(self.fields[key])

    def remember(self, key: str) -> None:
        """Keep a page-local value that has no widget of its own (set by clicks or a file) in the URL."""
        self.used.add(self.page.field(key).key)

    def query(self) -> dict[str, str]:
        """The URL values of the view so far (a lesson being followed is not part of the view)."""
        return session.url_values(self.fields, self.used)

    def shared_query(self) -> dict[str, str]:
        """The values a link to another page carries: the shared ones (another page does not know
        this page's own controls, and would flag them as unknown)."""
        return {k: v for k, v in self.query().items() if k in SHARED_FIELDS or k == PRESENT.key}

    def state(self) -> tuple:
        """Every value of the view (shared, presentation, this page's own), resolved: with the
        page's id, what a chart of the page depends on. Built chart specs are keyed on it."""
        values = []
        for k, f in sorted(self.fields.items()):
            if k in LESSON_KEYS:  # where a lesson is changes no chart
                continue
            v = session.get(f)
            values.append((k, tuple(v) if isinstance(v, list) else v))
        return (self.page.id, tuple(values))

    # -- the engine ---------------------------------------------------------------------------

    def spec(self, optimizer: str, rows: int | None = None, **changes) -> RunSpec:
        """The shared settings' run of ``optimizer`` (its hyperparameters and the seed from the
        sidebar; ``changes`` as in ``RunSpec.replace``: a page's own objective, steps, learning
        rate...), its record thinned by the one rule (``budget.thinned``: the server's memory
        budget, and at most ``rows`` recorded steps where the view needs no more)."""
        return budget.thinned(self.settings.spec(optimizer, **changes), rows)

    def specs(self, optimizers=None, rows: int | None = None, per: Mapping[str, Mapping] | None = None,
              **changes) -> dict[str, RunSpec]:
        """``spec`` of each optimiser (the chosen ones by default), keyed by its name; ``per``:
        changes for one optimiser only (its own learning rate on this page)."""
        return {o: self.spec(o, rows, **{**changes, **(per or {}).get(o, {})})
                for o in (optimizers or self.settings.optimizers)}

    @property
    def own(self) -> ByteCache:
        """This browser session's own cache (``runs.session_cache``): what is computed from a
        student's own data set is kept there, for this session only, never in a shared cache."""
        return runs.session_cache(st.session_state)

    def _holds_own_data(self) -> bool:
        """Whether the view's values hold a data set of the student's (a data set field changed
        from its default): its charts' keys then name the student's points."""
        return any(isinstance(f, DataSet) and session.get(f) != f.default for f in self.fields.values())

    def _afford(self, costs) -> None:
        """Count jobs against the view's budget (``budget.check``), or refuse them all at once."""
        self.spent, self.held = budget.check(costs, self.spent, self.held)

    def run(self, specs: Mapping[str, RunSpec]) -> dict[str, Trace]:
        """One trace per named spec (cached; computed in a worker). What is not cached must fit the
        view's budget, checked for all of them before any is computed; a computation of more than
        about a second says what it computes while it does."""
        self.planned += sum(budget.cost(spec) for spec in specs.values())
        costs = [budget.spec_cost(spec) for spec in specs.values() if not runs.cached(spec, self.own)]
        self._afford(costs)
        seconds = sum(c for _, c, _ in costs)
        if seconds < PROGRESS_SECONDS:
            return runs.traces(specs, self.own)
        what = max(costs, key=lambda c: c[1])[0]
        with self.alerts, st.spinner(f"Computing {len(costs)} engine run{'s' if len(costs) > 1 else ''} "
                                     f"(the largest: {what}), about {seconds:.0f} s...", show_time=True):
            return runs.traces(specs, self.own)

    def replay(self, optimizer: str, hyper: Mapping[str, Any], source: RunSpec) -> Trace:
        if not runs.in_cache(runs.replay_key(optimizer, hyper, source), runs.TRACES, self.own):
            what, _, nbytes = budget.spec_cost(source)
            self._afford([(f"a replay of {what}", budget.replay_cost(source), nbytes)])
        return runs.replay(optimizer, hyper, source, own=self.own)

    def baseline(self, method: str, max_iter: int) -> BaselinePath:
        s = self.settings
        if runs.baseline_key(s.objective, s.objective_options, method, s.start, max_iter) not in runs.BASELINES:
            seconds = budget.baseline_cost(s.objective, s.objective_options, method, max_iter)
            self._afford([(f"{method}, at most {max_iter} iterations", seconds, 0)])
        return runs.baseline(s.objective, s.objective_options, method, s.start, max_iter)

    def landscape(self, objective, paths: Mapping[str, tuple[RunSpec, int, Any]], grid: int,
                  line_points: int) -> tuple[Any, int]:
        """The loss landscape of a network around runs (``engine.landscape``): ``paths`` maps a name
        to ``(spec, run, recorded weights)`` of the run drawn. Its grid is ``grid`` lowered, if need
        be, to what the view's budget leaves after all its runs (cached or not, so that the same
        settings always draw the same grid), at most ``budget.LANDSCAPE_SECONDS``. Returns the
        landscape and its grid, or ``(None, 0)`` when not even the smallest grid fits."""
        n = len(paths)
        room = min(budget.LANDSCAPE_SECONDS, budget.VIEW_SECONDS - self.planned)
        fit = budget.landscape_grid(objective, grid, n, line_points, room)
        if not fit:
            return None, 0
        key = runs.landscape_key(tuple(sorted(objective.options.items())),
                                 {k: (spec, r) for k, (spec, r, _) in paths.items()}, fit, line_points)
        seconds = budget.landscape_cost(objective, fit, n, line_points)
        if not runs.in_cache(key, runs.LANDSCAPES, self.own):
            self._afford([(f"the loss landscape on {fit} x {fit} grids ({n + 1} of them)", seconds,
                           budget.landscape_bytes(objective, fit, n, line_points))])
        return runs.landscape(key, {k: w for k, (_, _, w) in paths.items()}, seconds, self.own), fit

    # -- charts -------------------------------------------------------------------------------

    def _key(self, key: str) -> tuple:
        return (self.state(), key, dataclasses.astuple(self.style))

    def stage_columns(self, spec) -> list:
        """Columns for the page's first charts, side by side on the first screen."""
        cols = self.stage.columns(spec)
        self._stage_boxes = {id(c) for c in cols}
        self._staged = True
        return cols

    def _place(self, container) -> tuple[Any, str]:
        """Where a chart goes and how it fits: the page's first chart (or one in the stage's
        columns) on the stage, filling the first screen; any other in the page, as wide as its
        box."""
        if container is None and not self._staged:
            self._staged = True
            return self.stage, "screen"
        if container is not None and id(container) in self._stage_boxes:
            return container, "screen"
        return (container if container is not None else contextlib.nullcontext()), "width"

    def _draw(self, build: Callable[[], dict], key: str, container, steps: int | None, pick: bool = False,
              select: tuple[str, ...] = (), tune: bool = False) -> stepper.Clicked:
        if self.holding:  # the question is up: no chart until Reveal
            return stepper.Clicked()
        box, fit = self._place(container)
        charts = self.own if self._holds_own_data() else CHART_SPECS  # its key holds the student's points
        made = charts.get(self._key(key), lambda: stepper.build(build(), self.style))
        with box:
            return stepper.draw(made, self.style, key=key, fit=fit, steps=steps or 0, pick=pick, select=select,
                                tune=tune)

    def live(self, runs: Mapping[str, RunSpec], tune: bool = True) -> live_views.Live:
        """What a map's chart needs to recompute ``runs`` (series name -> ``RunSpec``) in the browser
        while its start is dragged or a slider beside the player moves (``ui.views.live``): the runs,
        and the stops of each tuned hyperparameter's sidebar control (``tune=False``: no sliders, for
        a page whose runs do not take the sidebar's hyperparameters)."""
        grids = {}
        for spec in runs.values() if tune else ():
            o = spec.optimizer
            grids[o] = {name: tuple(SHARED_FIELDS[hyper_key(o, name)].grid) for name in live_views.TUNED
                        if hyper_key(o, name) in SHARED_FIELDS and SHARED_FIELDS[hyper_key(o, name)].grid}
        return live_views.Live(dict(runs), grids)

    def _tuned(self, moved) -> None:
        """A slider beside the player was released (``{"optimizer", "name", "value"}``): the value goes
        to the sidebar and the URL (checked as a link's would be), and the view is computed again."""
        if not isinstance(moved, dict):
            return
        key = hyper_key(str(moved.get("optimizer")), str(moved.get("name")))
        field = SHARED_FIELDS.get(key)
        if field is None or moved.get("name") not in live_views.TUNED:
            return
        try:
            value = field.parse(str(float(moved.get("value"))))
        except (TypeError, ValueError):
            return
        session.set_value(field, value)
        st.session_state.pop(session.wkey(key), None)
        st.rerun()

    def start(self, key: str, container=None):
        """A page's own start point (its ``Point`` field ``key``: None for the default), kept in the
        URL; set by dragging the map's start dot (``player(start_field=key)``), with a button that
        puts it back where it was."""
        self.used.add(key)
        value = self.value(key)
        if value is not None:
            box = container if container is not None else self.controls
            box.caption(f"Start: ({value[0]:g}, {value[1]:g}), moved on the map.")
            box.button("Back to the default start", key=f"reset:{key}",
                       on_click=session.set_value, args=(self.fields[key], None))
        return value

    def _start_from(self, clicked, key: str = "start") -> None:
        """A click on the map (``stepper.draw(pick=True)``), or the start dot dragged there: the start
        (the shared one, or the page's own field ``key``) moves there, in the sidebar and the URL,
        and the view is computed again from it. The component reports it only in the run it starts."""
        if not isinstance(clicked, dict):
            return
        field = SHARED_FIELDS["start"] if key == "start" else self.fields[key]
        try:
            point = field.parse(",".join(str(float(v)) for v in clicked.get("point", ())))
        except (TypeError, ValueError):
            return
        session.set_value(field, point)
        for axis in "xy":
            st.session_state.pop(session.wkey(f"start.{axis}"), None)
        st.rerun()

    def chart(self, build: Callable[[], dict], key: str, container=None, pick: bool = False,
              select: tuple[str, ...] = ()) -> stepper.Clicked:
        """Draw the chart ``build()`` makes (a ``ui.views.charts`` spec) with the page's type sizes.
        Its spec is built once per view and kept for every student on the same view: ``build``
        must depend only on the view's values (as every page's charts do: the URL reproduces the
        view). ``pick``/``select``: what a click on it sends (``stepper.draw``), in the run it
        starts."""
        return self._draw(build, key, container, None, pick=pick, select=select)

    def player(self, build: Callable[[], dict], steps: int, key: str, container=None, pick_start: bool = False,
               select: tuple[str, ...] = (), start_field: str = "start") -> stepper.Clicked:
        """Draw a chart driven by its ``step`` param, with the step-through player's controls.
        ``pick_start``: a click on the map, or its start dot dragged, sets the start point (the
        sidebar's, or the page's own field ``start_field``) for a map of runs that start there."""
        clicked = self._draw(build, key, container, int(steps), pick=pick_start, select=select, tune=True)
        if pick_start:
            self._start_from(clicked.point, start_field)
        self._tuned(clicked.tuned)
        return clicked

    @staticmethod
    def map_box(path: pd.DataFrame, objective) -> tuple:
        """The box a map of ``path`` shows (``frames.map_box``: a typed function's follows the runs)."""
        return frames.map_box(path, objective.bounds, follow=objective.minima_estimated)[0]

    def arrows_caption(self, explainer) -> None:
        """What the step explainer's arrows are, their scales, and which optimiser the panel explains."""
        kinds = {"step": "solid", "gradient": "dashed", "direction": "dotted"}
        said = "; ".join(f"{explainer.legend[k]} ({kinds[k]})" for k in kinds if k in explainer.legend)
        first = explainer.panel.get("title", "")
        st.caption(f"**Explain step.** Arrows from θ_(t−1) at the step shown, each kind drawn at its own scale so "
                   f"that all stay readable: {said}. An arrow longer than a third of the map is cut to that "
                   f"length. Beside the map: {first}'s update with the numbers of that step (run 1); put "
                   "another optimiser first in the sidebar to explain it.")

    def surface(self, path: pd.DataFrame, objective, steps: int, key: str) -> None:
        """The objective as a 3-D surface with the paths on it (``views.surface``, Plotly), under the
        page's first chart: rotate it by dragging, zoom by scrolling; its slider moves the paths."""
        from ui.views.surface import surface_figure  # Plotly is imported only for this view

        if self.holding:
            return
        st.markdown("#### The same runs in 3-D")
        fig = surface_figure(path, objective, self.map_box(path, objective), steps, self.style)
        st.plotly_chart(fig, key=key, theme=None, config={"displaylogo": False},
                        alt=f"{objective.title} as a surface of log f − f*, with the paths of the runs on it.")
        st.caption("Drag to rotate, scroll to zoom; the slider and ▶ Play move every path to the same step "
                   "(the height is log₁₀(f − f*), like the map's shading).")

    def explaining(self) -> bool:
        """The page's **Explain step** toggle (its ``explain`` control): arrows on the map and the
        update's numbers beside it; the runs then record their optimiser's state."""
        return bool(self.widget("explain"))

    # -- text -----------------------------------------------------------------------------------

    def explain(self, text: str, look_for: str) -> None:
        with self.notes:
            panels.explain(text, look_for, self.presenting)

    def formulas(self, optimizers, overrides: Mapping[str, Mapping] | None = None, columns: int = 2) -> None:
        hypers = {o: {**self.settings.hyper(o), **(overrides or {}).get(o, {})} for o in optimizers}
        panels.formula_panel(optimizers, hypers, columns=columns)

    def divergence(self, traces: Mapping[str, Trace], labels: Mapping[str, str] | None = None) -> None:
        with self.alerts:
            panels.divergence_notice(traces, labels)

    def table(self, frame: pd.DataFrame, key: str, formats: Mapping[str, str] | str | None = None,
              index: bool = True) -> None:
        """A table: interactive (sortable) on a screen, a plain large one when presenting (a
        projected table must be read from the back, and the interactive one cannot be enlarged)."""
        styled = frame.style.format(formats) if formats else frame.style
        if not index:
            styled = styled.hide(axis="index")
        if self.presenting:
            st.table(styled)
        else:
            st.dataframe(styled, key=key, hide_index=not index)

    def url(self) -> str:
        """The address of exactly this view: the page's URL with every non-default value."""
        base = (getattr(st.context, "url", None) or f"http://localhost:8501/{self.page.url_path}").split("?")[0]
        return panels.current_url(base, self.query())

    def share(self, data: Mapping[str, pd.DataFrame | Callable[[], pd.DataFrame]], code: str, note: str = "") -> None:
        """The share panel. A table made only when its button is clicked must be a ``later`` one:
        Streamlit keeps a download's function as long as the student's session lives, and a lambda
        over the page's traces would keep them (and the objective's data) alive with it, outside
        the caches' byte budget: 16 closed tabs of a large sparse view held 1.3 GB. ``note``: what the
        link does not carry (shown under it)."""
        panels.share_panel(self.page.id, self.url(), data, code, note)

    @staticmethod
    def later(build: Callable[..., pd.DataFrame], specs: Mapping[str, RunSpec], *, objective: bool = True,
              **options) -> Callable[[], pd.DataFrame]:
        """A table for the share panel, made when its button is clicked: ``build(traces, objective,
        **options)`` (``build(traces, **options)`` with ``objective=False``) over the traces of
        ``specs``, taken from the cache then (recomputed if they have left it: the view's own
        cost). It holds only the specs, never the traces."""
        specs, own = dict(specs), runs.session_cache(st.session_state)  # made in this session

        def make() -> pd.DataFrame:
            traces = runs.traces(specs, own)
            if not objective:
                return build(traces, **options)
            first = next(iter(specs.values()))
            return build(traces, get_objective(first.objective, **dict(first.objective_options)), **options)

        return make


def _nav(container, query: dict[str, str]) -> None:
    """The sidebar's links to every page, carrying the shared values. No ``help``: a page link's
    tooltip is mounted on every rerun, and thirteen of them cost a page switch 0.2-0.3 s in the
    browser (each page's summary is on the home page)."""
    container.markdown("## Optimiser Lab")
    for p in PAGES.values():
        if not (ROOT / p.script).exists():  # e.g. AppTest started on a single page
            continue
        container.page_link(p.script, label=p.title, icon=p.icon, query_params=query)


def link_to(p: Page, view: View, label: str | None = None, container=None) -> None:
    """A link to another page that carries the shared values (keeps the session's state)."""
    if (ROOT / p.script).exists():
        (container or st).page_link(p.script, label=label or p.title, icon=p.icon, query_params=view.shared_query())


def switch_to(p: Page, query: Mapping[str, str]) -> None:
    st.switch_page(p.script, query_params=dict(query))


@contextmanager
def open(page_id: str) -> Iterator[View]:
    startup.start()
    info = PAGES[page_id]
    # A local favicon: a material-icon favicon is fetched from a font CDN, which a classroom
    # network (or this sandbox) may not reach.
    # "auto": the sidebar open on a wide screen, closed on a phone (and closed when presenting)
    st.set_page_config(page_title=f"{info.title} · Optimiser Lab", page_icon=str(ROOT / "assets" / "icon.png"),
                       layout="wide", initial_sidebar_state="collapsed" if session.presenting_in_url() else "auto")
    fields = page_fields(info)
    lessons.sync_draft()  # the lesson editor's inputs, before a page switch forgets them
    session.enter_page(page_id)
    session.apply_url(page_id, fields)
    lessons.follow(info)  # a step a button or a key asked for: its values, maybe another page
    hidden = lessons.hidden(info)
    nav = st.sidebar.container()
    own = st.sidebar.container()  # this page's own controls, above the shared ones
    if info.fields and not {f.key for f in info.fields} <= hidden:
        own.markdown("### This view")
    lessons.sidebar_note(st.sidebar, info)
    settings, used = widgets.shared_sidebar(st.sidebar, objective=info.objective, hidden=hidden)
    view = View(info, settings, fields, used | {PRESENT.key}, controls=own, hidden=hidden)
    widgets.widget(PRESENT, st.sidebar)
    lessons.editor(st.sidebar, info)
    st.html(LAYOUT_CSS)
    if session.get(PRESENT):
        view.style = ChartStyle.presentation()
        view.presenting = True
        st.html(PRESENTATION_CSS)
    shown = lessons.presenter_bar(info, view.presenting) if lessons.active() else None
    if shown is None:
        st.title(info.title)
    alerts = st.container()
    with alerts:
        for msg in session.notices():
            st.warning(msg, icon=":material/link_off:")
        if session.notices():
            st.button("Dismiss link notices", key="dismiss_notices",
                      on_click=lambda: st.session_state.update({session.NOTICES: []}))
        if info.objective:
            panels.objective_notices(settings.objective_obj())
    view.alerts, view.stage = alerts, st.container()
    body = contextlib.nullcontext()
    if shown is not None and shown.holding:
        # The question instead of the first screen; the rest of the page (its notes, numbers,
        # notices about the runs: the answer) computed but not shown until Reveal.
        view.holding = True
        with view.stage:
            lessons.ask(info)
        body = st.container(key="lesson_held")
        view.alerts = body.container()
    view.notes = body.container() if view.holding else st.container()
    try:
        with body:
            yield view
    except budget.OverBudget as err:  # too much for a shared server: say what to lower, keep the view
        alerts.error(f"Too much for a shared server: {session.escape(str(err))}", icon=":material/block:")
    except ValueError as err:  # settings that cannot be computed: say so, keep the view
        alerts.error(f"This view cannot be computed with these settings: {session.escape(str(err))}",
                     icon=":material/block:")
    finally:
        query = session.url_values(fields, view.used)
        session.write_url({**query, **lessons.url_values()})
        lessons.finish(info, query, shown)
        _nav(nav, view.shared_query())
        memory.freeze_imported_heap()  # modules this run imported: out of every later collection
        memory.release_free_memory()  # the run's temporaries: pages back to the system


def apply_preset(preset) -> None:
    """A practical-guide preset (``ui.state.guide``): the defaults, then its values (parsed like a
    link's), then its page, which opens with the values in its URL (so the address bar reproduces
    the preset too)."""
    session.reset_all()
    for key, raw in preset.values:
        session.put(ALL_FIELDS[key], ALL_FIELDS[key].clean(raw))
    switch_to(PAGES[preset.page], dict(preset.values))
