"""The Streamlit side of the controls: session values, widgets and the URL.

Values live in ``st.session_state["v:<key>"]`` (plain session state, which
survives page switches); each widget has the key ``"w:<key>"`` and is seeded from
the value when it is first drawn on a page. So a control keeps its value when
the user moves between pages, whatever Streamlit does with the widgets of the
page that is left. The URL holds every non-default value of the view; on the
first run of a page in a session the URL's values are validated and applied, and
any bad one is replaced by its default with a notice saying which.
"""

from __future__ import annotations

import math
from typing import Any

import streamlit as st

from engine import OBJECTIVES, OPTIMIZERS, get_objective

from .params import (
    SHARED_FIELDS,
    Choice,
    Field,
    Flag,
    MultiChoice,
    Number,
    Point,
    Settings,
    Text,
    hyper_key,
    objective_key,
    settings_from_values,
    start_problem,
)

NOTICES = "_notices"
APPLIED = "_url_applied"


def vkey(key: str) -> str:
    return f"v:{key}"


def wkey(key: str) -> str:
    return f"w:{key}"


def get(field: Field) -> Any:
    return st.session_state.get(vkey(field.key), field.default)


def put(field: Field, value: Any) -> None:
    st.session_state[vkey(field.key)] = value


def notices() -> list[str]:
    return st.session_state.setdefault(NOTICES, [])


# ---------------------------------------------------------------------------
# URL -> values
# ---------------------------------------------------------------------------


def apply_url(page: str, fields: dict[str, Field]) -> None:
    """Validate the URL's values and apply them, once per page and session."""
    applied = st.session_state.setdefault(APPLIED, set())
    if page in applied:
        return
    applied.add(page)
    known = {"present"}  # presentation mode, read by the page frame
    for raw_key in st.query_params:
        raw = st.query_params.get_all(raw_key)[-1] if st.query_params.get_all(raw_key) else ""
        field = fields.get(raw_key)
        if field is None:
            if raw_key not in known:
                notices().append(f"The link's parameter `{raw_key[:40]}` is not one this page "
                                 "knows; it was ignored.")
            continue
        try:
            put(field, field.clean(raw))
        except ValueError as err:
            default = "the objective's own start" if field.default is None else field.fmt(field.default)
            notices().append(f"The link's value for **{describe(field)}** "
                             f"(`{field.key}`) {err}; it was replaced by the default, {default}.")
            put(field, field.default)
    # A start point must suit the objective the link chose.
    start_field = fields.get("start")
    if start_field is not None and get(start_field) is not None:
        problem = start_problem(current_objective(), get(start_field))
        if problem:
            notices().append(f"The link's start point {problem}; the objective's own start is used.")
            put(start_field, None)


def describe(field: Field) -> str:
    """A control's name for a sentence: hyperparameters carry their optimiser's name."""
    prefix = field.key.split(".", 1)[0]
    if prefix in OPTIMIZERS and "." in field.key:
        return f"{OPTIMIZERS[prefix].title} {field.label}"
    return field.label or field.key


def current_objective(container=None):
    """The chosen objective; if its options do not fit together (say, a plot box with
    xmin >= xmax), its defaults, with the reason shown in ``container``."""
    f = SHARED_FIELDS["f"]
    name = get(f)
    opts = {o: get(SHARED_FIELDS[objective_key(o)]) for o in OBJECTIVES[name].options}
    try:
        return get_objective(name, **opts)
    except ValueError as err:
        if container is not None:
            container.error(f"{err}: using the defaults of {OBJECTIVES[name].title}.",
                            icon=":material/error:")
        return get_objective(name)


def url_values(fields: dict[str, Field], relevant: set[str]) -> dict[str, str]:
    """The URL that reproduces the view: every relevant non-default value."""
    out = {}
    for key in relevant:
        field = fields[key]
        value = get(field)
        if value != field.default and value is not None:
            out[key] = field.fmt(value)
    return dict(sorted(out.items()))


def write_url(values: dict[str, str]) -> None:
    current = {k: st.query_params.get(k) for k in st.query_params}
    if current != values:
        st.query_params.from_dict(values)


# ---------------------------------------------------------------------------
# Widgets
# ---------------------------------------------------------------------------


def _fmt_number(v: float) -> str:
    if v == 0:
        return "0"
    if abs(v) < 1e-3 or abs(v) >= 1e4:
        return f"{v:.0e}" if float(f"{v:.0e}") == v else f"{v:.2e}"
    return f"{v:g}"


def widget(field: Field, container=None, label: str | None = None, disabled: bool = False):
    """Draw the widget of ``field`` (seeded from its value) and store what it returns."""
    box = container or st
    key = wkey(field.key)
    value = get(field)
    label = label or field.label
    ss = st.session_state
    if isinstance(field, Flag):
        if key not in ss:
            ss[key] = bool(value)
        new = box.checkbox(label, key=key, help=field.help or None, disabled=disabled)
    elif isinstance(field, Choice):
        if key not in ss or ss[key] not in field.options:
            ss[key] = value
        new = box.selectbox(label, field.options, key=key, format_func=field.label_of,
                            help=field.help or None, disabled=disabled,
                            on_change=_on_choice_change, args=(field.key,))
    elif isinstance(field, MultiChoice):
        if key not in ss:
            ss[key] = list(value)
        new = box.multiselect(label, field.options, key=key, format_func=field.label_of,
                              help=field.help or None, max_selections=field.max_items,
                              disabled=disabled, on_change=_keep_one, args=(field.key, tuple(value)))
        new = tuple(new) if new else tuple(value)
    elif isinstance(field, Text):
        if key not in ss:
            ss[key] = str(value)
        typed = box.text_input(label, key=key, help=field.help or None, disabled=disabled,
                               max_chars=field.max_length)
        try:
            new = field.parse(typed)
        except ValueError as err:
            box.error(f"{err}. Still showing the last valid function: `{value}`",
                      icon=":material/error:")
            new = value
    elif isinstance(field, Number) and field.grid:
        options = sorted(set(field.grid) | {float(value)})
        if key not in ss or ss[key] not in options:
            ss[key] = float(value)
        new = box.select_slider(label, options=options, key=key, format_func=_fmt_number,
                                help=field.help or None, disabled=disabled)
    elif isinstance(field, Number) and field.widget == "number" and not field.integer:
        if key not in ss:
            ss[key] = float(value)
        new = box.number_input(label, min_value=float(field.low), max_value=float(field.high),
                               step=float(field.step or 0.1), key=key, help=field.help or None,
                               disabled=disabled, format="%g")
    elif isinstance(field, Number) and field.integer:
        if key not in ss:
            ss[key] = int(value)
        new = box.number_input(label, min_value=int(field.low), max_value=int(field.high),
                               step=1, key=key, help=field.help or None, disabled=disabled)
        new = int(min(max(new, field.low), field.high))
    elif isinstance(field, Number):
        if key not in ss:
            ss[key] = float(value)
        step = field.step or (field.high - field.low) / 100
        new = box.slider(label, min_value=float(field.low), max_value=float(field.high),
                         step=float(step), key=key, help=field.help or None, disabled=disabled,
                         format="%g")
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
        st.session_state[vkey("start")] = None
        for k in (wkey("start.x"), wkey("start.y")):
            st.session_state.pop(k, None)


def start_widgets(field: Point, objective, container) -> None:
    value = get(field)
    if objective.dim != 2:
        container.caption(f"Start: the objective's own start (all {objective.dim} weights at 0).")
        put(field, None)
        return
    current = value if value is not None else objective.start
    cols = container.columns(2)
    ss = st.session_state
    out = []
    for i, (axis, col) in enumerate(zip("xy", cols)):
        key = wkey(f"start.{axis}")
        if key not in ss:
            ss[key] = float(current[i])
        lo, hi = objective.bounds[i]
        out.append(col.number_input(f"start {axis}", min_value=float(lo - (hi - lo)),
                                    max_value=float(hi + (hi - lo)), step=0.1, key=key,
                                    format="%.3f"))
    new = tuple(float(v) for v in out)
    put(field, None if all(math.isclose(a, b) for a, b in zip(new, objective.start)) else new)


def enter_page(page: str) -> None:
    """On a page switch, forget the previous page's widgets so that every widget on the
    new page is seeded from the remembered values (Streamlit gives widgets on
    different pages different identities even when their keys match)."""
    if st.session_state.get("_page") != page:
        for k in [k for k in st.session_state if isinstance(k, str) and k.startswith("w:")]:
            del st.session_state[k]
        st.session_state["_page"] = page


def reset_all() -> None:
    for k in list(st.session_state):
        if isinstance(k, str) and (k.startswith("v:") or k.startswith("w:")):
            del st.session_state[k]
    st.session_state[NOTICES] = []


def shared_sidebar(container) -> tuple[Settings, set[str]]:
    """The controls every page shares. Returns the settings and the URL keys in use."""
    f = SHARED_FIELDS
    used = {"f", "opt", "steps", "noise", "seed", "start"}
    container.markdown("### Problem")
    widget(f["f"], container)
    objective_name = get(f["f"])
    options = list(OBJECTIVES[objective_name].options)
    for i, opt in enumerate(options):
        box = container
        if objective_name == "custom" and i > 0:  # the plot box as two rows of two
            if i % 2 == 1:
                row = container.columns(2)
            box = row[(i - 1) % 2]
        widget(f[objective_key(opt)], box)
        used.add(objective_key(opt))
    objective = current_objective(container)
    container.caption(objective.description)

    container.markdown("### Optimisers")
    widget(f["opt"], container)
    for opt in get(f["opt"]):
        spec = OPTIMIZERS[opt]
        lr = get(f[hyper_key(opt, "lr")])
        with container.expander(f"{spec.title}  ·  η = {_fmt_number(lr)}", expanded=False):
            for name in spec.hypers:
                widget(f[hyper_key(opt, name)])
                used.add(hyper_key(opt, name))

    container.markdown("### Run")
    widget(f["steps"], container)
    widget(f["noise"], container)
    widget(f["seed"], container)
    start_widgets(f["start"], objective, container)
    container.button("Reset all controls", on_click=reset_all, key="reset_all",
                     help="Back to the defaults (the chapter's experiment).")
    values = {k: get(fld) for k, fld in f.items()}
    return settings_from_values(values), used
