"""The chapter's code (ch312 "Optimisers: Adam, RMSProp, Momentum"), copied verbatim.

This is the baseline of ``bench_engine.py``: the chapter's optimiser classes (a
dict of parameters updated in place), its Rosenbrock and gradient, its
``run_optimiser`` loop and the configurations of its figure. Only the plotting
is left out. The source is ``../shared/seed/000_184c8ee70125f2b8.txt`` in the
project's shared folder. Kept byte-for-byte (hence the lint exemptions) so
that the comparison is with the chapter's code and not with a tidied version.
"""
# ruff: noqa: E702

import numpy as np


class SGDMomentum:
    def __init__(self, params, lr=0.01, momentum=0.9):
        self.params = params; self.lr = lr; self.mu = momentum
        self.v = {k: np.zeros_like(v) for k, v in params.items()}
    def step(self, grads):
        for k in self.params:
            self.v[k] = self.mu*self.v[k] - self.lr*grads[k]
            self.params[k] += self.v[k]

class RMSProp:
    def __init__(self, params, lr=0.01, rho=0.9, eps=1e-8):
        self.params = params; self.lr = lr; self.rho = rho; self.eps = eps
        self.v = {k: np.zeros_like(v) for k, v in params.items()}
    def step(self, grads):
        for k in self.params:
            self.v[k] = self.rho*self.v[k] + (1-self.rho)*grads[k]**2
            self.params[k] -= self.lr / (np.sqrt(self.v[k]) + self.eps) * grads[k]

class Adam:
    def __init__(self, params, lr=0.001, beta1=0.9, beta2=0.999, eps=1e-8):
        self.params = params; self.lr = lr
        self.b1 = beta1; self.b2 = beta2; self.eps = eps; self.t = 0
        self.m = {k: np.zeros_like(v) for k, v in params.items()}
        self.v = {k: np.zeros_like(v) for k, v in params.items()}
    def step(self, grads):
        self.t += 1
        for k in self.params:
            self.m[k] = self.b1*self.m[k] + (1-self.b1)*grads[k]
            self.v[k] = self.b2*self.v[k] + (1-self.b2)*grads[k]**2
            m_hat = self.m[k] / (1 - self.b1**self.t)
            v_hat = self.v[k] / (1 - self.b2**self.t)
            self.params[k] -= self.lr / (np.sqrt(v_hat) + self.eps) * m_hat


def rosenbrock(p): return (1-p[0])**2 + 100*(p[1]-p[0]**2)**2
def rosenbrock_grad(p):
    return np.array([-2*(1-p[0]) - 400*p[0]*(p[1]-p[0]**2),
                     200*(p[1]-p[0]**2)])


def run_optimiser(opt_cls, opt_kwargs, n_steps=2000, seed=0):
    rng = np.random.default_rng(seed)
    params = {'w': np.array([-1.0, 0.5])}
    opt = opt_cls(params, **opt_kwargs)
    hist = [params['w'].copy()]
    for _ in range(n_steps):
        g = rosenbrock_grad(params['w']) + rng.normal(0, 0.3, 2)
        opt.step({'w': g})
        hist.append(params['w'].copy())
    return np.array(hist)

configs = [
    (SGDMomentum, {'lr': 0.001, 'momentum': 0.9}, 'SGD+Momentum', '#e74c3c'),
    (RMSProp, {'lr': 0.005, 'rho': 0.9}, 'RMSProp', '#f39c12'),
    (Adam, {'lr': 0.01}, 'Adam', '#3498db'),
]
