"""Hand-computed first steps of each optimiser, from the update rules on paper."""

from __future__ import annotations

import numpy as np
import pytest

from engine import replay

# Two runs, three coordinates of very different sizes and signs (none is zero).
G1 = np.array([[3.0, -0.02, 250.0], [-1.5, 4e-4, -7.0]])
G2 = np.array([[-1.0, 0.05, 100.0], [2.5, -3e-4, -1.0]])
START = np.array([[0.0, 0.0, 0.0], [0.0, 0.0, 0.0]])


def first_steps(optimizer, *grads, start=START, **hyper):
    """The steps taken (``(len(grads), B, D)``) and the trace of replaying ``grads``."""
    trace = replay(optimizer, np.stack(grads), start, return_trace=True, **hyper)
    return np.diff(trace.params, axis=0), trace


def test_sgd_first_step_is_minus_lr_g():
    steps, trace = first_steps("sgd", G1, lr=0.03)
    np.testing.assert_array_equal(steps[0], -0.03 * G1)
    np.testing.assert_array_equal(trace.eff_lr[0], np.full_like(G1, 0.03))


@pytest.mark.parametrize("mu", [0.9, 0.5])
def test_momentum_first_two_steps(mu):
    lr = 0.01
    steps, trace = first_steps("momentum", G1, G2, lr=lr, momentum=mu)
    np.testing.assert_allclose(steps[0], -lr * G1, rtol=1e-14)
    np.testing.assert_allclose(steps[1], -lr * (mu * G1 + G2), rtol=1e-12)
    np.testing.assert_array_equal(trace.eff_lr, np.full((2, *G1.shape), lr))


@pytest.mark.parametrize("mu", [0.9, 0.5])
def test_nesterov_first_two_steps(mu):
    lr = 0.01
    steps, _ = first_steps("nesterov", G1, G2, lr=lr, momentum=mu)
    # torch: b1 = g1, step along g1 + mu b1; b2 = mu b1 + g2, step along g2 + mu b2
    np.testing.assert_allclose(steps[0], -lr * (1 + mu) * G1, rtol=1e-14)
    np.testing.assert_allclose(steps[1], -lr * (G2 + mu * (mu * G1 + G2)), rtol=1e-12)


def test_adam_first_step_is_lr_sign_g_with_bias_correction():
    lr = 1e-3
    steps, trace = first_steps("adam", G1, lr=lr)
    # m_hat = g, v_hat = g^2: the step is lr g / (|g| + eps), about lr sign(g)
    np.testing.assert_allclose(steps[0], -lr * G1 / (np.abs(G1) + 1e-8), rtol=1e-12)
    np.testing.assert_allclose(steps[0], -lr * np.sign(G1), rtol=1e-4)  # eps/|g| <= 2.5e-5
    np.testing.assert_allclose(trace.eff_lr[0], lr / (np.abs(G1) + 1e-8), rtol=1e-12)


def test_adam_first_step_without_bias_correction():
    lr, b1, b2 = 1e-3, 0.9, 0.999
    steps, _ = first_steps("adam", G1, lr=lr, bias_correction=False)
    factor = (1 - b1) / np.sqrt(1 - b2)  # about 3.16
    np.testing.assert_allclose(steps[0], -lr * (1 - b1) * G1 / (np.sqrt(1 - b2) * np.abs(G1) + 1e-8),
                               rtol=1e-12)
    np.testing.assert_allclose(steps[0], -factor * lr * np.sign(G1), rtol=1e-3)


def test_adam_second_step_by_hand():
    lr, b1, b2, eps = 0.01, 0.8, 0.99, 1e-8
    steps, _ = first_steps("adam", G1, G2, lr=lr, beta1=b1, beta2=b2, eps=eps)
    m = (1 - b1) * (b1 * G1 + G2)
    v = (1 - b2) * (b2 * G1**2 + G2**2)
    expect = -lr * (m / (1 - b1**2)) / (np.sqrt(v / (1 - b2**2)) + eps)
    np.testing.assert_allclose(steps[1], expect, rtol=1e-10)


def test_adagrad_first_step_is_about_lr_sign_g():
    lr = 0.1
    steps, trace = first_steps("adagrad", G1, lr=lr)
    np.testing.assert_allclose(steps[0], -lr * G1 / (np.abs(G1) + 1e-10), rtol=1e-12)
    np.testing.assert_allclose(steps[0], -lr * np.sign(G1), rtol=1e-6)
    np.testing.assert_allclose(trace.eff_lr[0], lr / (np.abs(G1) + 1e-10), rtol=1e-12)
    # second step: G = g1^2 + g2^2
    steps, _ = first_steps("adagrad", G1, G2, lr=lr)
    np.testing.assert_allclose(steps[1], -lr * G2 / (np.sqrt(G1**2 + G2**2) + 1e-10), rtol=1e-12)


@pytest.mark.parametrize("rho", [0.9, 0.99])
def test_rmsprop_first_step(rho):
    lr, eps = 0.01, 1e-8
    steps, trace = first_steps("rmsprop", G1, lr=lr, rho=rho, eps=eps)
    np.testing.assert_allclose(steps[0], -lr * G1 / (np.sqrt((1 - rho) * G1**2) + eps), rtol=1e-12)
    np.testing.assert_allclose(trace.eff_lr[0], lr / (np.sqrt((1 - rho) * G1**2) + eps), rtol=1e-12)


def test_rmsprop_centered_first_step():
    lr, rho, eps = 0.01, 0.9, 1e-8
    steps, trace = first_steps("rmsprop", G1, lr=lr, rho=rho, eps=eps, centered=True)
    var = (1 - rho) * G1**2 - ((1 - rho) * G1) ** 2  # v - a^2 = rho (1 - rho) g^2
    np.testing.assert_allclose(steps[0], -lr * G1 / (np.sqrt(var) + eps), rtol=1e-10)
    np.testing.assert_allclose(trace.eff_lr[0], lr / (np.sqrt(var) + eps), rtol=1e-10)


@pytest.mark.parametrize("lr", [1e-4, 0.25, 3.0])
def test_lion_moves_every_coordinate_by_exactly_lr(lr):
    steps, trace = first_steps("lion", G1, G2, -G1, lr=lr)
    np.testing.assert_array_equal(np.abs(steps), lr)
    np.testing.assert_array_equal(steps[0], -lr * np.sign(G1))
    np.testing.assert_array_equal(trace.eff_lr, np.full_like(steps, lr))
    # a zero interpolated momentum does not move the coordinate
    still, _ = first_steps("lion", np.zeros((1, 3)), start=np.zeros((1, 3)), lr=lr)
    np.testing.assert_array_equal(still, 0.0)


def test_lion_second_step_uses_the_interpolation():
    b1, b2, lr = 0.9, 0.99, 0.5
    g1 = np.array([[1.0, 1.0]])
    g2 = np.array([[-0.05, -0.2]])
    steps, _ = first_steps("lion", g1, g2, start=np.zeros((1, 2)), lr=lr, beta1=b1, beta2=b2)
    # c_2 = b1 m_1 + (1-b1) g2 with m_1 = (1-b2) g1 = 0.01: c = 0.009 - 0.005 > 0, 0.009 - 0.02 < 0
    np.testing.assert_array_equal(steps[1], [[-lr, lr]])


def test_adamax_first_step():
    lr, eps = 0.002, 1e-8
    steps, trace = first_steps("adamax", G1, lr=lr)
    np.testing.assert_allclose(steps[0], -lr * G1 / (np.abs(G1) + eps), rtol=1e-12)
    np.testing.assert_allclose(trace.eff_lr[0], lr / (np.abs(G1) + eps), rtol=1e-12)


def test_adadelta_first_step():
    lr, rho, eps = 1.0, 0.9, 1e-6
    steps, _ = first_steps("adadelta", G1, lr=lr, rho=rho, eps=eps)
    np.testing.assert_allclose(steps[0], -lr * np.sqrt(eps) / np.sqrt((1 - rho) * G1**2 + eps) * G1,
                               rtol=1e-12)


def test_radam_first_steps_are_momentum_sgd_on_m_hat():
    lr, b1 = 1e-3, 0.9
    steps, trace = first_steps("radam", G1, G2, lr=lr)
    np.testing.assert_allclose(steps[0], -lr * G1, rtol=1e-12)  # m_hat = g1
    m_hat2 = (b1 * (1 - b1) * G1 + (1 - b1) * G2) / (1 - b1**2)
    np.testing.assert_allclose(steps[1], -lr * m_hat2, rtol=1e-12)
    np.testing.assert_array_equal(trace.eff_lr, np.full_like(steps, lr))


def test_adamw_shrinks_the_weights_before_the_adam_step():
    lr, wd = 0.01, 0.1
    start = np.array([[2.0, -3.0, 0.5], [1.0, 1.0, -1.0]])
    adamw, _ = first_steps("adamw", G1, start=start, lr=lr, weight_decay=wd)
    adam, _ = first_steps("adam", G1, start=start, lr=lr)
    np.testing.assert_allclose(adamw[0], adam[0] - lr * wd * start, rtol=1e-12)
    # Adam's own weight_decay is coupled: it enters the gradient, so the first step is still ~lr sign
    coupled, _ = first_steps("adam", G1, start=start, lr=lr, weight_decay=wd)
    g = G1 + wd * start
    np.testing.assert_allclose(coupled[0], -lr * g / (np.abs(g) + 1e-8), rtol=1e-12)
