"""Lessons in the app (AppTest): a lesson link opens its steps with the presenter bar; steps move
with their pages and values; hidden controls stay in force; a question holds the charts until
Reveal; leaving keeps the view as a normal link; a bad link opens what it can with a notice and no
text of it is ever markup; the sidebar builds a lesson and its one link, which fits 4 KB for ten
steps with notes.

The presenter's keys (PageDown, PageUp, arrows) need a real browser: tests/browser/test_lesson.py.
"""

from __future__ import annotations

import random
import re
from urllib.parse import parse_qsl, urlsplit

import pytest

from tests.robust.test_holes import INJECTIONS, _unescaped_markup
from ui.frame.lesson import link
from ui.frame.registry import ALL_FIELDS, BY_SCRIPT, LESSON, PAGES, ROOT
from ui.state.fields import PRESENT
from ui.state.lesson import MAX_CHARS, Lesson, Step, encode

from .conftest import charts, no_exception, open_page

LOCAL = "http://localhost:8501/"
SCRIPT = {p.url_path: p.script for p in PAGES.values()}

THREE = Lesson("Three views", (
    Step("trajectories", (("opt", "sgd,adam"), ("steps", "120")), "Paths", "Press Play.\nWatch SGD.",
         "Who ends lowest?"),
    Step("loss", (("noise", "1"), ("opt", "adam"), ("seeds", "3"), ("steps", "150")), "Curves",
         "The band spans the seeds.", hide=("opt", "steps", "seeds")),
    Step("trajectories", (("f", "beale"), ("steps", "100")), "Beale", "Another objective."),
))


def open_link(url: str):
    """Open a link as a new visitor does: its page, its query."""
    parts = urlsplit(url)
    return open_page(SCRIPT[parts.path.strip("/")], dict(parse_qsl(parts.query)))


def click(at, key: str):
    """Click a button and follow the page it opens: AppTest runs the page it was opened on again
    after a script's ``st.switch_page``, where a browser stays on the new page."""
    at.button(key=key).click().run()
    at.switch_page(PAGES[at.session_state["_page"]].script)
    return at


def values(at, *keys):
    """Controls' values as the app reads them (``session.get``: a control never set is at its default)."""
    fields = {**ALL_FIELDS, PRESENT.key: PRESENT}
    return {k: at.session_state[f"v:{k}"] if f"v:{k}" in at.session_state else fields[k].default for k in keys}


def bar(at) -> str:
    return next(m.value for m in at.markdown if m.value.startswith("**Step "))


def title(at) -> str:
    return at.title[0].value


def query(at) -> dict:
    return {k: (v[-1] if isinstance(v, list) else v) for k, v in at.query_params.items()}


def texts(at) -> list[str]:
    """Everything the page says in Markdown (main and sidebar), titles and notices included."""
    return [e.value for e in [*at.markdown, *at.title, *at.caption, *at.warning, *at.info, *at.error]]


def test_a_lesson_link_opens_its_first_step_with_the_presenter_bar():
    at = open_link(link(THREE, LOCAL))
    no_exception(at)
    assert bar(at) == r"**Step 1 of 3** · Three views"
    assert title(at) == "Paths"
    assert values(at, "opt", "steps") == {"opt": ("sgd", "adam"), "steps": 120}
    assert not at.warning
    assert query(at)["lesson"] == LESSON.fmt(THREE) and "ls" not in query(at)
    assert at.button(key="lesson_prev").disabled and not at.button(key="lesson_next").disabled


def test_next_and_previous_move_to_each_steps_page_and_values():
    at = open_link(link(THREE, LOCAL))
    click(at, "lesson_next")
    no_exception(at)
    assert title(at) == "Curves" and bar(at).startswith("**Step 2 of 3**")
    assert values(at, "opt", "steps", "noise", "seeds") == {"opt": ("adam",), "steps": 150, "noise": 1.0, "seeds": 3}
    assert [m.value for m in at.markdown if "band spans" in m.value] == ["The band spans the seeds\\."]
    assert len(charts(at)) == PAGES["loss"].charts
    assert query(at)["ls"] == "2" and query(at)["seeds"] == "3"
    click(at, "lesson_next")
    # the same page as step 1: every value is the step's, the rest back to the defaults
    assert title(at) == "Beale" and values(at, "f", "steps", "opt", "noise") == \
        {"f": "beale", "steps": 100, "opt": ("momentum", "rmsprop", "adam"), "noise": 0.3}
    assert at.button(key="lesson_next").disabled
    click(at, "lesson_prev")
    click(at, "lesson_prev")
    no_exception(at)
    assert title(at) == "Paths" and values(at, "steps") == {"steps": 120}


def test_a_reload_opens_the_same_view_at_the_same_step():
    at = open_link(link(THREE, LOCAL))
    click(at, "lesson_next")
    at.toggle(key="lesson_show_hidden").set_value(True).run()
    at.number_input(key="w:steps").set_value(222).run()
    again = open_page(BY_SCRIPT["pages/2_Loss_curves.py"].script, query(at))
    no_exception(again)
    assert title(again) == "Curves" and bar(again).startswith("**Step 2 of 3**")
    assert values(again, "steps", "opt") == {"steps": 222, "opt": ("adam",)}  # the view as it was, not as the step
    assert any(b.key == "lesson_back" for b in again.button)
    click(again, "lesson_back")  # back to the step's own values
    assert values(again, "steps") == {"steps": 150}
    assert not any(b.key == "lesson_back" for b in again.button)


def test_hidden_controls_are_not_drawn_and_their_values_still_apply():
    at = open_link(link(THREE, LOCAL))
    click(at, "lesson_next")
    keys = {w.key for w in [*at.number_input, *at.multiselect, *at.slider, *at.select_slider]}
    assert {"w:steps", "w:opt", "w:seeds"}.isdisjoint(keys), keys
    assert {"w:noise", "w:seed"} <= keys
    assert not [e for e in at.sidebar.expander if "η =" in e.label]  # the optimisers' panels go with them
    assert any("hides: Optimisers and their settings, Steps, Seeds" in c.value for c in at.sidebar.caption)
    # in force: in the URL and in the runs (the chart shows 150 steps of Adam alone)
    assert query(at)["steps"] == "150" and query(at)["opt"] == "adam"
    data = charts(at)[0].proto.bytes.decode()
    assert '"Adam"' in data and '"RMSProp"' not in data
    at.toggle(key="lesson_show_hidden").set_value(True).run()
    assert at.number_input(key="w:steps").value == 150 and at.number_input(key="w:seeds").value == 3
    click(at, "lesson_prev")  # another step: nothing hidden
    assert at.number_input(key="w:steps").value == 120


def test_a_question_holds_the_charts_and_the_note_until_reveal():
    at = open_link(link(THREE, LOCAL))
    no_exception(at)
    assert charts(at) == []
    assert [m.value for m in at.markdown if "ends lowest" in m.value] == ["Who ends lowest?"]
    assert not [m.value for m in at.markdown if "Press Play" in m.value]  # the note is the answer's
    at.button(key="lesson_reveal").click().run()
    no_exception(at)
    assert len(charts(at)) == PAGES["trajectories"].charts
    assert [m.value for m in at.markdown if "Press Play" in m.value] == ["Press Play\\.  \nWatch SGD\\."]
    assert not any(b.key == "lesson_reveal" for b in at.button)
    click(at, "lesson_next")
    click(at, "lesson_prev")  # revealed stays revealed in this session
    assert len(charts(at)) == PAGES["trajectories"].charts


def test_leaving_keeps_the_view_as_a_normal_link():
    at = open_link(link(THREE, LOCAL))
    click(at, "lesson_next")
    click(at, "lesson_leave")
    no_exception(at)
    assert title(at) == "Loss curves"
    assert not [m for m in at.markdown if m.value.startswith("**Step ")]
    assert query(at) == {"noise": "1", "opt": "adam", "seeds": "3", "steps": "150"}
    assert at.number_input(key="w:steps").value == 150  # nothing hidden any more


def test_presentation_mode_follows_the_steps_unless_the_viewer_changed_it():
    lesson = Lesson("", tuple(Step("loss", (("present", "1"), ("steps", str(100 + i)))) for i in range(3)))
    at = open_link(link(lesson, LOCAL))
    assert values(at, "present") == {"present": True}
    click(at, "lesson_next")
    assert values(at, "present") == {"present": True}
    at.checkbox(key="w:present").uncheck().run()  # a student on a laptop
    click(at, "lesson_next")
    assert values(at, "present", "steps") == {"present": False, "steps": 102}


def test_a_step_past_the_end_shows_the_last_with_a_notice():
    at = open_page("pages/1_Trajectories.py", {"lesson": encode(THREE), "ls": "9", "steps": "100"})
    no_exception(at)
    assert bar(at).startswith("**Step 3 of 3**")
    assert any("step 9 of a lesson of 3 steps" in w.value for w in at.warning)


@pytest.mark.parametrize(("raw", "says"), [
    ("garbage", "could not be opened"),
    ("1." + "A" * MAX_CHARS, "could not be opened"),
    ("2." + encode(THREE)[2:], "format 2"),
])
def test_a_lesson_link_that_cannot_be_opened_opens_the_page_with_a_notice(raw, says):
    at = open_page("pages/2_Loss_curves.py", {"lesson": raw, "steps": "100"})
    no_exception(at)
    assert any(says in w.value and "`lesson`" in w.value for w in at.warning), [w.value for w in at.warning]
    assert len(charts(at)) == PAGES["loss"].charts
    assert "lesson" not in at.query_params and not [m for m in at.markdown if m.value.startswith("**Step ")]


def test_a_lesson_link_cut_short_opens_the_steps_before_the_cut():
    long = Lesson("Long", tuple(Step("loss", (("steps", str(100 + i)),), f"Step {i}", (f"Note {i}. " * 30).strip())
                              for i in range(6)))
    raw = encode(long)
    at = open_page("pages/2_Loss_curves.py", {"lesson": raw[: len(raw) * 2 // 3], "steps": "100"})
    no_exception(at)
    assert any("cut short" in w.value for w in at.warning), [w.value for w in at.warning]
    shown = at.session_state["v:lesson"]
    assert 1 <= len(shown.steps) < 6 and shown.steps == long.steps[:len(shown.steps)]


def test_a_bad_value_in_a_step_falls_back_with_a_notice_naming_the_step():
    lesson = Lesson("", (Step("loss", (("steps", "100"),)),
                         Step("trajectories", (("steps", "abc"), ("adam.lr", "-1"))), Step("loss")))
    raw = encode(lesson)
    at = open_page("pages/2_Loss_curves.py", {"lesson": raw, "steps": "100"})
    said = " ".join(w.value for w in at.warning)
    assert "Step 2 \\(Trajectories\\)" in said and "steps" in said and "adam\\.lr" in said, said
    click(at, "lesson_next")
    no_exception(at)
    assert values(at, "steps", "adam.lr") == {"steps": 2000, "adam.lr": 0.01}


@pytest.mark.parametrize("kind", INJECTIONS)
def test_a_lessons_text_is_shown_as_text(kind):
    """Titles, notes and questions are anyone's text: no link, image, formula, directive or HTML,
    in the bar, the title, the question, the note, the notices and the editor's list."""
    text = INJECTIONS[kind]
    word = re.search(r"example|alarm|WWW|help", text).group(0)
    lesson = Lesson(f"L {text}", (Step("loss", (("steps", "100"),), f"T {text}", f"N {text}\n{text}", f"Q {text}"),
                                  Step("nowhere " + text)))
    at = open_page("pages/2_Loss_curves.py", {"lesson": encode(lesson), "steps": "100"})
    no_exception(at)
    seen = {"bar": bar(at), "title": title(at),
            "question": next(m.value for m in at.markdown if m.value.startswith("Q "))}
    before = texts(at)
    assert any("Step 2 opens a page" in t for t in before)  # quoted (its first 40 characters)
    at.button(key="lesson_reveal").click().run()
    seen["note"] = next(m.value for m in at.markdown if m.value.startswith("N "))
    at.session_state["_lesson_editor_open"] = True
    at.run()
    at.button(key="lesson_copy").click().run()  # the lesson into the editor
    no_exception(at)
    seen["editor"] = next(m.value for m in at.sidebar.markdown if m.value.startswith("1. T "))
    for where, t in seen.items():
        assert word in t, (where, t)
    # the app's own text (the update rules' values are inline maths) is the page's without the lesson
    own = set(texts(open_page("pages/2_Loss_curves.py", {"steps": "100"})))
    for t in [*before, *texts(at)]:
        assert t in own or not _unescaped_markup(t), t


# ---------------------------------------------------------------------------
# Building a lesson
# ---------------------------------------------------------------------------


def test_add_to_lesson_builds_a_lesson_and_gives_its_link():
    at = open_page("pages/1_Trajectories.py", {"steps": "120", "opt": "sgd,adam"})
    at.button(key="lesson_add").click().run()
    at.text_input(key="w:lesson.1.title").set_value("Paths").run()
    at.text_area(key="w:lesson.1.note").set_value("Press Play.").run()
    at.text_input(key="w:lesson.1.question").set_value("Who ends lowest?").run()
    at.switch_page("pages/2_Loss_curves.py").run()
    at.checkbox(key="w:present").check().run()
    at.button(key="lesson_add").click().run()
    at.multiselect(key="w:lesson.2.hide").set_value(["steps", "seeds"]).run()
    at.switch_page("pages/3_Learning_rates.py").run()
    at.button(key="lesson_add").click().run()
    at.text_input(key="w:lesson.3.title").set_value("Rates").run()
    at.button(key="lesson_up").click().run()  # step 3 before step 2
    at.text_input(key="w:lesson.title").set_value("Built by clicking").run()
    no_exception(at)
    urls = [c.value for c in at.sidebar.code if "lesson=" in c.value]
    assert len(urls) == 1
    lesson = LESSON.clean(dict(parse_qsl(urlsplit(urls[0]).query))["lesson"])
    assert lesson.title == "Built by clicking" and lesson.notices == ()
    assert [(s.page, s.title) for s in lesson.steps] == [("trajectories", "Paths"), ("learning_rates", "Rates"),
                                                         ("loss", "Loss curves")]
    assert lesson.steps[0] == Step("trajectories", (("opt", "sgd,adam"), ("steps", "120")), "Paths", "Press Play.",
                                   "Who ends lowest?")
    assert lesson.steps[2].query == {"opt": "sgd,adam", "present": "1", "steps": "120"}  # presentation included
    assert lesson.steps[2].hide == ("steps", "seeds")
    assert urlsplit(urls[0]).path == "/Trajectories"  # the first step's page, with its values
    at.button(key="lesson_remove").click().run()  # the step being edited: Rates
    assert "Lesson · 2 steps" in [e.label for e in at.sidebar.expander]
    click(at, "lesson_present")
    no_exception(at)
    assert title(at) == "Paths" and bar(at) == r"**Step 1 of 2** · Built by clicking"


def test_the_panel_stays_open_across_pages_and_use_this_view_updates_a_step():
    at = open_page("pages/2_Loss_curves.py", {"steps": "120"})
    at.button(key="lesson_add").click().run()
    at.switch_page("pages/1_Trajectories.py").run()
    assert at.text_input(key="w:lesson.1.title").value == "Loss curves"  # the panel is still open
    at.button(key="lesson_use").click().run()
    urls = [c.value for c in at.sidebar.code if "lesson=" in c.value]
    assert LESSON.clean(dict(parse_qsl(urlsplit(urls[0]).query))["lesson"]).steps[0].page == "trajectories"


def test_a_lesson_too_long_for_a_link_gets_none_and_says_what_to_shorten():
    at = open_page("pages/2_Loss_curves.py", {"steps": "120"})
    for _ in range(8):
        at.button(key="lesson_add").click().run()
    for i in range(1, 9):  # notes that hardly compress: a different draw of CJK characters each
        rng = random.Random(i)
        at.session_state["w:lesson.pick"] = i
        at.run()
        at.text_area(key=f"w:lesson.{i}.note").set_value("".join(chr(rng.randrange(0x4E00, 0x9FA0))
                                                                 for _ in range(400))).run()
    no_exception(at)
    assert not [c for c in at.sidebar.code if "lesson=" in c.value]
    warning = " ".join(w.value for w in at.sidebar.warning)
    assert "Too long for one link" in warning and f"at most {MAX_CHARS:,}" in warning and "split" in warning
    assert "Lesson · 8 steps" in [e.label for e in at.sidebar.expander]  # nothing lost


def _prose_lesson(note: int, question: int) -> Lesson:
    """Ten steps on ten pages, each a title, a note of at least ``note`` characters and a question of
    at most ``question``, all prose never repeated (README sentences, each used once: repeated filler
    would compress far better than a teacher's notes)."""
    readme = " ".join((ROOT / "README.md").read_text().split())
    sentences = iter(s for s in re.split(r"(?<=[.!?])\s+", readme) if 60 < len(s) < 260 and "|" not in s
                     and "http" not in s)
    pages = ["home", "trajectories", "loss", "learning_rates", "bias_correction", "sparse", "sensitivity",
             "weight_decay", "schedules", "network"]
    steps = []
    for i, page in enumerate(pages):
        text = ""
        while len(text) < note:
            text = f"{text} {next(sentences)}".strip()
        steps.append(Step(page, (("present", "1"), ("seed", str(i + 1))), f"Step {i + 1}: {next(sentences)[:40]}",
                          text[:800], next(sentences)[:question]))
    return LESSON.clean(encode(Lesson("Ten steps with notes", tuple(steps))))


def test_ten_steps_with_notes_fit_in_a_4_kb_link():
    """The issue's limit: ten steps, each with a title, a note of two or three sentences and a
    question, in a link of at most 4 KB (3.5 KB measured)."""
    lesson = _prose_lesson(note=250, question=100)
    assert sum(len(s.note) for s in lesson.steps) >= 3000 and all(s.question for s in lesson.steps)
    url = link(lesson, "https://optimiser-lab.streamlit.app/")
    assert len(url) <= 4096, len(url)


def test_a_link_holds_about_five_thousand_characters_of_prose():
    """What the README says of the limit: prose compresses about two to one (base64 then takes a
    third back), so the 4,000 characters of a lesson value hold about 5,000 of titles, notes and
    questions; much more is refused."""
    fits = _prose_lesson(note=300, question=100)
    text = sum(len(s.title) + len(s.note) + len(s.question) for s in fits.steps)
    assert 5000 <= text and len(encode(fits)) <= MAX_CHARS, (text, len(encode(fits)))
    with pytest.raises(ValueError, match="at most 4000"):
        _prose_lesson(note=450, question=200)
