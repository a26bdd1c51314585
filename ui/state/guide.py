"""The chapter's practical-guidelines table as presets of the controls (no Streamlit).

A preset is a set of URL values (the same names and parsing as a shared link) and the page
that shows what the advice is about (its id in the page registry). Loading one resets the
controls to their defaults, applies the preset's values, and switches to its page
(``ui.frame``).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class GuidePreset:
    id: str
    task: str
    advice: str
    shows: str
    page: str  # the id of the page that shows it
    values: tuple  # ((url key, url value), ...)


# Each claim in "shows" was checked with the engine at these exact settings
# (tests/app/test_guide.py re-checks them through the pages).
GUIDE: tuple[GuidePreset, ...] = (
    GuidePreset(
        "prototyping", "Quick prototyping", "Adam (η = 1e-3)",
        "Forgiving defaults: on a badly conditioned valley (κ = 100) the span of learning rates "
        "within 2× of the best final loss is several times wider for Adam than for SGD.",
        "sensitivity",
        (("f", "quadratic"), ("quadratic.cond", "100"), ("opt", "sgd,adam"), ("steps", "1000"), ("noise", "0.1"))),
    GuidePreset(
        "vision", "CNNs for vision", "SGD + Momentum (η = 0.01–0.1, μ = 0.9)",
        "Why momentum: at the same η = 0.01, momentum (μ = 0.9) runs along a narrow valley far "
        "faster than plain SGD and ends closer to the minimum.",
        "trajectories",
        (("f", "quadratic"), ("quadratic.cond", "20"), ("opt", "sgd,momentum"), ("sgd.lr", "0.01"),
         ("momentum.lr", "0.01"), ("momentum.momentum", "0.9"), ("steps", "300"), ("noise", "0.3"))),
    GuidePreset(
        "transformers", "Transformers / LLMs", "AdamW (η = 1e-4 to 3e-4, weight decay 0.01), warm-up + cosine",
        "The Transformer recipe: AdamW with warm-up then cosine decay. With noisy gradients the decay "
        "removes the late jitter: the final loss is many times lower than with a constant η "
        "(η scaled up for the toy problem).",
        "schedules",
        (("f", "quadratic"), ("opt", "adamw"), ("adamw.lr", "0.05"), ("adamw.weight_decay", "0.01"),
         ("sch", "warmup_cosine"), ("sch.warmup", "200"), ("noise", "1"))),
    GuidePreset(
        "rnn", "RNNs", "Adam or RMSProp, with gradient clipping",
        "Exploding gradients: from a steep wall, SGD diverges in a few steps without clipping and "
        "converges with it (clip by norm at 10).",
        "schedules",
        (("opt", "sgd,rmsprop"), ("sgd.lr", "0.003"), ("start", "1.4,-0.4"), ("sch", "constant"),
         ("clip", "norm"), ("clip.at", "10"), ("noise", "0.3"))),
    GuidePreset(
        "rl", "Reinforcement learning", "Adam or RMSProp",
        "Rewards come in any scale. On a steep bowl (a function scaled by 30) with very noisy "
        "gradients, SGD at η = 0.02 diverges on every seed; Adam and RMSProp, whose steps do not "
        "grow with the gradient's scale, converge with the same η.",
        "loss",
        (("f", "custom"), ("custom.expr", "30*((x-1)^2 + 2*(y-1)^2)"), ("opt", "sgd,rmsprop,adam"),
         ("sgd.lr", "0.02"), ("rmsprop.lr", "0.02"), ("adam.lr", "0.02"), ("noise", "2"), ("seeds", "20"),
         ("steps", "1000"))),
)
