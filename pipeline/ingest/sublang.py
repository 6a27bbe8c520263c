"""The language of a subtitle file given without ``--lang``: its name's tag, else its letters' script.

``talk.zh-TW.srt`` is ``zh-TW``; ``subs.srt`` is Korean when its letters are Hangul, and the guess is
logged as a note. A name part that is no tag (``talk.final.srt``) is no tag; one that is a
language's name (``talk.english.srt``) is refused with the tag to use.
"""

from __future__ import annotations

import logging
from pathlib import Path

from pipeline.core.errors import InputError, UsageError
from pipeline.core.langguess import guess_language
from pipeline.core.profiles import canonical_tag, language_scripts, suggest_tag
from pipeline.ingest.segments import language_from_name
from pipeline.ingest.subparse import read_subtitles_checked

logger = logging.getLogger(__name__)


def name_language(path: Path) -> str | None:
    """The tag of a ``<stem>.<lang>.<ext>`` name in its standard spelling, None when it carries none.

    Raises:
        UsageError: when the name holds a language's name where its tag belongs (``subs.english.srt``).
    """
    part = language_from_name(path)
    if part is None:
        return None
    try:
        return canonical_tag(part)
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
