"""The project's own errors, and the exit code each one means.

Exit codes: 0 success, 1 a deploy or lint failure, 2 bad input (params, arguments, files), 3 a plan
found changes, 130 interrupted (Ctrl-C).
Every message names the file, key or stack, what is wrong, and how to fix it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_BAD_INPUT = 2
EXIT_CHANGES_PLANNED = 3  # a plan found something to do
EXIT_INTERRUPTED = 130  # Ctrl-C: 128 + SIGINT, as shells report it


@dataclass(frozen=True, order=True)
class Location:
    """A place in a file: a path and a 1-based line (of a params value, or of a lint finding)."""

    file: Path
    line: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}"


@dataclass(frozen=True)
class ParamsProblem:
    """One thing wrong in the params: where, which key, and what to do about it."""

    location: Location | None
    key: str
    message: str

    def __str__(self) -> str:
        where = f"{self.location}: " if self.location else ""
        key = f"{self.key}: " if self.key else ""
        return f"{where}{key}{self.message}"


class StackyardError(Exception):
    """Base of the project's errors; `exit_code` says how the CLI ends."""

    exit_code = EXIT_FAILURE


class BadInputError(StackyardError):
    """The user's input (arguments, params, files) is wrong; nothing was changed or written."""

    exit_code = EXIT_BAD_INPUT


class ParamsError(BadInputError):
    """Every problem found in the params, reported together."""

    def __init__(self, problems: list[ParamsProblem]):
        self.problems = sorted(problems, key=_problem_order)
        super().__init__("\n".join(str(problem) for problem in self.problems))


def _problem_order(problem: ParamsProblem) -> tuple:
    location = problem.location
    return (str(location.file) if location else "", location.line if location else 0, problem.key)
