"""One error tree for the whole pipeline.

Every error the library raises on purpose is a :class:`PipelineError`. Each subclass keeps the
facts it was built from as attributes (file, line, language, argv, ...) so that callers and tests
can inspect them, and builds its human message once, in ``__init__``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any


class PipelineError(Exception):
    """Base class of every error subpipe raises on purpose."""

    exit_code = 1

    def __reduce__(self) -> tuple[Any, ...]:
        # Subclasses take their own keyword arguments; pickle through __dict__ so errors
        # survive a process pool (batch renders).
        return (_rebuild, (type(self), self.args, self.__dict__))


def _rebuild(cls: type[PipelineError], args: tuple[Any, ...], state: dict[str, Any]) -> PipelineError:
    err = cls.__new__(cls)
    Exception.__init__(err, *args)
    err.__dict__.update(state)
    return err


class InputError(PipelineError, ValueError):
    """Bad input: a file that cannot be read or parsed. Names the file and, when known, the line."""

    exit_code = 2

    def __init__(self, path: str | Path | None, problem: str, line: int | None = None) -> None:
        self.path = str(path) if path is not None else None
        self.line = line
        self.problem = problem
        where = self.path or "<input>"
        if line is not None:
            where = f"{where}:{line}"
        super().__init__(f"{where}: {problem}")


class InputProblemsError(InputError):
    """Every problem found in one input file (a job file's unknown keys, say), each with its line.

    ``problems`` holds ``(line, problem)`` pairs in line order; ``line`` and ``problem`` are the
    first one's. The message has one ``file:line: problem`` line per problem, the later ones indented
    (as a strict subtitle reader's refusal lists its problems).
    """

    def __init__(self, path: str | Path | None, problems: list[tuple[int | None, str]]) -> None:
        ordered = sorted(problems, key=lambda p: (p[0] is None, p[0] or 0))
        super().__init__(path, ordered[0][1], ordered[0][0])
        self.problems = ordered
        where = self.path or "<input>"
        lines = [f"{where}:{line}: {problem}" if line else f"{where}: {problem}" for line, problem in ordered]
        self.args = ("\n  ".join(lines),)


class UsageError(PipelineError):
    """A request that cannot be carried out as asked (bad option combination, unknown language)."""

    exit_code = 2


class FontCoverageError(PipelineError):
    """The burn-in font of a language lacks characters that its track uses."""

    def __init__(self, lang: str, font: str, missing: list[str]) -> None:
        self.lang = lang
        self.font = font
        self.missing = missing
        shown = " ".join(f"{ch!r}(U+{ord(ch):04X})" for ch in missing[:20])
        more = f" and {len(missing) - 20} more" if len(missing) > 20 else ""
        super().__init__(f"font {font!r} for {lang!r} lacks {len(missing)} character(s): {shown}{more}")


class ContainerError(UsageError):
    """The output's container cannot hold what the source has (a video codec, say) without re-encoding."""


class FfmpegError(PipelineError):
    """ffmpeg failed, or succeeded while logging something that makes the output wrong.

    The message is one line: the exit code, the cause found in the log (or its last error line)
    and the file that holds the full log when one was written.
    """

    def __init__(
        self, argv: list[str], returncode: int, stderr_tail: str, hint: str = "", log_path: str | None = None
    ) -> None:
        self.argv = argv
        self.returncode = returncode
        self.stderr_tail = stderr_tail
        self.hint = hint
        self.log_path = log_path
        msg = f"ffmpeg exited with {returncode}" if returncode else "ffmpeg"
        if hint:
            msg += f": {hint}"
        if log_path:
            msg += f" (full log: {log_path})"
        super().__init__(msg)


class VerifyError(PipelineError):
    """An output file does not match what was asked for."""

    def __init__(self, path: str | Path, problems: list[str]) -> None:
        self.path = str(path)
        self.problems = problems
        super().__init__(f"{self.path}: " + "; ".join(problems))


class OutputError(PipelineError):
    """An output cannot be written (unwritable folder, full disk)."""

    def __init__(self, path: str | Path, problem: str) -> None:
        self.path = str(path)
        self.problem = problem
        super().__init__(f"{self.path}: {problem}")


class ClusterError(PipelineError):
    """The cluster running a job's tasks failed it: unreachable, or a worker cannot do what the client can."""

    def __init__(self, problem: str, host: str | None = None) -> None:
        self.problem = problem
        self.host = host
        super().__init__(f"{host}: {problem}" if host else problem)


class SharedPathError(ClusterError):
    """A worker cannot see a path that the client sees: the cluster's storage is not shared."""

    def __init__(self, path: str | Path, host: str) -> None:
        self.path = str(path)
        super().__init__(
            f"cannot see {self.path}: every worker must see the job's inputs and output folder "
            "at the same absolute paths as the machine that runs `subpipe run` (shared storage)",
            host,
        )


class StorageError(PipelineError):
    """An object storage URL that cannot be used (:mod:`pipeline.core.storage`): s3fs missing, a refused key,
    an unknown bucket or object, an unreachable endpoint. One line naming the URL, its bucket and the
    endpoint, never a credential."""

    exit_code = 2

    def __init__(self, url: str, problem: str, endpoint: str | None = None) -> None:
        self.url, self.problem, self.endpoint = url, problem, endpoint
        self.bucket = url.split("://", 1)[-1].split("/", 1)[0]
        where = f" (bucket {self.bucket!r} at {endpoint})" if endpoint else ""
        super().__init__(f"{url}: {problem}{where}")
