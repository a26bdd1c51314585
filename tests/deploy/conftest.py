"""Fixtures for the deployment tests: the classroom launcher (nginx in front of replicas) on loopback.

``classroom``: ``python deploy/classroom.py --replicas 2 --address 127.0.0.1`` on a free port, for
the module; ``state()`` reads its ``state.json`` (replica names, ports, process ids). Without nginx
(or, for the browser test, chromium and playwright) the tests are skipped on a developer machine
but fail when ``CI=true``: ``.ci/run`` installs both.
"""

from __future__ import annotations

import importlib.util
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import psutil
import pytest

ROOT = Path(__file__).resolve().parents[2]
LAUNCHER = ROOT / "deploy" / "classroom.py"
READY_TIMEOUT = 120.0  # s: two replicas' imports on a busy 2-core machine


def deploy_module(name: str):
    """``deploy/<name>.py`` as a module (deploy/ holds scripts, not a package)."""
    key = f"deploy_{name}"
    if key not in sys.modules:
        spec = importlib.util.spec_from_file_location(key, ROOT / "deploy" / f"{name}.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[key] = module  # dataclasses look their module up
        spec.loader.exec_module(module)
    return sys.modules[key]


def nginx_problem() -> str | None:
    found = deploy_module("classroom").find_nginx()
    return None if found else "nginx is not installed (apt-get install nginx)"


def require(problem: str | None, what: str) -> None:
    if problem is None:
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"{what} cannot run in CI: {problem}. `.ci/run` must install it.", pytrace=False)
    pytest.skip(f"{what} need {problem}")


@dataclass
class Classroom:
    proc: subprocess.Popen
    run_dir: Path
    port: int

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        return self.proc.pid

    def state(self) -> dict:
        return json.loads((self.run_dir / "state.json").read_text())

    def replica(self, name: str) -> dict:
        return next(r for r in self.state()["replicas"] if r["name"] == name)

    def output(self) -> str:
        try:
            return (self.run_dir / "launcher.out").read_text(errors="replace")[-4000:]
        except OSError:
            return ""

    def access_log(self) -> list[str]:
        path = self.run_dir / "nginx-access.log"
        return path.read_text(errors="replace").splitlines() if path.exists() else []


def start_classroom(run_dir: Path, replicas: int = 2) -> Classroom:
    from tests.browser.harness import free_port

    port = free_port()
    run_dir.mkdir(parents=True, exist_ok=True)
    with open(run_dir / "launcher.out", "wb") as out:
        proc = subprocess.Popen([sys.executable, str(LAUNCHER), "--replicas", str(replicas), "--port", str(port),
                                 "--address", "127.0.0.1", "--run-dir", str(run_dir)],
                                cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    room = Classroom(proc, run_dir, port)
    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the launcher exited with {proc.returncode}:\n{room.output()}")
        try:
            if room.state()["ready"]:
                return room
        except (OSError, ValueError):
            pass
        time.sleep(0.2)
    stop_classroom(room)
    raise RuntimeError(f"the launcher was not ready within {READY_TIMEOUT:.0f} s:\n{room.output()}")


def stop_classroom(room: Classroom) -> list[int]:
    """SIGTERM the launcher (it stops nginx and the replicas); returns the pids left running."""
    try:
        state = room.state()
        pids = [state["nginx"]["pid"], *[r["pid"] for r in state["replicas"]]]
    except (OSError, ValueError):
        pids = []
    if room.proc.poll() is None:
        room.proc.send_signal(signal.SIGTERM)
        try:
            room.proc.wait(30)
        except subprocess.TimeoutExpired:
            room.proc.kill()
            room.proc.wait(10)
    left = []
    for pid in pids:
        if pid and psutil.pid_exists(pid) and psutil.Process(pid).status() != psutil.STATUS_ZOMBIE:
            left.append(pid)
    return left


@pytest.fixture(scope="module")
def classroom(tmp_path_factory):
    require(nginx_problem(), "the reverse-proxy tests")
    room = start_classroom(tmp_path_factory.mktemp("classroom"))
    yield room
    left = stop_classroom(room)
    for pid in left:  # never leave a server behind, then say so
        os.killpg(pid, signal.SIGKILL)
    assert not left, f"processes outlived the launcher: {left}"
