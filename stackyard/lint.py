"""cfn-lint, in-process and in parallel, skipping templates already linted clean.

Starting cfn-lint (importing it and loading its rules) costs about a second, so it happens
once, and only when some template is not known clean; the loaded rules are then shared with
worker processes by fork. A template counts as known clean when the same bytes (with the same
nested children, which cfn-lint reads to check nested stack parameters) were linted clean
by the same cfn-lint version with the same project rules.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
from collections.abc import Sequence
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

from stackyard.errors import Location

CACHE_FORMAT = 1


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
    cfn_lint_version = version("cfn-lint")
    cache = _Cache.load(cache_file, _toolchain_digest(cfn_lint_version, rules_dirs))
    pending = [job for job in jobs if not cache.is_clean(job)]
    findings = _run_cfn_lint([job.path for job in pending], rules_dirs) if pending else {}
    for job in pending:
        if not findings.get(str(job.path)):
            cache.record_clean(job)
    cache.save()
    all_findings = sorted(finding for found in findings.values() for finding in found)
    return LintReport(all_findings, len(pending), len(jobs) - len(pending), cfn_lint_version)


def digest(*contents: bytes) -> str:
    hasher = hashlib.sha256()
    for content in contents:
        hasher.update(hashlib.sha256(content).digest())
    return hasher.hexdigest()


def _toolchain_digest(cfn_lint_version: str, rules_dirs: Sequence[Path]) -> str:
    """What a lint result depends on besides the templates: cfn-lint, the rules, its config files."""
    rule_sources = [path.read_bytes() for folder in rules_dirs for path in sorted(Path(folder).rglob("*.py"))]
    configs = [path.read_bytes() for path in _cfn_lint_config_files() if path.is_file()]
    return digest(cfn_lint_version.encode(), *rule_sources, b"--config--", *configs)


def _cfn_lint_config_files() -> list[Path]:
    """Where cfn-lint looks for its configuration: the user's home, then the working directory."""
    names = (".cfnlintrc", ".cfnlintrc.yaml", ".cfnlintrc.yml")
    return [folder / name for folder in (Path.home(), Path.cwd()) for name in names]


class _Cache:
    """Template content digests known clean, one per template path (so it never grows past the build)."""

    def __init__(self, file: Path, toolchain: str, clean: dict[str, str]):
        self.file, self.toolchain, self.clean = file, toolchain, clean

    @classmethod
    def load(cls, file: Path, toolchain: str) -> _Cache:
        try:
            stored = json.loads(file.read_text())
        except (OSError, ValueError):
            stored = {}
        if stored.get("format") != CACHE_FORMAT or stored.get("toolchain") != toolchain:
            stored = {}
        return cls(file, toolchain, dict(stored.get("clean", {})))

    def is_clean(self, job: LintJob) -> bool:
        return self.clean.get(str(job.path)) == job.content_digest

    def record_clean(self, job: LintJob) -> None:
        self.clean[str(job.path)] = job.content_digest

    def save(self) -> None:
        self.file.parent.mkdir(parents=True, exist_ok=True)
        data = {"format": CACHE_FORMAT, "toolchain": self.toolchain, "clean": dict(sorted(self.clean.items()))}
        temporary = self.file.with_suffix(".tmp")
        temporary.write_text(json.dumps(data, indent=1) + "\n")
        os.replace(temporary, self.file)


# --- running cfn-lint --------------------------------------------------------------------------

# Set in the parent before the pool forks, so workers inherit the loaded rules.
_RULES = None
_CONFIG = None
_LOADED_WITH: tuple[str, ...] | None = None


def _run_cfn_lint(paths: list[Path], rules_dirs: Sequence[Path]) -> dict[str, list[Finding]]:
    _load_cfn_lint(rules_dirs)
    # Largest first, so the last template to finish is a small one.
    ordered = sorted((str(path) for path in paths), key=lambda path: -os.path.getsize(path))
    workers = min(len(ordered), os.cpu_count() or 1)
    if workers < 2:
        return dict(map(_lint_file, ordered))
    with multiprocessing.get_context("fork").Pool(workers) as pool:
        return dict(pool.imap_unordered(_lint_file, ordered))


def _load_cfn_lint(rules_dirs: Sequence[Path]) -> None:
    """Import cfn-lint and load its rules, once per process and set of project rules."""
    global _RULES, _CONFIG, _LOADED_WITH
    wanted = tuple(str(folder) for folder in rules_dirs)
    if wanted == _LOADED_WITH:
        return
    from cfnlint.config import ConfigMixIn
    from cfnlint.runner import Runner

    _CONFIG = ConfigMixIn([], append_rules=list(wanted)) if wanted else ConfigMixIn([])
    _RULES = Runner(_CONFIG).rules
    _LOADED_WITH = wanted


def _lint_file(path: str) -> tuple[str, list[Finding]]:
    from cfnlint.runner import run_template_by_file_path

    matches = run_template_by_file_path(path, _CONFIG, _RULES, ignore_bad_template=False)
    return path, sorted(
        {Finding(Location(Path(path), match.linenumber), match.rule.id, match.message) for match in matches}
    )
