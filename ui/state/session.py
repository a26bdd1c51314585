"""A session's control values, the URL that reproduces them, and the notices about bad links.

Values live in ``st.session_state["v:<key>"]`` (plain session state, which survives page
switches); each widget has the key ``"w:<key>"`` and is seeded from the value when it is first
drawn on a page. The URL holds every non-default value of the view; on the first run of a page
in a session the URL's values are validated and applied, and a bad one is replaced by its
default with a notice saying which. A link's text is anyone's: notices quote it as code or
escape it, so it is shown as the text it is, never as a link, an image or a formula.
"""

from __future__ import annotations

import re
from typing import Any

import streamlit as st

from engine import OBJECTIVES, OPTIMIZERS, get_objective

from .fields import PRESENT, SHARED_FIELDS, DataSet, Field, Point, Text, legacy_option_key, objective_key
from .lesson import LESSON_KEYS, LessonField
from .settings import start_problem

NOTICES = "_notices"
APPLIED = "_url_applied"
_MARKDOWN = re.compile(r"([\\`*_{}\[\]()<>#+\-.!|~$:&])")
# Where a word joiner goes in escaped text: before the escaped ":" of "http(s)://", the escaped
# "." after "www", and every "@".
_ADDRESS = re.compile(r"(?i)(?<=https)(?=\\:)|(?<=http)(?=\\:)|(?<=www)(?=\\\.)|(?=@)")


def vkey(key: str) -> str:
    return f"v:{key}"


def wkey(key: str) -> str:
    return f"w:{key}"


def get(field: Field) -> Any:
    return st.session_state.get(vkey(field.key), field.default)


def put(field: Field, value: Any) -> None:
    st.session_state[vkey(field.key)] = value


def current(field: Field) -> Any:
    """The value the control will hold in this run: its widget's state when the user has just
    changed it (read before the widget is drawn, e.g. for a panel's label), else the value."""
    if wkey(field.key) in st.session_state:
        return st.session_state[wkey(field.key)]
    return get(field)


# ---------------------------------------------------------------------------
# Text from a link, shown as text
# ---------------------------------------------------------------------------


def escape(text: str) -> str:
    """``text`` with every Markdown (and KaTeX ``$``) character escaped, and every address in it
    made inert: shown as typed, never as a link. Streamlit's Markdown links bare addresses
    (``http://``, ``https://``, ``www.``, ``name@host.tld``: GitHub's autolinks) even when their
    characters are escaped, since it finds them in the text once the escapes are gone; an
    invisible word joiner (U+2060) before ``://``, the ``.`` after ``www`` and ``@`` breaks them."""
    text = _MARKDOWN.sub(r"\\\1", " ".join(str(text).split()))
    return _ADDRESS.sub("\u2060", text)


def as_code(text: str, limit: int = 80) -> str:
    """``text`` as an inline code span (fenced by more backticks than it holds, so nothing in it
    can close the span), on one line and at most ``limit`` characters."""
    text = " ".join(str(text).split())
    if len(text) > limit:
        text = text[:limit - 1] + "…"
    fence = "`" * (max((len(m) for m in re.findall(r"`+", text)), default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def notices() -> list[str]:
    """This session's link notices (Markdown written by the app; link text is quoted)."""
    return st.session_state.setdefault(NOTICES, [])


# ---------------------------------------------------------------------------
# URL -> values
# ---------------------------------------------------------------------------


def describe(field: Field) -> str:
    """A control's name for a sentence: hyperparameters carry their optimiser's name, objective
    options their objective's."""
    prefix = field.key.split(".", 1)[0]
    if prefix in OPTIMIZERS and "." in field.key:
        return f"{OPTIMIZERS[prefix].title} {field.label}"
    if prefix in OBJECTIVES and "." in field.key:
        return f"{OBJECTIVES[prefix].title}: {field.label}"
    return field.label or field.key


def _url_value(raw_key: str) -> str:
    values = st.query_params.get_all(raw_key)
    return values[-1] if values else ""


def apply_url(page: str, fields: dict[str, Field]) -> None:
    """Validate the URL's values and apply them, once per page and session.

    An old link's flat objective option (``f.cond``) is read as that option of the link's
    objective (``quadratic.cond``)."""
    applied = st.session_state.setdefault(APPLIED, set())
    if page in applied:
        return
    applied.add(page)
    objective = SHARED_FIELDS["f"]
    try:
        linked_objective = objective.clean(_url_value("f")) if "f" in st.query_params else get(objective)
    except ValueError:
        linked_objective = objective.default
    for raw_key in st.query_params:
        raw = _url_value(raw_key)
        key = legacy_option_key(raw_key, linked_objective) or raw_key
        field = fields.get(key)
        if field is None:
            notices().append(f"The link's parameter {as_code(raw_key, 40)} is not one this page knows; "
                             "it was ignored.")
            continue
        try:
            value = field.clean(raw)
        except ValueError as err:
            default = "the objective's own start" if field.default is None else field.fmt(field.default)
            if isinstance(field, DataSet):  # points, not text to quote
                notices().append(f"The link's data set ({as_code(key)}) cannot be used ({escape(str(err))}); it was "
                                 "replaced by the default: your data starts again as a copy of the two moons.")
            elif isinstance(field, LessonField):
                notices().append(f"The link's lesson ({as_code(key)}) could not be opened: {escape(str(err))}. "
                                 "The page opens without it, as a normal link.")
            elif isinstance(field, Text):  # a function: quoted as code, as typed
                notices().append(f"The link's function {as_code(raw)} ({as_code(key)}) cannot be used: "
                                 f"{escape(str(err))}; it was replaced by the default, {as_code(default)}.")
            else:
                notices().append(f"The link's value for **{escape(describe(field))}** ({as_code(key)}) "
                                 f"{escape(str(err))}; it was replaced by the default, {escape(default)}.")
            put(field, field.default)
            continue
        if value != get(field):  # what a lesson could not open as given, said once (plain text)
            notices().extend(escape(n) for n in getattr(value, "notices", ()))
        put(field, value)
    start = fields.get("start")
    if isinstance(start, Point) and get(start) is not None:
        problem = start_problem(current_objective(), get(start))
        if problem:
            notices().append(f"The link's start point {escape(problem)}; the objective's own start is used.")
            put(start, None)


def current_objective(container=None):
    """The chosen objective; if its options do not fit together (say, a plot box with
    xmin >= xmax), its defaults, with the reason shown in ``container``."""
    name = get(SHARED_FIELDS["f"])
    options = {o: get(SHARED_FIELDS[objective_key(name, o)]) for o in OBJECTIVES[name].options}
    try:
        return get_objective(name, **options)
    except ValueError as err:
        if container is not None:
            container.error(f"{escape(str(err))}: using the defaults of {OBJECTIVES[name].title}.",
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
    current_query = {k: st.query_params.get(k) for k in st.query_params}
    if current_query != values:
        st.query_params.from_dict(values)


def presenting_in_url() -> bool:
    """Whether the link asks for presentation mode (read before the page's config is set)."""
    try:
        return bool(PRESENT.clean(_url_value(PRESENT.key))) if PRESENT.key in st.query_params else False
    except ValueError:
        return False


# ---------------------------------------------------------------------------
# Page switches
# ---------------------------------------------------------------------------


def enter_page(page: str) -> None:
    """On a page switch, forget the previous page's widgets so that every widget on the new page
    is seeded from the remembered values (Streamlit gives widgets on different pages different
    identities even when their keys match)."""
    if st.session_state.get("_page") != page:
        for k in [k for k in st.session_state if isinstance(k, str) and k.startswith("w:")]:
            del st.session_state[k]
        st.session_state["_page"] = page


def reset_all() -> None:
    """Every control back to its default (a lesson being followed stays: it is not a control)."""
    keep = {vkey(k) for k in LESSON_KEYS}
    for k in list(st.session_state):
        if isinstance(k, str) and (k.startswith("v:") or k.startswith("w:")) and k not in keep:
            del st.session_state[k]
    st.session_state[NOTICES] = []


def set_value(field: Field, value: Any) -> None:
    """Set a control from a button or a preset: its value, and its widget re-seeded from it."""
    put(field, value)
    st.session_state.pop(wkey(field.key), None)
