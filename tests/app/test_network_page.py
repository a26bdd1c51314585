"""The Neural network page: its experiments (what the text says is what the run shows), one's own data
(a link, a drawing, a file, and every refusal naming the line), and the loss landscape."""

from __future__ import annotations

import re

import numpy as np
import pytest

from engine.owndata import decode_data, encode_data, parse_csv
from ui.frame.registry import PAGES
from ui.state import owndata
from ui.state.fields import MAX_DATA_URL
from ui.state.session import escape

from .conftest import charts, is_player, marks, no_exception, open_page, spec

SCRIPT = "pages/11_Neural_network.py"


def _map_titles(at) -> dict[str, float]:
    """The boundary maps' titles: label -> the test accuracy they state."""
    player = next(spec(c) for c in charts(at) if is_player(c))
    out = {}
    for view in player["hconcat"]:
        label, pct = view["title"]["text"], re.fullmatch(r"test accuracy (\d+)%", view["title"]["subtitle"]).group(1)
        out[label] = float(pct)
    return out


def test_the_tuned_comparison_names_the_optimiser_that_did_better_here():
    at = open_page(SCRIPT, {"nn.preset": "tuned", "nn.noise": "0.4", "nn.steps": "300"})
    no_exception(at)
    titles = _map_titles(at)
    assert len(titles) == 2 and all("η = " in label for label in titles)  # each at its own tuned η
    text = next(m.value for m in at.markdown if "What this run shows" in m.value)
    if len(set(titles.values())) == 1:
        assert "tie on test accuracy" in text
    else:
        best = max(titles, key=titles.get).split(",")[0]
        assert re.search(rf"Here: {re.escape(best)} ends with the higher", text), text
    assert "may or may not" in text  # what the chapter claims is not presented as what happened


def test_the_adamw_comparison_reports_both_runs():
    at = open_page(SCRIPT, {"nn.preset": "adamw", "nn.steps": "200"})
    no_exception(at)
    titles = _map_titles(at)
    assert any(label.startswith("AdamW") and "warm-up + cosine" in label for label in titles)
    assert any(label == "AdamW" for label in titles)  # the schedule apart from the decay
    assert any(label.startswith("Adam + L2") for label in titles)
    text = next(m.value for m in at.markdown if "What this run shows" in m.value)
    for label in titles:
        assert label in text


@pytest.mark.parametrize("query", [{"nn.width": "1000"}, {"nn.batch": "-3"}, {"nn.depth": "7"},
                                   {"nn.data": "imagenet"}, {"nn.flip": "nan"}, {"nn.steps": "1e9"}])
def test_an_extreme_option_falls_back_with_a_notice(query):
    at = open_page(SCRIPT, query)
    no_exception(at)
    key = next(iter(query))
    assert any(key in w.value for w in at.warning), [w.value for w in at.warning]
    assert len(charts(at)) == PAGES["network"].charts


# ---------------------------------------------------------------------------
# Your own data: a link, a drawing, a file
# ---------------------------------------------------------------------------

SMALL = {"nn.steps": "100", "nn.grid": "9"}
RING = encode_data(np.column_stack([np.r_[np.cos(np.linspace(0, 6.2, 30)) * 1.5, np.linspace(-0.4, 0.4, 12)],
                                    np.r_[np.sin(np.linspace(0, 6.2, 30)) * 1.5, np.linspace(0.3, -0.3, 12)]]),
                   np.r_[np.zeros(30), np.ones(12)])


def _editor_points(at) -> np.ndarray:
    """The points the editor chart draws, in order: (x, y, class)."""
    editor = next(c for c in charts(at) if "nn_editor" in str(c.key))
    rows = next(v for k, v in spec(editor)["datasets"].items() if k.startswith("own_points"))
    return np.array([(r["x"], r["y"], r["cls"]) for r in rows])


def test_a_link_with_data_trains_on_it_and_draws_it_in_the_editor():
    at = open_page(SCRIPT, {"nn.data": "own", "nn.points": RING, **SMALL})
    no_exception(at)
    assert not at.warning, [w.value for w in at.warning]
    X, y = decode_data(RING)
    np.testing.assert_allclose(_editor_points(at), np.column_stack([X, y]))
    assert len(charts(at)) == PAGES["network"].charts + 1  # the editor besides the page's charts
    player = next(spec(c) for c in charts(at) if is_player(c))
    pts = next(v for k, v in player["datasets"].items() if k.startswith("points"))
    assert len(pts) == 42 and {r["cls"] for r in pts} == {0, 1}  # the map's points are the link's
    assert at.query_params["nn.points"] == RING  # kept in the link
    assert not any("nn.noise" in w.key or "nn.flip" in w.key for w in at.slider)  # noises do nothing here


def test_a_draft_shows_the_editor_first_and_says_what_it_needs():
    draft = encode_data([[0.1, 0.2], [0.5, -0.5], [-1, 1]], [0, 0, 0], complete=False)
    at = open_page(SCRIPT, {"nn.data": "own", "nn.points": draft, **SMALL})
    no_exception(at)
    assert not any(is_player(c) for c in charts(at))  # nothing to train yet
    assert [str(c.key) for c in charts(at)] == ["nn_editor"]
    said = [i.value for i in at.info]
    assert any("Your data has 3 points: add at least 7 more" in s for s in said), said
    one_class = encode_data(np.random.default_rng(0).uniform(-1, 1, (12, 2)), np.full(12, 1), complete=False)
    at = open_page(SCRIPT, {"nn.data": "own", "nn.points": one_class, **SMALL})
    assert any("Every point is orange" in i.value for i in at.info), [i.value for i in at.info]


@pytest.mark.parametrize("raw", ["nan", "x" * 30, encode_data([[0.0, 0.0]], [0], complete=False)[:-3] + "AAA",
                                 "A" * (MAX_DATA_URL + 1), "eNpjZGS4xHCHgQkABscBsw" + "%00"])
def test_a_bad_data_link_falls_back_to_the_moons_with_a_notice(raw):
    at = open_page(SCRIPT, {"nn.data": "own", "nn.points": raw, **SMALL})
    no_exception(at)
    said = [w.value for w in at.warning]
    assert any("(`nn.points`)" in w and "replaced by the default" in w and "two moons" in w for w in said), said
    assert at.session_state["v:nn.points"] == owndata.starting_data()
    assert len(_editor_points(at)) == owndata.START_POINTS


GOOD_CSV = "height,weight,species\n" + "\n".join(
    f"{150 + i},{50 + 2 * i + (7 if i % 2 else -7)},{'cat' if i % 2 else 'dog'}" for i in range(30))


def _upload(at, name: str, data: bytes):
    at.file_uploader(key="nn_file_0").set_value((name, data, "text/csv")).run()
    return at


def test_an_uploaded_file_becomes_the_data_scaled_into_the_plane_and_said_how():
    at = open_page(SCRIPT, {"nn.data": "own", **SMALL})
    _upload(at, "pets.csv", GOOD_CSV.encode())
    no_exception(at)
    parsed = parse_csv(GOOD_CSV)
    assert parsed.labels == ("cat", "dog")
    X, y = decode_data(at.session_state["v:nn.points"])
    np.testing.assert_array_equal(y, parsed.classes)
    assert np.abs(X).max() == pytest.approx(1.8)  # scaled by one factor into the plane
    note = " ".join(c.value for c in at.caption).replace("\\", "")  # as shown: Markdown escapes off
    assert "Read 30 points from pets.csv" in note and "blue = 'cat', orange = 'dog'" in note, note
    assert "scaled by one factor" in note
    assert any(is_player(c) for c in charts(at))
    assert at.file_uploader(key="nn_file_1").value is None  # read once: an empty uploader again


@pytest.mark.parametrize(("data", "said"), [
    (b"x,y,c\n1,2,a\n3,four,b\n", "line 3: y is not a number ('four')"),
    (b"1,2,0\n1,nan,1\n" * 6, "line 2: y is not a number ('nan')"),
    (b"1,2,0\n1,1e400,1\n" * 6, "line 2: y is not a finite number ('1e400')"),
    ("\n".join(f"{i},{i},{'abcd'[i % 4]}" for i in range(12)).encode(), "line 4: a fourth class ('d')"),
    ("\n".join(f"{i},{i},{i % 2}" for i in range(2001)).encode(), "line 2001: more than 2,000 points"),
    (b"\xff\xfe1,2,0", "not UTF-8 text"),
    (b"<script>alert(1)</script>,**b**,c\n" * 12, "line 2: x is not a number ('<script>alert(1)</sc')"),
])
def test_a_bad_file_is_refused_with_the_line_named_and_the_data_unchanged(data, said):
    at = open_page(SCRIPT, {"nn.data": "own", "nn.points": RING, **SMALL})
    _upload(at, "bad `name`.csv", data)
    no_exception(at)
    errors = [e.value for e in at.error]
    assert any(escape(said) in e for e in errors), errors  # as plain text: every Markdown character escaped
    assert at.session_state["v:nn.points"] == RING


def test_a_file_too_large_for_a_link_is_kept_in_the_session_and_the_share_panel_says_so():
    rng = np.random.default_rng(1)
    points, classes = rng.uniform(-2, 2, (1500, 2)), rng.integers(0, 2, 1500)
    big = "\n".join(f"{x:.3f},{y:.3f},{c}" for (x, y), c in zip(points, classes))
    at = open_page(SCRIPT, {"nn.data": "own", **SMALL})
    _upload(at, "big.csv", big.encode())
    no_exception(at)
    text = at.session_state["v:nn.points"]
    assert len(decode_data(text)[1]) == 1500 and len(text) > MAX_DATA_URL
    assert "nn.points" not in at.query_params and at.query_params["nn.data"] == "own"
    notes = [w.value for w in at.warning]
    assert any("This link does not carry your data: its 1,500 points" in w for w in notes), notes


def test_undo_clear_and_moons_change_the_data():
    at = open_page(SCRIPT, {"nn.data": "own", "nn.points": RING, **SMALL})
    at.button(key="nn_undo").click().run()
    assert len(decode_data(at.session_state["v:nn.points"])[1]) == 41
    at.button(key="nn_clear").click().run()
    no_exception(at)
    assert at.session_state["v:nn.points"] == owndata.cleared() and at.query_params["nn.points"] == owndata.cleared()
    assert any("has 0 points" in i.value for i in at.info)
    at.button(key="nn_restart").click().run()
    assert at.session_state["v:nn.points"] == owndata.starting_data()
    assert "nn.points" not in at.query_params  # the default: a link leaves it out


# ---------------------------------------------------------------------------
# The loss landscape
# ---------------------------------------------------------------------------


def _marks(s: dict) -> set:
    return set(marks(s))


def test_the_landscape_draws_a_slice_a_line_and_each_paths_plane():
    at = open_page(SCRIPT, {"nn.steps": "100", "nn.opt": "momentum,adam,rmsprop"})
    no_exception(at)
    keyed = {str(c.key): spec(c) for c in charts(at)}
    slice_, planes = keyed["nn_slice"], keyed["nn_planes"]
    assert len(slice_["hconcat"]) == 2 and len(planes["hconcat"]) == 3  # the line beside; a plane per path
    assert {"image", "line", "point"} <= _marks(slice_)
    line = next(v for k, v in slice_["datasets"].items() if k.startswith("line"))
    ends = {(r["label"], r["alpha"]) for r in line if r["alpha"] in (0, 1)}
    assert ends == {("RMSProp", 0), ("RMSProp", 1), ("Adam", 0), ("Adam", 1)}  # both lines, both ends
    assert "31 × 31 grids" in " ".join(c.value for c in at.caption)


def test_the_landscape_grid_is_lowered_on_a_large_network_and_can_be_switched_off():
    at = open_page(SCRIPT, {"nn.steps": "3000", "nn.width": "32", "nn.depth": "2", "nn.grid": "61",
                            "nn.opt": "sgd,momentum,rmsprop,adam"})
    no_exception(at)
    said = " ".join(c.value for c in at.caption)
    lowered = re.search(r"Grid lowered from 61 to (\d+) to fit", said)
    assert lowered and int(lowered.group(1)) < 61, said
    off = open_page(SCRIPT, {"nn.steps": "100", "nn.land": "0"})
    assert [str(c.key) for c in charts(off)] == ["nn_boundary", "nn_loss", "nn_accuracy", "nn_layer_lr"]
    assert not any("landscape" in m.value.lower() for m in off.markdown)
