"""A video's outputs as one transaction: the folder holds the last run's manifest and files, or this
run's, never a mix.

Inside :func:`transaction`, a finished output is not renamed into place (:func:`pipeline.render.outputs.commit`
calls :func:`stage`): its partial file stays beside its target, and a folder of stills is written
into a partial folder (:func:`fresh_folder`). Readers of this run's outputs (checksums, stills of a
cut) ask :func:`readable` for the file that holds them. :meth:`Transaction.finish` then renames
every staged file and folder into place, removes what the last manifest listed and this run did
not make, and renames the new manifest last, with SIGINT and SIGTERM held back meanwhile: an
interrupt lands before it (the staged files are removed and the last run's folder is untouched)
or after it (the new folder is whole).

What a SIGKILL or a power cut in the middle of those renames leaves is finished by the next run
(:func:`recover`): the renames are written to a journal first, and replaying them is harmless.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import threading
import uuid
from collections.abc import Iterable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.core.errors import OutputError

PARTIAL_TAG = ".partial-"
JOURNAL = ".commit-journal.json"
MANIFEST = "manifest.json"


def _abs(path: Path) -> Path:
    return Path(os.path.abspath(path))


def partial_name(target: Path, kind: str = "") -> Path:
    """A unique hidden name beside ``target`` that the stale-partial sweep removes: ``.name.partial-XXXXXXXX.ext``."""
    return target.with_name(f".{target.stem}{kind}{PARTIAL_TAG}{uuid.uuid4().hex[:8]}{target.suffix}")


@dataclass
class Transaction:
    """What a run has staged under ``root``: final path -> the partial file or folder holding it."""

    root: Path
    files: dict[Path, Path] = field(default_factory=dict)
    folders: dict[Path, Path] = field(default_factory=dict)
    inputs: tuple[Path, ...] = ()  # the job's input files: never removed, whatever a manifest lists

    def covers(self, target: Path) -> bool:
        """Whether ``target`` is a final name of this transaction (under ``root``, not inside a staged folder)."""
        try:
            parts = _abs(target).relative_to(self.root).parts
        except ValueError:
            return False
        return bool(parts) and not any(PARTIAL_TAG in part for part in parts[:-1])

    def stage(self, partial: Path, target: Path) -> Path:
        """Keep the finished ``partial`` as what ``target`` will be; return ``target``."""
        earlier = self.files.pop(_abs(target), None)
        if earlier is not None and earlier != _abs(partial):
            earlier.unlink(missing_ok=True)  # written twice in one run: the last one counts
        self.files[_abs(target)] = _abs(partial)
        return target

    def stage_folder(self, staged: Path, folder: Path) -> Path:
        """Keep the finished folder ``staged`` as what ``folder`` will be; return ``folder``."""
        earlier = self.folders.pop(_abs(folder), None)
        if earlier is not None and earlier != _abs(staged):
            shutil.rmtree(earlier, ignore_errors=True)  # written twice in one run: the last one counts
        self.folders[_abs(folder)] = _abs(staged)
        return folder

    def finish(self, listed_before: Iterable[str] = (), listed_now: Iterable[str] = ()) -> None:
        """Rename everything staged into place, manifest last; remove what the last manifest listed
        (``listed_before``, paths relative to ``root``) and the new one does not (``listed_now``), unless it
        is the same file as one kept (``Clip/a.srt`` is ``clip/a.srt`` on a case-insensitive file system)
        or as an input of the job.

        Raises:
            OutputError: when a staged file or folder is missing; nothing is then renamed or removed.
        """
        self._check_staged()
        keep = set(listed_now)
        spared = _identities([*(self.root / p for p in keep if _inside(p)), *self.files, *self.inputs])
        obsolete = sorted(
            p
            for p in set(listed_before) - keep
            if _inside(p) and (self.root / p).is_file() and _identity(self.root / p) not in spared
        )
        if not self.files and not self.folders and not obsolete:
            return
        manifest = self.root / MANIFEST
        rel = self._relative
        journal = {
            "folders": [[rel(t.parent / s.name), rel(t)] for t, s in sorted(self.folders.items())],
            "files": [[rel(t.parent / s.name), rel(t)] for t, s in sorted(self.files.items()) if t != manifest],
            "remove": obsolete,
            "manifest": self.files[manifest].name if manifest in self.files else None,
        }
        with held_signals():
            _write_journal(self.root, journal)
            replay(self.root, journal)
            (self.root / JOURNAL).unlink(missing_ok=True)
        self.files.clear()
        self.folders.clear()

    def _check_staged(self) -> None:
        for target, staged in [*self.files.items(), *self.folders.items()]:
            there = staged.is_dir() if target in self.folders else staged.is_file()
            if not there:
                raise OutputError(target, f"its staged copy {staged.name} is gone (removed while the run went on?)")

    def abort(self) -> None:
        """Remove every staged file and folder: the folder stays as the last run left it."""
        for path in self.files.values():
            path.unlink(missing_ok=True)
        for folder in self.folders.values():
            shutil.rmtree(folder, ignore_errors=True)
        self.files.clear()
        self.folders.clear()

    def _relative(self, path: Path) -> str:
        return path.relative_to(self.root).as_posix()


_ACTIVE: ContextVar[Transaction | None] = ContextVar("subpipe_transaction", default=None)


@contextlib.contextmanager
def transaction(root: Path, inputs: Iterable[Path] = ()) -> Iterator[Transaction]:
    """Stage this context's outputs under ``root`` (see the module's text). Whatever was not
    :meth:`~Transaction.finish`-ed when it ends (an error, Ctrl-C, SIGTERM) is removed, and so is
    every partial file left under ``root``. No file that is one of ``inputs`` is ever removed."""
    txn = Transaction(_abs(root), inputs=tuple(inputs))
    token = _ACTIVE.set(txn)
    try:
        yield txn
    finally:
        _ACTIVE.reset(token)
        with held_signals():  # a second Ctrl-C does not cut the clean-up short
            txn.abort()
            sweep(root)


def stage(partial: Path, target: Path) -> Path | None:
    """Stage ``partial`` as ``target`` in the active transaction; None when none covers ``target``."""
    txn = _ACTIVE.get()
    if txn is None or not txn.covers(target):
        return None
    return txn.stage(partial, target)


def stage_folder(staged: Path, folder: Path) -> Path | None:
    """Stage the finished folder ``staged`` (named by :func:`partial_name`) as ``folder`` in the active
    transaction; None when none covers ``folder``."""
    txn = _ACTIVE.get()
    if txn is None or not txn.covers(folder):
        return None
    return txn.stage_folder(staged, folder)


def readable(path: Path) -> Path:
    """The file that holds ``path``'s content now: its staged partial (or its place in a staged folder)
    in the active transaction, else itself."""
    txn, full = _ACTIVE.get(), _abs(path)
    if txn is None or full in txn.files:
        return path if txn is None else txn.files[full]
    folder = next((f for f in txn.folders if full.is_relative_to(f)), None)
    return txn.folders[folder] / full.relative_to(folder) if folder is not None else path


def fresh_folder(folder: Path) -> Path:
    """An empty folder to write ``folder``'s new content into: a staged one in the active transaction,
    else ``folder`` itself emptied."""
    txn = _ACTIVE.get()
    if txn is None or not txn.covers(folder):
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True, exist_ok=True)
        return folder
    staged = _abs(partial_name(folder))
    staged.mkdir(parents=True)
    txn.stage_folder(staged, folder)
    return staged


@contextlib.contextmanager
def held_signals() -> Iterator[None]:
    """Hold SIGINT and SIGTERM back until the block is done (in the main thread, where Python takes them)."""
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "pthread_sigmask"):
        yield
        return
    before = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, before)


def _write_journal(root: Path, journal: dict[str, object]) -> None:
    partial = partial_name(root / JOURNAL)
    with partial.open("w", encoding="utf-8") as out:
        json.dump(journal, out)
        out.flush()
        os.fsync(out.fileno())
    os.replace(partial, root / JOURNAL)


def replay(root: Path, journal: dict[str, object]) -> None:
    """Apply a commit's renames; each is skipped when already done, so a replay after a crash is harmless."""
    for staged, target in _pairs(journal.get("folders")):
        if (root / staged).is_dir():
            old = partial_name(root / target, ".old")
            with contextlib.suppress(FileNotFoundError):
                os.replace(root / target, old)
            os.replace(root / staged, root / target)
            shutil.rmtree(old, ignore_errors=True)
    for staged, target in _pairs(journal.get("files")):
        if (root / staged).is_file():
            os.replace(root / staged, root / target)
    removed = journal.get("remove")
    for rel in removed if isinstance(removed, list) else []:
        if _inside(str(rel)):
            with contextlib.suppress(FileNotFoundError, IsADirectoryError):
                (root / str(rel)).unlink()
    manifest = journal.get("manifest")
    if isinstance(manifest, str) and (root / manifest).is_file():
        os.replace(root / manifest, root / MANIFEST)


def _identity(path: Path) -> tuple[int, int] | None:
    """The file ``path`` is (its device and inode, links followed), or None when there is none."""
    try:
        st = path.stat()
    except OSError:
        return None
    return (st.st_dev, st.st_ino)


def _identities(paths: Iterable[Path]) -> set[tuple[int, int]]:
    return {i for i in map(_identity, paths) if i is not None}


def _inside(rel: str) -> bool:
    """Whether the relative path ``rel`` (from a manifest or journal) stays inside its folder."""
    path = Path(rel)
    return bool(rel) and not path.is_absolute() and ".." not in path.parts


def _pairs(value: object) -> list[tuple[str, str]]:
    if not isinstance(value, list):
        return []
    pairs = [(str(p[0]), str(p[1])) for p in value if isinstance(p, list) and len(p) == 2]
    return [(s, t) for s, t in pairs if _inside(s) and _inside(t)]


def recover(root: Path) -> bool:
    """Finish a commit that a crash cut short (its journal is still there); return whether there was one."""
    path = root / JOURNAL
    try:
        journal = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return False
    except (OSError, ValueError):
        path.unlink(missing_ok=True)
        return False
    if isinstance(journal, dict):
        replay(root, journal)
    path.unlink(missing_ok=True)
    return True


def sweep(root: Path) -> int:
    """Remove every partial file and folder under ``root`` (a killed or interrupted run's); return how many."""
    if not root.is_dir():
        return 0
    found = 0
    for folder, dirs, files in os.walk(root):
        for name in [d for d in dirs if name_is_partial(d)]:
            shutil.rmtree(Path(folder) / name, ignore_errors=True)
            dirs.remove(name)
            found += 1
        for name in files:
            if name_is_partial(name):
                with contextlib.suppress(FileNotFoundError):
                    (Path(folder) / name).unlink()
                found += 1
    return found


def name_is_partial(name: str) -> bool:
    """Whether ``name`` is a partial file's or folder's (``.name.partial-XXXXXXXX.ext``)."""
    return name.startswith(".") and PARTIAL_TAG in name
