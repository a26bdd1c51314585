"""The claim functions' words on made-up series: each word is used only where it holds (pure)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ui.views import claims

STEPS = np.arange(1, 401)


@pytest.mark.parametrize(("values", "kind", "end"), [
    (np.full(400, 0.01), "flat", "levelled off"),
    (0.01 / np.sqrt(STEPS), "fell", "levelled off"),  # 1/√t: its last quarter is 0.84x the one before
    (1e-4 * STEPS, "rose", "still rising"),  # 1.4x
    (1e-2 / STEPS ** 2, "fell", "still falling"),
    (np.r_[np.geomspace(1e-4, 1e-2, 100), np.full(300, 1e-2)], "rose", "levelled off"),
])
def test_a_course_is_named_by_what_the_series_did(values, kind, end):
    c = claims.course(values, STEPS)
    assert (c.kind, c.end) == (kind, end)


def test_most_of_a_fall_is_dated_where_it_happened():
    values = np.r_[np.geomspace(1e-2, 1e-4, 40), np.full(360, 1e-4)]
    assert claims.course(values, STEPS).most_by <= 40


def _sensitivity(widths_at, diverged_after=None, n=11):
    lrs = np.logspace(-4, 0, n)
    rows, best = [], []
    for o, (i_best, lo, hi) in widths_at.items():
        div = np.zeros(n, int)
        if diverged_after and o in diverged_after:
            div[diverged_after[o]:] = 5
        rows.append(pd.DataFrame({"series": o, "lr": lrs, "diverged": div}))
        best.append({"series": o, "best_lr": lrs[i_best], "best_loss": 1e-3, "lr_lo": lrs[lo], "lr_hi": lrs[hi],
                     "decades": float(np.log10(lrs[hi] / lrs[lo]))})
    return pd.concat(rows), pd.DataFrame(best)


def test_sensitivity_calls_a_tie_a_tie_and_a_lone_best_its_best_rate_alone():
    frame, best = _sensitivity({"sgd": (5, 5, 5), "adam": (3, 2, 4), "rmsprop": (6, 5, 7)})
    text = claims.sensitivity_claim(frame, best).text
    assert "SGD 0.00 decades (only its best rate)" in text
    assert "Widest: Adam and RMSProp, a tie." in text


def test_sensitivity_says_when_a_best_is_on_the_edge_and_when_divergence_is_next():
    frame, best = _sensitivity({"sgd": (10, 9, 10), "adam": (4, 3, 5)}, diverged_after={"adam": 6})
    text = claims.sensitivity_claim(frame, best).text
    assert "SGD's best rate is the largest one tried" in text
    assert "Adam's span ends one grid step below a learning rate where runs diverge" in text
    assert "SGD's span ends" not in text


@pytest.mark.parametrize(("acc", "said"), [
    ({"a": 1.0, "b": 1.0}, "a tie on test accuracy"),
    ({"a": 59 / 60, "b": 1.0}, "B ends with the higher test accuracy (60 of 60 test points right against 59)"),
])
def test_accuracies_are_compared_in_test_points_and_equal_counts_tie(acc, said):
    text = claims.accuracy_comparison("a", "b", acc, {"a": 0.1, "b": 0.2}, 60, {"a": "A", "b": "B"})
    assert said in text
    assert "A has the lower test loss (0.1 against 0.2)" in text


def test_numbers_are_written_with_two_significant_digits_and_no_exponent_for_hundreds():
    assert [claims.num(v) for v in (4.9028e-5, 0.0015, 3.223, 100.0, 1234.0)] == \
        ["4.9e-05", "0.0015", "3.2", "100", "1200"]
