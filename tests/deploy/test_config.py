"""Where the server settings live: a laptop's ``streamlit run dashboard.py`` opens the browser;
everything that starts a server for tests, benchmarks or a class passes ``--server.headless true``;
the classroom launcher's nginx configuration is valid and its sizing rules hold."""

from __future__ import annotations

import os
import re
import stat
import subprocess
import sys
import time
import tomllib
import urllib.request

import pytest

from tests.browser.harness import free_port

from .conftest import ROOT, deploy_module, nginx_problem, require

classroom = deploy_module("classroom")


def test_config_toml_leaves_headless_to_streamlits_default():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert "headless" not in config.get("server", {}), "a laptop would open no browser tab"
    assert config["server"].get("showEmailPrompt") is False  # no terminal prompt on a first run


def test_the_readme_run_command_opens_the_dashboard_in_the_browser(tmp_path):
    """``streamlit run dashboard.py`` on a desktop (a display, a fresh home directory): Streamlit
    calls the system's browser opener (xdg-open on Linux, ``open`` on macOS) with the app's URL.
    Here a stand-in ``xdg-open`` records what it was asked to open."""
    bin_dir, opened = tmp_path / "bin", tmp_path / "opened.txt"
    bin_dir.mkdir()
    opener = bin_dir / "xdg-open"
    opener.write_text(f'#!/bin/sh\necho "$@" >> "{opened}"\n')
    opener.chmod(opener.stat().st_mode | stat.S_IXUSR)
    port = free_port()
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}", "DISPLAY": ":0",
           "HOME": str(tmp_path), "OPTLAB_ENGINE_WORKERS": "0"}
    env.pop("CI", None)
    with open(tmp_path / "server.log", "wb") as log:
        proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "dashboard.py", "--server.port", str(port),
                                 "--server.address", "127.0.0.1"], cwd=ROOT, env=env, stdout=log,
                                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while not opened.exists():
            assert proc.poll() is None, (tmp_path / "server.log").read_text()
            assert time.monotonic() < deadline, (tmp_path / "server.log").read_text()
            time.sleep(0.2)
        assert f"http://127.0.0.1:{port}" in opened.read_text() or f":{port}" in opened.read_text()
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=30) as r:
            assert r.read() == b"ok"
        assert "Email" not in (tmp_path / "server.log").read_text()
    finally:
        proc.terminate()
        proc.wait(15)


# Every place that starts ``streamlit run`` outside a person's terminal.
SERVER_STARTERS = [*sorted((ROOT / "tests").rglob("*.py")), *sorted((ROOT / "benchmarks").glob("*.py")),
                   *sorted((ROOT / "deploy").glob("*.py"))]


def test_every_server_started_by_a_script_is_headless():
    starts = 0
    missing = []
    for path in SERVER_STARTERS:
        text = path.read_text()
        for m in re.finditer(r'"streamlit",\s*"run"', text):
            starts += 1
            if path == ROOT / "tests" / "deploy" / "test_config.py":
                continue  # the laptop test above: headless is exactly what it must leave out
            if not re.search(r'"--server\.headless",\s*"true"', text[m.start():m.start() + 400]):
                missing.append(f"{path.relative_to(ROOT)}:{text.count(chr(10), 0, m.start()) + 1}")
    assert starts >= 5, starts  # harness, isolation test, load driver, classroom launcher, this file
    assert not missing, f"these start a server without --server.headless true: {missing}"


@pytest.mark.parametrize("cores, available_mb, replicas", [
    (1, 16_000, 1), (2, 16_000, 2), (8, 16_000, 8), (16, 4_000, 5), (8, 500, 1), (4, None, 4)])
def test_default_replicas_one_per_core_as_memory_allows(cores, available_mb, replicas):
    available = None if available_mb is None else available_mb * 2**20
    assert classroom.default_replicas(cores, available) == replicas


@pytest.mark.parametrize("replicas, cores, workers", [(1, 1, 0), (1, 2, 1), (2, 2, 0), (1, 8, 2), (4, 8, 1),
                                                      (8, 8, 0), (3, 8, 1), (2, 16, 2)])
def test_engine_workers_share_the_cores_the_replicas_leave(replicas, cores, workers):
    assert classroom.engine_workers(replicas, cores) == workers


@pytest.mark.parametrize("n", [1, 3])
def test_the_nginx_configuration_is_valid(tmp_path, n):
    require(nginx_problem(), "the nginx configuration test")
    reps = [classroom.Replica(f"r{i}", 40000 + i, tmp_path / f"r{i}.log") for i in range(n)]
    reps[-1].down = n > 1
    (tmp_path / "nginx-tmp").mkdir()
    conf = tmp_path / "nginx.conf"
    conf.write_text(classroom.render_config(reps, "127.0.0.1", free_port(), tmp_path))
    text = conf.read_text()
    assert "@" not in re.sub(r"@unavailable", "", "".join(line.split("#")[0] for line in text.splitlines()))
    done = subprocess.run([classroom.find_nginx(), "-t", "-q", "-p", str(tmp_path), "-c", str(conf),
                           "-e", str(tmp_path / "error.log")], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr + "\n" + text
    for r in reps:  # each replica's upstream falls back on all the others
        block = re.search(rf"upstream optlab_{r.name} \{{(.*?)\}}", text, re.S).group(1)
        assert block.count("backup") == n - 1
    # the down replica: in optlab_new, as its own upstream's server and as every other one's backup
    assert len(re.findall(r"fail_timeout=\S+ down", text)) == (n + 1 if n > 1 else 0)
