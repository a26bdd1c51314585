"""The share panel: the link reproduces the view, and the Python snippet reproduces its numbers."""

from __future__ import annotations

import re
import subprocess
import sys
from urllib.parse import parse_qsl, urlsplit

import pytest

from ui.frame.registry import PAGES

from .conftest import ROOT, no_exception, open_page

PAGES_WITH_SNIPPETS = {p.script: dict(p.small) for p in PAGES.values() if p.charts}  # every page that computes


def _snippet(at) -> str:
    codes = [c.value for c in at.code if "from engine import" in c.value]
    assert len(codes) == 1, "one reproduce-in-Python snippet per page"
    return codes[0]


def _run(code: str) -> str:
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.mark.parametrize("path", PAGES_WITH_SNIPPETS)
def test_snippet_runs(path):
    at = open_page(path, PAGES_WITH_SNIPPETS[path])
    no_exception(at)
    out = _run(_snippet(at))
    assert out.strip(), "the snippet prints its results"
    assert "Traceback" not in out


def test_snippet_reproduces_the_trajectories_numbers():
    query = {"opt": "sgd,adam,nesterov", "steps": "300", "adam.lr": "0.05", "seed": "4", "f": "beale"}
    at = open_page("pages/1_Trajectories.py", query)
    shown = " ".join(m.value for m in at.markdown if "Final loss after" in m.value)
    printed = _run(_snippet(at))
    for title, name in (("SGD", "sgd"), ("Adam", "adam"), ("Nesterov", "nesterov")):
        on_page = re.search(rf"\*\*{title}\*\* f = ([-0-9.e+]+)", shown).group(1)
        from_script = re.search(rf"^{name} final f = ([-0-9.e+]+)", printed, re.M).group(1)
        assert f"{float(from_script):.4g}" == f"{float(on_page):.4g}"


def test_link_holds_the_view_and_reopens_it():
    query = {"f": "himmelblau", "opt": "adam,lion", "steps": "200", "lion.lr": "0.001", "present": "1"}
    at = open_page("pages/2_Loss_curves.py", query)
    links = [c.value for c in at.code if c.value.startswith("http")]
    assert len(links) == 1
    url = urlsplit(links[0])
    assert url.path.endswith("/Loss_curves")
    assert dict(parse_qsl(url.query)) == query
    again = open_page("pages/2_Loss_curves.py", dict(parse_qsl(url.query)))
    assert not again.warning
    assert {k: again.session_state[f"v:{k}"] for k in ("f", "steps")} == {"f": "himmelblau", "steps": 200}


def test_the_network_snippet_reproduces_its_landscape_on_ones_own_data():
    """One's own data is written once (as DATA) and the snippet's landscape gives the barrier the
    page states."""
    import ast

    import numpy as np

    from engine.owndata import encode_data

    rng = np.random.default_rng(3)
    data = encode_data(rng.uniform(-1.8, 1.8, (40, 2)), (rng.uniform(size=40) > 0.5).astype(int))
    at = open_page("pages/11_Neural_network.py", {"nn.data": "own", "nn.points": data, "nn.steps": "150",
                                                  "nn.grid": "9"})
    no_exception(at)
    code = _snippet(at)
    assert code.count(data) == 1 and "DATA = " in code
    printed = _run(code)
    barriers = ast.literal_eval(re.search(r"barriers \(height, alpha\): (\{.*\})", printed).group(1))
    (height, alpha), = barriers.values()
    text = next(m.value for m in at.markdown if "What the landscape shows" in m.value)
    said = re.search(r"(?:at α = ([0-9.]+), |at most )([0-9.e-]+) above the straight line", text)
    if said is None:
        assert height == 0.0 and "never rises above" in text, (height, text)
    else:
        assert float(said.group(2)) == pytest.approx(height, rel=0.06), (height, text)
        if said.group(1):
            assert float(said.group(1)) == pytest.approx(alpha)
