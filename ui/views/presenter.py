"""The lesson's presenter keys in the browser: PageDown/PageUp (a presentation clicker) and the
arrows, through one Streamlit Components v2 component (``components/presenter/presenter.js``) that
draws nothing, mounts in the page's own document and reports the step a key asks for.

Streamlit's widgets cannot listen to keys where focus is not theirs, nor leave the arrows to a
chart's player; the component decides which keys are the lesson's (its header says which).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from pathlib import Path

import streamlit as st

COMPONENT_DIR = Path(__file__).parent / "components" / "presenter"
KEY = "lesson_keys"


@functools.cache
def _component():
    return st.components.v2.component(
        "optimiser_lab_presenter", js=(COMPONENT_DIR / "presenter.js").read_text(encoding="utf-8"))


def keys(step: int, steps: int, on_go: Callable[[], None], held: bool = False, key: str = KEY) -> None:
    """Listen to the lesson's keys while step ``step`` of ``steps`` (1-based) is shown; ``held``: the
    step's charts wait for Reveal, which the first forward key asks for. A key calls ``on_go`` (a
    callback: it runs before the rerun the key starts), where ``asked`` reads what it asked."""
    _component()(key=key, data={"step": int(step), "steps": int(steps), "held": bool(held)}, on_go_change=on_go,
                 width="content", height="content")


def asked(key: str = KEY) -> tuple[int, bool] | None:
    """What a key asked for, in ``on_go``: the step to show (1-based), and whether it asks to reveal
    the charts of the step shown instead; None if nothing readable (the value comes from the browser:
    anyone's)."""
    state = st.session_state.get(key)
    value = state.get("go") if isinstance(state, Mapping) else None
    to = value.get("to") if isinstance(value, Mapping) else None
    if not isinstance(to, int) or isinstance(to, bool):
        return None
    return to, value.get("reveal") is True
