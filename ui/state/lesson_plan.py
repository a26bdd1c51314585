"""The README's 15-minute lesson as a ready lesson (no Streamlit): its six steps and the two of the
longer lesson, each a view (page id and URL values, as ``View.query()`` writes them), a title, a
note for the class and, where the class should predict first, a question.

Every step is projected (``present=1``). ``tests/app/test_lesson.py`` checks that the link decodes
to exactly these views with nothing refused, that it fits a lesson link's limit, and that the
README carries the same link (``ui.frame.lesson.link``).
"""

from __future__ import annotations

from .lesson import Lesson, Step

P = (("present", "1"),)

FIFTEEN_MINUTES = Lesson("A 15-minute lesson: how optimisers differ", (
    Step("home", P, "The chapter's figure",
         "SGD+Momentum, RMSProp and Adam on the noisy Rosenbrock valley, from the same start with the same "
         "gradient noise; each title holds its final f.\n"
         "Now change the noise seed (sidebar) and ask again: does the ranking survive another draw of the noise?",
         "Which of the three optimisers will end lowest?",
         hide=("opt", "steps", "noise", "seed", "explain")),
    Step("trajectories", P, "Paths on Rosenbrock",
         "Press Play. Momentum overshoots across the valley; RMSProp's steps stay near η (0.86η at the median), "
         "Adam's are far smaller (0.07η) while its second moment remembers the steep start.\n"
         "Then switch the objective to the ill-conditioned quadratic and add plain SGD.",
         "All three start at the same point. Whose path will overshoot across the curved valley?"),
    Step("learning_rates", (("opt", "adagrad,rmsprop,adam"), *P), "Effective learning rates",
         "AdaGrad's rate can only fall: here most of its fall comes in the first 50 steps (the large first "
         "gradients fill its sum) and it stalls at f = 3.2. RMSProp's levels off; Adam's is still rising after "
         "2000 steps (it remembers about 1000). Each parameter gets its own level.",
         "AdaGrad divides by the sum of every squared gradient so far. What will its learning rate do?"),
    Step("bias_correction", P, "Bias correction",
         "Without it Adam's first step is (1−β₁)/√(1−β₂) ≈ 3.2 times the corrected one, 6.6 times by step 12, "
         "and the two stay within 10% only after about 1750 steps; yet here the uncorrected run ends lower "
         "(bigger early steps are a risk, not always a loss).\n"
         "Slide β₂ to 0.9999 in Adam's panel.",
         "Without bias correction, is Adam's first step bigger or smaller than with it?"),
    Step("sparse", P, "Rare features",
         "Each optimiser runs at a learning rate near its own best. On the rarest features AdaGrad ends about "
         "9 times closer than SGD. On the 2-D map SGD copes: with two weights it may use a large η.",
         "Some features fire in one example of a thousand. On those, who gets closer: SGD or AdaGrad?"),
    Step("sensitivity", P, "How forgiving is each optimiser?",
         "The band around each best η is the range within 2× of its best loss.\n"
         "Then open Practical guide (sidebar) and load a preset for the task your students care about "
         "(Quick prototyping: Adam's span is 1.9 decades, SGD's its best rate alone).",
         "Which optimiser keeps a good loss over the widest range of learning rates?"),
    Step("trajectories", (("explain", "1"), ("opt", "adam,momentum,rmsprop"), *P), "Why is Adam's first step η?",
         "For a longer lesson. Step to 1, 2 and 3 with the player (its ← → keys, or its buttons) and read the "
         "panel beside the map aloud: at the first step m̂ = g and v̂ = g², so Adam moves by η in every "
         "coordinate, whatever the size of the gradient."),
    Step("network", (("nn.preset", "tuned"), *P), "Does the claim survive a real model?",
         "For a longer lesson. At the defaults it is a tie: both get every test point right.\n"
         "Try another seed or noisier data (Input noise) and ask again.",
         "The chapter says SGD+Momentum generalises better than Adam. Each tuned on the same budget, "
         "will it here?"),
))
