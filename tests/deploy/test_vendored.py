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

ASSETS = Path(__file__).resolve().parents[2] / "static" / "vega"
MANIFEST = json.loads((ASSETS / "VENDORED.json").read_text())
PACKAGES = {p["package"]: p for p in MANIFEST["packages"]}
# Streamlit's frontend bundle: vega-lite's module object ends with ``writeConfig`` and is followed
# by its package.json's version (``..., writeConfig:()=>l}),hU={version:`6.5.0`}``).
VEGA_LITE_IN_STREAMLIT = re.compile(r"writeConfig:\(\)=>\w+\}\),\w+=\{version:`(\d+\.\d+\.\d+)`\}")


@pytest.mark.parametrize("package", sorted(PACKAGES))
def test_each_vendored_file_is_what_the_manifest_says(package):
    row = PACKAGES[package]
    data = (ASSETS / row["file"]).read_bytes()
    assert hashlib.sha256(data).hexdigest() == row["sha256"], f"{row['file']} changed: update VENDORED.json"
    assert f'"{row["version"]}"'.encode() in data, f"{row['file']} does not carry version {row['version']}"
    assert row["license"] == "BSD-3-Clause"
    licences = (ASSETS / MANIFEST["license_file"]).read_text()
    assert f"== {package}-{row['version']} ==" in licences, f"no licence text for {package} {row['version']}"


def test_every_vendored_script_is_in_the_manifest():
    scripts = {p.name for p in ASSETS.glob("*.js")}
    assert scripts == {p["file"] for p in MANIFEST["packages"]}


def test_vega_lite_is_the_version_streamlit_bundles():
    static = Path(streamlit.__file__).parent / "static" / "static" / "js"
    found = {m for f in static.glob("*.js") for m in VEGA_LITE_IN_STREAMLIT.findall(f.read_text(errors="ignore"))}
    assert found, ("vega-lite's version was not found in Streamlit's bundle: Streamlit's build changed; "
                   "find the version it bundles and update VEGA_LITE_IN_STREAMLIT")
    assert found == {PACKAGES["vega-lite"]["version"]}, (
        f"Streamlit {streamlit.__version__} bundles vega-lite {sorted(found)}, we ship "
        f"{PACKAGES['vega-lite']['version']}: vendor the same (static/vega/VENDORED.json)")
