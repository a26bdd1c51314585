"""The widgets of the controls: each seeded from its session value, writing it back.

``widget`` draws any field; ``shared_sidebar`` draws the controls every page shares.
"""

from __future__ import annotations

import math

import streamlit as st

from engine import OBJECTIVES, OPTIMIZERS
from engine.values import short

from .fields import SHARED_FIELDS, Choice, Field, Flag, MultiChoice, Number, Point, Text, hyper_key, objective_key
from .session import as_code, current, current_objective, escape, get, put, reset_all, wkey
from .settings import Settings, settings_from_values

SHARED_KEYS = frozenset({"f", "opt", "steps", "noise", "seed", "start"})


def widget(field: Field, container=None, label: str | None = None, disabled: bool = False):
    """Draw the widget of ``field`` (seeded from its value) and store what it returns."""
    box = container or st
    key = wkey(field.key)
    value = get(field)
    label = label or field.label
    ss = st.session_state
    help_text = field.help or None
    if isinstance(field, Flag):
        if key not in ss:
            ss[key] = bool(value)
        new = box.checkbox(label, key=key, help=help_text, disabled=disabled)
    elif isinstance(field, Choice):
        if key not in ss or ss[key] not in field.options:
            ss[key] = value
        new = box.selectbox(label, field.options, key=key, format_func=field.label_of, help=help_text,
                            disabled=disabled, on_change=_on_choice_change, args=(field.key,))
    elif isinstance(field, MultiChoice):
        if key not in ss:
            ss[key] = list(value)
        new = box.multiselect(label, field.options, key=key, format_func=field.label_of, help=help_text,
                              max_selections=field.max_items, disabled=disabled,
                              on_change=_keep_one, args=(field.key, tuple(value)))
        new = tuple(new) if new else tuple(value)
    elif isinstance(field, Text):
        if key not in ss:
            ss[key] = str(value)
        typed = box.text_input(label, key=key, help=help_text, disabled=disabled, max_chars=field.max_length)
        try:
            new = field.parse(typed)
        except ValueError as err:
            box.error(f"{escape(str(err))}. Still showing the last valid function: {as_code(value)}",
                      icon=":material/error:")
            new = value
    elif isinstance(field, Number) and field.grid:
        options = sorted(set(field.grid) | {float(value)})
        if key not in ss or ss[key] not in options:
            ss[key] = float(value)
        new = box.select_slider(label, options=options, key=key, format_func=short, help=help_text,
                                disabled=disabled)
    elif isinstance(field, Number) and field.widget == "number" and not field.integer:
        if key not in ss:
            ss[key] = float(value)
        new = box.number_input(label, min_value=float(field.low), max_value=float(field.high),
                               step=float(field.step or 0.1), key=key, help=help_text, disabled=disabled,
                               format="%g")
    elif isinstance(field, Number) and field.integer:
        if key not in ss:
            ss[key] = int(value)
        new = box.number_input(label, min_value=int(field.low), max_value=int(field.high), step=1, key=key,
                               help=help_text, disabled=disabled)
        new = int(min(max(new, field.low), field.high))
    elif isinstance(field, Number):
        if key not in ss:
            ss[key] = float(value)
        step = field.step or (field.high - field.low) / 100
        new = box.slider(label, min_value=float(field.low), max_value=float(field.high), step=float(step),
                         key=key, help=help_text, disabled=disabled, format="%g")
    else:
        raise TypeError(f"no widget for {type(field).__name__}")
    put(field, new)
    return new


def _keep_one(key: str, previous: tuple) -> None:
    """A list of choices is never empty: removing the last one puts it back, with a word why."""
    if not st.session_state.get(wkey(key)):
        st.session_state[wkey(key)] = list(previous)
        st.toast("Keep at least one: the last choice stays until you add another.", icon=":material/info:")


def _on_choice_change(key: str) -> None:
    if key == "f":  # a new objective: its own start point
        st.session_state["v:start"] = None
        for k in (wkey("start.x"), wkey("start.y")):
            st.session_state.pop(k, None)


def start_widgets(field: Point, objective, container) -> None:
    value = get(field)
    if objective.dim != 2:
        container.caption(f"Start: the objective's own start (all {objective.dim} weights at 0).")
        put(field, None)
        return
    start = value if value is not None else objective.start
    cols = container.columns(2)
    ss = st.session_state
    out = []
    for i, (axis, col) in enumerate(zip("xy", cols)):
        key = wkey(f"start.{axis}")
        if key not in ss:
            ss[key] = float(start[i])
        lo, hi = objective.bounds[i]
        out.append(col.number_input(f"start {axis}", min_value=float(lo - (hi - lo)),
                                    max_value=float(hi + (hi - lo)), step=0.1, key=key, format="%.3f"))
    new = tuple(float(v) for v in out)
    put(field, None if all(math.isclose(a, b) for a, b in zip(new, objective.start)) else new)


def _objective_widgets(container) -> None:
    """The objective, its options (a typed function's plot box as two rows of two) and what it is."""
    f = SHARED_FIELDS
    widget(f["f"], container)
    name = get(f["f"])
    row = None
    for i, opt in enumerate(OBJECTIVES[name].options):
        box = container
        if name == "custom" and i > 0:
            if i % 2 == 1:
                row = container.columns(2)
            box = row[(i - 1) % 2]
        widget(f[objective_key(name, opt)], box)
    container.caption(current_objective(container).description)


def _panel_label(opt: str) -> str:
    """An optimiser's panel label with its learning rate as it is in this run (the widget's state
    when the user has just moved it, so the label never lags one change behind)."""
    return f"{OPTIMIZERS[opt].title}  ·  η = {short(current(SHARED_FIELDS[hyper_key(opt, 'lr')]))}"


_OPEN = "open_panel:"  # session key: whether an optimiser's panel is open


def _remember_open(opt: str) -> None:
    st.session_state[_OPEN + opt] = bool(st.session_state.get(f"panel_{opt}"))


def shared_sidebar(container, objective: bool = True,
                   hidden: frozenset[str] = frozenset()) -> tuple[Settings, set[str]]:
    """The controls every page shares. Returns the settings and the URL keys in use.
    ``objective``: the page runs the sidebar's objective; a page with a problem of its own
    (``Page.objective`` False) does not show the objective, its options and the start point,
    which would do nothing there, and keeps their values (and URL) for the other pages.
    ``hidden``: controls a lesson step hides (``f``: the objective with its options; ``opt``: the
    optimisers with their panels; ``steps``, ``noise``, ``seed``, ``start``): not drawn, their values
    in force and in the URL all the same."""
    f = SHARED_FIELDS
    used = set(SHARED_KEYS)
    show_objective = objective and "f" not in hidden
    if show_objective or not objective:
        container.markdown("### Problem")
    if show_objective:
        _objective_widgets(container)
    elif not objective:
        container.caption("Not used on this page, which has a problem of its own (or runs none): the "
                          "objective and the start point chosen on the other pages are kept for them.")
    chosen = get(f["f"])  # as just chosen
    used |= {objective_key(chosen, opt) for opt in OBJECTIVES[chosen].options}

    if "opt" not in hidden:
        container.markdown("### Optimisers")
        widget(f["opt"], container)
    for opt in get(f["opt"]):
        used |= {hyper_key(opt, name) for name in OPTIMIZERS[opt].hypers}
        if "opt" in hidden:
            continue
        # Its sliders are drawn only while it is open (a rerun opens it): a closed panel costs the
        # browser nothing (eleven sliders, mostly in closed panels, took a quarter of a page switch to
        # lay out). Streamlit tells a stateful expander by its label, which carries the learning rate:
        # whether it is open is kept here, so that it stays open while its label changes.
        panel = container.expander(_panel_label(opt), expanded=bool(st.session_state.get(_OPEN + opt)),
                                   key=f"panel_{opt}", on_change=_remember_open, args=(opt,))
        if panel.open:
            with panel:
                for name in OPTIMIZERS[opt].hypers:
                    widget(f[hyper_key(opt, name)])

    run = [k for k in ("steps", "noise", "seed") if k not in hidden]
    show_start = objective and "start" not in hidden
    if run or show_start:
        container.markdown("### Run")
    for key in run:
        widget(f[key], container)
    if show_start:
        start_widgets(f["start"], current_objective(), container)
    container.button("Reset all controls", on_click=reset_all, key="reset_all",
                     help="Back to the defaults (the chapter's experiment).")
    values = {k: get(fld) for k, fld in f.items()}
    return settings_from_values(values), used
