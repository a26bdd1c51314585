"""The animation for slides: the player's runs saved as a GIF and as an MP4 (H.264) in the browser,
opened here and checked: frame count, size, duration, codec.

The app is served on 127.0.0.1, where the browser offers its H.264 encoder (WebCodecs needs https
or localhost). The MP4's boxes are read by the test's own parser (``mp4_facts``)."""

from __future__ import annotations

import struct

import pytest

from .harness import PLAYER, open_page, runs

pytestmark = pytest.mark.browser


def mp4_facts(data: bytes) -> dict:
    """What an MP4 says of itself: the brands, its duration (s), the video track's size, sample
    count and codec, and whether the index (moov) comes before the media (mdat)."""
    facts: dict = {"order": []}

    def walk(buf: bytes, depth: int) -> None:
        pos = 0
        while pos + 8 <= len(buf):
            size, kind = struct.unpack(">I4s", buf[pos:pos + 8])
            head = 8
            if size == 1:
                size, head = struct.unpack(">Q", buf[pos + 8:pos + 16])[0], 16
            body = buf[pos + head:pos + size]
            name = kind.decode("latin-1")
            if depth == 0:
                facts["order"].append(name)
            if name == "ftyp":
                facts["brands"] = [body[i:i + 4].decode("latin-1") for i in range(0, len(body), 4) if i != 4]
            elif name == "mvhd":
                version = body[0]
                timescale, duration = (struct.unpack(">IQ", body[20:32]) if version == 1
                                       else struct.unpack(">II", body[12:20]))
                facts["seconds"] = duration / timescale
            elif name == "tkhd":
                w, h = struct.unpack(">II", body[-8:])
                facts["size"] = (w >> 16, h >> 16)
            elif name == "stsz":
                facts["samples"] = struct.unpack(">I", body[8:12])[0]
            elif name == "stsd":
                facts["codec"] = body[12:16].decode("latin-1")
            if name in ("moov", "trak", "mdia", "minf", "stbl"):
                walk(body, depth + 1)
            pos += size

    walk(data, 0)
    return facts


def _make(page, format_: str, size: str, tmp_path):
    player = page.locator(PLAYER).first
    player.locator(".ol-speed").select_option(index=4)  # the fastest: the whole run in about 2 s
    player.get_by_role("button", name="Video: save the animation").click()
    box = player.locator(".ol-export")
    box.locator(".ol-x-format").select_option(format_)
    box.locator(".ol-x-size").select_option(size)
    before = runs(page)
    with page.expect_download(timeout=120_000) as info:
        box.locator(".ol-x-make").click()
    path = tmp_path / info.value.suggested_filename
    info.value.save_as(path)
    assert runs(page) == before, "making the animation went to the server"
    made = player.evaluate("(el) => JSON.parse(el.dataset.exported)")
    return path, made


def test_the_animation_is_saved_as_a_gif(server, page, tmp_path):
    from PIL import Image

    open_page(page, server.url, "Trajectories", "steps=60", charts=1)
    path, made = _make(page, "gif", "drawn", tmp_path)
    assert path.name == "trajectories.gif"
    with Image.open(path) as gif:
        assert gif.format == "GIF" and gif.size == (made["width"], made["height"])
        assert gif.n_frames == made["frames"] and gif.n_frames >= 20
        total = 0
        for k in range(gif.n_frames):
            gif.seek(k)
            total += gif.info["duration"]
        first = gif.copy().convert("RGB")
    # 60 steps at the fastest speed (30 steps/s): two seconds, a frame every 50 ms
    assert total == pytest.approx(2050, abs=60), total
    colours = {c for _, c in first.getcolors(maxcolors=1 << 16) or []}
    assert len(colours) > 8, "the first frame is blank"


def test_the_animation_is_saved_as_an_mp4_that_slides_can_play(server, page, tmp_path):
    open_page(page, server.url, "Trajectories", "steps=60", charts=1)
    path, made = _make(page, "mp4", "1280x720", tmp_path)
    assert path.name == "trajectories.mp4"
    facts = mp4_facts(path.read_bytes())
    assert facts["codec"] == "avc1"  # H.264, what PowerPoint, Keynote and Google Slides play
    assert facts["size"] == (1280, 720) and made["width"] == 1280
    assert facts["samples"] == made["frames"] >= 40
    assert facts["seconds"] == pytest.approx(made["frames"] / 25, abs=0.1)
    assert facts["order"].index("moov") < facts["order"].index("mdat")  # plays before it is all loaded
