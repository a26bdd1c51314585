"""Fixtures for the engine tests; the tables and helpers live in ``engine_testlib``."""

from __future__ import annotations

import pytest
from engine_testlib import OBJECTIVE_VARIANTS, variant_id

from engine import get_objective


@pytest.fixture(params=OBJECTIVE_VARIANTS, ids=variant_id)
def objective(request):
    name, options = request.param
    return get_objective(name, **options)
