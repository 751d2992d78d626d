"""Generating environments: params -> rendered templates -> build/<env>/ -> cfn-lint.

Everything is built in memory first; only when every environment validated and built does
anything touch the build folder, so bad input never leaves half-written files. Files whose
bytes did not change are not rewritten. When the build fingerprint (stackyard/fingerprint.py)
proves that nothing the build depends on changed since it linted clean, nothing is validated,
built or linted again. Several systems generated in one run share one cfn-lint.
See docs/performance.md.

The config models, troposphere and the template modules are imported only when something is
built, and cfn-lint only in the child process that lints (stackyard/lint.py).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from stackyard import fingerprint, versions
from stackyard.errors import BadInputError, ParamsError, ParamsProblem, StackyardError
from stackyard.fingerprint import BuildRecord, StackSummary
from stackyard.lint import CfnLint, LintCache, LintJob, LintReport, digest, lint_cached, toolchain_digest

if TYPE_CHECKING:
    from stackyard.build import EnvironmentBuild
    from stackyard.config import EnvironmentConfig

LINT_CACHE_FILE = ".lint-cache.json"
PROJECT_RULES = fingerprint.package_folder("lint_rules")  # the guarantees every environment must keep


@dataclass(frozen=True)
class GenerateRequest:
    """One system to generate: its params folder, its build folder, and which environments."""

    params_dir: Path
    build_dir: Path
    envs: list[str] | None = None  # None: every environment of params_dir


@dataclass(frozen=True)
class WriteSummary:
    written: list[Path]
    unchanged: int
    removed: list[Path]


@dataclass(frozen=True)
class GenerateResult:
    build_dir: Path
    environments: list[str]
    stacks: list[StackSummary]  # every stack of every environment, environment by environment
    writes: WriteSummary
    lint: LintReport | None
    builds: list[EnvironmentBuild]  # what this run built; none when the fingerprint proved nothing changed


def generate(params_dir: Path, build_dir: Path, envs: list[str] | None = None, run_lint: bool = True) -> GenerateResult:
    """Validate, build, write and lint the environments (all of them when `envs` is None)."""
    [outcome] = generate_all([GenerateRequest(params_dir, build_dir, envs)], run_lint)
    if isinstance(outcome, StackyardError):
        raise outcome
    return outcome


def generate_all(requests: Sequence[GenerateRequest], run_lint: bool = True) -> list[GenerateResult | StackyardError]:
    """Each request's result, or the error that stopped it (and left its build folder alone)."""
    toolchain = toolchain_digest([PROJECT_RULES])
    caches = [LintCache.load(request.build_dir / LINT_CACHE_FILE, toolchain) for request in requests]
    inputs = [fingerprint.inputs_digest(request.params_dir) for request in requests]
    outcomes: dict[int, GenerateResult | StackyardError] = {}
    for index, request in enumerate(requests):
        reused = _reuse(request, caches[index], inputs[index], run_lint)
        if reused is not None:
            outcomes[index] = reused
    with CfnLint([PROJECT_RULES]) as linter:
        # cfn-lint starts loading once some params are valid, and loads while the templates are built;
        # params with mistakes (the usual bad input) never start it.
        params_valid = linter.start if run_lint else _nothing
        built: dict[int, _Built] = {}
        for index, request in enumerate(requests):
            if index not in outcomes:
                try:
                    built[index] = _build_and_write(request, params_valid)
                except StackyardError as error:
                    outcomes[index] = error
        groups = [(lint_jobs(requests[index].build_dir, done.builds), caches[index]) for index, done in built.items()]
        reports = lint_cached(linter, groups) if run_lint else [None] * len(built)
    for (index, done), report in zip(built.items(), reports, strict=True):
        request = requests[index]
        if report is not None:  # findings are never cached: a build with findings is built and linted again
            record = done.record(inputs[index]) if report.clean else None
            fingerprint.record_build(caches[index].builds, inputs[index], _key(request), record)
            caches[index].save()
        outcomes[index] = GenerateResult(
            request.build_dir, done.environments, done.stacks, done.writes, report, done.builds
        )
    return [outcomes[index] for index in range(len(requests))]


@dataclass(frozen=True)
class _Built:
    """A request's environments, built and written."""

    builds: list[EnvironmentBuild]
    writes: WriteSummary
    folders: dict[str, str]  # other folders the params pointed the build at -> their tree digest

    @property
    def environments(self) -> list[str]:
        return [build.environment for build in self.builds]

    @property
    def stacks(self) -> list[StackSummary]:
        return [
            StackSummary(
                build.environment,
                stack.name,
                sum(rendered.resource_count for rendered in stack.templates) - len(stack.nested),
                tuple(rendered.path for rendered in stack.templates),
                len(stack.exports),
                len(stack.imports),
                tuple(build.dependencies[stack.name]),
            )
            for build in self.builds
            for stack in build.stacks.values()
        ]

    def record(self, inputs: str) -> BuildRecord:
        outputs = {
            f"{build.environment}/{relative}": hashlib.sha256(content).hexdigest()
            for build in self.builds
            for relative, content in build.files().items()  # the bytes written, not what is there now
        }
        return BuildRecord(inputs, tuple(self.environments), self.folders, outputs, tuple(self.stacks))


def _nothing() -> None:
    pass


def _key(request: GenerateRequest) -> str:
    return fingerprint.selection_key(None if request.envs is None else list(dict.fromkeys(request.envs)))


def _reuse(request: GenerateRequest, cache: LintCache, inputs: str, run_lint: bool) -> GenerateResult | None:
    """The result of the recorded build, when the fingerprint proves generating again would change nothing."""
    record = BuildRecord.from_json(cache.builds.get(_key(request)))
    if record is None or not record.holds(inputs, request.build_dir, prune_other_envs=request.envs is None):
        return None
    templates = sum(len(stack.templates) for stack in record.stacks)
    report = LintReport([], 0, templates, versions.installed("cfn-lint")) if run_lint else None
    writes = WriteSummary([], len(record.outputs), [])
    return GenerateResult(request.build_dir, list(record.environments), list(record.stacks), writes, report, [])


def _build_and_write(request: GenerateRequest, params_valid: Callable[[], None]) -> _Built:
    from stackyard.config import load_configs

    configs = load_configs(request.params_dir, list(dict.fromkeys(request.envs)) if request.envs else None)
    params_valid()
    folders = _folders_read(configs.values())
    builds = build_all(request.params_dir, configs)
    check_build_folders(request.build_dir, builds)
    writes = write_builds(request.build_dir, builds, prune_other_envs=request.envs is None)
    return _Built(builds, writes, folders)


def _folders_read(configs: Iterable[EnvironmentConfig]) -> dict[str, str]:
    """Folders of the project the params point the build at (migrations, Lambda sources), with
    their content digests: changing one must build again, wherever it is."""
    folders: set[Path] = set()
    for config in configs:
        if config.database is not None and config.database.migrations is not None:
            folders.add(config.project_dir / config.database.migrations)
        folders.update(config.project_dir / function.source for function in (config.functions or {}).values())
    return {str(folder): fingerprint.tree_digest(folder) for folder in sorted(folders)}


def build_all(params_dir: Path, configs: dict[str, EnvironmentConfig]) -> list[EnvironmentBuild]:
    """Every environment built; a stack missing what it needs is reported at the `stacks` line that chose it,
    for every environment at once."""
    from stackyard.build import MissingSourceStackError, build_environment
    from stackyard.config.load import locate

    builds, problems = [], []
    for env, config in configs.items():
        try:
            builds.append(build_environment(config))
        except MissingSourceStackError as error:
            problems.append(ParamsProblem(locate(params_dir, env, ("stacks",)), "stacks", str(error)))
    if problems:
        raise ParamsError(problems)
    return builds


def check_build_folders(build_dir: Path, builds: list[EnvironmentBuild]) -> None:
    """Each file the builds write can be written: no file stands where a folder must be, no folder where a
    file must be. Checked before anything is written, so a blocked path leaves no half build."""
    targets = {build_dir / build.environment / relative for build in builds for relative in build.files()}
    for target in sorted(targets):
        if target.is_dir():
            raise BadInputError(f"{target}: a folder where the build writes a file. Fix: move it away")
        blocker = next((folder for folder in target.parents if folder.exists() and not folder.is_dir()), None)
        if blocker is not None:
            raise BadInputError(
                f"{blocker}: a file where the build needs a folder (for {target}). Fix: move the file away, or "
                f"pass --build-dir DIR"
            )


def write_builds(build_dir: Path, builds: list[EnvironmentBuild], prune_other_envs: bool) -> WriteSummary:
    """Each environment's files under build_dir/<env>/; stale files of ours are removed."""
    written, unchanged, removed = [], 0, []
    for build in builds:
        env_dir = build_dir / build.environment
        files = build.files()
        for relative, content in files.items():
            if _write_if_changed(env_dir / relative, content):
                written.append(env_dir / relative)
            else:
                unchanged += 1
        removed += _remove_stale(env_dir, set(files))
    if prune_other_envs:
        removed += _remove_other_envs(build_dir, {build.environment for build in builds})
    return WriteSummary(written, unchanged, removed)


def lint_jobs(build_dir: Path, builds: list[EnvironmentBuild]) -> list[LintJob]:
    jobs = []
    for build in builds:
        env_dir = build_dir / build.environment
        for stack in build.stacks.values():
            children = list(stack.nested.values())
            # cfn-lint reads a parent's children to check the parameters passed to them.
            jobs.append(
                LintJob(env_dir / stack.template.path, digest(stack.template.body, *(c.body for c in children)))
            )
            jobs += [LintJob(env_dir / child.path, digest(child.body)) for child in children]
    return jobs


def _write_if_changed(path: Path, content: bytes) -> bool:
    try:
        if path.read_bytes() == content:
            return False
    except FileNotFoundError:
        pass  # a new file
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_bytes(content)
    os.replace(temporary, path)
    return True


def _remove_stale(env_dir: Path, keep: set[str]) -> list[Path]:
    """JSON files under env_dir that this build did not produce (a stack or child since removed)."""
    stale = [path for path in env_dir.rglob("*.json") if path.relative_to(env_dir).as_posix() not in keep]
    for path in stale:
        path.unlink()
    for folder in sorted((p for p in env_dir.rglob("*") if p.is_dir()), reverse=True):
        if not any(folder.iterdir()):
            folder.rmdir()
    return stale


def _remove_other_envs(build_dir: Path, envs: set[str]) -> list[Path]:
    """Build folders of environments whose params file is gone (recognised by their manifest)."""
    import shutil

    gone = fingerprint.other_environments(build_dir, envs)
    for folder in gone:
        shutil.rmtree(folder)
    return gone
