"""The language of a subtitle file given without ``--lang``: its name's tag, else its letters' script.

``talk.zh-TW.srt`` is ``zh-TW``; ``subs.srt`` is Korean when its letters are Hangul, and the guess is
logged as a note. A name part that is no tag (``talk.final.srt``) is no tag; one that is a
language's name (``talk.english.srt``) is refused with the tag to use.

Media servers (Plex, Jellyfin, Kodi) put flags after the tag: ``talk.en.forced.srt``,
``talk.en.sdh.srt`` are English. A name's tag counts only when its language is a 2-letter code
(``en``), a 3-letter code with a 2-letter one (``eng``, ``ger``, ``chi``: read as ``en``, ``de``,
``zh``), or a language with a profile: ``clip.new.srt``, ``ep.the.srt`` are words, not Newari or Tharu.
"""

from __future__ import annotations

import logging
from pathlib import Path

from pipeline.core.errors import InputError, UsageError
from pipeline.core.langguess import guess_language
from pipeline.core.langtags import two_letter
from pipeline.core.profiles import canonical_tag, language_scripts, suggest_tag
from pipeline.ingest.subparse import read_subtitles_checked

logger = logging.getLogger(__name__)
# Media-server flags that follow the tag (forced, hearing impaired, default); ``hi`` alone is Hindi.
FLAGS = frozenset({"forced", "sdh", "cc", "hi", "default", "full"})


def _name_part(path: Path) -> str | None:
    """The part of ``<stem>[.<lang>][.<flag>...].<ext>`` that may be a tag (a lone flag too)."""
    parts = path.name.split(".")[1:-1]
    while len(parts) > 1 and parts[-1].lower() in FLAGS:
        parts.pop()
    return parts[-1] if parts and 2 <= len(parts[-1]) <= 11 else None


def _profile_languages() -> set[str]:
    return {key.split("-")[0] for key in language_scripts()}


def _accepted(part: str, tag: str) -> str | None:
    """``tag`` when a name's part may mean it (see the module's doc), its 2-letter form for ``eng``; else None."""
    primary, *rest = tag.split("-")
    known = _profile_languages()
    if part.lower() in FLAGS and primary not in known:
        return None
    if len(primary) == 2 or primary in known:
        return tag
    short = two_letter(primary) if len(primary) == 3 else None
    return "-".join([short, *rest]) if short else None


def name_language(path: Path) -> str | None:
    """The tag of a ``<stem>.<lang>.<ext>`` name in its standard spelling, None when it carries none.

    Raises:
        UsageError: when the name holds a language's name where its tag belongs (``subs.english.srt``).
    """
    part = _name_part(path)
    if part is None:
        return None
    try:
        return _accepted(part, canonical_tag(part))
    except UsageError as exc:
        if suggest_tag(part) is None:
            return None
        raise UsageError(f"{path}: {exc}") from None


def file_language(path: Path, encoding: str | None = None) -> str:
    """The language of the subtitle file ``path``: its name's tag, else the one its script says (noted).

    Raises:
        InputError: when the file does not exist, is a folder, or cannot be read as subtitles.
        UsageError: when neither its name nor its letters tell the language.
    """
    tag = name_language(path)
    if tag is not None:
        return tag
    if path.is_dir():
        raise InputError(path, "is a folder, not a subtitle file")
    if not path.exists():
        raise InputError(path, "no such file")
    texts = read_subtitles_checked(path, "und", encoding, lenient=True).track.texts()
    guess = guess_language(texts, language_scripts())
    if guess.tag is None:
        raise UsageError(f"{path}: cannot tell its language ({guess.reason}); name it <stem>.<lang>.srt or pass --lang")
    logger.warning(
        "%s: no language tag in its name; read as %r: %s (--lang says otherwise)", path, guess.tag, guess.reason
    )
    return guess.tag
