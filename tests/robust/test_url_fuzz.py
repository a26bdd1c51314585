"""URL fuzzing: any query string on any page renders the page, and every bad value is named.

Hypothesis builds query strings from the fields the page knows (shared controls, presentation
mode, the page's own), the other pages' fields and random keys; values are valid, invalid,
hostile (NaN, inf, huge, negative, unicode, control characters, code, very long) or repeated
keys. For every example, on every page script:

- the run raises nothing and the page still draws its charts (or says why it has none);
- a value its field refuses (``field.clean(raw)`` raises) is replaced by the field's default
  (``session_state["v:<key>"]``) and a notice names the key in backticks; it is not written
  back into the URL;
- a value its field accepts is the value the page uses;
- an unknown key is named in a notice and dropped from the URL;
- a ``lesson`` (valid lessons are drawn too: steps on any page, their values valid or not, with
  or without a question) opens as ``LESSON.clean`` reads it, or is named in a notice and dropped;
  its step ``ls`` is kept within the lesson; a step whose question is up shows the question and
  Reveal instead of its charts.

Examples are derandomized (the same on every run) and few per page: an AppTest run costs
0.3-2 s. Valid values of the fields that drive the amount of computation are drawn from the
low end of their range (the top of every range is exercised by ``test_caps.py``).
"""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.owndata import encode_data
from ui.frame.registry import ALL_FIELDS as FIELDS
from ui.frame.registry import LESSON, LESSON_STEP, PAGES, view_fields
from ui.state.fields import Choice, DataSet, Flag, MultiChoice, Number, Point, Text
from ui.state.lesson import Lesson, LessonField, Step, encode
from ui.state.session import as_code

from .conftest import (
    FUZZ,
    PAGE_ID,
    PAGE_SCRIPTS,
    assert_pages_are_known,
    n_charts,
    no_exception,
    notices,
    open_page,
    page_fields,
)

EXAMPLES_PER_PAGE = 8

# Streamlit hides these two from st.query_params (its embed options): not the app's business.
RESERVED = {"embed", "embed_options"}

# Valid values of these fields are drawn from [low, cap] to keep each run affordable.
COST_CAP = {"steps": 300, "seeds": 4, "sp.steps": 200, "sp.dim": 25, "sp.seeds": 3, "lrs.points": 8,
            "lrs.seeds": 2, "wd.steps": 500, "so.iter": 100, "sparse.n_samples": 2000, "sparse.dim": 30,
            "sparse2d.n_samples": 2000, "hm.n": 8, "hm.seeds": 2, "hm.steps": 60,
            "home.seed": 3, "nn.steps": 200, "nn.grid": 15}
# Every query starts from these valid, cheap values (checked like the rest); a drawn value for the
# same key replaces them, so an invalid one still falls back to the (expensive) default.
CHEAP = {"steps": "120", "seeds": "3", "sp.steps": "100", "sp.seeds": "2", "lrs.points": "6", "lrs.seeds": "2",
         "wd.steps": "400", "home.seed": "1", "nn.steps": "100", "nn.grid": "9", "hm.n": "6", "hm.seeds": "1",
         "hm.steps": "40"}

VALID_EXPRESSIONS = ("x**2 + 3*y**2", "(1-x)^2 + 100*(y-x^2)^2", "sin(x) + cos(y) + 0.1*(x^2+y^2)",
                     "abs(x) + abs(y)", "exp(-x^2-y^2) * -1 + 0.05*(x^2+y^2)", "  x^2 + y^2  ",
                     "log(1 + x^2 + y^2)", "tanh(x)^2 + sqrt(1 + y^2)", "x^4 - 3*x^2 + y^2 + pi")

HOSTILE = (
    "", " ", "nan", "NaN", "-nan", "inf", "-inf", "Infinity", "1e309", "-1e309", "1e-400", "-1", "-0",
    "0", "-0.0", "1e9", "1e300", "9" * 30, "9" * 250, "2.5", "1_000", "0x10", "0b1", "1,2", "1,2,3", ",",
    "1,", ",1", "nan,nan", "inf,0", "1e9,1e9", "true", "yes", "maybe", "None", "null", "[]", "{}", "%00",
    "\x00", "\x1b[31m", "\u202e1", "١٢", "５", "½", "'; DROP TABLE x; --", "<script>alert(1)</script>",
    "__import__('os').system('id')", "{{7*7}}", "${jndi:ldap://x}", "../../etc/passwd", "x" * 201,
    "a" * 1000, "😀", "adam,adam,adam,adam,adam,adam,adam", "sgd,momentum,nesterov,adagrad,rmsprop,adam,adamw",
    "rosenbrock,beale", "ROSENBROCK", " adam", "adam ,sgd", "x.__class__", "lambda: 0", "x**2 + y**2" * 20,
)

text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=300)
numbers_as_text = st.one_of(
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.floats(allow_nan=False, allow_infinity=False).map(lambda v: f"{v:.3e}"),
)
hostile = st.one_of(st.sampled_from(HOSTILE), numbers_as_text, text)


def _fmt(v: float) -> str:
    return repr(float(v))


# One's own data set: points of the plane and their classes, a draft or a whole data set.
_POINT = st.tuples(st.floats(-2, 2, allow_nan=False), st.floats(-2, 2, allow_nan=False), st.integers(0, 2))
DATA_SETS = st.lists(_POINT, max_size=40).map(
    lambda rows: encode_data([r[:2] for r in rows], [r[2] for r in rows], complete=False))


@st.composite
def broken_data(draw):
    """A data set's text, damaged: cut, a character changed, more appended, or repeated past a link's length."""
    text = draw(DATA_SETS)
    how = draw(st.sampled_from(["cut", "change", "append", "long"]))
    if how == "cut":
        return text[:draw(st.integers(0, max(len(text) - 1, 0)))]
    if how == "change":
        i = draw(st.integers(0, len(text) - 1))
        return text[:i] + draw(st.sampled_from("A_-z9=.%/+é ")) + text[i + 1:]
    if how == "append":
        return text + draw(st.text(max_size=8))
    return text * (4001 // max(len(text), 1) + 1)


def valid_raw(field) -> st.SearchStrategy[str]:
    """Text that ``field.clean`` accepts."""
    if isinstance(field, Flag):
        return st.sampled_from(("1", "0", "true", "False", "YES", "off", " on "))
    if isinstance(field, Choice):
        return st.sampled_from(field.options)
    if isinstance(field, MultiChoice):
        return st.lists(st.sampled_from(field.options), min_size=1, max_size=field.max_items).map(",".join)
    if isinstance(field, Point):
        coord = st.floats(-3, 3, allow_nan=False)
        return st.tuples(*[coord] * field.dim).map(lambda p: ",".join(_fmt(v) for v in p))
    if isinstance(field, Text):
        return st.sampled_from(VALID_EXPRESSIONS)
    if isinstance(field, DataSet):
        return st.one_of(st.just(""), DATA_SETS)
    if isinstance(field, LessonField):
        return lessons()
    if isinstance(field, Number):
        high = min(field.high, COST_CAP.get(field.key, field.high))
        if field.integer:
            return st.integers(int(field.low), int(high)).map(str)
        values = st.floats(field.low, high, allow_nan=False)
        if field.grid:
            values = st.one_of(st.sampled_from(field.grid), values)
        return values.map(_fmt)
    raise AssertionError(f"no valid values for {type(field).__name__}")


@st.composite
def lessons(draw, here: str | None = None) -> str:
    """A lesson link: steps on any page (the first often on the page ``here``), each with a few of its
    values (valid or hostile), a title, maybe a note and a question, maybe controls it hides."""
    steps = []
    for i in range(draw(st.integers(1, 4))):
        on_here = here is not None and i == 0 and draw(st.booleans())
        page = PAGES[here] if on_here else PAGES[draw(st.sampled_from(sorted(PAGES)))]
        fields = view_fields(page)
        keys = draw(st.lists(st.sampled_from(sorted(fields)), max_size=3, unique=True))
        values = tuple(sorted((k, draw(raw_value(fields[k]))) for k in keys))
        steps.append(Step(page.id, values, draw(st.text(max_size=40)), draw(st.text(max_size=80)),
                          draw(st.one_of(st.just(""), st.text(min_size=1, max_size=40))),
                          tuple(draw(st.lists(st.sampled_from(["opt", "steps", "f", "nope"]), max_size=2)))))
    return encode(Lesson(draw(st.text(max_size=30)), tuple(steps)))


def raw_value(field) -> st.SearchStrategy[str]:
    if isinstance(field, DataSet):
        return st.one_of(valid_raw(field), broken_data(), hostile)
    return hostile if field is None else st.one_of(valid_raw(field), hostile)


def query_strategy(path: str):
    known = page_fields(path)
    others = sorted(set(FIELDS) - set(known))
    random_key = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=60).filter(
        lambda k: k.lower() not in RESERVED and k not in known)
    key = st.one_of(st.sampled_from(sorted(known)), st.sampled_from(sorted(known)),
                    st.sampled_from(others) if others else st.nothing(), random_key)

    @st.composite
    def build(draw):
        keys = draw(st.lists(key, min_size=1, max_size=6, unique=True))
        query = {k: v for k, v in CHEAP.items() if k in known}
        for k in keys:
            values = raw_value(known.get(k))
            if draw(st.integers(0, 5)) == 0:  # a repeated key: the last value counts
                query[k] = draw(st.lists(values, min_size=2, max_size=3))
            else:
                query[k] = draw(values)
        return query

    return build()


def _last(raw):
    return raw[-1] if isinstance(raw, list) else raw


def _same(a, b) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return a == b or (math.isnan(a) and math.isnan(b))
    return a == b


def check_page(path: str, query: dict) -> None:
    at = open_page(path, query)
    no_exception(at)
    fields = page_fields(path)
    said = notices(at)
    errors = [e.value for e in at.error]
    assert not [e for e in errors if "cannot be computed" in e], (query, errors)

    lesson = at.session_state["v:lesson"] if "v:lesson" in at.session_state else None
    for key, raw in query.items():
        field = fields.get(key)
        if field is None:  # unknown here: named, ignored, dropped from the URL
            assert any(as_code(key, 40) in n and "not one this page knows" in n for n in said), (key, said)
            assert key not in at.query_params
            continue
        try:
            expected = field.clean(_last(raw))
        except ValueError:
            refused = "could not be opened" if isinstance(field, LessonField) else "replaced by the default"
            assert any(f"(`{key}`)" in n and refused in n for n in said), (key, raw, said)
            assert _same(at.session_state[f"v:{key}"], field.default), (key, raw)
            assert key not in at.query_params, (key, raw)
            continue
        assert not any(f"(`{key}`)" in n for n in said), (key, raw, said)
        value = at.session_state[f"v:{key}"]
        if key == "start":  # may be refused for this objective (its own notice) or equal its default start
            assert value is None or value == expected, (raw, value)
        elif key == "ls" and isinstance(lesson, Lesson):  # within the lesson
            assert value == min(expected, len(lesson.steps)), (raw, value)
        else:
            assert _same(value, expected), (key, raw, value, expected)

    # The page still shows its charts, or says why it has none.
    objective = at.session_state["v:f"] if "v:f" in at.session_state else "rosenbrock"
    if path.endswith("Practical_guide.py"):
        return
    if any(b.key == "lesson_reveal" for b in at.button):  # a lesson step's question: charts after Reveal
        assert n_charts(at) == 0
        return
    if path.endswith("1_Trajectories.py") and objective == "sparse":
        assert any("no map" in n for n in said)
        return
    if path.endswith("6_LR_sensitivity.py") and any("Every run diverged" in n for n in said):
        return
    assert n_charts(at) >= 1, (query, said, errors)


def test_every_page_script_is_fuzzed():
    assert_pages_are_known()


@pytest.mark.parametrize("path", PAGE_SCRIPTS)
@settings(FUZZ, max_examples=EXAMPLES_PER_PAGE)
@given(data=st.data())
def test_any_url_renders_the_page_and_names_bad_values(path, data):
    check_page(path, data.draw(query_strategy(path), label="query"))


@pytest.mark.parametrize("path", PAGE_SCRIPTS)
@settings(FUZZ, max_examples=6)
@given(data=st.data())
def test_any_lesson_link_renders_the_page_and_names_what_it_cannot_open(path, data):
    """The lesson keys are two among a hundred on a page: here they are in every query."""
    query = {k: v for k, v in CHEAP.items() if k in page_fields(path)}
    query[LESSON.key] = data.draw(st.one_of(lessons(here=PAGE_ID[path]), hostile), label="lesson")
    if data.draw(st.booleans()):
        query[LESSON_STEP.key] = data.draw(raw_value(LESSON_STEP), label="ls")
    check_page(path, query)


@pytest.mark.parametrize("path", PAGE_SCRIPTS)
def test_one_bad_value_of_each_kind_on_every_page(path):
    check_page(path, _fixed_query(path))


def _fixed_query(path: str) -> dict:
    """One of each kind of bad value on the shared controls, plus the page's own, every run."""
    query = {"steps": "nan", "noise": "-inf", "seed": "1e400", "adam.lr": "-1", "opt": ["adam", "warp"],
             "start": "1,2,3", "f.cond": "1e9", "é€\x00": "x", "k" * 300: "1"}
    for key, field in page_fields(path).items():
        if key not in query and key != "present" and not isinstance(field, Text):
            query[key] = "9" * 250 if len(query) % 2 else "nan"
    return query


@pytest.mark.parametrize("raw", [
    "1/0 + x", "x**2 + 0**(-1)", "x + 1000000**(50*50)", "y + e**(50*50)", "x + (2-2)**(-3)",
    "__import__('os').system('id')", "x.__class__", "lambda x: x", "(" * 150, "-" * 199 + "x",
    "x" + "**x" * 60, "sin(" * 30 + "x" + ")" * 30, "x\x00+y", "x\n+y", "ｘ**2", "x²", "1e999*x",
])
def test_a_custom_function_link_never_breaks_a_page(raw):
    """Text that the function field accepts must also be computable (or refused by the objective
    with a message); text it refuses falls back with a notice."""
    check_page("pages/2_Loss_curves.py", {"f": "custom", "custom.expr": raw, "steps": "50"})


@settings(FUZZ, max_examples=15)
@given(raw=raw_value(FIELDS["nn.points"]), cls=st.one_of(st.sampled_from(("0", "1", "2")), hostile))
def test_any_data_set_in_a_link_renders_the_network_page(raw, cls):
    """One's own data in a link: a draft, a data set, or anything else (refused with a notice, the
    moons in its place), on the Neural network page."""
    check_page("pages/11_Neural_network.py", {"nn.data": "own", "nn.points": raw, "nn.class": cls, "nn.steps": "60",
                                              "nn.grid": "9"})
