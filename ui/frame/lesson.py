"""Lessons in the page frame: following one and building one.

**Following.** The lesson a link carries is the ``lesson`` field's value (``ui.state.lesson``; the
link's ``ls`` says which step, 1 by default). While there is one, every page opens with the
presenter bar (step k of n, Previous, Next, Leave; the keys of ``ui.views.presenter``), the step's
title and note, the controls the step hides left out of the sidebar (their values still in force),
and, when the step asks a question, the question instead of the charts until **Reveal** (or the
first PageDown): predict, then reveal. A move to a step sets every control to the step's values
(and opens its page); the address bar then holds the view's values, the lesson and the step, so a
reload opens the same view at the same step. Leaving the lesson keeps the view as a normal link.
Nothing of it is kept on the server: the lesson is in the link, a session's place in it (the
step, what was revealed) in that session's state.

**Building.** The sidebar's **Add to lesson** adds the view (its page and ``View.query()``, the
presentation mode included) as a step of this session's draft; the **Lesson** panel gives each step
a title, a note, a question and the controls it hides, moves and removes steps, and gives the link
(``link``) or, when the lesson is too long for one, says what to shorten.

Everything a lesson says (titles, notes, questions) is anyone's text: it is shown escaped
(``plain``), never as a link, an image, a formula or HTML.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import streamlit as st

from ui.state import session
from ui.state.fields import PRESENT
from ui.state.lesson import MAX_CHARS, MAX_NOTE, MAX_QUESTION, MAX_STEPS, MAX_TITLE, Lesson, Step, encode
from ui.views import presenter

from . import panels
from .registry import LESSON, LESSON_STEP, PAGES, Page, hideable, lesson_rules

GO = "_lesson_go"  # a move a button or a key asked for, done at the start of the run it starts
REVEALED = "_lesson_revealed"  # {(lesson digest, step index)} whose question was answered by Reveal
DRAFT = "_lesson_draft"  # the lesson being built: {"title", "steps": [{id, page, values, title, ...}], "next"}
HERE = "_lesson_here"  # (page id, view values) of the last finished run: what Add to lesson adds
EDITOR_OPEN = "_lesson_editor_open"
SHOW_HIDDEN = "lesson_show_hidden"

CSS = """
<style id="lesson">
  .st-key-lesson_held { display: none !important; }
  .st-key-lesson_bar { margin-top: 0.6rem; }  /* clear of Streamlit's header */
  .st-key-lesson_bar [data-testid="stMarkdownContainer"] { margin-bottom: 0; }  /* centred with the buttons */
  .st-key-lesson_bar p { margin: 0; }
  .st-key-lesson_question [data-testid="stMarkdownContainer"] p { font-size: 1.6rem; font-weight: 600;
    line-height: 1.35; }
</style>
"""
# Projected: the question is read from the back of the room.
PRESENTING_CSS = """
<style id="lesson-presenting">
  .st-key-lesson_question [data-testid="stMarkdownContainer"] p { font-size: 2.2rem; }
  .st-key-lesson_bar [data-testid="stMarkdownContainer"] p { font-size: 1.2rem; }
  @media (max-width: 640px) {  /* a phone following a projected lesson: the question still fits */
    .st-key-lesson_question [data-testid="stMarkdownContainer"] p { font-size: 1.6rem; }
  }
</style>
"""


def plain(text: str) -> str:
    """``text`` as Markdown that shows it as typed: every character escaped (``session.escape``: no
    link, image, formula or HTML, bare addresses inert), its line breaks and paragraphs kept."""
    paragraphs = [p for p in str(text).split("\n\n") if p.strip()]
    return "\n\n".join("  \n".join(session.escape(line) for line in p.split("\n") if line.strip())
                       for p in paragraphs)


# ---------------------------------------------------------------------------
# The lesson being followed
# ---------------------------------------------------------------------------


def active() -> Lesson | None:
    lesson = session.get(LESSON)
    return lesson if isinstance(lesson, Lesson) and lesson.steps else None


def position(lesson: Lesson) -> int:
    """The step shown (0-based): the link's ``ls``, within the lesson."""
    return min(max(int(session.get(LESSON_STEP)), 1), len(lesson.steps)) - 1


def current() -> tuple[Lesson, int, Step] | None:
    lesson = active()
    if lesson is None:
        return None
    k = position(lesson)
    return lesson, k, lesson.steps[k]


def url_values() -> dict[str, str]:
    """The lesson's part of the address: the lesson and the step shown (none without a lesson)."""
    lesson = active()
    if lesson is None:
        return {}
    k = position(lesson)
    return {LESSON.key: LESSON.fmt(lesson), **({LESSON_STEP.key: str(k + 1)} if k else {})}


def link(lesson: Lesson, root: str, step: int = 0) -> str:
    """The lesson's one link: its first step's page and values (or step ``step``'s, 0-based, and
    ``ls``), and the whole lesson, under the app's address ``root`` (``http://localhost:8501/``)."""
    shown = lesson.steps[step]
    base = root.rstrip("/") + "/" + PAGES[shown.page].url_path
    at = {LESSON_STEP.key: str(step + 1)} if step else {}
    return panels.current_url(base, {**shown.query, LESSON.key: LESSON.fmt(lesson), **at})


def app_root(page: Page) -> str:
    """The app's address, from this page's (``st.context.url``; a local default in tests)."""
    url = (getattr(st.context, "url", None) or f"http://localhost:8501/{page.url_path}").split("?")[0].split("#")[0]
    url = url.rstrip("/")
    if page.url_path and url.endswith("/" + page.url_path):
        url = url[: -len(page.url_path) - 1]
    return url + "/"


def _revealed() -> set:
    return st.session_state.setdefault(REVEALED, set())


def holding(page: Page) -> bool:
    """Whether this page's charts wait for Reveal: the step shown is on this page and asks a
    question not yet revealed."""
    cur = current()
    if cur is None:
        return False
    lesson, k, step = cur
    return bool(step.question) and step.page == page.id and (lesson.digest, k) not in _revealed()


def hidden(page: Page) -> frozenset[str]:
    """The controls the step shown hides on this page (none on another page, or once the student
    asks to see them)."""
    cur = current()
    if cur is None or cur[2].page != page.id or st.session_state.get(SHOW_HIDDEN):
        return frozenset()
    return frozenset(cur[2].hide)


# -- moves: asked in a callback (a button, a key), done at the start of the run -----------------


def _ask(*action: Any) -> None:
    st.session_state[GO] = action


def request(k: int) -> None:
    _ask("step", k)


def begin(lesson: Lesson) -> None:
    """Start following ``lesson`` at its first step (a callback)."""
    _ask("start", lesson)


def leave() -> None:
    """Stop following the lesson; the view stays, as a normal link (a callback)."""
    session.put(LESSON, None)
    session.put(LESSON_STEP, LESSON_STEP.default)


def reveal(digest: str, k: int) -> None:
    _revealed().add((digest, k))


def _on_keys() -> None:
    """A key of the presenter bar (``presenter.keys``): the step it asks for, or Reveal (a forward key
    on a step whose question is still up)."""
    cur, asked = current(), presenter.asked()
    if cur is None or asked is None:
        return
    lesson, k, _ = cur
    to, reveals = asked
    if reveals and to == k + 1:
        reveal(lesson.digest, k)
    elif not reveals and 1 <= to <= len(lesson.steps):
        request(to - 1)


def _prescribed_present(step: Step) -> bool:
    return PRESENT.clean(step.query.get(PRESENT.key, "0"))


def _enter(lesson: Lesson, k: int, page: Page, fresh: bool) -> None:
    """Show step ``k``: every control at the step's value (the defaults for the rest), then its page.
    Presentation mode follows the step, unless the viewer changed it during the lesson (a student
    who turned it off keeps it off)."""
    step = lesson.steps[k]
    keep_present = None
    if not fresh and (cur := current()) is not None:
        if session.get(PRESENT) != _prescribed_present(cur[2]):
            keep_present = session.get(PRESENT)
    fields = lesson_rules(step.page).fields
    session.reset_all()
    for key, raw in step.values:
        session.put(fields[key], fields[key].clean(raw))
    if keep_present is not None:
        session.put(PRESENT, keep_present)
    session.put(LESSON, lesson)
    session.put(LESSON_STEP, k + 1)
    if fresh:
        session.notices().extend(session.escape(n) for n in lesson.notices)
    if step.page != page.id:
        target = PAGES[step.page]
        st.switch_page(target.script, query_params={**session.url_values(fields, set(fields)), **url_values()})


def _open_view(page_id: str, values: dict[str, str], page: Page) -> None:
    """Open a view (a draft step's): its values, then its page."""
    rules = lesson_rules(page_id)
    if rules is None:
        return
    session.reset_all()
    for key, raw in values.items():
        f = rules.fields.get(key)
        if f is not None:
            try:
                session.put(f, f.clean(raw))
            except ValueError:
                continue
    if page_id != page.id:
        st.switch_page(PAGES[page_id].script,
                       query_params={**session.url_values(rules.fields, set(rules.fields)), **url_values()})


def follow(page: Page) -> None:
    """At the start of a page's run (after the link's values are read): do the move a button or a
    key asked for, which may open another page."""
    action = st.session_state.pop(GO, None)
    lesson = active()
    if lesson is not None and session.get(LESSON_STEP) > len(lesson.steps):  # a link past the end
        session.notices().append(f"The link asks for step {session.get(LESSON_STEP)} of a lesson of "
                                 f"{len(lesson.steps)} steps: its last step is shown.")
        session.put(LESSON_STEP, len(lesson.steps))
    if not action:
        return
    if action[0] == "start" and isinstance(action[1], Lesson) and action[1].steps:
        _enter(action[1], 0, page, fresh=True)
    elif action[0] == "step" and lesson is not None and 0 <= action[1] < len(lesson.steps):
        _enter(lesson, action[1], page, fresh=False)
    elif action[0] == "view":
        _open_view(action[1], action[2], page)


# -- what the page shows -------------------------------------------------------------------------


@dataclass
class Shown:
    """What the presenter drew: whether the charts wait for Reveal, whether the step is on this
    page, and a place in the bar for "Back to step k" (filled once the view is known)."""

    holding: bool
    here: bool
    slot: Any


def presenter_bar(page: Page, presenting: bool) -> Shown:
    """The bar, the step's title (the page's title when the step is on another page) and its note
    (after Reveal, when the step asks a question)."""
    lesson, k, step = current()
    n = len(lesson.steps)
    here = step.page == page.id
    hold = holding(page)
    st.html(CSS + (PRESENTING_CSS if presenting else ""))
    with st.container(horizontal=True, vertical_alignment="center", gap="small", key="lesson_bar"):
        said = f"**Step {k + 1} of {n}**" + (f" · {session.escape(lesson.title)}" if lesson.title else "")
        st.markdown(said, width="content")
        st.button("Previous", key="lesson_prev", icon=":material/arrow_back:", disabled=k == 0, on_click=request,
                  args=(k - 1,), help="Or PageUp (a clicker's back key), or ← when no control has focus.")
        st.button("Next", key="lesson_next", icon=":material/arrow_forward:", icon_position="right",
                  disabled=k == n - 1, on_click=request, args=(k + 1,),
                  help="Or PageDown (a clicker's forward key), or → when no control has focus; on a step that "
                       "asks a question, the key first reveals the charts.")
        slot = st.empty()
        st.button("Leave the lesson", key="lesson_leave", icon=":material/logout:", type="tertiary", on_click=leave,
                  help="Back to a normal link: this view stays, without the lesson.")
        presenter.keys(k + 1, n, held=hold, on_go=_on_keys)
    if here:
        st.title(session.escape(step.title) if step.title else page.title, anchor=False)
        if step.note and not hold:
            with st.container(key="lesson_note"):
                st.markdown(plain(step.note))
    else:
        st.title(page.title, anchor=False)
        st.caption(f"Step {k + 1} of the lesson is on {PAGES[step.page].title}: **Back to step {k + 1}** opens it "
                   "at the lesson's values.")
    return Shown(hold, here, slot)


def ask(page: Page) -> None:
    """The step's question, in place of the charts, and Reveal."""
    lesson, k, step = current()
    with st.container(key="lesson_question", border=True):
        st.markdown(plain(step.question))
        st.button("Reveal", key="lesson_reveal", type="primary", icon=":material/visibility:", on_click=reveal,
                  args=(lesson.digest, k), help="Shows the charts and the step's note (or press PageDown).")


def finish(page: Page, query: dict[str, str], shown: Shown | None) -> None:
    """At the end of a page's run: remember the view (what Add to lesson adds) and, in a lesson,
    offer the step's own view back when this one differs from it (another page, changed controls;
    presentation mode aside)."""
    st.session_state[HERE] = (page.id, dict(query))
    cur = current()
    if shown is None or cur is None:
        return
    _, k, step = cur
    mine = {key: v for key, v in query.items() if key != PRESENT.key}
    theirs = {key: v for key, v in step.query.items() if key != PRESENT.key}
    if not shown.here or mine != theirs:
        shown.slot.button(f"Back to step {k + 1}", key="lesson_back", icon=":material/replay:", on_click=request,
                          args=(k,), help="This step's page and values, as the lesson sets them.")


def sidebar_note(container, page: Page) -> None:
    """Say which controls the step hides, and let the student show them."""
    cur = current()
    if cur is None or cur[2].page != page.id or not cur[2].hide:
        return
    labels = hideable(page)
    names = ", ".join(labels.get(k, k) for k in cur[2].hide)
    container.caption(f"This lesson step hides: {names}. Their values still apply.")
    container.toggle("Show the hidden controls", key=SHOW_HIDDEN)


# ---------------------------------------------------------------------------
# Building a lesson
# ---------------------------------------------------------------------------

_TEXTS = (("title", "Title", MAX_TITLE), ("note", "Note for the class", MAX_NOTE),
          ("question", "Question before the charts (optional)", MAX_QUESTION))


def _wkey(step_id: int, name: str) -> str:
    return f"w:lesson.{step_id}.{name}"  # "w:": re-seeded from the draft on every page switch


def _draft() -> dict:
    return st.session_state.setdefault(DRAFT, {"title": "", "steps": [], "next": 1})


def sync_draft() -> None:
    """The editor's inputs into the draft (before a page switch forgets the widgets)."""
    draft = st.session_state.get(DRAFT)
    if not draft:
        return
    ss = st.session_state
    if "w:lesson.title" in ss:
        draft["title"] = str(ss["w:lesson.title"] or "")
    for step in draft["steps"]:
        for name, *_ in _TEXTS:
            if _wkey(step["id"], name) in ss:
                step[name] = str(ss[_wkey(step["id"], name)] or "")
        if _wkey(step["id"], "hide") in ss:
            step["hide"] = list(ss[_wkey(step["id"], "hide")])


def draft_lesson(draft: dict) -> Lesson:
    return Lesson(draft["title"], tuple(Step(s["page"], tuple(sorted(s["values"].items())), s["title"], s["note"],
                                             s["question"], tuple(s["hide"])) for s in draft["steps"]))


def _add() -> None:
    here = st.session_state.get(HERE)
    draft = _draft()
    if here is None or len(draft["steps"]) >= MAX_STEPS:
        return
    page_id, values = here
    step = {"id": draft["next"], "page": page_id, "values": dict(values), "title": PAGES[page_id].title,
            "note": "", "question": "", "hide": []}
    draft["next"] += 1
    draft["steps"].append(step)
    st.session_state["w:lesson.pick"] = step["id"]
    st.session_state[EDITOR_OPEN] = True
    st.session_state.pop("w:lesson.editor", None)
    st.toast(f"Step {len(draft['steps'])} added: {PAGES[page_id].title}. Give it a title and a note in the "
             "Lesson panel.", icon=":material/playlist_add:")


def _use_view(step_id: int) -> None:
    here = st.session_state.get(HERE)
    step = next((s for s in _draft()["steps"] if s["id"] == step_id), None)
    if here is None or step is None:
        return
    step["page"], step["values"] = here[0], dict(here[1])
    allowed = hideable(PAGES[here[0]])
    step["hide"] = [k for k in step["hide"] if k in allowed]
    st.session_state.pop(_wkey(step_id, "hide"), None)


def _move(step_id: int, by: int) -> None:
    steps = _draft()["steps"]
    i = next(i for i, s in enumerate(steps) if s["id"] == step_id)
    j = min(max(i + by, 0), len(steps) - 1)
    steps.insert(j, steps.pop(i))


def _remove(step_id: int) -> None:
    draft = _draft()
    draft["steps"] = [s for s in draft["steps"] if s["id"] != step_id]


def _clear() -> None:
    st.session_state[DRAFT] = {"title": "", "steps": [], "next": _draft()["next"]}


def _copy(lesson: Lesson) -> None:
    """The lesson being followed, into the editor (to change it, or to bring back a lesson from its
    link)."""
    draft = _draft()
    draft["title"] = lesson.title
    st.session_state.pop("w:lesson.title", None)
    for step in lesson.steps:
        draft["steps"].append({"id": draft["next"], "page": step.page, "values": step.query, "title": step.title,
                               "note": step.note, "question": step.question, "hide": list(step.hide)})
        draft["next"] += 1


def _remember_open() -> None:
    st.session_state[EDITOR_OPEN] = bool(st.session_state.get("w:lesson.editor"))


def editor(container, page: Page) -> None:
    """**Add to lesson** and the **Lesson** panel (open across pages once opened)."""
    draft = _draft()
    n = len(draft["steps"])
    container.button("Add to lesson", key="lesson_add", icon=":material/playlist_add:", on_click=_add,
                     disabled=n >= MAX_STEPS, width="stretch",
                     help=f"This view as a step of a lesson (its page and every value, presentation mode "
                          f"included); at most {MAX_STEPS} steps.")
    label = f"Lesson · {n} step{'' if n == 1 else 's'}" if n else "Lesson"
    box = container.expander(label, expanded=bool(st.session_state.get(EDITOR_OPEN)), icon=":material/school:",
                             key="w:lesson.editor", on_change=_remember_open)
    if box.open:
        with box:
            _edit(draft, page)


def _edit(draft: dict, page: Page) -> None:
    ss = st.session_state
    steps = draft["steps"]
    if not steps:
        st.caption("Set up a view, then **Add to lesson**; each step keeps its page and every value. Give each "
                   "a title, a note for the class and, if the class should predict first, a question: its "
                   "charts then wait for Reveal. The lesson's link holds it all.")
        if active() is not None:
            st.button("Edit a copy of the lesson you are following", key="lesson_copy", on_click=_copy,
                      args=(active(),), width="stretch")
        return
    if "w:lesson.title" not in ss:
        ss["w:lesson.title"] = draft["title"]
    st.text_input("Lesson title", key="w:lesson.title", max_chars=MAX_TITLE, placeholder="Optional")
    st.markdown("\n".join(f"{i}. {session.escape(s['title'] or PAGES[s['page']].title)} "
                          f"({session.escape(PAGES[s['page']].title)})" for i, s in enumerate(steps, 1)))
    ids = [s["id"] for s in steps]
    if ss.get("w:lesson.pick") not in ids:
        ss["w:lesson.pick"] = ids[-1]
    number = {s["id"]: i for i, s in enumerate(steps, 1)}
    by_id = {s["id"]: s for s in steps}
    pick = st.selectbox("Step to edit", ids, key="w:lesson.pick",
                        format_func=lambda i: f"{number[i]}. {by_id[i]['title'] or PAGES[by_id[i]['page']].title}")
    step = by_id[pick]
    for name, label, limit in _TEXTS:
        key = _wkey(pick, name)
        if key not in ss:
            ss[key] = step[name]
        if name == "note":
            st.text_area(label, key=key, max_chars=limit, height=110)
        else:
            st.text_input(label, key=key, max_chars=limit)
    options = hideable(PAGES[step["page"]])
    key = _wkey(pick, "hide")
    if key not in ss:
        ss[key] = [k for k in step["hide"] if k in options]
    st.multiselect("Controls this step hides", list(options), key=key, format_func=options.get,
                   help="Left out of the sidebar while the step is shown; their values still apply.")
    sync_draft()
    with st.container(horizontal=True, gap="small"):
        i = number[pick]
        st.button("Up", key="lesson_up", icon=":material/arrow_upward:", disabled=i == 1, on_click=_move,
                  args=(pick, -1))
        st.button("Down", key="lesson_down", icon=":material/arrow_downward:", disabled=i == len(steps),
                  on_click=_move, args=(pick, 1))
        st.button("Open", key="lesson_open", icon=":material/open_in_browser:", on_click=_ask,
                  args=("view", step["page"], dict(step["values"])), help="Show this step's view.")
        st.button("Remove", key="lesson_remove", icon=":material/delete:", on_click=_remove, args=(pick,))
    st.button("Use this view for the step", key="lesson_use", icon=":material/sync:", on_click=_use_view,
              args=(pick,), width="stretch", help="The step takes the page and values shown now; its texts stay.")
    st.divider()
    _link_section(draft, page)
    st.button("Remove every step", key="lesson_clear", type="tertiary", on_click=_clear)


def _link_section(draft: dict, page: Page) -> None:
    raw = encode(draft_lesson(draft))
    if len(raw) > MAX_CHARS:
        longest = max(draft["steps"], key=lambda s: len(s["note"]) + len(s["question"]))
        i = draft["steps"].index(longest) + 1
        st.warning(f"Too long for one link: this lesson needs {len(raw):,} characters and a lesson link holds at "
                   f"most {MAX_CHARS:,} (links of about 4 KB open everywhere: chats, e-mail, a learning "
                   f"platform, a classroom proxy). Shorten the notes (step {i}'s is the longest) or split the "
                   "lesson in two; nothing is lost meanwhile.", icon=":material/link_off:")
        return
    lesson = LESSON.clean(raw)  # what the link will open: checked and written as a link writes it
    url = link(lesson, app_root(page))
    st.markdown("**The lesson's link**: copy it with the button at the right of the box.")
    st.code(url, language=None, wrap_lines=True)  # a long link wraps: no box to scroll
    st.caption(f"{len(url):,} characters; the lesson uses {len(raw):,} of the {MAX_CHARS:,} a link may hold. It is "
               "all in the link: nothing is kept on the server, and this draft lives only in this tab (the link "
               "brings it back: open it, then **Edit a copy**).")
    for notice in lesson.notices:
        st.caption(session.escape(notice))
    st.button("Present this lesson", key="lesson_present", icon=":material/co_present:", on_click=begin,
              args=(lesson,), width="stretch", help="Follow it from its first step, as the link opens it.")
