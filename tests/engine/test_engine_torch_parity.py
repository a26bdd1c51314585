"""The engine against torch.optim trajectories stored in ``tests/data/torch_reference.json``.

The reference was produced once by ``tests/data/make_torch_reference.py`` (torch is not
needed here). ``grads`` cases feed a fixed gradient sequence through ``engine.replay``;
``rosenbrock`` cases compute the gradient from the parameters each step, with the
documented noise stream, through ``engine.simulate``.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from engine_testlib import DATA

from engine import OPTIMIZERS, replay, simulate

REFERENCE = json.loads((DATA / "torch_reference.json").read_text())
CASES = REFERENCE["cases"]


def _schedule_kwargs(case):
    if not case["schedule"]:
        return {}
    options = dict(case["schedule"])
    return {"schedule": options.pop("name"), "schedule_options": options}


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_matches_torch(case):
    want = np.asarray(case["params"])
    kwargs = {**_schedule_kwargs(case), **case["hyper"]}
    if case["mode"] == "grads":
        ref = REFERENCE["grads"]
        got = replay(case["optimizer"], np.asarray(ref["grads"]), np.asarray(ref["start"]), **kwargs)
    else:
        ref = REFERENCE["rosenbrock"]
        trace = simulate("rosenbrock", case["optimizer"], ref["steps"], np.asarray(ref["start"]),
                         ref["noise"], np.asarray(ref["seeds"]), **kwargs)
        assert not trace.diverged.any()
        got = trace.params
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-13)
    # the reference moved: a trajectory that stands still would match anything
    assert np.abs(want[-1] - want[0]).max() > 1e-3


def test_reference_covers_every_torch_optimizer():
    covered = {c["optimizer"] for c in CASES}
    in_torch = {name for name, spec in OPTIMIZERS.items() if spec.torch_name}
    assert in_torch <= covered
    for case in CASES:
        assert OPTIMIZERS[case["optimizer"]].torch_name == case["torch"]
    assert {"grads", "rosenbrock"} <= {c["mode"] for c in CASES}
    ids = {c["id"] for c in CASES}
    assert {"momentum_steplr-grads", "adam_amsgrad_wd-grads", "rmsprop_centered-grads",
            "adamw-grads"} <= ids


def test_reference_gradients_exercise_the_conventions():
    """The stored gradients must make eps placement and zero accumulators matter."""
    g = np.asarray(REFERENCE["grads"]["grads"])
    assert (g[0, :, 2] == 0).all()  # a zero first gradient: AdaGrad/Adam start from 0/eps
    assert np.abs(g[..., 1]).max() < 1e-5  # tiny gradients: sqrt(v) is comparable to eps
    assert (g[..., 2] == 0).mean() > 0.5  # a sparse coordinate
