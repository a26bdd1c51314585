"""The Neural network page's experiments: what the text says is what the run shows."""

from __future__ import annotations

import re

import pytest

from .conftest import charts, is_player, no_exception, open_page, spec

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
    assert len(charts(at)) == 4
