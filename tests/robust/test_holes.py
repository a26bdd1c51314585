"""The holes a hostile link found, closed: text from a link is shown as text, a function that is
not finite at the start is a message (not a traceback), a map where the function is partly
undefined is shaded where it is defined and says where it is not, a job past its deadline is
stopped with a message."""

from __future__ import annotations

import re

import pytest

from ui.compute import budget

from .conftest import n_charts, no_exception, notices, open_page

INJECTIONS = {
    "link": "[Your session expired: log in again](http://example.invalid/login)",
    "image": "![t](http://example.invalid/track.png)",
    "autolink": "<http://example.invalid> www.example.invalid",
    "bare URL": "log in again at HTTPS://example.invalid/login",
    "www": "visit WWW.example.invalid",
    "e-mail": "write to help@example.invalid",
    "mailto": "mailto:help@example.invalid",
    "html": "<a href='http://example.invalid'>x</a><img src=x>",
    "formula": "$\\\\href{http://example.invalid}{x}$",
    "directive": ":red[alarm] :material/warning:",
    "backticks": "`` ` [x](http://example.invalid) `",
}
LINKS = re.compile(r"(?<!\\)\[[^\]]*(?<!\\)\]\(|(?<!\\)<http|(?<!\\)<a |(?<!\\)<img|(?<!\\)\$|(?<!\\):red\["
                   r"|(?<!\\)!\[")
# GitHub-style autolinks, which Streamlit's Markdown also finds in text after its escapes are
# removed (remark-gfm's find-and-replace over text nodes): a backslash does not stop them.
LITERALS = re.compile(r"https?://|www(?=\.)|[-.\w+]@[-\w]+(?:\.[-\w]+)+", re.IGNORECASE)


def _unescaped_markup(text: str) -> bool:
    """Markdown that would render as a link, an image, a formula or a directive: a construct whose
    opening character is not escaped, or a bare address (escaped or not), outside code spans."""
    outside_code = re.sub(r"(`+)(?:(?!\1).)+?\1", "", text)
    unescaped = re.sub(r"\\(.)", r"\1", outside_code)
    return bool(LINKS.search(outside_code) or LITERALS.search(unescaped))


def test_the_checker_sees_markup():
    assert _unescaped_markup("go [here](http://x)") and _unescaped_markup("$x$") and _unescaped_markup("![i](u)")
    assert not _unescaped_markup("go \\[here\\]") and not _unescaped_markup("`[here](http://x)`")
    for bare in ("http\\://x\\.y", "go to www\\.x\\.y", "a@b\\.example", "HTTPS://x"):
        assert _unescaped_markup(bare), bare
    assert not _unescaped_markup("http\u2060\\://x www\u2060\\.x a\u2060@b\\.c `http://x`")


@pytest.mark.parametrize("kind", INJECTIONS)
@pytest.mark.parametrize("where", ["value", "key"])
def test_link_text_in_a_notice_is_shown_as_text(kind, where):
    """A link's value (or parameter name) was echoed as Markdown: ``?opt=[Your session expired](...)``
    showed a clickable link, ``![t](...)`` made every visitor's browser fetch an image."""
    text = INJECTIONS[kind]
    query = {"opt": text} if where == "value" else {text: "1"}
    at = open_page("pages/1_Trajectories.py", {**query, "steps": "50"})
    no_exception(at)
    said = notices(at)
    assert said, "the bad value is named"
    for notice in said:
        assert not _unescaped_markup(notice), notice


def test_a_typed_function_is_quoted_as_code_in_its_error():
    at = open_page("pages/1_Trajectories.py", {"f": "custom", "steps": "50"})
    at.text_input(key="w:custom.expr").set_value("x**2 + [y](http://example.invalid)").run()
    errors = [e.value for e in at.error]
    assert errors and all(not _unescaped_markup(e) for e in errors), errors
    assert any("`x**2`" in e or "``" in e or "`x" in e for e in errors), errors  # the function as code


@pytest.mark.parametrize("expr", ["log(x)", "x^y", "sqrt(x)+y^2"])
def test_second_order_says_when_the_function_is_not_finite_at_the_start(expr):
    """It was an ``IndexError`` from engine/baselines.py, with the server's file paths shown."""
    at = open_page("pages/9_Second_order.py", {"f": "custom", "custom.expr": expr, "start": "-1,1.5"})
    no_exception(at)
    errors = [e.value for e in at.error]
    assert any("not finite at the start point" in e for e in errors), errors
    assert not any("Traceback" in e or ".py" in e for e in errors)


def test_a_partly_undefined_function_is_shaded_where_defined_and_says_where_not():
    at = open_page("pages/1_Trajectories.py", {"f": "custom", "custom.expr": "sqrt(x)+y^2", "start": "1.5,1",
                                               "steps": "50"})
    no_exception(at)
    assert any("not defined" in n and "blank" in n for n in notices(at)), notices(at)
    assert n_charts(at) == 1


def test_a_function_without_a_minimum_in_the_box_is_named():
    at = open_page("pages/2_Loss_curves.py", {"f": "custom", "custom.expr": "x + y", "steps": "50"})
    no_exception(at)
    assert any("no minimum inside the plotted box" in n for n in notices(at)), notices(at)


def test_a_job_past_its_deadline_is_stopped_and_the_page_says_so(monkeypatch):
    from ui.compute import pool, runs

    runs.TRACES.clear()
    one_worker = pool.EnginePool(workers=1)
    monkeypatch.setattr(runs, "POOL", one_worker)
    monkeypatch.setattr(budget, "deadline", lambda seconds: 1e-4)
    try:
        one_worker.run("ping", None, cost=10.0)  # up and idle: the page's jobs go to it
        at = open_page("pages/1_Trajectories.py", {"steps": "4000", "seed": "77"})
        no_exception(at)
        errors = [e.value for e in at.error]
        assert any("stopped" in e for e in errors), errors
        assert one_worker.stopped >= 1
    finally:
        one_worker.shutdown()


def test_a_link_notice_quotes_a_function_as_code():
    """``x**2`` in a notice was rendered as bold Markdown."""
    at = open_page("pages/1_Trajectories.py", {"f": "custom", "custom.expr": "x**2 + import", "steps": "50"})
    said = [n for n in notices(at) if "custom.expr" in n]
    assert said and "`x**2 + import`" in said[0], said
