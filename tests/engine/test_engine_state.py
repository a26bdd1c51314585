"""The optimiser state a run records (``record_state``: what the step explainer shows) is the
state of the update that made each step: equal to ``replay`` of the same gradients, for every
optimiser, and following each optimiser's own recurrence written out here (torch.optim's names
in the comments), not taken from the engine."""

from __future__ import annotations

import numpy as np
import pytest

from engine import OPTIMIZERS, replay, simulate

STEPS = 12


def _trace(optimizer):
    return simulate("himmelblau", optimizer, STEPS, noise=0.3, seed=[0, 1, 2], start=(-1.0, 0.5),
                    record_state=True)


@pytest.mark.parametrize("optimizer", sorted(OPTIMIZERS))
def test_recorded_state_equals_replay_of_the_same_gradients(optimizer):
    trace = _trace(optimizer)
    hyper = {k: (v[0].item() if np.ndim(v) else v) for k, v in trace.hyper.items()}
    again = replay(optimizer, trace.grads, trace.start, record_state=True, return_trace=True, **hyper)
    assert sorted(again.state) == sorted(trace.state)
    for name in trace.state:
        np.testing.assert_array_equal(again.state[name], trace.state[name], err_msg=name)
    np.testing.assert_array_equal(again.params, trace.params)
    np.testing.assert_array_equal(again.delta, trace.delta)


def _h(trace, name):
    return float(trace.hyper[name][0])


# state name -> its value after step t from (previous value, g_t, hyperparameters)
RECURRENCES = {
    "momentum": {"buf": lambda prev, g, t, h: g if t == 1 else h("momentum") * prev + g},  # momentum_buffer
    "nesterov": {"buf": lambda prev, g, t, h: g if t == 1 else h("momentum") * prev + g},
    "adagrad": {"sum_sq": lambda prev, g, t, h: prev + g * g},  # state_sum
    "rmsprop": {"v": lambda prev, g, t, h: h("rho") * prev + (1 - h("rho")) * g * g},  # square_avg
    "adam": {"m": lambda prev, g, t, h: h("beta1") * prev + (1 - h("beta1")) * g,  # exp_avg
             "v": lambda prev, g, t, h: h("beta2") * prev + (1 - h("beta2")) * g * g},  # exp_avg_sq
    "adamax": {"m": lambda prev, g, t, h: h("beta1") * prev + (1 - h("beta1")) * g,
               "u": lambda prev, g, t, h: np.maximum(h("beta2") * prev, np.abs(g) + h("eps"))},  # exp_inf
    "lion": {"m": lambda prev, g, t, h: h("beta2") * prev + (1 - h("beta2")) * g},
}


@pytest.mark.parametrize("optimizer", sorted(RECURRENCES))
def test_recorded_state_follows_the_optimisers_recurrence(optimizer):
    trace = _trace(optimizer)
    g = trace.grads  # (steps, runs, D): the gradient each update saw, noise included
    for name, rule in RECURRENCES[optimizer].items():
        state = trace.state[name]
        prev = np.zeros_like(state[0])
        for t in range(1, STEPS + 1):
            want = rule(prev, g[t - 1], t, lambda k: _h(trace, k))
            np.testing.assert_allclose(state[t - 1], want, rtol=1e-12, atol=1e-15, err_msg=f"{name} at step {t}")
            prev = state[t - 1]
