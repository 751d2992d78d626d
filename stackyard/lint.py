"""cfn-lint over generated templates, in parallel processes, skipping templates already linted clean.

Starting cfn-lint (importing it and loading its rules) costs about a second, so it happens once,
in a child process that the caller can start before it builds the templates (`CfnLint.start`),
so loading overlaps building (and stops it unused when every template turns out known clean);
the child then forks one worker per core, which inherit the loaded rules. A template counts as
known clean when the same bytes (with the same nested children, which cfn-lint reads to check
nested stack parameters) were linted clean by the same cfn-lint version with the same project
rules and cfn-lint configuration. Findings are never cached. The same cache file keeps the
fingerprints of whole builds that linted clean (stackyard/fingerprint.py).
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import json
import os
import signal
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from stackyard import versions
from stackyard.errors import Location, StackyardError

if TYPE_CHECKING:
    from multiprocessing.connection import Connection
    from multiprocessing.process import BaseProcess

CACHE_FORMAT = 2  # 2: builds that linted clean are kept beside the templates


@dataclass(frozen=True)
class LintJob:
    path: Path
    # sha256 over the template and every file whose content its lint result depends on
    content_digest: str


@dataclass(frozen=True, order=True)
class Finding:
    location: Location
    rule: str
    message: str

    def __str__(self) -> str:
        return f"{self.location}: {self.rule} {self.message}"


@dataclass(frozen=True)
class LintReport:
    findings: list[Finding]
    linted: int  # templates cfn-lint ran on
    cached: int  # templates skipped as known clean
    cfn_lint_version: str

    @property
    def clean(self) -> bool:
        return not self.findings

    def findings_for(self, path: Path) -> list[Finding]:
        return [finding for finding in self.findings if finding.location.file == path]


def lint(jobs: Sequence[LintJob], cache_file: Path, rules_dirs: Sequence[Path] = ()) -> LintReport:
    """Lint every job's template; findings are errors and warnings alike."""
    cache = LintCache.load(cache_file, toolchain_digest(rules_dirs))
    with CfnLint(rules_dirs) as linter:
        [report] = lint_cached(linter, [(jobs, cache)])
    cache.save()
    return report


def lint_cached(linter: CfnLint, groups: Sequence[tuple[Sequence[LintJob], LintCache]]) -> list[LintReport]:
    """One report per group of jobs, each skipping what its own cache knows clean and recording
    what lints clean now; cfn-lint runs once over the rest of every group together."""
    pending = [[job for job in jobs if not cache.is_clean(job)] for jobs, cache in groups]
    paths = [job.path for jobs in pending for job in jobs]
    findings = linter.run(paths) if paths else {}
    reports = []
    for (jobs, cache), todo in zip(groups, pending, strict=True):
        for job in todo:
            if not findings.get(str(job.path)):
                cache.record_clean(job)
        found = sorted(finding for job in todo for finding in findings.get(str(job.path), []))
        reports.append(LintReport(found, len(todo), len(jobs) - len(todo), versions.installed("cfn-lint")))
    return reports


def digest(*contents: bytes) -> str:
    hasher = hashlib.sha256()
    for content in contents:
        hasher.update(hashlib.sha256(content).digest())
    return hasher.hexdigest()


def toolchain_digest(rules_dirs: Sequence[Path]) -> str:
    """What a lint result depends on besides the templates: cfn-lint, the rules, its config files."""
    rule_sources = [path.read_bytes() for folder in rules_dirs for path in sorted(Path(folder).rglob("*.py"))]
    configs = [path.read_bytes() for path in _cfn_lint_config_files() if path.is_file()]
    return digest(versions.installed("cfn-lint").encode(), *rule_sources, b"--config--", *configs)


def _cfn_lint_config_files() -> list[Path]:
    """Where cfn-lint looks for its configuration: the user's home, then the working directory."""
    names = (".cfnlintrc", ".cfnlintrc.yaml", ".cfnlintrc.yml")
    return [folder / name for folder in (Path.home(), Path.cwd()) for name in names]


class LintCache:
    """Template content digests known clean, one per template path (so it never grows past the
    build), and the records of builds that linted clean (stackyard/fingerprint.py), by selection."""

    def __init__(self, file: Path, toolchain: str, clean: dict[str, str], builds: dict[str, Any]):
        self.file, self.toolchain, self.clean, self.builds = file, toolchain, clean, builds

    @classmethod
    def load(cls, file: Path, toolchain: str) -> LintCache:
        try:
            stored = json.loads(file.read_text())
        except (OSError, ValueError):
            stored = {}
        if not isinstance(stored, dict) or stored.get("format") != CACHE_FORMAT or stored.get("toolchain") != toolchain:
            stored = {}
        return cls(file, toolchain, dict(stored.get("clean", {})), dict(stored.get("builds", {})))

    def is_clean(self, job: LintJob) -> bool:
        return self.clean.get(str(job.path)) == job.content_digest

    def record_clean(self, job: LintJob) -> None:
        self.clean[str(job.path)] = job.content_digest

    def save(self) -> None:
        self.file.parent.mkdir(parents=True, exist_ok=True)
        data = {
            "format": CACHE_FORMAT,
            "toolchain": self.toolchain,
            "clean": dict(sorted(self.clean.items())),
            "builds": dict(sorted(self.builds.items())),
        }
        temporary = self.file.with_suffix(".tmp")
        temporary.write_text(json.dumps(data, indent=1) + "\n")
        os.replace(temporary, self.file)


# --- running cfn-lint --------------------------------------------------------------------------


class CfnLint:
    """cfn-lint loaded in a child process, which lints paths in forked workers and reports back.

    `start` may be called early, so loading overlaps the caller's own work; `run` starts it when
    that was not done. Leaving the `with` block stops a child that was never asked to run, or is
    still running (Ctrl-C), with its workers.
    """

    def __init__(self, rules_dirs: Sequence[Path]):
        self.rules_dirs = [str(folder) for folder in rules_dirs]
        self._child: BaseProcess | None = None
        self._connection: Connection | None = None

    def __enter__(self) -> CfnLint:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.close()

    def start(self) -> None:
        if self._child is not None:
            return
        import multiprocessing

        context = multiprocessing.get_context("fork")  # the child shares what is imported, and is quick to start
        self._connection, child_end = context.Pipe()
        self._child = context.Process(
            target=_serve, args=(child_end, self._connection, self.rules_dirs), name="cfn-lint"
        )
        self._child.start()
        child_end.close()

    def run(self, paths: Sequence[Path]) -> dict[str, list[Finding]]:
        """Findings by path (as a string), each list sorted."""
        self.start()
        assert self._connection is not None
        self._connection.send([str(path) for path in paths])
        try:
            outcome, value = self._connection.recv()
        except EOFError:
            raise StackyardError(
                "cfn-lint stopped before reporting; run cfn-lint on the templates to see why"
            ) from None
        finally:
            self.close()
        if outcome == "error":
            raise value
        return value

    def close(self) -> None:
        """Stop the child: at once if it is still loading or linting, else once it has exited."""
        child, self._child = self._child, None
        if child is None:
            return
        assert self._connection is not None
        if self._connection.poll():  # it answered: it is exiting
            child.join(timeout=10)
        self._connection.close()
        if child.is_alive():
            child.terminate()  # never asked, or interrupted; its workers then find the pool gone and exit
        child.join()


def _serve(connection: Connection, parent_end: Connection, rules_dirs: list[str]) -> None:
    """The child: load cfn-lint, then lint the one list of paths the parent sends.

    No Python signal handler here or in the workers: SIGTERM ends each at once, whatever it runs.
    Ctrl-C reaches every process of the terminal's group; the parent alone handles it, and
    terminates this child.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    parent_end.close()  # the parent's end, forked with it: else the parent's exit would leave no EOF here
    try:
        _load_cfn_lint(rules_dirs)
        # Loaded rules and schemas live as long as the workers: keep the collector from scanning
        # them again and again, and from touching the pages the workers share with this process.
        gc.freeze()
        paths = connection.recv()
        outcome: tuple[str, Any] = ("findings", _lint_in_workers(paths))
    except EOFError:
        return  # the parent needed nothing linted, or is gone
    except Exception as error:  # handed to the parent, which raises it
        outcome = ("error", _picklable(error))
    with contextlib.suppress(OSError):  # the parent is gone: nobody to tell
        connection.send(outcome)


def _picklable(error: Exception) -> Exception:
    import pickle

    try:
        pickle.dumps(error)
    except Exception:  # any failure to pickle: send the message instead
        return StackyardError(f"cfn-lint failed: {type(error).__name__}: {error}")
    return error


PR_SET_PDEATHSIG = 1  # prctl(2): the signal a process gets when the one that forked it dies


def _die_with_the_child(child: int) -> None:
    """A worker is killed with the child that forked it, on Linux: the child stopped mid-lint
    (Ctrl-C) takes its workers along, instead of leaving them to lint a template for nobody and
    report the broken pipe. (Elsewhere they do that, then exit.)"""
    if sys.platform == "linux":
        import ctypes

        ctypes.CDLL(None).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != child:  # the child died before prctl took effect
        os._exit(0)


# Set in the child before it forks its workers, so they inherit the loaded rules.
_RULES = None
_CONFIG = None


def _lint_in_workers(paths: list[str]) -> dict[str, list[Finding]]:
    # Largest first, so the last template to finish is a small one.
    ordered = sorted(paths, key=lambda path: -os.path.getsize(path))
    workers = min(len(ordered), os.cpu_count() or 1)
    if workers < 2:
        return dict(map(_lint_file, ordered))
    import multiprocessing

    with multiprocessing.get_context("fork").Pool(workers, _die_with_the_child, (os.getpid(),)) as pool:
        return dict(pool.imap_unordered(_lint_file, ordered))


def _load_cfn_lint(rules_dirs: list[str]) -> None:
    """Import cfn-lint and load its rules, with the project's rules appended."""
    global _RULES, _CONFIG
    from cfnlint.config import ConfigMixIn
    from cfnlint.runner import Runner

    _CONFIG = ConfigMixIn([], append_rules=rules_dirs) if rules_dirs else ConfigMixIn([])
    _RULES = Runner(_CONFIG).rules


def _lint_file(path: str) -> tuple[str, list[Finding]]:
    from cfnlint.runner import run_template_by_file_path

    matches = run_template_by_file_path(path, _CONFIG, _RULES, ignore_bad_template=False)
    return path, sorted(
        {Finding(Location(Path(path), match.linenumber), match.rule.id, match.message) for match in matches}
    )
