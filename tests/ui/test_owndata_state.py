"""One's own data as the Neural network page keeps it: a draft edited by clicks, undo and clear,
what it still needs, and a file made into a data set (pure: no Streamlit)."""

from __future__ import annotations

import numpy as np
import pytest

from engine.owndata import MAX_POINTS, decode_data, encode_data, quantise
from ui.frame.registry import PAGES
from ui.state import owndata
from ui.state.fields import MAX_DATA_URL

FIELD = PAGES["network"].field("nn.points")


def test_the_data_starts_as_a_copy_of_the_moons_which_is_the_controls_default():
    X, y = decode_data(owndata.starting_data())
    assert len(y) == owndata.START_POINTS and set(y) == {0, 1} and np.abs(X).max() <= 2
    assert FIELD.default == owndata.starting_data() and len(FIELD.default) < 400  # short, and left out of links
    assert owndata.problem(FIELD.default) is None


def test_clicks_add_points_undo_removes_the_last_and_clear_empties():
    text = owndata.cleared()
    for k, (p, c) in enumerate((((0.1234, -0.5), 0), ((1.0, 1.0), 2), ((-1.5, 0.25), 1))):
        text = owndata.add_point(text, p, c)
        X, y = owndata.points(text)
        assert len(y) == k + 1 and y[-1] == c
        np.testing.assert_array_equal(X[-1], quantise(p))
    assert owndata.counts(text) == "1 blue, 1 orange, 1 green"
    text = owndata.undo(text)
    assert owndata.counts(text) == "1 blue, 1 green"
    assert owndata.undo(owndata.undo(owndata.undo(text))) == owndata.cleared()  # nothing left to undo
    assert owndata.counts(owndata.cleared()) == "no points"


@pytest.mark.parametrize("point", [None, "x", (1.0,), (3.0, 0.0), (float("nan"), 0.0), ({}, [])])
def test_a_click_that_is_not_a_point_of_the_plane_changes_nothing(point):
    text = owndata.starting_data()
    assert owndata.add_point(text, point, 0) == text
    assert owndata.add_point(text, (0.0, 0.0), 7) == text  # no such class


def test_a_full_data_set_takes_no_more_points():
    full = encode_data(np.zeros((MAX_POINTS, 2)), np.arange(MAX_POINTS) % 2)
    assert owndata.add_point(full, (0.5, 0.5), 0) == full


@pytest.mark.parametrize(("rows", "needs"), [
    ([], "has 0 points: add at least 10 more"),
    ([((0, 0), 0)] * 9, "has 9 points: add at least 1 more"),
    ([((0, 0), 1)] * 12, "Every point is orange: add some of another class (blue, say)"),
    ([((0, 0), 0)] * 12, "Every point is blue: add some of another class (orange, say)"),
    ([((0, 0), 0)] * 6 + [((1, 1), 2)] * 6, "There is no orange point"),
    ([((0, 0), 0)] * 6 + [((1, 1), 1)] * 6, None),
])
def test_a_draft_says_what_it_still_needs(rows, needs):
    text = owndata.cleared()
    for p, c in rows:
        text = owndata.add_point(text, p, c)
    said = owndata.problem(text)
    assert (said is None) if needs is None else (needs in said), said


def test_a_file_is_read_and_said_how():
    rows = "\n".join(f"{0.1 * i:.1f},{-0.1 * i:.1f},{'yes' if i % 3 else 'no'}" for i in range(15))
    up = owndata.from_file(("a,b,label\n" + rows).encode(), "votes.csv")
    X, y = decode_data(up.text)
    assert up.note == "Read 15 points from votes.csv (classes: blue = 'no', orange = 'yes')."  # in the plane: kept
    assert y.tolist() == [0 if i % 3 == 0 else 1 for i in range(15)]
    np.testing.assert_array_equal(X[:, 0], quantise(0.1 * np.arange(15)))
    far = owndata.from_file("\n".join(f"{1000 + i},{i},{i % 2}" for i in range(20)).encode())
    assert "scaled by one factor (×0.189" in far.note  # 1.8 / 9.5, half the wider span
    assert "centred on (1010, 9.5)" in far.note
    with pytest.raises(ValueError, match="line 2: y is not a number"):
        owndata.from_file(b"1,2,0\n1,two,1\n" * 6)


@pytest.mark.parametrize("raw", ["", owndata.cleared(), owndata.starting_data(),
                                 encode_data([[0.5, 0.5]], [2], complete=False)])
def test_the_link_field_reads_drafts_and_writes_them_back_the_same(raw):
    value = FIELD.clean(raw)
    assert FIELD.clean(FIELD.fmt(value)) == value
    assert (value == owndata.cleared()) if raw == "" else (value == raw)


@pytest.mark.parametrize(("raw", "said"), [
    ("A" * (MAX_DATA_URL + 1), "too large for a link"),
    ("nan", "not a data set"),
    (encode_data([[0.5, 0.5]], [2], complete=False)[:-2], "not"),
])
def test_the_link_field_refuses_anything_else(raw, said):
    with pytest.raises(ValueError, match=said):
        FIELD.clean(raw)
