"""subpipe's HLS package played by hls.js (vendored) in headless Chromium: the 10 subtitle renditions are
listed with their languages, and at a cue's midpoint the active cue is subpipe's, in 3 languages (one RTL)."""

from __future__ import annotations

import contextlib
import functools
import shutil
import sys
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from pipeline.batch.run import run_job
from pipeline.ingest.job import parse_job

sys.path.insert(0, str(Path(__file__).resolve().parent))
from studio_kit import chromium, wait_for

pytestmark = pytest.mark.browser
HLS_JS = Path(__file__).parent / "vendor" / "hls.js-1.7.4" / "hls.min.js"
LANGUAGES = ["en", "ko", "ja", "zh-Hans", "ar", "es", "fr", "ru", "vi", "id"]
PAGE = """<!doctype html><meta charset="utf-8"><video id="v" muted></video><script src="hls.min.js"></script>
<script>
  const video = document.getElementById("v");
  window.hls = new Hls({ subtitleDisplay: true });
  window.parsed = false;
  hls.on(Hls.Events.MANIFEST_PARSED, () => { window.parsed = true; });
  hls.on(Hls.Events.ERROR, (_, data) => { if (data.fatal) window.fatal = data.details; });
  hls.loadSource("hls/master.m3u8");
  hls.attachMedia(video);
  window.active = (lang) => {
    const track = [...video.textTracks].find((t) => t.language === lang && t.mode !== "disabled");
    return track && track.activeCues && track.activeCues.length ? [...track.activeCues].map((c) => c.text) : null;
  };
</script>"""


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # the base class's argument names
        pass

    def copyfile(self, source: Any, outputfile: Any) -> None:
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # the player cancelled a request
            super().copyfile(source, outputfile)


@pytest.fixture(scope="module")
def served(
    tmp_path_factory: pytest.TempPathFactory, clip15: Path, clip15_transcript: Path
) -> Iterator[tuple[str, Path]]:
    """The package of the 15 s excerpt in 10 languages, beside the test page, on a local HTTP server."""
    folder = tmp_path_factory.mktemp("hlsweb")
    job = (
        f'preset = "web"\noutput_dir = "{folder / "out"}"\nname = "clip"\nvideo = "{clip15}"\n'
        f'transcript = "{clip15_transcript}"\nlanguages = {LANGUAGES!r}\n[outputs]\nreview = false\n'
    ).replace("'", '"')
    result = run_job(parse_job(job, folder / "job.toml"))
    assert result.ok, result.videos[0].failures
    root = folder / "out" / "clip"
    shutil.copy(HLS_JS, root / "hls.min.js")
    (root / "page.html").write_text(PAGE, encoding="utf-8")
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(root)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/page.html", root
    finally:
        server.shutdown()


def _second_cue(vtt: str) -> tuple[float, str]:
    """The midpoint (s) and text of a WebVTT file's second cue."""
    blocks = [b for b in vtt.split("\n\n") if "-->" in b]
    timing, text = blocks[1].split("\n", 1)
    start, end = (sum(float(p) * 60**i for i, p in enumerate(t.strip().split(":")[::-1])) for t in timing.split("-->"))
    return (start + end) / 2, text.strip().replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def test_hls_js_lists_every_language_and_shows_subpipes_cues(served: tuple[str, Path]) -> None:
    url, root = served
    with chromium() as browser:
        page = browser.new_page()
        page.goto(url)
        wait_for(page, "() => window.parsed || window.fatal", "the master playlist parsed")
        assert page.evaluate("() => window.fatal || null") is None
        tracks = page.evaluate("() => hls.subtitleTracks.map((t) => [t.lang, t.name, t.default])")
        assert [t[0] for t in tracks] == LANGUAGES
        assert dict((t[0], t[1]) for t in tracks)["ko"] == "한국어"
        assert [t[0] for t in tracks if t[2]] == ["en"]
        for lang in ("en", "ar", "ko"):
            midpoint, text = _second_cue((root / lang / f"clip.{lang}.vtt").read_text(encoding="utf-8"))
            page.evaluate(f"() => {{ hls.subtitleTrack = {LANGUAGES.index(lang)}; video.currentTime = {midpoint}; }}")
            shown = wait_for(page, f"() => window.active({lang!r})", f"the {lang} cue at {midpoint:.3f} s")
            assert shown == [text], lang
