"""The README's 15-minute lesson as a ready lesson (ui/state/lesson_plan.py): its link is the
README's, decodes to the intended views with nothing refused, fits the limit, and the home page
teaches it through every step."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

from ui.frame.lesson import link
from ui.frame.registry import LESSON, PAGES, ROOT
from ui.state.lesson import MAX_CHARS, encode
from ui.state.lesson_plan import FIFTEEN_MINUTES

from .conftest import charts, no_exception, open_page
from .test_lesson import LOCAL, bar, click, title


def test_the_fifteen_minute_lesson_is_the_readmes_and_fits_its_link():
    url = link(FIFTEEN_MINUTES, LOCAL)
    assert url in (ROOT / "README.md").read_text(), "the README's link is not the code's: paste link(...) again"
    lesson = LESSON.clean(dict(parse_qsl(urlsplit(url).query))["lesson"])
    assert lesson == FIFTEEN_MINUTES and lesson.notices == ()  # every value valid and written as a link writes it
    assert [s.page for s in lesson.steps] == ["home", "trajectories", "learning_rates", "bias_correction", "sparse",
                                              "sensitivity", "trajectories", "network"]
    assert all(s.query.get("present") == "1" and s.title and s.note for s in lesson.steps)
    assert lesson.steps[2].query["opt"] == "adagrad,rmsprop,adam"  # the button the README says to click
    assert lesson.steps[6].query["explain"] == "1" and lesson.steps[6].query["opt"].startswith("adam,")
    assert lesson.steps[7].query["nn.preset"] == "tuned"
    assert len(encode(lesson)) <= MAX_CHARS and len(url) <= 4096


def test_the_home_page_teaches_the_fifteen_minute_lesson_through_every_step():
    at = open_page("dashboard.py")
    assert link(FIFTEEN_MINUTES, LOCAL) in [c.value for c in at.code]
    click(at, "teach_fifteen")
    for k, step in enumerate(FIFTEEN_MINUTES.steps):
        no_exception(at)
        assert bar(at).startswith(f"**Step {k + 1} of 8**") and title(at) == step.title
        if step.question:
            assert charts(at) == []
            at.button(key="lesson_reveal").click().run()
            no_exception(at)
        page = PAGES[step.page]
        assert len(charts(at)) == page.charts, (k, step.page)
        assert not [w.value for w in at.warning if "link" in w.value.lower()]
        if k < 7:
            click(at, "lesson_next")
    assert not [c for c in at.code if "lesson=" in c.value]  # the invitation is not repeated mid-lesson
