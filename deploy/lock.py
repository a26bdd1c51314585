#!/usr/bin/env python
"""The exact runtime set: write ``constraints.txt`` from the tested environment, check it resolves.

``requirements.txt`` names the app's direct dependencies, each pinned, and includes
``-c constraints.txt``; ``constraints.txt`` pins every package of the resolved set (the direct
ones and everything they pull in). pip and uv both apply a ``-c`` line inside a requirements file
(uv: checked with uv 0.13.9), so ``pip install -r requirements.txt``, CI's
``pip install -r requirements-dev.txt`` and Streamlit Community Cloud (uv, else pip) install the
same versions.

    python deploy/lock.py --write   # constraints.txt := the installed versions of requirements.txt's closure
    python deploy/lock.py           # check: the pinned set resolves from binary wheels on PyPI for
                                    # CPython 3.11, 3.12 and 3.13 on Linux x86_64, and nothing is left out

To add a runtime package (say plotly): add ``plotly==X.Y.Z`` to requirements.txt,
``pip install -r requirements.txt`` (it may fail on a conflict with a pin: then choose versions
that agree), run the tests, then ``python deploy/lock.py --write`` and ``python deploy/lock.py``.

The check asks pip to resolve only (``pip install --dry-run --report``, package metadata, no
wheel downloads) with pip's configuration files and environment variables ignored, so that it sees
what a fresh host sees: PyPI alone.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from importlib import metadata
from pathlib import Path

from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]
REQUIREMENTS = ROOT / "requirements.txt"
CONSTRAINTS = ROOT / "constraints.txt"
PYTHONS = ("3.11", "3.12", "3.13")
# Linux x86_64 wheels as Community Cloud (Debian) and CI take them: manylinux up to glibc 2.28.
PLATFORMS = ("manylinux2014_x86_64", "manylinux_2_28_x86_64")
OTHER_PLATFORMS = {"macOS arm64": ("macosx_11_0_arm64", "macosx_14_0_arm64"), "Windows x86_64": ("win_amd64",)}

HEADER = """\
# Every runtime package of Optimiser Lab, pinned to the version CI tests. requirements.txt applies
# this file (-c constraints.txt): pip, uv and Streamlit Community Cloud install exactly this set.
# Written by `python deploy/lock.py --write` from the tested environment; `python deploy/lock.py`
# checks that it resolves from wheels on CPython 3.11, 3.12 and 3.13 (Linux x86_64);
# tests/deploy/test_pins.py fails when an installed version differs from its pin.
"""


def read_requirements(path: Path) -> tuple[list[Requirement], list[str]]:
    """(requirements, included files) of a requirements file: ``-c``/``-r`` lines are listed, not followed."""
    reqs, includes = [], []
    for raw in path.read_text().splitlines():
        line = raw.split(" #", 1)[0].strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith(("-c", "-r", "--constraint", "--requirement")):
            includes.append(line)
            continue
        reqs.append(Requirement(line))
    return reqs, includes


def pins(path: Path = CONSTRAINTS) -> dict[str, str]:
    """{canonical name: pinned version} of a file of ``name==version`` lines."""
    out = {}
    for req in read_requirements(path)[0]:
        specs = list(req.specifier)
        if len(specs) != 1 or specs[0].operator != "==":
            raise ValueError(f"{path.name}: {req} is not pinned with a single ==")
        out[canonicalize_name(req.name)] = specs[0].version
    return out


def closure(roots: list[Requirement], env: dict | None = None) -> dict[str, str]:
    """The installed distributions that ``roots`` need here, with their versions: each
    requirement's markers are evaluated for this interpreter and platform. A needed package that
    is not installed is reported with version ``""``."""
    env = env or default_environment()
    found: dict[str, str] = {}
    todo = [(r, "") for r in roots]
    while todo:
        req, extra = todo.pop()
        if req.marker is not None and not req.marker.evaluate({**env, "extra": extra}):
            continue
        name = canonicalize_name(req.name)
        if name in found:
            continue
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            found[name] = ""
            continue
        found[name] = dist.version
        todo += [(Requirement(r), "") for r in dist.requires or []]
        for ex in req.extras:
            todo += [(Requirement(r), ex) for r in dist.requires or [] if "extra" in r]
    return found


def write() -> int:
    roots, _ = read_requirements(REQUIREMENTS)
    found = closure(roots)
    missing = sorted(n for n, v in found.items() if not v)
    if missing:
        print(f"not installed here: {', '.join(missing)} (pip install -r requirements.txt first)")
        return 1
    for req in roots:
        have = found[canonicalize_name(req.name)]
        if not req.specifier.contains(have, prereleases=True):
            print(f"requirements.txt asks for {req} but {have} is installed")
            return 1
    lines = [f"{name}=={version}" for name, version in sorted(found.items())]
    CONSTRAINTS.write_text(HEADER + "\n".join(lines) + "\n")
    print(f"wrote {CONSTRAINTS.relative_to(ROOT)}: {len(lines)} packages")
    return 0


def resolve(python: str, platforms: tuple[str, ...]) -> dict[str, str]:
    """What pip resolves for requirements.txt (with its constraints) for one target, from PyPI
    only: {name: version}. Raises CalledProcessError with pip's output when it cannot."""
    with tempfile.TemporaryDirectory(prefix="optlab-lock-") as tmp:
        report = Path(tmp) / "report.json"
        cmd = [sys.executable, "-m", "pip", "install", "--dry-run", "--ignore-installed", "--quiet",
               "--only-binary=:all:", "--python-version", python, "--implementation", "cp",
               *[a for p in platforms for a in ("--platform", p)], "--target", str(Path(tmp) / "t"),
               "--report", str(report), "-r", str(REQUIREMENTS)]
        env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_")}
        env["PIP_CONFIG_FILE"] = os.devnull  # no site or user config: PyPI alone, no local wheels
        subprocess.run(cmd, check=True, capture_output=True, text=True, env=env, cwd=ROOT)
        data = json.loads(report.read_text())
    return {canonicalize_name(i["metadata"]["name"]): i["metadata"]["version"] for i in data["install"]}


def check(other_platforms: bool = False) -> int:
    pinned = pins()
    direct = {canonicalize_name(r.name): r for r in read_requirements(REQUIREMENTS)[0]}
    problems = [f"requirements.txt: {r} disagrees with constraints.txt ({pinned.get(n)})"
                for n, r in direct.items() if n not in pinned or not r.specifier.contains(pinned[n])]
    targets = [(f"CPython {py} Linux x86_64", py, PLATFORMS) for py in PYTHONS]
    if other_platforms:
        targets += [(f"CPython 3.12 {label}", "3.12", plats) for label, plats in OTHER_PLATFORMS.items()]
    for label, py, plats in targets:
        try:
            got = resolve(py, plats)
        except subprocess.CalledProcessError as err:
            problems.append(f"{label}: does not resolve:\n{(err.stderr or err.stdout)[-2000:]}")
            continue
        off = sorted(f"{n}=={v} (pinned {pinned[n]})" for n, v in got.items() if n in pinned and pinned[n] != v)
        unpinned = sorted(f"{n}=={v}" for n, v in got.items() if n not in pinned)
        if off:
            problems.append(f"{label}: resolved off its pin: {', '.join(off)}")
        if unpinned and label.endswith("Linux x86_64"):
            problems.append(f"{label}: resolved packages constraints.txt does not pin: {', '.join(unpinned)}")
        note = f" (not pinned, installed at the latest version there: {', '.join(unpinned)})" if unpinned else ""
        print(f"{label}: {len(got)} packages, all at their pins{note}" if not off else f"{label}: FAILED")
    for p in problems:
        print("!", p)
    return 1 if problems else 0


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--write", action="store_true", help="rewrite constraints.txt from the installed versions")
    ap.add_argument("--other-platforms", action="store_true",
                    help="also resolve for macOS arm64 and Windows x86_64 (CPython 3.12): a teacher's laptop")
    args = ap.parse_args(argv)
    return write() if args.write else check(args.other_platforms)


if __name__ == "__main__":
    sys.exit(main())
