"""The practical guide: every preset opens its view, and every claim it makes holds."""

from __future__ import annotations

import re

import numpy as np
import pytest

from engine import simulate
from ui.frame.registry import ALL_FIELDS
from ui.state.guide import GUIDE
from ui.state.settings import settings_from_values

from .conftest import charts, no_exception, open_page
from .measure import sweep

PRESETS = {p.id: p for p in GUIDE}


def _settings(preset):
    values = {k: ALL_FIELDS[k].clean(v) for k, v in preset.values}
    return settings_from_values(values), values


def _run(s, opt, seeds=(0,), noise=None, **kw):
    return simulate(s.objective_obj(), opt, s.steps, s.start, s.noise if noise is None else noise, np.asarray(seeds),
                    **{**s.hyper(opt), **kw})


@pytest.mark.parametrize("preset", GUIDE, ids=[p.id for p in GUIDE])
def test_each_preset_loads_its_values_and_opens_its_page(preset):
    at = open_page("pages/10_Practical_guide.py")
    at.button(key=f"preset_{preset.id}").click().run()
    no_exception(at)
    assert charts(at), "the target page draws its charts"
    for key, raw in preset.values:
        field = ALL_FIELDS[key]
        value = at.session_state[f"v:{key}"]
        assert value == field.clean(raw), key


# The chapter's table (section 6, "Practical guidelines"), word for word.
CHAPTER_TABLE = {
    "Quick prototyping": "Adam (lr=1e-3)",
    "CNNs for vision": "SGD+Momentum (lr=0.01–0.1, μ=0.9)",
    "Transformers/LLMs": "AdamW (lr=1e-4 to 3e-4, weight_decay=0.01)",
    "RNNs": "Adam or RMSProp with gradient clipping",
    "Reinforcement Learning": "Adam or RMSProp",
}


def _number(text: str, pattern: str) -> float:
    found = re.search(pattern, text)
    assert found, (pattern, text)
    return float(found.group(1).rstrip("."))


def test_the_recommended_column_is_the_chapters_table_and_nothing_else():
    """What the chapter says elsewhere (warm-up + cosine, section 8) is a note that names its section."""
    assert {p.task: p.advice for p in GUIDE} == CHAPTER_TABLE
    for p in GUIDE:
        assert not p.note or p.note.startswith("Section ")


def test_prototyping_adams_span_and_sgds_are_as_said():
    preset = PRESETS["prototyping"]
    s, _ = _settings(preset)
    found = {opt: sweep(s, opt, 25, 5) for opt in ("sgd", "adam")}
    width = {o: np.log10(f[0][f[3]] / f[0][f[2]]) for o, f in found.items()}
    if "several times wider" in preset.shows:  # a ratio the words name
        assert width["adam"] >= 3 * width["sgd"], width
    lrs, _, lo, hi, _ = found["adam"]
    assert np.log10(lrs[hi] / lrs[lo]) == pytest.approx(_number(preset.shows, r"span ([0-9.]+) decades"), abs=0.05)
    assert lrs[lo] == pytest.approx(_number(preset.shows, r"η from ([0-9.]+)"), rel=0.06)
    assert lrs[hi] == pytest.approx(_number(preset.shows, r"to ([0-9.]+), the largest tried"), rel=0.06)
    assert hi == len(lrs) - 1
    lrs, best, lo, hi, diverged = found["sgd"]
    assert lo == hi == best and diverged[best + 1] and not diverged[best]  # its best alone, next to divergence


def test_vision_momentum_beats_plain_sgd_at_the_same_lr():
    preset = PRESETS["vision"]
    s, _ = _settings(preset)
    fmin = s.objective_obj().fmin
    sgd, mom = (_run(s, o) for o in ("sgd", "momentum"))
    assert (sgd.loss[50, 0] - fmin) / (mom.loss[50, 0] - fmin) == pytest.approx(
        _number(preset.shows, r"(\d+)× smaller"), rel=0.1)
    assert (sgd.final_loss[0] - fmin) / (mom.final_loss[0] - fmin) == pytest.approx(
        _number(preset.shows, r"(\d+)× lower"), rel=0.1)


def test_transformers_schedule_lowers_the_final_loss_on_most_seeds():
    preset = PRESETS["transformers"]
    s, v = _settings(preset)
    seeds = range(10)
    on = _run(s, "adamw", seeds=seeds, schedule=v["sch"], schedule_options={"warmup": v["sch.warmup"]})
    off = _run(s, "adamw", seeds=seeds)
    gap_on, gap_off = on.final_loss - s.objective_obj().fmin, off.final_loss - s.objective_obj().fmin
    lower, of = re.search(r"on (\d+) of (\d+) seeds", preset.shows).groups()
    assert int(of) == len(seeds) and int(np.sum(gap_on < gap_off)) == int(lower)
    assert np.median(gap_off) / np.median(gap_on) == pytest.approx(_number(preset.shows, r"(\d+)× lower"), rel=0.1)


def test_rnn_clipping_turns_divergence_into_convergence():
    preset = PRESETS["rnn"]
    s, v = _settings(preset)
    obj = s.objective_obj()
    start_f = float(obj.value(np.asarray(s.start)))
    assert start_f == pytest.approx(_number(preset.shows, r"wall \(f = (\d+)\)"), rel=0.01)
    plain = _run(s, "sgd")
    assert plain.diverged.all() and int(plain.stopped_at[0]) == _number(preset.shows, r"diverges at step (\d+)")
    clipped = _run(s, "sgd", clip_norm=v["clip.at"])
    assert not clipped.diverged.any()
    assert clipped.final_loss[0] - obj.fmin == pytest.approx(_number(preset.shows, r"ends at f − f\* = ([0-9.]+)"),
                                                              abs=0.01)
    said = _number(preset.shows, r"RMSProp.* ends at ([0-9.]+)")
    for clip in (None, v["clip.at"]):
        assert _run(s, "rmsprop", clip_norm=clip).final_loss[0] - obj.fmin == pytest.approx(said, rel=0.06)


def test_rl_sgd_is_past_its_stability_limit_and_the_adaptive_ones_converge():
    preset = PRESETS["rl"]
    s, v = _settings(preset)
    obj = s.objective_obj()
    seeds = range(v["seeds"])
    if re.search(r"noisy gradients, SGD", preset.shows):  # the noise named as what makes SGD diverge
        assert not _run(s, "sgd", seeds=seeds, noise=0.0).diverged.all()
    curvature = float(np.linalg.eigvalsh(obj.hess(np.asarray(obj.minima[0]))).max())
    assert curvature == pytest.approx(_number(preset.shows, r"curvature up to (\d+)"))
    assert s.hyper("sgd")["lr"] > 2 / curvature
    assert _run(s, "sgd", seeds=seeds).diverged.all()
    assert _run(s, "sgd", seeds=seeds, noise=0.0).diverged.all()  # "with or without noise"
    for opt in ("rmsprop", "adam"):
        tr = _run(s, opt, seeds=seeds)
        assert not tr.diverged.any() and np.all(tr.final_loss - obj.fmin < 0.1)
