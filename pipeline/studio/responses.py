"""What the studio's calls answer besides data: their errors (403, 409, 413), the sign-in body, and history
and conflict rows as JSON."""

from __future__ import annotations

from typing import Any

from pipeline.core.edits import CueState
from pipeline.core.errors import InputError, PipelineError
from pipeline.ingest import edithistory, editstore
from pipeline.studio.editing import FieldError


class ForbiddenError(PipelineError):
    """The signed-in user may not do this (HTTP 403); nothing changed."""


def is_unicode(text: str) -> bool:
    """Whether ``text`` is valid Unicode (JSON's ``\ud800`` escapes give lone surrogates, which are not)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def credentials(body: Any) -> tuple[str, str]:
    """The name and password of a sign-in body.

    Raises:
        FieldError: when either is missing or not a string.
    """
    for key in ("name", "password"):
        value = body.get(key) if isinstance(body, dict) else None
        if not isinstance(value, str) or not value or len(value) > 200 or not is_unicode(value):
            raise FieldError(key, "must be a non-empty string of at most 200 characters, in valid Unicode")
    return str(body["name"]), str(body["password"])


class TooLargeError(InputError):
    """A request body over the limit (HTTP 413)."""

    def __init__(self, size: int) -> None:
        super().__init__(None, f"request body of {size} bytes is too large")


class TrackChangedError(PipelineError):
    """An approval of a track that changed since the page loaded it (HTTP 409 with the current digest)."""

    def __init__(self, digest: str) -> None:
        self.digest = digest
        super().__init__("the track changed since you loaded it: review it again before approving")


def conflicts_json(exc: editstore.EditConflictError) -> list[dict[str, object]]:
    """Each conflicting cue as it now stands (None: deleted)."""
    return [
        {"id": cid, "current": None if s is None or s.state is None else {**s.state.as_json(), "version": s.version}}
        for cid, s in exc.conflicts
    ]


def _state_json(state: CueState | None) -> dict[str, object] | None:
    return None if state is None else state.as_json()


def history_json(row: edithistory.HistoryRow) -> dict[str, object]:
    return {
        "seq": row.seq,
        "user": row.user,
        "at": row.at,
        "label": row.label,
        "before": _state_json(row.before),
        "after": _state_json(row.after),
        "findings": list(row.findings),
    }


