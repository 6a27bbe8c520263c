"""The studio's named users: a TOML file of names, Argon2id password hashes, roles and languages.

    [[users]]
    name = "ana"
    password = "$argon2id$v=19$m=65536,t=3,p=4$..."   # subpipe studio --hash-password
    role = "reviewer"                                  # or "approver"
    languages = ["fr", "es"]                           # or ["*"]: every language

A reviewer edits the languages named; an approver also approves them and exports. Passwords are
checked with argon2-cffi (memory-hard; a wrong one costs as much as a right one). Without a users
file the studio has one user, ``local``, an approver of every language, reached by the printed token.
"""

from __future__ import annotations

import functools
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from pipeline.core.errors import InputError

ROLES = ("reviewer", "approver")
_HASHER = PasswordHasher()


@functools.cache
def _dummy() -> str:
    """A hash of nothing anyone types: a name that does not exist costs as much to refuse as a wrong
    password (made at the first sign-in, not at every start: an Argon2id hash takes 0.1 s)."""
    return _HASHER.hash("subpipe: no such user")


@dataclass(frozen=True)
class User:
    """One person: their role and the languages they may edit (``*``: all)."""

    name: str
    role: str
    languages: frozenset[str]
    password_hash: str = ""

    def may_edit(self, lang: str) -> bool:
        """Whether this user may change the cues of ``lang``."""
        return "*" in self.languages or lang in self.languages

    def may_approve(self, lang: str) -> bool:
        """Whether this user may approve ``lang`` (and export)."""
        return self.role == "approver" and self.may_edit(lang)

    def as_json(self) -> dict[str, object]:
        """Who the page acts as."""
        return {"user": self.name, "role": self.role, "languages": sorted(self.languages)}


LOCAL = User("local", "approver", frozenset({"*"}))


def hash_password(password: str) -> str:
    """The Argon2id hash of ``password`` for a users file."""
    return _HASHER.hash(password)


def _user(raw: Any, where: str, path: Path) -> User:
    if not isinstance(raw, Mapping):
        raise InputError(path, f"{where}: expected a table with name, password, role and languages")
    name, password, role, langs = (raw.get(k) for k in ("name", "password", "role", "languages"))
    if not isinstance(name, str) or not name.strip():
        raise InputError(path, f"{where}: 'name' must be a non-empty string")
    if not isinstance(password, str) or not password.startswith("$argon2"):
        raise InputError(path, f"{where} ({name}): 'password' must be an Argon2 hash (subpipe studio --hash-password)")
    if role not in ROLES:
        raise InputError(path, f"{where} ({name}): 'role' must be one of {', '.join(ROLES)}, got {role!r}")
    if not isinstance(langs, list) or not langs or not all(isinstance(x, str) for x in langs):
        raise InputError(path, f"{where} ({name}): 'languages' must be a list of language tags (or [\"*\"])")
    unknown = set(raw) - {"name", "password", "role", "languages"}
    if unknown:
        raise InputError(path, f"{where} ({name}): unknown key(s) {', '.join(sorted(unknown))}")
    return User(name, str(role), frozenset(langs), password)


def load_users(path: Path) -> dict[str, User]:
    """The users of a users file, by name.

    Raises:
        InputError: naming the file and the entry when it cannot be read or an entry is wrong.
    """
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(path, f"cannot read the users file: {exc.strerror or exc}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InputError(path, f"not a TOML users file: {exc}") from None
    raw = doc.get("users")
    if not isinstance(raw, list) or not raw:
        raise InputError(path, "expected one [[users]] table or more")
    users: dict[str, User] = {}
    for n, entry in enumerate(raw, 1):
        user = _user(entry, f"[[users]] #{n}", path)
        if user.name in users:
            raise InputError(path, f"[[users]] #{n}: the name {user.name!r} is given twice")
        users[user.name] = user
    return users


def check_password(users: Mapping[str, User], name: str, password: str) -> User | None:
    """The user ``name`` when ``password`` is theirs, else None (the same cost either way)."""
    user = users.get(name)
    try:
        _HASHER.verify(user.password_hash if user else _dummy(), password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return None
    return user
