"""Deployed = tested: the installed runtime packages are exactly the pinned ones.

``requirements.txt`` pins the app's direct dependencies and applies ``constraints.txt`` (``-c``),
which pins every package of the resolved set; ``deploy/lock.py`` writes it and checks that it
resolves on CPython 3.11-3.13. These tests fail when what is installed here drifts from the pins,
when the pinned set misses a package the app needs, or when Streamlit is allowed to move past the
minor version the app is tested on (the component message protocol, ``data-testid`` selectors and
the websocket protobufs the tests and the load script rely on change between minor versions).
"""

from __future__ import annotations

from importlib import metadata

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

from .conftest import ROOT, deploy_module

lock = deploy_module("lock")

PINS = lock.pins(lock.CONSTRAINTS)
DIRECT, INCLUDES = lock.read_requirements(lock.REQUIREMENTS)


def test_requirements_apply_the_constraints_file():
    assert "-c constraints.txt" in INCLUDES, INCLUDES
    dev, dev_includes = lock.read_requirements(ROOT / "requirements-dev.txt")
    assert "-r requirements.txt" in dev_includes, "CI installs requirements-dev.txt: it must bring the pins"
    # a dev tool bounded away from a runtime pin would make the dev install fail or drift
    for req in dev:
        name = canonicalize_name(req.name)
        if name in PINS:
            assert req.specifier.contains(PINS[name], prereleases=True), (req, PINS[name])


@pytest.mark.parametrize("req", DIRECT, ids=lambda r: r.name)
def test_each_direct_requirement_is_pinned_to_the_locked_version(req):
    specs = list(req.specifier)
    assert len(specs) == 1 and specs[0].operator == "==", f"requirements.txt: pin {req} with =="
    assert PINS.get(canonicalize_name(req.name)) == specs[0].version, (req, PINS.get(req.name))


def test_streamlit_is_bounded_to_one_minor_version():
    (st_req,) = [r for r in DIRECT if canonicalize_name(r.name) == "streamlit"]
    tested = Version(metadata.version("streamlit"))
    major, minor = tested.major, tested.minor
    assert st_req.specifier.contains(tested), (str(st_req), str(tested))
    outside = [f"{major}.{minor + 1}.0", f"{major}.{minor + 1}.0rc1", f"{major + 1}.0.0",
               f"{major}.{minor - 1}.0", f"{major}.{minor}.0.dev1" if tested.micro else f"{major}.{minor - 1}.99"]
    allowed = [v for v in outside if st_req.specifier.contains(v, prereleases=True)]
    assert not allowed, f"requirements.txt lets Streamlit move off {major}.{minor}: {st_req} admits {allowed}"


@pytest.mark.parametrize("name", sorted(PINS))
def test_installed_version_equals_its_pin(name):
    try:
        installed = metadata.version(name)
    except metadata.PackageNotFoundError:
        needed = lock.closure(DIRECT)
        assert name not in needed, f"{name} is needed here but not installed (pip install -r requirements.txt)"
        pytest.skip(f"{name} is pinned for another platform and not needed here")
    assert installed == PINS[name], (
        f"{name} {installed} is installed but constraints.txt pins {PINS[name]}: the hosted app would run "
        f"another version than the one tested. Reinstall with `pip install -r requirements.txt`, or move the pin "
        f"(python deploy/lock.py --write, then python deploy/lock.py) and run the tests.")


def test_every_package_the_app_needs_is_pinned():
    needed = lock.closure(DIRECT)
    unpinned = sorted(n for n in needed if n not in PINS)
    assert not unpinned, (f"the app's dependencies include {unpinned}, which constraints.txt does not pin: "
                          "run python deploy/lock.py --write")
    assert not [n for n, v in needed.items() if not v], "a needed package is not installed"


def test_closure_follows_markers():
    """The closure walk evaluates markers: a requirement for another platform is not needed here."""
    reqs = [Requirement('pywin32-not-a-real-dep ; sys_platform == "win32" and sys_platform != "win32"'),
            Requirement("packaging")]
    found = lock.closure(reqs)
    assert "packaging" in found and "pywin32-not-a-real-dep" not in found
