"""The lesson link's encoding (ui.state.lesson): round trips, every limit, and a strict decoder.

A lesson link is anyone's text. Whatever it holds (random bytes, a link cut short, a tampered
byte, a format from elsewhere, a small link that unpacks into a large one), decoding either
refuses it with a ``ValueError`` that says why, or opens a lesson whose every step is on a known
page, whose values are what the page's fields accept, whose texts are within their caps and free
of control characters, with a notice for whatever it could not open as given.
"""

from __future__ import annotations

import base64
import json
import zlib

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ui.frame.registry import LESSON, PAGES, lesson_rules
from ui.state.lesson import (
    MAX_BYTES,
    MAX_CHARS,
    MAX_NOTE,
    MAX_QUESTION,
    MAX_STEPS,
    MAX_TITLE,
    Lesson,
    Step,
    clean_text,
    encode,
)

FUZZ = settings(deadline=None, derandomize=True, database=None, max_examples=150,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def raw_of(items: list, level: int = 9) -> str:
    """A lesson value made by hand: any JSON, compressed and written as the app writes it."""
    data = zlib.compress(json.dumps(items).encode(), level)
    return "1." + base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def opened(raw: str) -> Lesson:
    return LESSON.clean(raw)


SAMPLE = Lesson("Optimisers in 10 minutes", (
    Step("home", (("present", "1"),), "The figure", "Which one wins?\nChange the seed.", "Who ends lowest?",
         ("opt", "seed")),
    Step("trajectories", (("f", "beale"), ("opt", "sgd,adam"), ("steps", "300")), "Paths", "Press Play."),
    Step("learning_rates", (("opt", "adagrad,rmsprop,adam"),), "Rates", "", "What will AdaGrad's rate do?"),
    Step("network", (("nn.preset", "tuned"),), "A network"),
))


def well_formed(lesson: Lesson) -> None:
    """What every opened lesson holds, whatever link it came from."""
    assert 1 <= len(lesson.steps) <= MAX_STEPS
    assert len(lesson.title) <= MAX_TITLE
    for step in lesson.steps:
        rules = lesson_rules(step.page)
        assert rules is not None
        for key, raw in step.values:
            assert rules.fields[key].fmt(rules.fields[key].clean(raw)) == raw  # canonical and accepted
        assert set(step.hide) <= set(rules.hideable)
        for text, cap in ((step.title, MAX_TITLE), (step.note, MAX_NOTE), (step.question, MAX_QUESTION)):
            assert len(text) <= cap
            assert not any(ord(c) < 32 and c != "\n" for c in text)
            assert "\u202e" not in text
        assert "\n" not in step.title and "\n" not in step.question
    assert all(isinstance(n, str) and n for n in lesson.notices)


def test_a_lesson_survives_its_link():
    raw = encode(SAMPLE)
    assert raw.startswith("1.") and len(raw) < 600
    back = opened(raw)
    assert back == SAMPLE and back.notices == ()
    assert encode(back) == raw  # one link per lesson
    well_formed(back)


def test_the_link_is_url_safe():
    raw = encode(SAMPLE)
    assert set(raw[2:]) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def test_values_are_checked_like_a_links_and_written_as_a_link_writes_them():
    raw = raw_of(["", {"p": "trajectories", "q": {"present": "true", "steps": "abc", "opt": "adam,warp", "zz": "1",
                                                  "lesson": "x", "adam.lr": "0.05", "seed": "0"},
                       "h": ["steps", "nope"]}])
    lesson = opened(raw)
    assert lesson.steps[0].values == (("adam.lr", "0.05"), ("present", "1"))  # defaults (seed 0) left out
    said = " ".join(lesson.notices)
    for what in ("Steps (steps) 'abc' is not a finite number", "Optimisers (opt)", "'zz' is not a control",
                 "'lesson' is not a control", "'nope' is not a control it can hide"):
        assert what in said, (what, said)
    assert lesson.steps[0].hide == ("steps",)


def test_an_unknown_page_is_skipped_and_the_rest_opens():
    lesson = opened(raw_of(["T", {"p": "nowhere"}, {"p": 7}, "not a step", {"p": "loss", "t": "Curves"}]))
    assert [s.page for s in lesson.steps] == ["loss"]
    assert sum("left out" in n for n in lesson.notices) == 3


def test_a_start_point_is_checked_against_the_steps_objective():
    lesson = opened(raw_of(["", {"p": "trajectories", "q": {"f": "beale", "start": "900,900"}}]))
    assert lesson.steps[0].query == {"f": "beale"}
    assert any("far outside" in n for n in lesson.notices)


@pytest.mark.parametrize(("raw", "why"), [
    ("1." + "A" * (MAX_CHARS - 1), "characters long"),
    ("", "not a lesson link"),
    ("eNp9jrEKwkAQRH", "not a lesson link"),
    ("2." + encode(SAMPLE)[2:], "format 2"),
    ("99999." + encode(SAMPLE)[2:], "not a lesson link"),
    ("1." + encode(SAMPLE)[2:] + "+/=", "characters a lesson link never has"),
    ("1.<script>", "characters a lesson link never has"),
    ("1.AAAA", "damaged"),
    ("1." + base64.urlsafe_b64encode(zlib.compress(b'{"p": "home"}')).decode().rstrip("="), "not a lesson"),
    (raw_of([]), "no lesson"),
    (raw_of(["only a title"]), "no step"),
    (raw_of(["", {"p": "nowhere"}]), "no step this app can open"),
    (raw_of([[[[[[[["deep"]]]]]]]]), "no step"),
])
def test_what_cannot_be_opened_is_refused_with_the_reason(raw, why):
    with pytest.raises(ValueError, match=why):
        opened(raw)


def test_a_link_over_the_limit_is_refused_before_it_is_decoded(monkeypatch):
    def never(*args):
        raise AssertionError("decompressed")

    monkeypatch.setattr(zlib, "decompressobj", never)
    with pytest.raises(ValueError, match=f"at most {MAX_CHARS}"):
        opened("1." + "A" * MAX_CHARS)


def test_a_small_link_that_unpacks_into_a_large_one_is_refused_early():
    """A compression bomb: a few KB that inflate to megabytes."""
    payload = json.dumps(["", {"p": "home", "n": "a" * 3_000_000}]).encode()
    raw = "1." + base64.urlsafe_b64encode(zlib.compress(payload, 9)).rstrip(b"=").decode()
    assert len(raw) <= MAX_CHARS  # it gets past the size check
    with pytest.raises(ValueError, match=f"more than {MAX_BYTES // 1024} KB"):
        opened(raw)


def test_deep_nesting_does_not_overflow_the_stack():
    raw = raw_of(["", {"p": "home"}])
    text = "[" * 50_000 + "]" * 50_000
    bomb = "1." + base64.urlsafe_b64encode(zlib.compress(text.encode(), 9)).rstrip(b"=").decode()
    assert opened(raw).steps
    with pytest.raises(ValueError):
        opened(bomb)


def test_at_most_twenty_steps_are_opened():
    raw = raw_of(["", *({"p": "loss", "t": f"S{i}"} for i in range(MAX_STEPS + 5))])
    lesson = opened(raw)
    assert len(lesson.steps) == MAX_STEPS and lesson.steps[-1].title == f"S{MAX_STEPS - 1}"
    assert any(f"{MAX_STEPS + 5} steps" in n for n in lesson.notices)


def test_texts_are_cut_at_their_caps_with_a_notice():
    raw = raw_of(["T" * 500, {"p": "home", "t": "t" * 500, "n": "n " * 2000, "a": "a" * 500}])
    lesson = opened(raw)
    step = lesson.steps[0]
    assert (len(lesson.title), len(step.title), len(step.note), len(step.question)) == \
        (MAX_TITLE, MAX_TITLE, MAX_NOTE, MAX_QUESTION)
    assert step.note.endswith("…")
    assert sum("was cut" in n or "was longer" in n for n in lesson.notices) == 4


def test_texts_lose_control_characters_and_direction_overrides():
    assert clean_text("a\x00b\x1b[31mc\u202ed\td", 50) == ("ab[31mcd d", False)
    assert clean_text(" one\r\ntwo\n\n\n\nthree ", 50, multiline=True) == ("one\ntwo\n\nthree", False)
    assert clean_text("one\ntwo", 50) == ("one two", False)


def test_non_text_members_do_not_break_a_step():
    lesson = opened(raw_of([5, {"p": "loss", "q": {"steps": 5, "seed": None}, "t": ["x"], "n": {"a": 1},
                                "a": 3, "h": "steps"}]))
    assert lesson.steps == (Step("loss"),)
    assert len(lesson.notices) >= 5


def _cut_points(raw: str) -> list[int]:
    return sorted({2, 3, 5, 8, len(raw) // 4, len(raw) // 2, 3 * len(raw) // 4, len(raw) - 3, len(raw) - 1})


@pytest.mark.parametrize("frac", range(9))
def test_a_link_cut_short_opens_the_steps_before_the_cut(frac):
    """Chats, e-mail clients and forms cut long links: what was read is a prefix of the lesson."""
    note = ("A note. " * 20).strip()
    big = Lesson("Cut", tuple(Step("loss", (("seed", str(i + 1)),), f"Step {i}", note) for i in range(8)))
    raw = encode(big)
    cut = _cut_points(raw)[frac]
    try:
        lesson = opened(raw[:cut])
    except ValueError as err:
        assert str(err)
        return
    assert lesson.steps == big.steps[:len(lesson.steps)]
    assert any("cut short" in n or "ends before" in n for n in lesson.notices), lesson.notices


# --------------------------------------------------------------------------------------------
# Fuzz: whatever the link, a ValueError or a well-formed lesson, and never anything else
# --------------------------------------------------------------------------------------------

PAGE_IDS = sorted(PAGES)
json_scalar = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=30))
values = st.dictionaries(st.sampled_from(["steps", "opt", "f", "seed", "present", "adam.lr", "start", "nn.preset",
                                          "sp.dim", "explain", "zz", "lesson", "ls"]),
                         st.one_of(st.sampled_from(["1", "0", "adam", "sgd,adam", "nan", "1e9", "beale", "0.5,0.5",
                                                    "tuned", "120"]), json_scalar), max_size=6)
step_json = st.fixed_dictionaries({"p": st.one_of(st.sampled_from(PAGE_IDS), json_scalar)},
                                  optional={"q": st.one_of(values, json_scalar),
                                            "t": st.one_of(st.text(max_size=120), json_scalar),
                                            "n": st.one_of(st.text(max_size=1000), json_scalar),
                                            "a": st.one_of(st.text(max_size=300), json_scalar),
                                            "h": st.one_of(st.lists(st.sampled_from(["opt", "f", "steps", "x",
                                                                                     "explain", "nn.steps"])),
                                                           json_scalar)})
lesson_json = st.tuples(st.one_of(st.text(max_size=100), json_scalar),
                        st.lists(st.one_of(step_json, json_scalar), max_size=24)).map(lambda t: [t[0], *t[1]])


def _open_or_refuse(raw: str) -> Lesson | None:
    try:
        lesson = opened(raw)
    except ValueError as err:
        assert str(err)
        return None
    well_formed(lesson)
    return lesson


@FUZZ
@given(items=lesson_json)
def test_any_lesson_json_opens_well_formed_or_is_refused(items):
    raw = raw_of(items)
    if len(raw) > MAX_CHARS:
        with pytest.raises(ValueError):
            opened(raw)
        return
    lesson = _open_or_refuse(raw)
    if lesson is not None:  # what opened opens again, the same
        again = opened(encode(lesson))
        assert again == lesson and again.notices == ()


@FUZZ
@given(data=st.binary(max_size=3000))
def test_random_bytes_are_refused_or_opened_well_formed(data):
    _open_or_refuse("1." + base64.urlsafe_b64encode(data).rstrip(b"=").decode())
    _open_or_refuse("1." + base64.urlsafe_b64encode(zlib.compress(data)).rstrip(b"=").decode())


@FUZZ
@given(text=st.text(max_size=5000))
def test_random_text_is_refused_or_opened_well_formed(text):
    _open_or_refuse(text)
    _open_or_refuse("1." + text)


@FUZZ
@given(data=st.data())
def test_a_tampered_link_is_refused_or_opened_well_formed(data):
    raw = encode(SAMPLE)
    chars = list(raw)
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    for _ in range(data.draw(st.integers(1, 4))):
        i = data.draw(st.integers(2, len(chars) - 1))
        chars[i] = data.draw(st.sampled_from(alphabet))
    lesson = _open_or_refuse("".join(chars))
    # a change is never silent: zlib's checksum (or a broken stream, or bytes after its end) says so
    assert lesson is None or lesson == SAMPLE or lesson.notices, lesson


@FUZZ
@given(cut=st.integers(0, 2000), items=lesson_json)
def test_a_truncated_link_is_refused_or_opened_well_formed(cut, items):
    raw = raw_of(items)
    if len(raw) <= MAX_CHARS:
        _open_or_refuse(raw[:cut])


# Ten steps as a teacher writes them: each a view with values, a title, a note of two or three
# sentences and a question, all different (prose, not repeated text that compresses to nothing).
TEN = Lesson("Adaptive optimisers in one lecture", (
    Step("home", (("present", "1"),), "The chapter's figure",
         "Three optimisers on the noisy Rosenbrock valley, from the same start with the same noise. Each title "
         "holds its final loss. Change the seed and look again.",
         "Which of the three ends lowest?", ("opt", "steps")),
    Step("trajectories", (("opt", "sgd,momentum"), ("steps", "300"), ("present", "1")), "Momentum overshoots",
         "Press Play and watch the orange path swing across the valley floor. Momentum keeps moving in the "
         "direction it has been going, so it overshoots where the valley bends.",
         "Whose path crosses the valley first?"),
    Step("trajectories", (("f", "quadratic"), ("opt", "sgd,adam"), ("present", "1")), "An ill-conditioned bowl",
         "On a long, narrow bowl plain gradient descent zigzags between the walls. Adam rescales each "
         "coordinate by its own gradient history and walks down the middle.",
         "Will Adam zigzag as well?"),
    Step("learning_rates", (("opt", "adagrad,rmsprop,adam"), ("present", "1")), "Effective learning rates",
         "AdaGrad sums every squared gradient, so its rate can only fall. RMSProp forgets old gradients and "
         "levels off; Adam's rate is still rising at the end of the run.",
         "What will AdaGrad's rate do over time?"),
    Step("bias_correction", (("present", "1"),), "Why correct the bias?",
         "Both moments start at zero. Without the correction the first steps are several times too large, and "
         "the two runs agree only after many steps.",
         "Is the uncorrected first step bigger or smaller?"),
    Step("sparse", (("present", "1"),), "Rare features",
         "Some features fire in one example of a thousand. AdaGrad gives them a large step each time they "
         "appear, because their squared-gradient sum stays small.",
         "On the rarest features, who gets closer: SGD or AdaGrad?"),
    Step("sensitivity", (("present", "1"),), "How forgiving is each optimiser?",
         "Each curve is the final loss over a range of learning rates. The shaded band is where the loss stays "
         "within twice its best value; a wider band means less tuning.",
         "Which optimiser keeps a good loss over the widest range?"),
    Step("schedules", (("present", "1"),), "Warm-up and decay",
         "A schedule changes the learning rate during the run. Warm-up avoids the large early steps; cosine "
         "decay settles the last part of the path near the minimum.",
         "Where does the cosine schedule gain the most?"),
    Step("weight_decay", (("present", "1"),), "L2 penalty or decoupled decay",
         "With Adam an L2 penalty is divided by the same denominator as the gradient, so large weights barely "
         "shrink. Decoupled weight decay shrinks every weight by the same fraction.",
         "Which version pulls the weights closer to zero?"),
    Step("network", (("nn.preset", "tuned"), ("present", "1")), "Does the claim survive a real model?",
         "Both optimisers are tuned on the same budget for a small network. At the defaults it is a tie; "
         "try another seed or noisier data and compare the test accuracy again.",
         "Will SGD with momentum generalise better here?"),
))


def test_ten_steps_with_notes_and_questions_fit_a_link_of_4_kb():
    """The README's promise: a lesson of ten steps with notes fits a link of at most 4 KB (4,096
    characters, the app's address and the first step's values included)."""
    from ui.frame.lesson import link

    assert len(TEN.steps) == 10 and all(s.note.count(".") >= 2 and s.question for s in TEN.steps)
    url = link(TEN, "https://optimiser-lab.streamlit.app/")
    assert len(url) <= 4096, len(url)
    assert len(encode(TEN)) <= MAX_CHARS
    back = opened(encode(TEN))
    assert [(s.page, dict(s.values), s.title, s.note, s.question, set(s.hide)) for s in back.steps] == \
        [(s.page, dict(s.values), s.title, s.note, s.question, set(s.hide)) for s in TEN.steps]
