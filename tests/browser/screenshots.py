"""The README's screenshots: one PNG per page, taken by the real-browser test setup.

Run from the repository root::

    python -m tests.browser.screenshots          # or: python tests/browser/screenshots.py
    SCREENSHOTS=1 python -m pytest tests/browser -k screenshots   # the same, as an opt-in test

It starts the app's server, opens every page as a classroom projector shows it (1280x720, in
presentation mode, the default settings), waits for the charts (and ~2 s for Vega to finish
painting) and writes ``docs/screenshots/<page>.png``: the first screen, what the class sees. A
picture larger than ``MAX_BYTES`` is saved with a 256-colour palette (UI and charts survive it
well).
"""

from __future__ import annotations

import argparse
import io
import sys
from pathlib import Path

if __package__:
    from .harness import PAGES, PLAYER, ROOT, chromium, open_page, running_server
else:  # run as a script: python tests/browser/screenshots.py
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from harness import PAGES, PLAYER, ROOT, chromium, open_page, running_server

OUT_DIR = ROOT / "docs" / "screenshots"
MAX_BYTES = 400_000
SETTLE_MS = 2000  # Vega draws after the chart element is attached; let it finish


def file_name(path: str) -> str:
    return f"{path.lower() or 'home'}.png"


def small_png(png: bytes) -> bytes:
    """``png`` itself when it is small enough, else the same picture with a 256-colour palette
    (Pillow comes with Streamlit)."""
    if len(png) <= MAX_BYTES:
        return png
    from PIL import Image

    image = Image.open(io.BytesIO(png)).convert("RGB")
    palette = image.quantize(colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    out = io.BytesIO()
    palette.save(out, "PNG", optimize=True)
    return min(png, out.getvalue(), key=len)


SCREEN = {"width": 1280, "height": 720}


def take(browser, base_url: str, out_dir: Path = OUT_DIR, pages=tuple(PAGES)) -> list[Path]:
    """Screenshot every page of ``pages`` (URL paths) into ``out_dir``; returns the files."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for path in pages:
        context = browser.new_context(viewport=SCREEN)
        try:
            page = context.new_page()
            open_page(page, base_url, path, "present=1", charts=PAGES[path][1] if path in PAGES else None)
            page.wait_for_timeout(SETTLE_MS)
            target = out_dir / file_name(path)
            target.write_bytes(small_png(page.screenshot()))
            written.append(target)
        finally:
            context.close()
    return written


# Features a page shows on request, for the README: (file, URL path, query, step to scrub to, what to show)
EXTRAS = (("explain_step.png", "Trajectories", "present=1&explain=1", 25, None),
          ("surface_3d.png", "Trajectories", "present=1&traj.3d=1", None, "[data-testid='stPlotlyChart']"))


def take_extras(browser, base_url: str, out_dir: Path = OUT_DIR) -> list[Path]:
    """The README's screenshots of the step explainer and the 3-D view, as projected."""
    written = []
    for name, path, query, step, shown in EXTRAS:
        context = browser.new_context(viewport=SCREEN)
        try:
            page = context.new_page()
            open_page(page, base_url, path, query, charts=PAGES[path][1])
            if step is not None:
                scrub = page.locator(PLAYER).first.locator(".ol-scrub")
                scrub.fill(str(step))
                scrub.dispatch_event("input")
            if shown:
                page.locator(shown).first.scroll_into_view_if_needed()
            page.wait_for_timeout(SETTLE_MS)
            target = out_dir / name
            target.write_bytes(small_png(page.screenshot()))
            written.append(target)
        finally:
            context.close()
    return written


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=OUT_DIR, help="output folder (default: %(default)s)")
    args = parser.parse_args(argv)
    with running_server() as server, chromium() as browser:
        for f in [*take(browser, server.url, args.out), *take_extras(browser, server.url, args.out)]:
            print(f"{f.relative_to(ROOT) if f.is_relative_to(ROOT) else f}  {f.stat().st_size // 1024} KB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
