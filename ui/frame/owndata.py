"""The Neural network page's own-data panel: the plane to click on, the class a click adds, undo,
clear, start again, and a CSV file to upload (``ui.state.owndata`` does the work, no Streamlit).

The data set lives in the student's session (``v:nn.points``) and in the link when it fits
(``fields.MAX_DATA_URL``); a file is read once (its bytes are not kept: the uploader is emptied
once the file is applied), and every refusal is a plain sentence naming the line at fault.
"""

from __future__ import annotations

import streamlit as st

from engine.owndata import MAX_FILE_BYTES
from ui.state import owndata, session
from ui.views import network

POINTS, CLASS = "nn.points", "nn.class"
_FILE = "_nn_file"  # how many files were applied: the uploader's key (a new, empty uploader after each)
_NOTE = "_nn_file_note"  # (kind, sentence, the data it is about): what the last file did


def data(view) -> str:
    """The student's data set (a draft while it is drawn): a copy of the two moons (the control's
    default) until they draw, clear or upload; kept in the link when it fits."""
    field = view.page.field(POINTS)
    text = session.get(field)
    if len(text) <= field.max_length:
        view.remember(POINTS)
    return text


def link_note(view, text: str) -> str:
    """What the share panel says when the link cannot carry the data ("" when it does)."""
    field = view.page.field(POINTS)
    if len(text) <= field.max_length:
        return ""
    n = len(owndata.points(text)[1])
    return (f"This link does not carry your data: its {n:,} points take {len(text):,} characters, more than a link "
            f"holds ({field.max_length:,}, about 1,100 points). Whoever opens it starts from a copy of the two moons: "
            "send them your file too, to upload there.")


def panel(view, text: str, first: bool = False) -> None:
    """The editor and its controls; ``first``: on the page's first screen (nothing is trained yet)."""
    if not first:
        st.markdown("#### Your data")
    field = view.page.field(POINTS)
    left, right = view.stage_columns([3, 2]) if first else st.columns([3, 2])
    adding = int(view.widget(CLASS, container=right))
    X, y = owndata.points(text)
    title = f"Your data: {owndata.counts(text)}"
    clicked = view.chart(lambda: network.editor_chart(network.own_points_frame(X, y), view.style, adding, title),
                         key="nn_editor", container=left, pick=True)
    if isinstance(clicked.point, dict):
        new = owndata.add_point(text, clicked.point.get("point"), adding)
        if new != text:
            session.set_value(field, new)
            st.rerun()
    a, b, c = right.columns(3)
    a.button("Undo", key="nn_undo", icon=":material/undo:", help="Remove the last point added.",
             on_click=session.set_value, args=(field, owndata.undo(text)), disabled=not len(y), width="stretch")
    b.button("Clear", key="nn_clear", icon=":material/delete:", help="Remove every point.",
             on_click=session.set_value, args=(field, owndata.cleared()), disabled=not len(y), width="stretch")
    c.button("Moons", key="nn_restart", icon=":material/restart_alt:", help="Start again from a copy of the two "
             "moons (100 points).", on_click=session.set_value, args=(field, owndata.starting_data()), width="stretch")
    count = st.session_state.get(_FILE, 0)
    file = right.file_uploader(
        "Or upload a CSV file: x, y, class", type=["csv", "txt"], key=f"nn_file_{count}", max_upload_size=1,
        help=f"Three columns: x, y and the class (any labels, two or three of them); a header line is fine; "
             f"at most {owndata.MAX_POINTS:,} rows and {MAX_FILE_BYTES // 1000} kB. Points outside the plane are "
             "centred and scaled into it, by one factor for both axes.")
    if file is not None:
        st.session_state[_FILE] = count + 1  # read once; the next run shows an empty uploader
        name = session.as_code(file.name, 40)
        try:
            if file.size > MAX_FILE_BYTES:
                raise ValueError(f"the file has {file.size:,} bytes; at most {MAX_FILE_BYTES:,} are read")
            upload = owndata.from_file(file.getvalue(), file.name[:40])
        except ValueError as err:
            st.session_state[_NOTE] = ("error", f"{name} cannot be used: {session.escape(str(err))}. Your data is "
                                                "unchanged.", text)
        else:
            st.session_state[_NOTE] = ("info", session.escape(upload.note), upload.text)
            session.set_value(field, upload.text)
        st.rerun()
    kind, note, about = st.session_state.get(_NOTE, ("", "", None))
    if note and about == text:
        (right.error if kind == "error" else right.caption)(note)
    right.caption("Your data stays in this browser session" + (", and the link carries it (share panel)"
                                                              if len(text) <= field.max_length else
                                                              "; it is too large for a link (share panel)")
                  + ". No other student sees it, and what the server computes from it is kept in this session "
                    "only.")
