"""A lesson as one URL value: its steps, the encoding that carries them, the strict decoder (no
Streamlit).

A lesson is a title and up to ``MAX_STEPS`` steps; a step is a page (its id in the page registry),
the URL values of that page's view (what ``View.query()`` gives, presentation mode included), a
title, a note for the class, an optional question asked before the charts are shown, and the
controls it hides. The whole lesson travels in the link's ``lesson`` parameter, nothing is kept on
the server::

    lesson=1.<base64url(zlib(JSON))>

``1`` is the format's version. The JSON is one array, ``[title, step, step, ...]``, each step an
object ``{"p": page, "q": {key: value}, "t": title, "n": note, "a": question, "h": [keys]}`` with
empty members left out; an array, so that a link cut short still yields the steps before the cut.

A link is anyone's text. The decoder refuses a value longer than ``MAX_CHARS`` before it decodes
anything, stops decompressing at ``MAX_BYTES`` (a small link cannot unpack into a large one),
opens at most ``MAX_STEPS`` steps, cuts every text at its cap, and checks every step's values with
the same fields (``Field.clean``) as a normal link: a bad value falls back to its default, a page
it does not know is skipped, each with a sentence in ``Lesson.notices``. What it cannot open at
all is a ``ValueError`` with the reason. Notices are plain text (the page escapes them); titles,
notes and questions are plain text too, and the page shows them as such.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import json
import re
import unicodedata
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from .fields import Field
from .settings import settings_from_values, start_problem

VERSION = 1
MAX_CHARS = 4000  # the lesson parameter, as it arrives: refused whole beyond this
MAX_BYTES = 65536  # the decompressed JSON: refused beyond this (a compression bomb)
MAX_STEPS = 20
MAX_TITLE = 80  # a step's title and the lesson's
MAX_NOTE = 800
MAX_QUESTION = 240
LESSON_KEYS = ("lesson", "ls")  # the URL keys of the lesson itself, never part of a step's view

_BASE64URL = re.compile(r"[A-Za-z0-9_-]*")
# Characters a title or a note never needs: control characters (a note keeps its line breaks) and
# the bidirectional overrides that can make text read other than it is stored.
_BIDI = dict.fromkeys(map(ord, "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f"))


class PageRules(NamedTuple):
    """What a step on one page may hold: the page's title (for notices), the fields of its URL and
    the controls it may hide (key -> label)."""

    title: str
    fields: Mapping[str, Field]
    hideable: Mapping[str, str]


@dataclass(frozen=True)
class Step:
    page: str
    values: tuple[tuple[str, str], ...] = ()  # (URL key, URL value), as View.query() gives them
    title: str = ""
    note: str = ""
    question: str = ""
    hide: tuple[str, ...] = ()

    @property
    def query(self) -> dict[str, str]:
        return dict(self.values)


@dataclass(frozen=True)
class Lesson:
    title: str
    steps: tuple[Step, ...]
    # What the decoder could not open as given (plain sentences); not part of the lesson's identity.
    notices: tuple[str, ...] = field(default=(), compare=False, repr=False)

    @functools.cached_property
    def digest(self) -> str:
        return hashlib.sha1(encode(self).encode(), usedforsecurity=False).hexdigest()[:12]


# ---------------------------------------------------------------------------
# Text
# ---------------------------------------------------------------------------


def clean_text(value: str, limit: int, multiline: bool = False) -> tuple[str, bool]:
    """``value`` as a title or note may hold it, and whether it was cut at ``limit``: no control
    characters (line breaks kept in a note, at most one blank line in a row), no bidirectional
    overrides, no outer spaces."""
    text = str(value).replace("\r\n", "\n").replace("\r", "\n").translate(_BIDI)
    kept = []
    for c in text:
        if c in "\t\n":
            kept.append("\n" if c == "\n" and multiline else " ")
        elif unicodedata.category(c) != "Cc":
            kept.append(c)
    text = "".join(kept)
    if multiline:
        text = "\n".join(line.strip() for line in text.split("\n"))
        text = re.sub(r"\n{3,}", "\n\n", text)
    text = text.strip()
    if len(text) > limit:
        return text[:limit - 1].rstrip() + "…", True
    return text, False


# ---------------------------------------------------------------------------
# Encoding
# ---------------------------------------------------------------------------


def _step_json(step: Step) -> dict:
    out: dict[str, Any] = {"p": step.page}
    for name, value in (("q", dict(step.values)), ("t", step.title), ("n", step.note), ("a", step.question),
                        ("h", list(step.hide))):
        if value:
            out[name] = value
    return out


def encode(lesson: Lesson) -> str:
    """The ``lesson`` URL value: ``1.`` and the base64url (unpadded) of the zlib-compressed JSON."""
    items = [lesson.title, *(_step_json(s) for s in lesson.steps)]
    text = json.dumps(items, ensure_ascii=False, separators=(",", ":"))
    data = zlib.compress(text.encode(), 9)
    return f"{VERSION}." + base64.urlsafe_b64encode(data).rstrip(b"=").decode()


# ---------------------------------------------------------------------------
# Decoding
# ---------------------------------------------------------------------------


def _unpack(raw: str) -> tuple[str, list[str]]:
    """The JSON text of a ``lesson`` value, and what was wrong with it short of refusing it."""
    if len(raw) > MAX_CHARS:
        raise ValueError(f"it is {len(raw)} characters long; a lesson link holds at most {MAX_CHARS}")
    version, dot, body = raw.strip().partition(".")
    if not dot or not version.isdigit() or len(version) > 4:
        raise ValueError("it is not a lesson link (those start with 1.)")
    if int(version) != VERSION:
        raise ValueError(f"it is in lesson format {int(version)}; this version of the app reads format {VERSION}")
    if not _BASE64URL.fullmatch(body):
        raise ValueError("it holds characters a lesson link never has (it may have been edited)")
    problems = []
    if len(body) % 4 == 1:  # cut inside a character: the last one cannot be read
        body = body[:-1]
    try:
        data = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    except (binascii.Error, ValueError):
        raise ValueError("it is not readable (its characters do not decode)") from None
    inflate = zlib.decompressobj()
    out = bytearray()
    damaged = False
    for i in range(0, len(data), 256):  # in pieces: what comes before a damaged piece is kept
        try:
            out += inflate.decompress(data[i:i + 256], MAX_BYTES + 1 - len(out))
        except zlib.error:
            damaged = True
            break
        if inflate.unconsumed_tail or len(out) > MAX_BYTES:
            raise ValueError(f"it unpacks to more than {MAX_BYTES // 1024} KB, more than any lesson holds")
        if inflate.eof:
            break
    if not out:
        raise ValueError("it is damaged: nothing in it could be read")
    if damaged:
        problems.append("The lesson link is damaged (it fails its check): the steps that could be read before the "
                        "damage are shown; compare the link with the one you were given.")
    elif not inflate.eof:
        problems.append("The lesson link was cut short (a chat, an e-mail or a form may have shortened it): the "
                        "steps that could be read are shown; ask for the whole link.")
    elif inflate.unused_data:
        problems.append("The lesson link has extra characters after its end; they were ignored.")
    return out.decode("utf-8", errors="replace"), problems


def _items(text: str) -> tuple[list[Any], bool]:
    """The values of a JSON array, read one by one: those before the first that cannot be read (an
    array cut short yields its first values), and whether the whole array was read."""
    decoder = json.JSONDecoder()
    i = len(text) - len(text.lstrip())
    if not text.startswith("[", i):
        raise ValueError("its content is not a lesson")
    i += 1
    items: list[Any] = []
    while True:
        while i < len(text) and text[i] in " \t\r\n":
            i += 1
        if text.startswith("]", i):
            return items, True
        try:
            value, i = decoder.raw_decode(text, i)
        except (ValueError, RecursionError):
            return items, False
        items.append(value)
        while i < len(text) and text[i] in " \t\r\n":
            i += 1
        if text.startswith(",", i):
            i += 1
        elif not text.startswith("]", i):
            return items, False


def _quote(raw: Any, limit: int = 40) -> str:
    text = " ".join(str(raw).split())
    return "'" + (text if len(text) <= limit else text[:limit - 1] + "…") + "'"


def _step(n: int, item: Any, rules_of: Callable[[str], PageRules | None], said: list[str]) -> Step | None:
    """Step ``n`` (1-based) of a decoded lesson, its values checked like a link's, or None."""
    if not isinstance(item, dict) or not isinstance(item.get("p"), str):
        said.append(f"Step {n} of the lesson is not a step (it has no page); it was left out.")
        return None
    rules = rules_of(item["p"])
    if rules is None:
        said.append(f"Step {n} opens a page this app does not have ({_quote(item['p'])}); it was left out.")
        return None
    where = f"Step {n} ({rules.title})"
    values = item.get("q", {})
    if not isinstance(values, dict):
        said.append(f"{where}: its values are not a list of controls; the page's defaults are used.")
        values = {}
    kept: dict[str, Any] = {}
    for key, raw in values.items():
        f = rules.fields.get(key)
        if f is None or key in LESSON_KEYS:
            said.append(f"{where}: {_quote(key)} is not a control of this page; it was ignored.")
            continue
        if not isinstance(raw, str):
            said.append(f"{where}: the value of {f.label or key} is not text; the default is used.")
            continue
        try:
            value = f.clean(raw)
        except ValueError as err:
            said.append(f"{where}: the value of {f.label or key} ({key}) {err}; the default is used.")
            continue
        if value != f.default and value is not None:
            kept[key] = value
    if "start" in kept:  # as a link's start point: within reach of the step's objective
        problem = start_problem(settings_from_values(kept).objective_obj(), kept["start"])
        if problem:
            said.append(f"{where}: the start point {problem}; the objective's own start is used.")
            del kept["start"]
    texts = {}
    for name, what, limit, multiline in (("t", "title", MAX_TITLE, False), ("n", "note", MAX_NOTE, True),
                                         ("a", "question", MAX_QUESTION, False)):
        raw = item.get(name, "")
        if not isinstance(raw, str):
            said.append(f"{where}: its {what} is not text; it was left out.")
            raw = ""
        texts[name], cut = clean_text(raw, limit, multiline)
        if cut:
            said.append(f"{where}: its {what} was longer than {limit} characters and was cut.")
    hide = item.get("h", [])
    if not isinstance(hide, list):
        hide = []
    hidden = []
    for key in hide:
        if isinstance(key, str) and key in rules.hideable:
            if key not in hidden:
                hidden.append(key)
        else:
            said.append(f"{where}: {_quote(key)} is not a control it can hide; it stays shown.")
    return Step(item["p"], tuple(sorted((k, rules.fields[k].fmt(v)) for k, v in kept.items())),
                texts["t"], texts["n"], texts["a"], tuple(hidden))


def decode(raw: str, rules_of: Callable[[str], PageRules | None]) -> Lesson:
    """The lesson in a ``lesson`` URL value, every step checked against ``rules_of(page)``; what it
    could not open as given is said in ``notices``. ``ValueError`` when nothing in it can be opened."""
    text, said = _unpack(raw)
    items, whole = _items(text)
    if not whole and not said:
        said.append("The lesson link's content ends before the lesson does: the steps that could be read "
                    "are shown.")
    if not items:
        raise ValueError("it holds no lesson that can be read")
    title_raw, *step_items = items
    if not isinstance(title_raw, str):
        said.append("The lesson's title is not text; it was left out.")
        title_raw = ""
    title, cut = clean_text(title_raw, MAX_TITLE)
    if cut:
        said.append(f"The lesson's title was longer than {MAX_TITLE} characters and was cut.")
    if len(step_items) > MAX_STEPS:
        said.append(f"The lesson has {len(step_items)} steps; the first {MAX_STEPS} are opened (a lesson holds "
                    f"at most {MAX_STEPS}).")
        step_items = step_items[:MAX_STEPS]
    steps = [s for n, item in enumerate(step_items, 1) if (s := _step(n, item, rules_of, said)) is not None]
    if not steps:
        raise ValueError("it holds no step this app can open" + (f" ({said[0]})" if said else ""))
    return Lesson(title, tuple(steps), tuple(said))


@dataclass(frozen=True)
class LessonField(Field):
    """The ``lesson`` URL value: a ``Lesson`` (``None``: no lesson). ``rules_of(page id)`` gives what
    a step on that page may hold (the page registry's fields)."""

    rules_of: Callable[[str], PageRules | None] | None = field(default=None, compare=False, repr=False)

    def clean(self, raw: str) -> Lesson:
        return decode(raw, self.rules_of or (lambda page: None))

    def parse(self, raw: str) -> Lesson:
        return self.clean(raw)

    def fmt(self, value: Lesson) -> str:
        return encode(value)
