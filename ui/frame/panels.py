"""What a page shows around its charts: the explanation, the update rules with the current
values, divergence notices, and the share panel (link, CSV, reproduce in Python)."""

from __future__ import annotations

import functools
import io
from collections.abc import Callable, Mapping
from urllib.parse import urlencode

import pandas as pd
import streamlit as st

from engine import OPTIMIZERS, Trace
from engine.tables import write_csv
from engine.values import latex_number
from ui.views.frames import divergence_messages, undefined_share


def rule_latex(latex: str) -> str:
    """KaTeX ignores a bare line break in display mode: lay multi-line rules out in `gathered`."""
    return rf"\begin{{gathered}}{latex}\end{{gathered}}" if r"\\" in latex else latex


def formula_panel(optimizers, hypers: Mapping[str, Mapping], container=None, columns: int = 2) -> None:
    """Each optimiser's update rule in LaTeX, with the values of ``hypers[opt]``."""
    box = container or st
    cols = box.columns(min(columns, max(len(optimizers), 1)))
    for i, opt in enumerate(optimizers):
        spec = OPTIMIZERS[opt]
        hyper = hypers[opt]
        with cols[i % len(cols)]:
            st.markdown(f"**{spec.title}** — {spec.summary}")
            st.latex(rule_latex(spec.latex))
            values = [rf"{spec.hypers[k].symbol} = {latex_number(v)}" for k, v in hyper.items()
                      if spec.hypers[k].kind != "bool"]
            flags = [f"{spec.hypers[k].label}: {latex_number(v)}" for k, v in hyper.items()
                     if spec.hypers[k].kind == "bool"]
            # inline: the values wrap in a narrow column (a display formula would scroll there)
            st.markdown(" · ".join(f"${v}$" for v in values))
            if flags:
                st.caption(" · ".join(flags))


def objective_notices(objective) -> None:
    """What a student should know about a typed function before reading the charts: where it is
    not defined, and whether the box holds a minimum at all."""
    if not objective.minima_estimated:
        return
    share = undefined_share(objective)
    if share > 0:
        st.warning(f"Your function is not defined (or is infinite) in {share:.0%} of the plotted box: "
                   "those cells of the map are blank, and a run that reaches them stops there.",
                   icon=":material/info:")
    if not objective.minimum_inside:
        x, y = objective.minima[0]
        st.warning(f"Your function has no minimum inside the plotted box: its lowest point there, "
                   f"({x:g}, {y:g}), is on the edge, and it keeps falling beyond it. The loss gap "
                   "f − f* is measured from that edge value, so a falling gap is not convergence.",
                   icon=":material/info:")


def divergence_notice(traces: Mapping[str, Trace], labels=None) -> None:
    for msg in divergence_messages(traces, labels):
        st.warning(msg, icon=":material/warning:")


def explain(text: str, look_for: str, presenting: bool) -> None:
    """The page's explanation and its 'what to look for' (read aloud when presenting: then the
    explanation folds away so that the charts fit on the projected screen)."""
    if presenting:
        with st.expander("About this view"):
            st.markdown(text)
    else:
        st.markdown(text)
    st.info(f"**What to look for.** {look_for}", icon=":material/visibility:")


def csv_bytes(frame: pd.DataFrame | Callable[[], pd.DataFrame]) -> bytes:
    """A table as CSV (``engine.tables``, the command line's writer)."""
    frame = frame() if callable(frame) else frame
    out = io.StringIO()
    write_csv({str(c): frame[c].to_numpy() for c in frame.columns}, out)
    return out.getvalue().encode()


def current_url(base: str, query: Mapping[str, str]) -> str:
    text = urlencode(dict(query), safe=",")
    return f"{base}?{text}" if text else base


def share_panel(page_id: str, url: str, data: Mapping[str, pd.DataFrame | Callable[[], pd.DataFrame]],
                code: str, note: str = "") -> None:
    """Link to this view, the data of its charts as CSV, and a script that recomputes it.
    ``data``: DataFrames, or functions that make them (a full-resolution table made only when its
    button is clicked, not on every rerun)."""
    with st.expander("Share, download, reproduce", icon=":material/share:"):
        st.markdown("**Link to this exact view** (page, controls, presentation mode): copy it with the "
                    "button at the right of the box.")
        st.code(url, language=None, wrap_lines=True)  # a long link wraps: no box to scroll
        if note:
            st.warning(note, icon=":material/link_off:")
        st.markdown("**Data** of the charts, as CSV:")
        cols = st.columns(max(len(data), 1))
        for col, (name, frame) in zip(cols, data.items()):
            col.download_button(f"{name}.csv", functools.partial(csv_bytes, frame),
                                file_name=f"{page_id}-{name}.csv", mime="text/csv", key=f"download_{name}",
                                icon=":material/download:")
        st.markdown("**Charts as PNG or SVG**: the ⋯ menu at the top right of each chart.")
        st.markdown("**Reproduce in Python** (run it from the repository root):")
        st.code(code, language="python", wrap_lines=True)
