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
    advice: str  # the chapter's table, word for word
    shows: str
    page: str  # the id of the page that shows it
    values: tuple  # ((url key, url value), ...)
    note: str = ""  # what the chapter adds elsewhere (its section), said beside its table's words


# Each claim in "shows" is checked with the engine at these exact settings by tests/app/test_guide.py,
# which parses its numbers; the page it opens words its own claims from the run (ui.views.claims).
GUIDE: tuple[GuidePreset, ...] = (
    GuidePreset(
        "prototyping", "Quick prototyping", "Adam (lr=1e-3)",
        "Forgiving defaults: without gradient noise, on a badly conditioned bowl (κ = 100), the learning "
        "rates within 2× of Adam's best final loss span 1.9 decades (η from 0.013 to 1, the largest tried); "
        "SGD's span is its best rate alone, one grid step below where its runs diverge.",
        "sensitivity",
        (("f", "quadratic"), ("quadratic.cond", "100"), ("opt", "sgd,adam"), ("steps", "1000"), ("noise", "0"))),
    GuidePreset(
        "vision", "CNNs for vision", "SGD+Momentum (lr=0.01–0.1, μ=0.9)",
        "Why momentum: at the same η = 0.01, momentum (μ = 0.9) runs along a narrow valley far "
        "faster than plain SGD (its loss gap after 50 steps is 50× smaller) and ends closer to the "
        "minimum (9× lower).",
        "trajectories",
        (("f", "quadratic"), ("quadratic.cond", "20"), ("opt", "sgd,momentum"), ("sgd.lr", "0.01"),
         ("momentum.lr", "0.01"), ("momentum.momentum", "0.9"), ("steps", "300"), ("noise", "0.3"))),
    GuidePreset(
        "transformers", "Transformers/LLMs", "AdamW (lr=1e-4 to 3e-4, weight_decay=0.01)",
        "The recipe: AdamW with warm-up then cosine decay. With noisy gradients the decay "
        "removes the late jitter: the final loss is lower than with a constant η on 8 of 10 seeds, "
        "19× lower at the median (η scaled up for the toy problem).",
        "schedules",
        (("f", "quadratic"), ("opt", "adamw"), ("adamw.lr", "0.05"), ("adamw.weight_decay", "0.01"),
         ("sch", "warmup_cosine"), ("sch.warmup", "200"), ("noise", "1")),
        note="Section 8: AdamW with linear warm-up and cosine decay is the recipe for language models."),
    GuidePreset(
        "rnn", "RNNs", "Adam or RMSProp with gradient clipping",
        "Exploding gradients: from a steep wall (f = 557), SGD diverges at step 4 without clipping; "
        "clipped by norm at 10 it ends at f − f* = 0.1. RMSProp, whose steps do not grow with the "
        "gradient, ends at 0.0068 with or without clipping.",
        "schedules",
        (("opt", "sgd,rmsprop"), ("sgd.lr", "0.003"), ("start", "1.4,-0.4"), ("sch", "constant"),
         ("clip", "norm"), ("clip.at", "10"), ("noise", "0.3"))),
    GuidePreset(
        "rl", "Reinforcement Learning", "Adam or RMSProp",
        "Rewards come in any scale. On a steep bowl (a function scaled by 30: curvature up to 120), "
        "SGD at η = 0.02 is past its stability limit 2/120 ≈ 0.017 and diverges on every seed, with "
        "or without noise; Adam and RMSProp, whose steps do not grow with the gradient's scale, "
        "converge with the same η on every seed.",
        "loss",
        (("f", "custom"), ("custom.expr", "30*((x-1)^2 + 2*(y-1)^2)"), ("opt", "sgd,rmsprop,adam"),
         ("sgd.lr", "0.02"), ("rmsprop.lr", "0.02"), ("adam.lr", "0.02"), ("noise", "2"), ("seeds", "20"),
         ("steps", "1000"))),
)
