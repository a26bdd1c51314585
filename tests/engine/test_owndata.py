"""One's own data set for the network family: checked row by row, carried as text, read from CSV."""

from __future__ import annotations

import base64
import re
import zlib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine import get_objective, simulate
from engine import objectives as engine_objectives
from engine.network import make_data
from engine.owndata import (
    MAX_FILE_BYTES,
    MAX_POINTS,
    MIN_POINTS,
    QUANTUM,
    check_data,
    decode_data,
    encode_data,
    fit_to_box,
    max_text_length,
    parse_csv,
    quantise,
)

FUZZ = settings(deadline=None, derandomize=True, database=None, max_examples=300)


def points(n=12, seed=0, classes=2):
    rng = np.random.default_rng(seed)
    return rng.uniform(-2, 2, (n, 2)), np.arange(n) % classes


# ---------------------------------------------------------------------------
# Arrays: every rule, and the row it names
# ---------------------------------------------------------------------------

X12, Y12 = points()


def _with(at=None, cls=None):
    """The 12 good points with some coordinates (``at``: {(row, axis): value}) or classes changed."""
    X, y = X12.copy(), Y12.copy().astype(float)
    for (i, j), v in (at or {}).items():
        X[i, j] = v
    for i, v in (cls or {}).items():
        y[i] = v
    return X, y


@pytest.mark.parametrize(("data", "message"), [
    (_with(at={(4, 1): np.nan}), "row 5: x₂ is not a finite number (nan)"),
    (_with(at={(0, 0): np.inf}), "row 1: x₁ is not a finite number (inf)"),
    (_with(at={(7, 0): 2.5, (9, 1): np.nan}), "row 10: x₂ is not a finite number"),  # non-finite first
    (_with(at={(7, 0): 2.5}), "row 8: the point (2.5, "),
    (_with(at={(3, 1): -2.01}), "row 4: the point"),
    (_with(cls={2: 3}), "row 3: the class 3 is unknown"),
    (_with(cls={6: 0.5}), "row 7: the class 0.5 is unknown"),
    (_with(cls={11: -1}), "row 12: the class -1 is unknown"),
    (_with(cls={0: np.nan}), "row 1: the class nan is unknown"),
    ((X12, np.zeros(12)), "every point is of class 0"),
    ((X12, np.where(Y12 == 1, 2, 0)), "class 1 has no point"),
    ((X12, np.where(Y12 == 0, 1, 2)), "class 0 has no point"),
    ((X12[:MIN_POINTS - 1], Y12[:MIN_POINTS - 1]), f"at least {MIN_POINTS} points; this one has {MIN_POINTS - 1}"),
    (points(MAX_POINTS + 1), f"at most 2,000 points; this one has 2,001 (row {MAX_POINTS + 1:,}"),
    ((X12[:, :1], Y12), "two coordinates per row"),
    ((X12, Y12[:-1]), "one class per point"),
    ((X12, Y12[:, None]), "one class per point"),
    (([["a", "b"]] * 12, Y12), "the points must be numbers"),
    ((X12, [{}] * 12), "the classes must be numbers"),
])
def test_a_bad_data_set_is_refused_with_the_row_at_fault(data, message):
    with pytest.raises(ValueError) as err:
        check_data(*data)
    assert message in str(err.value), str(err.value)


@pytest.mark.parametrize(("n", "classes"), [(MIN_POINTS, 2), (MIN_POINTS, 3), (300, 2), (MAX_POINTS, 3)])
def test_a_good_data_set_passes_as_floats_and_integers(n, classes):
    X, y = check_data(*points(n, classes=classes))
    assert X.shape == (n, 2) and X.dtype == float and y.dtype.kind == "i" and set(y) == set(range(classes))


@st.composite
def arrays(draw):
    """A data set with, maybe, a few bad values anywhere: non-finite or outside the box, a class
    that is not 0, 1 or 2, a missing class."""
    n = draw(st.integers(0, 40))
    coord = st.one_of(st.floats(-2, 2), st.sampled_from([np.nan, np.inf, -np.inf, 2.0001, -7.0, 1e300]))
    X = np.array(draw(st.lists(st.tuples(coord, coord), min_size=n, max_size=n)), dtype=float).reshape(n, 2)
    y = np.array(draw(st.lists(st.one_of(st.integers(0, 2), st.sampled_from([3, -1, 0.5, np.nan])),
                               min_size=n, max_size=n)), dtype=float)
    return X, y


def _first_bad_row(X, y):
    """The first row the rules refuse, found here row by row: (row, what)."""
    for i in range(len(X)):
        if not np.isfinite(X[i]).all():
            return i, "not a finite number"
    for i in range(len(X)):
        if not (-2 <= X[i, 0] <= 2 and -2 <= X[i, 1] <= 2):
            return i, "outside the plane"
    for i in range(len(X)):
        if y[i] not in (0, 1, 2):
            return i, "is unknown"
    return None


@FUZZ
@given(data=arrays())
def test_check_data_names_the_first_bad_row_found_row_by_row(data):
    X, y = data
    bad = _first_bad_row(X, y)
    try:
        got = check_data(X, y)
    except ValueError as err:
        if bad is not None:
            assert str(err).startswith(f"row {bad[0] + 1}: ") and bad[1] in str(err), (bad, str(err))
        else:  # a whole-set rule: too few points, one class, a class missing
            assert re.search(r"at least 10 points|every point is of class|has no point", str(err)), str(err)
        return
    assert bad is None and len(X) >= MIN_POINTS
    used = sorted(set(got[1].tolist()))
    assert used in ([0, 1], [0, 1, 2])


# ---------------------------------------------------------------------------
# The text form
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("dataset", ["moons", "circles", "spirals", "xor", "blobs"])
@pytest.mark.parametrize("n", [MIN_POINTS, 300, MAX_POINTS])
def test_text_round_trip_keeps_order_and_rounds_to_the_grid(dataset, n):
    X, y = make_data(dataset, n, 0.15, 0.0, 3)
    X = np.clip(X, -2, 2)
    text = encode_data(X, y)
    X2, y2 = decode_data(text)
    np.testing.assert_array_equal(X2, quantise(X))
    np.testing.assert_array_equal(y2, y)
    assert np.abs(X2 - X).max() <= QUANTUM / 2 + 1e-12
    assert encode_data(X2, y2) == text  # canonical: decoding and encoding again changes nothing
    assert len(text) <= max_text_length(n) and re.fullmatch(r"[A-Za-z0-9_-]+", text)


def test_a_few_hundred_points_fit_a_link():
    """About 3.5 characters a point (measured on the five generated shapes)."""
    for dataset in ("moons", "circles", "spirals", "xor", "blobs"):
        X, y = make_data(dataset, 300, 0.15, 0.0, 0)
        assert len(encode_data(np.clip(X, -2, 2), y)) < 1100, dataset


def _text(raw: bytes) -> str:
    return base64.urlsafe_b64encode(zlib.compress(raw)).decode().rstrip("=")


GOOD = encode_data(X12, Y12)


@pytest.mark.parametrize(("text", "message"), [
    ("", "empty"),
    ("nan", "not"),
    ("a b", "letters, digits"),
    ("é", "letters, digits"),
    ("=" * 8, "letters, digits"),
    ("A" * (max_text_length() + 1), "longer than any data set"),
    ("AAAAA", "not"),
    (GOOD[:-6], "not"),
    (GOOD + "AAAA", "not"),
    (_text(b"\x02" + (12).to_bytes(2, "little") + bytes(60)), "version"),
    (_text(b"\x01" + (13).to_bytes(2, "little") + bytes(60)), "it says 13 points"),
    (_text(b"\x01" + (12).to_bytes(2, "little") + b"\xff" * 48 + bytes(12)), "outside the plane"),
    (_text(b"\x01" + (12).to_bytes(2, "little") + bytes(48) + b"\x05" * 12), "row 1: the class 5 is unknown"),
    (_text(b"\x01" + bytes(10**6)), "not one whole data set"),  # inflates far past any data set
])
def test_text_that_is_not_a_data_set_is_refused(text, message):
    with pytest.raises(ValueError) as err:
        decode_data(text)
    assert message in str(err.value), str(err.value)


@FUZZ
@given(st.one_of(st.text(max_size=300), st.binary(max_size=300).map(_text),
                 st.binary(max_size=400).map(lambda b: base64.urlsafe_b64encode(b).decode().rstrip("="))))
def test_decode_data_reads_a_data_set_or_refuses_with_a_message(text):
    try:
        X, y = decode_data(text)
    except ValueError as err:
        assert str(err).strip()
        return
    assert encode_data(X, y) == text.rstrip("=") or decode_data(encode_data(X, y))[0].shape == X.shape


def test_a_bomb_is_refused_at_once():
    import time

    bomb = _text(b"\x01" + bytes(200_000_000 // 100))
    t0 = time.perf_counter()
    with pytest.raises(ValueError):
        decode_data(bomb)
    assert time.perf_counter() - t0 < 0.5


# ---------------------------------------------------------------------------
# The network on one's own data
# ---------------------------------------------------------------------------


def test_the_network_trains_on_its_own_data_with_the_usual_split():
    X, y = points(50, seed=4, classes=3)
    text = encode_data(X, y)
    obj = get_objective("network", dataset="own", data=text, width=8)
    net = obj.network
    Xq, yq = decode_data(text)
    assert net.n_classes == 3 and net.sizes[-1] == 3 and net.dataset == "own"
    assert net.X_train.shape[0] + net.X_test.shape[0] == 50 == obj.n_samples + net.X_test.shape[0]
    from engine.network import split_indices

    train, test = split_indices(50, 0.2, 0)
    np.testing.assert_array_equal(net.X_train, Xq[train])
    np.testing.assert_array_equal(net.y_test, yq[test])
    tr = simulate(obj, "adam", 50, lr=0.01)
    assert np.isfinite(tr.final_loss).all()
    # the noises and the number of points do not apply to one's own data
    other = get_objective("network", dataset="own", data=text, width=8, input_noise=0.9, label_noise=0.4,
                          n_points=1000)
    np.testing.assert_array_equal(other.network.X_train, net.X_train)
    np.testing.assert_array_equal(other.network.y_train, net.y_train)


@pytest.mark.parametrize(("options", "message"), [
    ({"dataset": "own"}, "needs its points"),
    ({"dataset": "own", "data": "x**2"}, "not a data set"),
    ({"data": GOOD}, "data is for the data set 'own'"),
    ({"dataset": "own", "data": 3}, "must be text"),
])
def test_the_network_refuses_data_that_does_not_fit_its_data_set(options, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        get_objective("network", **options)


def test_ones_own_data_is_not_kept_in_the_process_wide_memo():
    get_objective("network", dataset="own", data=GOOD)
    assert not any(("dataset", "own") in items for _, items in engine_objectives._built)
    assert get_objective("network", dataset="own", data=GOOD).value(np.zeros(65)) == pytest.approx(np.log(2))


# ---------------------------------------------------------------------------
# A CSV file
# ---------------------------------------------------------------------------

ROWS = "\n".join(f"{x:.3f},{y:.3f},{c}" for (x, y), c in zip(*points(12)))


@pytest.mark.parametrize(("text", "labels", "header"), [
    (ROWS, ("0", "1"), None),
    ("x,y,class\n" + ROWS, ("0", "1"), ("x", "y", "class")),
    ("\ufeffx, y , label\r\n" + ROWS.replace("\n", "\r\n") + "\r\n\r\n", ("0", "1"), ("x", "y", "label")),
    (ROWS.replace(",", ";"), ("0", "1"), None),
    (ROWS.replace(",", "\t"), ("0", "1"), None),
    ("a;b;c\n" + "\n".join(f"{i % 3},5;-1,25;{'red' if i % 2 else 'blue'}" for i in range(12)), ("blue", "red"),
     ("a", "b", "c")),
    (ROWS.replace(",0\n", ",-1\n").replace(",0", ",-1"), ("-1", "1"), None),
    (ROWS.replace(",1\n", ",1.0\n").replace(",0\n", ",+0\n"), ("0", "1"), None),
    ("\n".join(f"{i},{i},{'ABC'[i % 3]}" for i in range(12)), ("A", "B", "C"), None),
    ("\n".join(f"{i}e2,{-i}.5E-1,\"{'ab'[i % 2]}\"" for i in range(12)), ("a", "b"), None),
])
def test_a_csv_file_is_read_with_its_labels_in_order(text, labels, header):
    parsed = parse_csv(text.encode())
    assert parsed.labels == labels and parsed.header == header
    assert parsed.points.shape == (12, 2) and np.isfinite(parsed.points).all()
    assert set(parsed.classes.tolist()) == set(range(len(labels)))


def test_the_classes_follow_the_labels_row_by_row():
    np.testing.assert_array_equal(parse_csv(ROWS).classes, Y12)
    flipped = parse_csv(re.sub(r",1$", ",-4", re.sub(r",0$", ",9", ROWS, flags=re.M), flags=re.M))
    assert flipped.labels == ("-4", "9")  # numbers in numeric order: -4 is class 0
    np.testing.assert_array_equal(flipped.classes, 1 - Y12)


def test_a_decimal_comma_after_semicolons_is_read():
    parsed = parse_csv("\n".join(f"{i},5;-1,25;{i % 2}" for i in range(12)))
    assert parsed.points[3].tolist() == [3.5, -1.25]


BAD_ROW = ROWS.split("\n")


def _lines(i, line, rows=BAD_ROW):
    out = list(rows)
    out[i] = line
    return "\n".join(out)


@pytest.mark.parametrize(("data", "message"), [
    (b"", "empty"),
    (b"\n \n", "empty"),
    (b"x,y,class\n", "no rows of points"),
    (_lines(3, "1,2").encode(), "line 4: 2 fields"),
    (_lines(0, "1,2,0,9").encode(), "line 1: 4 fields"),
    (_lines(5, "one,2,0").encode(), "line 6: x is not a number ('one')"),
    (_lines(5, "1,,0").encode(), "line 6: y is not a number"),
    (_lines(6, "nan,1,0").encode(), "line 7: x is not a number ('nan')"),
    (_lines(6, "1,inf,0").encode(), "line 7: y is not a number"),
    (_lines(6, "1e999,1,0").encode(), "line 7: x is not a finite number ('1e999')"),
    (_lines(2, "1_000,1,0").encode(), "line 3: x is not a number"),
    (_lines(2, "١٢,1,0").encode(), "line 3: x is not a number"),
    (_lines(2, "0x10,1,0").encode(), "line 3: x is not a number"),
    (_lines(8, "1,1,").encode(), "line 9: the class is empty"),
    (("\n".join(f"{i},{i},{'ABCD'[min(i, 3)]}" for i in range(12))).encode(), "line 4: a fourth class ('D')"),
    (("x,y,c\n" + "\n".join(f"{i},{i},{i % 5}" for i in range(12))).encode(), "line 5: a fourth class ('3')"),
    (("\n".join(f"{i},{i},0" for i in range(12))).encode(), "every point is of class '0'"),
    (ROWS.split("\n", 3)[-1].encode(), "the file has 9 points; a data set needs at least 10"),
    (("\n".join(f"{i},{i},{i % 2}" for i in range(MAX_POINTS + 1))).encode(), "line 2001: more than 2,000 points"),
    (b"1,2,0\n" * (MAX_FILE_BYTES // 6 + 1), "at most 200,000 are read"),
    (ROWS.encode() + b"\n\xff,1,0", "not UTF-8 text"),
    (ROWS.encode() + b"\n1,\x001,0", "NUL"),
    ((ROWS + '\n1,2,"open').encode(), "line 13: not CSV"),
])
def test_a_bad_csv_file_is_refused_with_the_line_named(data, message):
    with pytest.raises(ValueError) as err:
        parse_csv(data)
    assert message in str(err.value), str(err.value)


@FUZZ
@given(st.one_of(st.binary(max_size=600), st.text(max_size=600).map(str.encode),
                 st.lists(st.tuples(st.sampled_from(["1", "-2.5", "x", "", "nan", "3e2", "0,5", "1e400", "é"]),
                                    st.sampled_from(["0", ".5", "4", "y", "inf", "-0"]),
                                    st.sampled_from(["0", "1", "2", "a", "b", "", "1.0", "c", "d"])),
                          max_size=40).map(lambda rows: "\n".join(",".join(r) for r in rows).encode())))
def test_any_file_is_read_or_refused_with_a_message(data):
    try:
        parsed = parse_csv(data)
    except ValueError as err:
        assert str(err).strip()
        return
    n = len(parsed.points)
    assert MIN_POINTS <= n <= MAX_POINTS and np.isfinite(parsed.points).all()
    assert 2 <= len(parsed.labels) <= 3 and set(parsed.classes.tolist()) == set(range(len(parsed.labels)))
    moved, _, _ = fit_to_box(parsed.points)
    check_data(moved, parsed.classes)  # what the page then trains on passes the engine's rules


# ---------------------------------------------------------------------------
# Into the plane
# ---------------------------------------------------------------------------


def test_points_inside_the_plane_are_kept_and_others_scaled_by_one_factor():
    X, _ = points(30)
    moved, scale, centre = fit_to_box(X)
    assert scale == 1.0 and centre == (0.0, 0.0) and np.array_equal(moved, quantise(X))
    heights = np.column_stack([np.linspace(150, 190, 30), np.linspace(40, 120, 30)])  # cm and kg, say
    moved, scale, centre = fit_to_box(heights)
    assert centre == (170.0, 80.0) and scale == pytest.approx(1.8 / 40)
    assert moved[:, 1].min() == pytest.approx(-1.8) and moved[:, 1].max() == pytest.approx(1.8)
    assert moved[:, 0].max() == pytest.approx(0.9)  # the narrower axis keeps its proportion
    with pytest.raises(ValueError, match="too wide a range"):
        fit_to_box(np.array([[-1e308, 0.0], [1e308, 1.0]]))


def test_a_draft_keeps_the_row_rules_and_skips_the_whole_set_rules():
    """A data set being drawn: any number of points up to the most, any classes used."""
    for X, y in ((np.zeros((0, 2)), np.zeros(0)), ([[0.5, -0.5]], [2]), (X12[:4], np.zeros(4))):
        text = encode_data(X, y, complete=False)
        got = decode_data(text, complete=False)
        np.testing.assert_array_equal(got[0], quantise(np.reshape(X, (-1, 2))))
        with pytest.raises(ValueError, match=r"at least 10 points|every point is of class"):
            decode_data(text)
    with pytest.raises(ValueError, match="row 1: the class 3 is unknown"):
        encode_data([[0.0, 0.0]], [3], complete=False)
    with pytest.raises(ValueError, match="row 2: the point"):
        check_data([[0.0, 0.0], [5.0, 0.0]], [0, 1], complete=False)
    with pytest.raises(ValueError, match="at most 2,000 points"):
        check_data(*points(MAX_POINTS + 1), complete=False)
