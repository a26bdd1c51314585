#!/usr/bin/env python
"""Optimiser Lab for a classroom: N replicas of the app behind nginx, at one address.

    python deploy/classroom.py                       # one replica per core (as memory allows), port 8501
    python deploy/classroom.py --replicas 4 --port 8080
    python deploy/classroom.py --address 127.0.0.1   # reachable from this machine only

A Streamlit server computes on one core (every session's script runs in a thread of one Python
process), so a class on a many-core machine is served by several servers ("replicas", each
``streamlit run dashboard.py --server.headless true`` on a loopback port) behind Debian's nginx
(``apt-get install nginx``), which this script configures from ``deploy/nginx.conf.template`` and
runs in the foreground as this user, with its own prefix, pid file and logs in the run directory
(no root, no system service touched). Students open ``http://<this machine>:<port>``.

* Sticky sessions: nginx sends a browser it has not seen to the replica with the fewest open
  connections and sets a cookie naming the replica that answered; every later request of that
  browser (its websocket, media, downloads, uploads) goes there (see the template).
* Health: nginx's checks are passive (a refused connection goes to another replica). This script
  polls every replica's ``/_stcore/health`` each second: a replica that stops answering is marked
  ``down`` in nginx (a reload: no new sessions go there) and restarted after a minute without an
  answer; a replica that exits is restarted at once (with a back-off if it keeps dying). Sessions
  on the other replicas never notice; those on the lost one reconnect to another replica and
  start afresh from their URL (every control is in the URL).
* The replicas share one cookie secret (``server.cookieSecret``, generated per run unless
  ``STREAMLIT_SERVER_COOKIE_SECRET`` is set), so the XSRF cookie one replica set is valid on
  another after a failover.
* Engine worker processes (``ui/workers.py``): each replica gets the cores no replica uses,
  shared out (``OPTLAB_ENGINE_WORKERS``, at most 2 each; 0 when there is a replica per core),
  so N replicas do not start N workers each on a small machine. Set ``OPTLAB_ENGINE_WORKERS``
  yourself to override.
* Ctrl-C or SIGTERM stops nginx, then every replica (and its workers). ``state.json`` in the run
  directory lists the processes and ports (the tests read it).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = Path(__file__).with_name("nginx.conf.template")
MB_PER_REPLICA = 700  # peak of one replica with its worker under 60 sessions (benchmarks/LOAD.md)
LOOPBACK = "127.0.0.1"
START_TIMEOUT = 90.0  # s, from launch to /_stcore/health "ok"
HEALTH_TIMEOUT = 5.0  # s, one health request (a busy replica answers late, not never)
MARK_DOWN_AFTER = 10.0  # s without a healthy answer: nginx sends no new sessions there
RESTART_AFTER = 60.0  # s without a healthy answer: killed and started again
NGINX_CANDIDATES = ("/usr/sbin/nginx", "/usr/local/sbin/nginx", "/usr/local/bin/nginx",
                    "/opt/homebrew/bin/nginx")


# ---------------------------------------------------------------------------
# Sizing
# ---------------------------------------------------------------------------


def usable_cores() -> int:
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def available_memory() -> int | None:
    """Bytes of memory available for new processes, or None if it cannot be told."""
    try:
        import psutil

        return int(psutil.virtual_memory().available)
    except ImportError:
        pass
    with contextlib.suppress(OSError, ValueError, IndexError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    return None


def default_replicas(cores: int, available: int | None) -> int:
    """One per core, at most as many as memory holds at ``MB_PER_REPLICA`` each, at least one."""
    n = cores
    if available is not None:
        n = min(n, available // (MB_PER_REPLICA * 2**20))
    return max(1, n)


def engine_workers(replicas: int, cores: int) -> int:
    """Engine workers per replica: the cores the replicas leave free, shared out, at most 2
    (``ui.workers.MAX_WORKERS``). A replica per core gets none: a worker would take a core from
    another replica and add the cost of sending the data."""
    return max(0, min(2, (cores - replicas) // replicas))


def free_port(host: str = LOOPBACK) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def find_nginx(explicit: str | None = None) -> str | None:
    if explicit:
        return explicit if os.access(explicit, os.X_OK) else None
    found = shutil.which("nginx")
    return found or next((p for p in NGINX_CANDIDATES if os.access(p, os.X_OK)), None)


# ---------------------------------------------------------------------------
# The nginx configuration
# ---------------------------------------------------------------------------


@dataclass
class Replica:
    name: str  # r0, r1, ...: the value of the sticky cookie
    port: int
    log_path: Path
    proc: subprocess.Popen | None = None
    started: float = 0.0  # monotonic time of the last launch
    state: str = "starting"  # starting / healthy / unhealthy
    last_ok: float = 0.0  # monotonic time of the last healthy answer
    down: bool = False  # marked down in nginx
    restarts: int = 0
    quick_deaths: int = 0  # consecutive exits soon after a start (back-off)
    next_start: float = 0.0

    @property
    def address(self) -> str:
        return f"{LOOPBACK}:{self.port}"


def listen_address(address: str, port: int) -> str:
    return f"[{address}]:{port}" if ":" in address else f"{address}:{port}"


def render_config(replicas: list[Replica], address: str, port: int, run_dir: Path,
                  template: str | None = None) -> str:
    """The nginx configuration for these replicas (``down`` where marked)."""
    text = template if template is not None else TEMPLATE.read_text()

    def server(r: Replica, backup: bool = False) -> str:
        flags = " down" if r.down else ""
        return f"        server {r.address} max_fails=1 fail_timeout=5s{flags}{' backup' if backup else ''};"

    upstreams = []
    for r in replicas:
        lines = [server(r)] + [server(o, backup=True) for o in replicas if o is not r]
        upstreams.append(f"    upstream optlab_{r.name} {{\n        zone optlab_{r.name} 64k;\n"
                         + "\n".join(lines) + "\n    }")
    fields = {
        "RUN_DIR": str(run_dir),
        "LISTEN": listen_address(address, port),
        "COOKIE_MAP": "\n".join(f"        {r.name} optlab_{r.name};" for r in replicas),
        # $upstream_addr lists every server tried ("a, b"): the last one answered.
        "SERVED_BY_MAP": "\n".join(f'        "~(^| ){re.escape(r.address)}$" {r.name};' for r in replicas),
        "NEW_SERVERS": "\n".join(server(r) for r in replicas),
        "REPLICA_UPSTREAMS": "\n\n".join(upstreams),
    }
    for key, value in fields.items():
        text = text.replace(f"@{key}@", value)
    left = re.findall(r"@[A-Z_]+@", "".join(line.split("#", 1)[0] for line in text.splitlines()))
    if left:
        raise ValueError(f"template fields left unfilled: {left}")
    return text


# ---------------------------------------------------------------------------
# Processes
# ---------------------------------------------------------------------------


def _die_with_launcher() -> None:
    """In a child, before exec: get SIGTERM when the launcher dies, even by SIGKILL (Linux)."""
    os.setsid()
    if sys.platform.startswith("linux"):
        import ctypes

        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def replica_command(port: int) -> list[str]:
    return [sys.executable, "-m", "streamlit", "run", "dashboard.py", "--server.headless", "true",
            "--server.port", str(port), "--server.address", LOOPBACK, "--browser.gatherUsageStats", "false",
            "--server.fileWatcherType", "none"]


def health(port: int, timeout: float = HEALTH_TIMEOUT) -> bool:
    try:
        with urllib.request.urlopen(f"http://{LOOPBACK}:{port}/_stcore/health", timeout=timeout) as r:
            return r.status == 200 and r.read().strip() == b"ok"
    except OSError:
        return False


def stop_group(proc: subprocess.Popen | None, grace: float = 10.0) -> None:
    """SIGTERM a child's process group (the replica and its engine workers), SIGKILL after ``grace``."""
    if proc is None or proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(grace)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(grace)


@dataclass
class Classroom:
    replicas: list[Replica]
    address: str
    port: int
    run_dir: Path
    nginx: str
    app_dir: Path = ROOT
    workers: int = 0
    cookie_secret: str = field(default_factory=lambda: secrets.token_hex(32))
    nginx_proc: subprocess.Popen | None = None
    stopping: threading.Event = field(default_factory=threading.Event)

    # -- files ----------------------------------------------------------------

    @property
    def conf_path(self) -> Path:
        return self.run_dir / "nginx.conf"

    def write_state(self, ready: bool) -> None:
        state = {
            "pid": os.getpid(), "ready": ready, "url": f"http://{listen_address(self.address, self.port)}",
            "run_dir": str(self.run_dir), "engine_workers_per_replica": self.workers,
            "nginx": {"pid": self.nginx_proc.pid if self.nginx_proc else None, "conf": str(self.conf_path)},
            "replicas": [{"name": r.name, "port": r.port, "pid": r.proc.pid if r.proc else None,
                          "state": r.state, "down": r.down, "restarts": r.restarts, "log": str(r.log_path)}
                         for r in self.replicas],
        }
        tmp = self.run_dir / "state.json.tmp"
        tmp.write_text(json.dumps(state, indent=1))
        tmp.replace(self.run_dir / "state.json")

    def say(self, text: str) -> None:
        print(f"[classroom {time.strftime('%H:%M:%S')}] {text}", flush=True)

    # -- replicas -------------------------------------------------------------

    def launch(self, r: Replica) -> None:
        env = {**os.environ, "PYTHONUNBUFFERED": "1", "OPTLAB_ENGINE_WORKERS": str(self.workers),
               "STREAMLIT_SERVER_COOKIE_SECRET": self.cookie_secret}
        with open(r.log_path, "ab") as log:
            r.proc = subprocess.Popen(replica_command(r.port), cwd=self.app_dir, stdout=log,
                                      stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env,
                                      preexec_fn=_die_with_launcher)
        r.started, r.state = time.monotonic(), "starting"

    def wait_started(self) -> None:
        """Until every replica answers its health check; raises with the log of one that does not."""
        deadline = time.monotonic() + START_TIMEOUT
        waiting = list(self.replicas)
        while waiting:
            for r in list(waiting):
                if r.proc.poll() is not None:
                    raise RuntimeError(f"replica {r.name} exited with {r.proc.returncode}:\n{tail(r.log_path)}")
                if health(r.port, timeout=1.0):
                    r.state, r.last_ok = "healthy", time.monotonic()
                    waiting.remove(r)
            if time.monotonic() > deadline:
                raise RuntimeError(f"replica {waiting[0].name} did not answer within {START_TIMEOUT:.0f} s:\n"
                                   f"{tail(waiting[0].log_path)}")
            if self.stopping.is_set():
                raise KeyboardInterrupt
            time.sleep(0.2)

    # -- nginx ----------------------------------------------------------------

    def nginx_args(self) -> list[str]:
        return [self.nginx, "-p", str(self.run_dir), "-c", str(self.conf_path),
                "-e", str(self.run_dir / "nginx-error.log")]

    def write_config(self) -> None:
        self.conf_path.write_text(render_config(self.replicas, self.address, self.port, self.run_dir))

    def start_nginx(self) -> None:
        (self.run_dir / "nginx-tmp").mkdir(exist_ok=True)
        self.write_config()
        test = subprocess.run([*self.nginx_args(), "-t", "-q"], capture_output=True, text=True)
        if test.returncode:
            raise RuntimeError(f"nginx rejected {self.conf_path}:\n{test.stderr}")
        with open(self.run_dir / "nginx-stderr.log", "ab") as log:
            self.nginx_proc = subprocess.Popen(self.nginx_args(), stdout=log, stderr=subprocess.STDOUT,
                                               stdin=subprocess.DEVNULL, preexec_fn=_die_with_launcher)
        deadline = time.monotonic() + 15
        host = LOOPBACK if self.address in ("0.0.0.0", "::") else self.address
        url = f"http://{listen_address(host, self.port)}/_stcore/health"
        while time.monotonic() < deadline:
            if self.nginx_proc.poll() is not None:
                logs = [tail(self.run_dir / name) for name in ("nginx-stderr.log", "nginx-error.log")]
                raise RuntimeError(f"nginx exited with {self.nginx_proc.returncode}:\n" + "\n".join(logs))
            with contextlib.suppress(OSError), urllib.request.urlopen(url, timeout=2) as resp:
                if resp.read().strip() == b"ok":
                    return
            time.sleep(0.1)
        raise RuntimeError(f"nginx did not answer on port {self.port}:\n{tail(self.run_dir / 'nginx-error.log')}")

    def reload_nginx(self) -> None:
        self.write_config()
        if self.nginx_proc and self.nginx_proc.poll() is None:
            self.nginx_proc.send_signal(signal.SIGHUP)  # new workers with the new config; old ones finish

    def mark(self, r: Replica, down: bool, why: str) -> None:
        if r.down == down:
            return
        if down and all(o.down for o in self.replicas if o is not r):
            return  # never the last one: nginx's own checks then decide
        r.down = down
        self.say(f"{r.name} (port {r.port}) marked {'down' if down else 'up'} in nginx: {why}")
        self.reload_nginx()

    # -- the watch ------------------------------------------------------------

    def check_once(self, pool: ThreadPoolExecutor) -> None:
        now = time.monotonic()
        live = [r for r in self.replicas if r.proc is not None and r.proc.poll() is None]
        answers = dict(zip([r.name for r in live], pool.map(lambda r: health(r.port), live)))
        now = time.monotonic()
        for r in self.replicas:
            if r.proc is None:  # waiting out a back-off
                if now >= r.next_start:
                    self.launch(r)
                continue
            code = r.proc.poll()
            if code is not None:
                lived = now - r.started
                self.say(f"{r.name} (port {r.port}) exited with {code} after {lived:.0f} s: restarting\n"
                         f"{tail(r.log_path, 5)}")
                self.mark(r, True, "exited")
                r.quick_deaths = r.quick_deaths + 1 if lived < 30 else 0
                r.restarts += 1
                stop_group(r.proc, grace=2)  # its engine workers, if any are left
                r.proc, r.next_start, r.state = None, now + min(30.0, 2.0 ** r.quick_deaths - 1), "starting"
                if r.next_start <= now:
                    self.launch(r)
                continue
            if answers.get(r.name):
                if r.state != "healthy":
                    self.say(f"{r.name} (port {r.port}) healthy")
                r.state, r.last_ok = "healthy", now
                self.mark(r, False, "healthy again")
                continue
            if r.state == "starting":
                if now - r.started > START_TIMEOUT:
                    self.say(f"{r.name} did not start within {START_TIMEOUT:.0f} s: killing it")
                    stop_group(r.proc, grace=2)
                continue
            silent = now - r.last_ok
            r.state = "unhealthy"
            if silent > MARK_DOWN_AFTER:
                self.mark(r, True, f"no health answer for {silent:.0f} s")
            if silent > RESTART_AFTER:
                self.say(f"{r.name} (port {r.port}) silent for {silent:.0f} s: killing it")
                stop_group(r.proc, grace=2)  # the next round restarts it
        if self.nginx_proc and self.nginx_proc.poll() is not None:
            self.say(f"nginx exited with {self.nginx_proc.returncode}: starting it again\n"
                     f"{tail(self.run_dir / 'nginx-error.log', 5)}")
            self.start_nginx()

    def watch(self, interval: float = 1.0) -> None:
        with ThreadPoolExecutor(max_workers=max(2, len(self.replicas))) as pool:
            while not self.stopping.wait(interval):
                before = [(r.state, r.down, r.restarts, r.proc.pid if r.proc else None) for r in self.replicas]
                self.check_once(pool)
                after = [(r.state, r.down, r.restarts, r.proc.pid if r.proc else None) for r in self.replicas]
                if after != before:
                    self.write_state(ready=True)

    def stop(self) -> None:
        if self.nginx_proc is not None and self.nginx_proc.poll() is None:
            self.nginx_proc.terminate()
            try:
                self.nginx_proc.wait(5)
            except subprocess.TimeoutExpired:
                self.nginx_proc.kill()
                self.nginx_proc.wait(5)
        for r in self.replicas:
            with contextlib.suppress(ProcessLookupError):
                if r.proc is not None and r.proc.poll() is None:
                    os.killpg(r.proc.pid, signal.SIGTERM)
        for r in self.replicas:
            stop_group(r.proc)


def tail(path: Path, n: int = 20) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-n:])
    except OSError:
        return ""


def lan_urls(address: str, port: int) -> list[str]:
    """The URLs students can type (the machine's own interface addresses; no network traffic)."""
    if address not in ("0.0.0.0", "::"):
        return [f"http://{listen_address(address, port)}"]
    try:
        import psutil

        ips = sorted({a.address for addrs in psutil.net_if_addrs().values() for a in addrs
                      if a.family == socket.AF_INET and not a.address.startswith("127.")})
    except ImportError:
        ips = []
    return [f"http://{ip}:{port}" for ip in ips] or [f"http://<this machine's address>:{port}"]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    cores, memory = usable_cores(), available_memory()
    default_n = default_replicas(cores, memory)
    ap.add_argument("--replicas", type=int, default=default_n,
                    help=f"app servers behind the proxy (default here: {default_n}: one per core, "
                         f"at most one per {MB_PER_REPLICA} MB of available memory)")
    ap.add_argument("--port", type=int, default=8501, help="the port students connect to (default 8501)")
    ap.add_argument("--address", default="0.0.0.0",
                    help="interface to listen on (default 0.0.0.0: every interface, the LAN included)")
    ap.add_argument("--run-dir", type=Path, help="nginx config, logs and state.json (default: a new temp dir)")
    ap.add_argument("--nginx", help="the nginx binary (default: nginx on PATH or /usr/sbin/nginx)")
    args = ap.parse_args(argv)
    if args.replicas < 1:
        ap.error("--replicas must be at least 1")
    nginx = find_nginx(args.nginx)
    if nginx is None:
        print("nginx is not installed: apt-get install nginx (Debian/Ubuntu), brew install nginx (macOS).\n"
              "Only the binary is used: no system service is started or configured.", file=sys.stderr)
        return 2
    if memory is not None and args.replicas * MB_PER_REPLICA * 2**20 > memory:
        print(f"warning: {args.replicas} replicas may need {args.replicas * MB_PER_REPLICA} MB at a class's peak; "
              f"{memory // 2**20} MB are available", file=sys.stderr)
    run_dir = (args.run_dir or Path(tempfile.mkdtemp(prefix="optlab-classroom-"))).resolve()
    run_dir.mkdir(parents=True, exist_ok=True)
    run_dir.chmod(0o755)  # nginx's workers may run as another user when it is started by root
    env_workers = os.environ.get("OPTLAB_ENGINE_WORKERS")
    workers = int(env_workers) if env_workers and env_workers.strip().isdigit() else engine_workers(args.replicas,
                                                                                                   cores)
    replicas = [Replica(f"r{i}", free_port(), run_dir / f"replica-r{i}.log") for i in range(args.replicas)]
    room = Classroom(replicas, args.address, args.port, run_dir, nginx, workers=workers,
                     cookie_secret=os.environ.get("STREAMLIT_SERVER_COOKIE_SECRET") or secrets.token_hex(32))

    def on_signal(signum, _frame):
        room.stopping.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    status = 0
    try:
        room.say(f"starting {args.replicas} replica(s) ({workers} engine worker(s) each, {cores} cores); "
                 f"logs in {run_dir}")
        for r in replicas:
            room.launch(r)
        room.write_state(ready=False)
        room.wait_started()
        room.start_nginx()
        room.write_state(ready=True)
        room.say("Optimiser Lab is up. Students open: " + "  ".join(lan_urls(args.address, args.port))
                 + "   (Ctrl-C stops it)")
        room.watch()
    except KeyboardInterrupt:
        pass
    except RuntimeError as err:
        print(f"error: {err}", file=sys.stderr)
        status = 1
    finally:
        room.say("stopping")
        room.stop()
    return status


if __name__ == "__main__":
    sys.exit(main())
