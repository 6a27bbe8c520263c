"""Merge the sample's script, measured speech timing and translations into the transcript.

    python assets/promo/build_transcript.py

Reads ``script.json`` (English text, speakers), ``timing.json`` (speech onset/offset measured from
the generated audio by ``make_promo.py``) and ``translations/<lang>.json``; writes
``subtitles/promo/transcript.json`` (format: docs/formats.md, "Transcript format").
"""

from __future__ import annotations

import json
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
LANGUAGES = ("en", "ko", "ja", "zh-Hans", "ar", "es", "fr", "ru", "vi", "id")


def main() -> None:
    """Write the merged transcript."""
    script = json.loads((HERE / "script.json").read_text(encoding="utf-8"))["segments"]
    timing = {t["id"]: t for t in json.loads((HERE / "timing.json").read_text(encoding="utf-8"))["segments"]}
    texts = {
        lang: json.loads((HERE / "translations" / f"{lang}.json").read_text(encoding="utf-8"))
        for lang in LANGUAGES
        if lang != "en"
    }
    segments = []
    for seg in script:
        sid = seg["id"]
        text = {"en": seg["en"], **{lang: texts[lang][sid] for lang in texts}}
        segments.append(
            {
                "id": sid,
                "start_ms": timing[sid]["speech_start_ms"],
                "end_ms": timing[sid]["speech_end_ms"],
                "speaker": seg["speaker"],
                "text": {lang: text[lang] for lang in LANGUAGES},
            }
        )
    doc = {"video": "promo", "source_language": "en", "languages": list(LANGUAGES), "segments": segments}
    out = ROOT / "subtitles" / "promo" / "transcript.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(doc, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"{out}: {len(segments)} segments x {len(LANGUAGES)} languages")


if __name__ == "__main__":
    main()
