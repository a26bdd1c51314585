"""The practical guide: every preset opens its view, and every claim it makes holds."""

from __future__ import annotations

import numpy as np
import pytest

from engine import OPTIMIZERS, simulate
from ui.frame.registry import ALL_FIELDS
from ui.state.guide import GUIDE
from ui.state.settings import settings_from_values
from ui.views import analysis

from .conftest import charts, no_exception, open_page

PRESETS = {p.id: p for p in GUIDE}


def _settings(preset):
    values = {k: ALL_FIELDS[k].clean(v) for k, v in preset.values}
    return settings_from_values(values), values


def _run(s, opt, seeds=(0,), **kw):
    return simulate(s.objective_obj(), opt, s.steps, s.start, s.noise, np.asarray(seeds), **{**s.hyper(opt), **kw})


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


def test_prototyping_adam_is_more_forgiving_than_sgd():
    s, _ = _settings(PRESETS["prototyping"])
    obj = s.objective_obj()
    seeds = np.arange(5)
    ceiling = 10 * float(obj.value(np.asarray(s.start)) - obj.fmin)
    width = {}
    for opt in ("sgd", "adam"):
        h = OPTIMIZERS[opt].hypers["lr"]
        lrs = np.logspace(np.log10(h.low), np.log10(h.high), 25)
        tr = simulate(obj, opt, s.steps, s.start, s.noise, np.tile(seeds, 25), record="loss", every=s.steps,
                      **{**s.hyper(opt), "lr": np.repeat(lrs, 5)})
        width[opt] = analysis.sensitivity(tr, lrs, 5, obj.fmin, ceiling).decades
    assert width["adam"] >= 2 * width["sgd"] > 0, width


def test_vision_momentum_beats_plain_sgd_at_the_same_lr():
    s, _ = _settings(PRESETS["vision"])
    sgd, mom = (_run(s, o, seeds=range(10)) for o in ("sgd", "momentum"))
    assert np.median(mom.final_loss) < np.median(sgd.final_loss)
    assert np.median(mom.loss[50]) < 0.2 * np.median(sgd.loss[50])


def test_transformers_schedule_lowers_the_final_loss():
    s, v = _settings(PRESETS["transformers"])
    on = _run(s, "adamw", seeds=range(10), schedule=v["sch"], schedule_options={"warmup": v["sch.warmup"]})
    off = _run(s, "adamw", seeds=range(10))
    assert np.median(on.final_loss) < 0.25 * np.median(off.final_loss)


def test_rnn_clipping_turns_divergence_into_convergence():
    s, v = _settings(PRESETS["rnn"])
    assert _run(s, "sgd").diverged.all()
    clipped = _run(s, "sgd", clip_norm=v["clip.at"])
    assert not clipped.diverged.any() and clipped.final_loss[0] < 1.0


def test_rl_adaptive_steps_ignore_the_gradient_scale():
    s, v = _settings(PRESETS["rl"])
    seeds = range(v["seeds"])
    assert _run(s, "sgd", seeds=seeds).diverged.all()
    for opt in ("rmsprop", "adam"):
        tr = _run(s, opt, seeds=seeds)
        assert not tr.diverged.any() and np.median(tr.final_loss - s.objective_obj().fmin) < 0.1
