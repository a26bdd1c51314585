"""The Vega libraries the chart component loads (``static/vega/``): what the manifest says is what is
there, and vega-lite is the version the installed Streamlit bundles (its own charts and ours then
read the same specs the same way; an upgrade of Streamlit that moves it fails here)."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import pytest
import streamlit

STATIC = Path(__file__).resolve().parents[2] / "static"
ASSETS = STATIC / "vega"
MANIFEST = json.loads((ASSETS / "VENDORED.json").read_text())
PACKAGES = {p["package"]: p for p in MANIFEST["packages"]}
# every folder of static/ with third-party files has its manifest; static/optlab/ is the app's own
VENDORED = {d.name: json.loads((d / "VENDORED.json").read_text()) for d in STATIC.iterdir()
            if (d / "VENDORED.json").exists()}
# Streamlit's frontend bundle: vega-lite's module object ends with ``writeConfig`` and is followed
# by its package.json's version (``..., writeConfig:()=>l}),hU={version:`6.5.0`}``).
VEGA_LITE_IN_STREAMLIT = re.compile(r"writeConfig:\(\)=>\w+\}\),\w+=\{version:`(\d+\.\d+\.\d+)`\}")


ROWS = [(folder, row) for folder, manifest in sorted(VENDORED.items()) for row in manifest["packages"]]


@pytest.mark.parametrize(("folder", "row"), ROWS, ids=[f"{f}/{r['package']}" for f, r in ROWS])
def test_each_vendored_file_is_what_the_manifest_says(folder, row):
    data = (STATIC / folder / row["file"]).read_bytes()
    assert hashlib.sha256(data).hexdigest() == row["sha256"], f"{row['file']} changed: update VENDORED.json"
    if folder == "vega":  # the Vega builds carry their version
        assert f'"{row["version"]}"'.encode() in data, f"{row['file']} does not carry version {row['version']}"
    assert row["license"] in ("BSD-3-Clause", "MIT")
    licences = (STATIC / folder / VENDORED[folder]["license_file"]).read_text()
    assert f"== {row['package']}-{row['version']} ==" in licences, f"no licence text for {row['package']}"


def test_every_vendored_script_is_in_its_manifest():
    assert {"vega", "vendor"} <= set(VENDORED)
    for folder, manifest in VENDORED.items():
        scripts = {p.name for p in (STATIC / folder).glob("*.js")}
        assert scripts == {p["file"] for p in manifest["packages"]}, folder


def test_vega_lite_is_the_version_streamlit_bundles():
    static = Path(streamlit.__file__).parent / "static" / "static" / "js"
    found = {m for f in static.glob("*.js") for m in VEGA_LITE_IN_STREAMLIT.findall(f.read_text(errors="ignore"))}
    assert found, ("vega-lite's version was not found in Streamlit's bundle: Streamlit's build changed; "
                   "find the version it bundles and update VEGA_LITE_IN_STREAMLIT")
    assert found == {PACKAGES["vega-lite"]["version"]}, (
        f"Streamlit {streamlit.__version__} bundles vega-lite {sorted(found)}, we ship "
        f"{PACKAGES['vega-lite']['version']}: vendor the same (static/vega/VENDORED.json)")
