"""What a student's session keeps after its run is small: nothing it holds reaches a trace or an
objective's data set, which live only in the caches (bounded by bytes, shared by every session).

Streamlit keeps a download button's function for as long as the session lives (a closed tab's
for two minutes more). A lambda over a page's ``traces`` kept them, and the objective's data with
them, outside every byte budget: 16 links to a large sparse Loss-curves view, each in a tab since
closed, held 1.3 GB in the server (``benchmarks/hostile.py --cases memory``). The share panel's
deferred tables are ``View.later`` ones, which hold run specs only.
"""

from __future__ import annotations

import gc
import sys
import types

import pytest
from streamlit.delta_generator import DeltaGenerator

from engine import Objective, Trace

from .conftest import all_page_scripts, open_page


def _reaches_data(root, limit: int = 200_000) -> list[str]:
    """Traces and objectives with data reachable from ``root``, not through a module (whatever a
    library module holds, its caches included, is the process's, not the session's)."""
    modules = {id(vars(m)) for name, m in list(sys.modules.items()) if m is not None and name != "__main__"}
    seen, stack, found = set(), [root], []
    while stack and len(seen) < limit:
        obj = stack.pop()
        if id(obj) in seen or isinstance(obj, (types.ModuleType, type)) or id(obj) in modules:
            continue
        seen.add(id(obj))
        if isinstance(obj, Trace):
            found.append(f"a Trace ({obj.params.nbytes if obj.params is not None else 0} bytes of params)")
            continue
        if isinstance(obj, Objective) and obj.nbytes:
            found.append(f"the objective {obj.name!r} with {obj.nbytes} bytes of data")
            continue
        stack.extend(gc.get_referents(obj))
    return found


NO_SHARE_PANEL = {"pages/10_Practical_guide.py"}  # a table of presets: nothing computed to download


@pytest.mark.parametrize("path", [p for p in all_page_scripts() if p not in NO_SHARE_PANEL])
def test_the_share_panels_deferred_tables_hold_no_traces(path, monkeypatch):
    handed = []
    original = DeltaGenerator.download_button

    def record(self, label, data, *args, **kwargs):
        handed.append((label, data))
        return original(self, label, data, *args, **kwargs)

    monkeypatch.setattr(DeltaGenerator, "download_button", record)
    at = open_page(path)
    assert not at.exception
    assert handed, "the page has no download button"
    held = {label: _reaches_data(data) for label, data in handed}
    assert {label: found for label, found in held.items() if found} == {}
