"""Security: no user text reaches an interpreter, a deserialiser or a shell; no secrets in the
repository; CI audits the dependencies for known vulnerabilities where it can.

- A static check walks the syntax tree of every module of the app (``engine/``, ``ui/``,
  ``pages/``, ``dashboard.py``) and fails on any call of ``eval``, ``exec``, ``compile``,
  ``__import__``, pickle/marshal/shelve loading, ``os.system``/``popen``/``exec*``/``spawn*``,
  ``subprocess``, pandas' string evaluators, ``shell=True``, and on importing modules that exist to
  do those things. Nothing is allow-listed: an exception must be added below with its reason.
  The checker is itself tested on snippets that must be caught.
- Every tracked file, and every file version in the history, is scanned for private-key
  headers, cloud and service tokens, and password/secret assignments; ``.streamlit/secrets.toml``
  and ``.env`` files must not be tracked.
- ``.ci/run`` runs pip-audit on both requirement files, and ``pip_audit_gate.py`` fails CI only for
  a known vulnerability (tested on sample reports).
"""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import ROOT
from .pip_audit_gate import decide

APP_SOURCES = sorted([ROOT / "dashboard.py", *(ROOT / "engine").rglob("*.py"), *(ROOT / "ui").rglob("*.py"),
                      *(ROOT / "pages").glob("*.py")])

# Builtins that run or load code.
BANNED_BUILTINS = {"eval", "exec", "compile", "__import__", "breakpoint"}
# Modules whose purpose is to run code, deserialise objects or start processes.
BANNED_MODULES = {"subprocess", "pickle", "cPickle", "_pickle", "dill", "cloudpickle", "marshal", "shelve",
                  "pty", "code", "codeop", "numexpr", "commands", "popen2"}
# Dotted calls that do the same through an allowed module.
BANNED_CALLS = re.compile(
    r"^(os\.(system|popen|exec\w*|spawn\w*|posix_spawn\w*|startfile|fork\w*)"
    r"|(builtins|__builtins__)\.\w+|importlib\.(import_module|__import__)|runpy\.\w+"
    r"|(pd|pandas)\.(eval|read_pickle)|\w+\.read_pickle|(np|numpy)\.load|asyncio\.create_subprocess_\w+"
    r"|yaml\.(load|unsafe_load)|jsonpickle\.\w+|torch\.load)$")
# Methods that evaluate a string expression (pandas DataFrame.eval / .query(expr)).
BANNED_METHODS = {"eval"}

# Reviewed exceptions: {(relative path, dotted call): reason}.
ALLOWED: dict[tuple[str, str], str] = {
    ("ui/compute/pool.py", "import subprocess"): "starts the engine worker process (below)",
    ("ui/compute/pool.py", "subprocess.Popen"): "the engine worker: [sys.executable, '-m', 'ui.compute.worker'], "
    "a fixed argument list with no user text and no shell; jobs reach it as pickled run specs over an "
    "authenticated local socket (multiprocessing.connection), never as text to run",
}


def _dotted(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = _dotted(node.value)
        return f"{base}.{node.attr}" if base else node.attr
    if isinstance(node, ast.Call):
        return _dotted(node.func) + "()"
    return ""


def findings(source: str, name: str = "<snippet>") -> list[str]:
    """Every banned call or import in ``source``, as ``"name:line what"``."""
    tree = ast.parse(source, name)
    # import aliases: `import pickle as p`, `from os import system as s`
    aliases: dict[str, str] = {}
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                aliases[a.asname or a.name.split(".")[0]] = a.name if a.asname else a.name.split(".")[0]
                if a.name.split(".")[0] in BANNED_MODULES:
                    out.append(f"{name}:{node.lineno} import {a.name}")
        elif isinstance(node, ast.ImportFrom):
            mod = node.module or ""
            if mod.split(".")[0] in BANNED_MODULES:
                out.append(f"{name}:{node.lineno} from {mod} import ...")
            for a in node.names:
                full = f"{mod}.{a.name}"
                aliases[a.asname or a.name] = full
                if a.name in BANNED_BUILTINS or BANNED_CALLS.match(full):
                    out.append(f"{name}:{node.lineno} from {mod} import {a.name}")
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        dotted = _dotted(node.func)
        head, _, rest = dotted.partition(".")
        resolved = aliases.get(head, head) + (f".{rest}" if rest else "")
        what = None
        if dotted in BANNED_BUILTINS or resolved in BANNED_BUILTINS:
            what = dotted
        elif BANNED_CALLS.match(resolved) or BANNED_CALLS.match(dotted):
            what = resolved
        elif resolved.split(".")[0] in BANNED_MODULES:
            what = resolved
        elif isinstance(node.func, ast.Attribute) and node.func.attr in BANNED_METHODS:
            what = dotted
        elif isinstance(node.func, ast.Attribute) and node.func.attr == "query" and node.args:
            what = f"{dotted}(<expr>)"  # DataFrame.query evaluates its argument
        for kw in node.keywords:
            if kw.arg == "shell" and not (isinstance(kw.value, ast.Constant) and kw.value.value is False):
                what = f"{dotted}(shell=...)"
            if kw.arg == "allow_pickle" and not (isinstance(kw.value, ast.Constant) and kw.value.value is False):
                what = f"{dotted}(allow_pickle=...)"
        if what:
            out.append(f"{name}:{node.lineno} {what}")
    return out


def test_the_app_never_calls_an_interpreter_a_deserialiser_or_a_shell():
    assert len(APP_SOURCES) > 20, APP_SOURCES
    found = []
    for path in APP_SOURCES:
        rel = str(path.relative_to(ROOT))
        for f in findings(path.read_text(), rel):
            call = f.split(" ", 1)[1]
            if (rel, call) not in ALLOWED:
                found.append(f)
    assert not found, "user text could reach these:\n" + "\n".join(found)


@pytest.mark.parametrize("snippet", [
    "eval(text)", "exec(text)", "compile(text, 'f', 'eval')", "__import__(name)", "import pickle",
    "import subprocess", "from subprocess import run", "import os\nos.system(cmd)", "import os as o\no.popen(cmd)",
    "from os import system\nsystem(cmd)", "import pickle as p", "pickle.loads(b)", "import marshal",
    "import builtins\nbuiltins.eval(t)", "import importlib\nimportlib.import_module(name)", "df.eval(expr)",
    "pd.eval(expr)", "df.query(expr)", "pd.read_pickle(path)", "np.load(path, allow_pickle=True)",
    "np.load(path)", "run(cmd, shell=True)", "import shelve", "os.execv(p, a)",
    "from builtins import exec as e", "import numexpr",
])
def test_the_checker_catches(snippet):
    assert findings(snippet), snippet


@pytest.mark.parametrize("snippet", [
    "re.compile(pattern)", "ctx.query()", "json.loads(text)", "getattr(obj, 'name')", "np.asarray(x)",
    "st.query_params.get('x')", "self._eval(tree, p)", "parse_function(text)",
])
def test_the_checker_lets_ordinary_code_through(snippet):
    assert not findings(snippet), findings(snippet)


# --------------------------------------------------------------------------------------------
# Secrets
# --------------------------------------------------------------------------------------------

# Written so that no line of this file matches them.
SECRET_PATTERNS = {
    "private key": re.compile(r"-----BEGIN ([A-Z0-9]+ )*PRIVATE KEY( BLOCK)?-----"),
    "AWS access key id": re.compile(r"\b(AKIA|ASIA)[0-9A-Z]{16}\b"),
    "AWS secret key": re.compile(r"(?i)aws_secret_access_key\s*[=:]\s*\S{20,}"),
    "GitHub token": re.compile(r"\b(gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{40,})\b"),
    "Slack token": re.compile(r"\bxox[abprs]-[A-Za-z0-9-]{10,}"),
    "Google API key": re.compile(r"\bAIza[0-9A-Za-z_\-]{35}\b"),
    "Stripe/OpenAI-style secret key": re.compile(r"\b(sk_live_[0-9A-Za-z]{20,}|sk-(proj-)?[A-Za-z0-9]{32,})\b"),
    "password or secret assignment": re.compile(
        r"""(?i)\b(password|passwd|pwd|secret|secret_key|api_key|apikey|access_token|auth_token|private_key)\b"""
        r"""["']?\s*[:=]\s*["'][^"'\s]{6,}["']"""),
    "credentials in a URL": re.compile(r"\b[a-z][a-z0-9+.-]*://[^/\s:@\"']+:[^/\s:@\"']+@[\w.-]+"),
}
SECRET_FILES = re.compile(r"(^|/)(\.streamlit/secrets\.toml|\.env(\.\w+)?|id_(rsa|dsa|ecdsa|ed25519)|"
                          r"[^/]+\.(pem|p12|pfx|key|keystore|jks))$")


def _git(*args: str) -> bytes:
    return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, check=True, timeout=120).stdout


def _scan(text: str) -> list[str]:
    return [f"{label}: {m.group(0)[:12]}..." for label, rx in SECRET_PATTERNS.items() for m in rx.finditer(text)]


def test_secret_patterns_catch_samples():
    samples = ["-----BEGIN RSA " + "PRIVATE KEY-----", "AKIA" + "ABCDEFGHIJKLMNOP", "pass" + "word = 'hunter22'",
               "api_key: \"" + "abcdef123456\"", "ghp_" + "a" * 36, "postgres://user:" + "pw@db.example.com"]
    for s in samples:
        assert _scan(s), s
    assert not _scan("password = st.text_input('Password')")  # no literal value


def test_no_secret_files_are_tracked():
    tracked = _git("ls-files", "-z").decode().split("\0")
    bad = [p for p in tracked if p and SECRET_FILES.search(p)]
    assert not bad, bad


def test_no_secrets_in_tracked_files():
    found = []
    for rel in _git("ls-files", "-z").decode().split("\0"):
        path = ROOT / rel
        if not rel or not path.is_file() or path.stat().st_size > 5_000_000:
            continue
        data = path.read_bytes()
        if b"\0" in data[:8192]:  # binary (images)
            continue
        found += [f"{rel}: {f}" for f in _scan(data.decode("utf-8", errors="replace"))]
    assert not found, found


def test_no_secrets_anywhere_in_the_history():
    """A secret committed once and deleted later is still in the repository."""
    objects = _git("rev-list", "--objects", "--all").decode().splitlines()
    blobs = {}
    for line in objects:
        sha, _, path = line.partition(" ")
        if path:
            blobs.setdefault(sha, path)
    if not blobs:
        pytest.skip("no history")
    batch = subprocess.run(["git", "cat-file", "--batch"], cwd=ROOT, input="\n".join(blobs).encode() + b"\n",
                           capture_output=True, check=True, timeout=300).stdout
    found, pos = [], 0
    while pos < len(batch):
        header_end = batch.index(b"\n", pos)
        sha, kind, size = batch[pos:header_end].decode().split()
        body = batch[header_end + 1: header_end + 1 + int(size)]
        pos = header_end + 1 + int(size) + 1
        path = blobs.get(sha, "?")
        if SECRET_FILES.search(path):
            found.append(f"{path} ({sha[:10]}) was committed")
        if kind == "blob" and b"\0" not in body[:8192]:
            found += [f"{path} ({sha[:10]}): {f}" for f in _scan(body.decode("utf-8", errors="replace"))]
    assert not found, found


# --------------------------------------------------------------------------------------------
# pip-audit in CI
# --------------------------------------------------------------------------------------------


def test_ci_runs_pip_audit_on_both_requirement_files():
    ci = (ROOT / ".ci" / "run").read_text()
    assert "pip-audit" in ci and "-r requirements.txt" in ci and "-r requirements-dev.txt" in ci
    assert "tests/robust/pip_audit_gate.py" in ci


def _report(tmp_path, deps):
    p = tmp_path / "report.json"
    p.write_text(json.dumps({"dependencies": deps, "fixes": []}))
    return p


def test_gate_fails_on_a_known_vulnerability(tmp_path):
    deps = [{"name": "requests", "version": "2.25.0",
             "vulns": [{"id": "GHSA-j8r2-6x86-q33q", "fix_versions": ["2.31.0"], "aliases": []}]},
            {"name": "numpy", "version": "2.4.6", "vulns": []}]
    status, message = decide(_report(tmp_path, deps), 1)
    assert status == 1 and "requests 2.25.0" in message and "2.31.0" in message


def test_gate_passes_a_clean_audit(tmp_path):
    status, message = decide(_report(tmp_path, [{"name": "numpy", "version": "2.4.6", "vulns": []}]), 0)
    assert status == 0 and "1 packages audited" in message


def test_gate_says_clearly_when_nothing_could_be_audited(tmp_path):
    deps = [{"name": n, "skip_reason": f"Dependency not found on PyPI and could not be audited: {n} (1.0)"}
            for n in ("numpy", "streamlit")]
    status, message = decide(_report(tmp_path, deps), 0)
    assert status == 0 and "could NOT audit 2 of 2" in message
    status, message = decide(tmp_path / "missing.json", 1)  # the service did not answer at all
    assert status == 0 and "NOT audited" in message
    (tmp_path / "broken.json").write_text("{")
    assert decide(tmp_path / "broken.json", 1)[0] == 0


def test_gate_still_fails_when_some_packages_were_skipped(tmp_path):
    deps = [{"name": "numpy", "skip_reason": "Dependency not found on PyPI"},
            {"name": "jinja2", "version": "2.10", "vulns": [{"id": "PYSEC-2019-217", "fix_versions": ["2.10.1"]}]}]
    assert decide(_report(tmp_path, deps), 1)[0] == 1


def test_gate_script_runs(tmp_path):
    report = _report(tmp_path, [{"name": "x", "version": "1", "vulns": [{"id": "V-1", "fix_versions": []}]}])
    out = subprocess.run([sys.executable, str(Path(__file__).with_name("pip_audit_gate.py")), str(report), "1"],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 1 and "V-1" in out.stdout
