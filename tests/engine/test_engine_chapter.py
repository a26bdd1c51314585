"""The preset ``chapter`` reproduces the chapter's own code (tests/data/chapter_ch312.py)."""

from __future__ import annotations

import pathlib

import numpy as np
import pytest
from engine_testlib import DATA, load_data_module

from engine import EXPERIMENTS, run_experiment

chapter = load_data_module("chapter_ch312")
SEED_TEXT = pathlib.Path(__file__).resolve().parents[3] / "shared" / "seed" / "000_184c8ee70125f2b8.txt"


@pytest.fixture(scope="module")
def traces():
    return run_experiment("chapter")


def test_preset_uses_the_chapters_configuration():
    preset = EXPERIMENTS["chapter"]
    assert [hyper for _, hyper in preset.runs] == [kwargs for _, kwargs, _, _ in chapter.configs]
    assert (preset.objective, preset.start, preset.noise, preset.seed, preset.steps) == (
        "rosenbrock", (-1.0, 0.5), 0.3, 0, 2000)


@pytest.mark.parametrize("index", range(len(chapter.configs)),
                         ids=[c[2] for c in chapter.configs])
def test_chapter_figure_is_reproduced(traces, index):
    opt_cls, kwargs, _, _ = chapter.configs[index]
    name = EXPERIMENTS["chapter"].runs[index][0]
    hist = chapter.run_optimiser(opt_cls, kwargs)  # (2001, 2)
    trace = traces[name]
    assert trace.params.shape == (2001, 1, 2) and not trace.diverged.any()
    want = chapter.rosenbrock(hist[-1])
    assert trace.final_loss[0] == pytest.approx(want, rel=1e-9)
    np.testing.assert_allclose(trace.params[:, 0], hist, rtol=1e-9, atol=1e-12)
    losses = np.array([chapter.rosenbrock(p) for p in hist])
    np.testing.assert_allclose(trace.loss[:, 0], losses, rtol=1e-9, atol=1e-15)


def test_chapter_code_is_verbatim():
    if not SEED_TEXT.exists():
        pytest.skip("the chapter text is not on this machine")
    text = SEED_TEXT.read_text()
    code = (DATA / "chapter_ch312.py").read_text()
    body = code[code.index("class SGDMomentum:"):]
    assert body.strip() in text


def test_run_experiment_passes_overrides_to_simulate(traces):
    short = run_experiment("chapter", steps=50, seed=[0, 1], record="loss")
    assert list(short) == [opt for opt, _ in EXPERIMENTS["chapter"].runs]
    for name, trace in short.items():
        assert trace.steps == 50 and trace.loss.shape == (51, 2) and trace.params is None
        # the seed-0 run is the start of the full preset run
        np.testing.assert_array_equal(trace.loss[:, 0], traces[name].loss[:51, 0])
    assert run_experiment("chapter", lr=0.02)["adam"].hyper["lr"][0] == 0.02
