"""What the CLIs print: summaries on stdout, problems on stderr."""

from __future__ import annotations

from typing import TYPE_CHECKING, TextIO

from stackyard.errors import ParamsError, StackyardError

if TYPE_CHECKING:
    from stackyard.fingerprint import StackSummary
    from stackyard.generate import GenerateResult

COLUMNS = ("env", "stack", "resources", "templates", "exports", "imports", "depends on", "lint")


def generate_summary(result: GenerateResult, seconds: float | None, out: TextIO) -> None:
    """The table of stacks, the counts, the lint verdict and its findings; `done in` unless seconds is None."""
    rows: list[tuple[str, ...]] = [COLUMNS]
    for stack in result.stacks:
        rows.append(
            (
                stack.environment,
                stack.name,
                str(stack.resources),
                str(len(stack.templates)),
                str(stack.exports),
                str(stack.imports),
                ", ".join(stack.depends_on) or "-",
                _stack_lint(result, stack),
            )
        )
    _table(rows, out)
    templates = sum(len(stack.templates) for stack in result.stacks)
    writes = result.writes
    print(
        f"\n{_count(len(result.environments), 'environment')}, {_count(len(rows) - 1, 'stack')}, "
        f"{_count(templates, 'template')} in {result.build_dir}/ ({len(writes.written)} written, "
        f"{writes.unchanged} unchanged, {len(writes.removed)} removed)",
        file=out,
    )
    lint = result.lint
    if lint is None:
        print("lint: skipped", file=out)
    else:
        verdict = "clean" if lint.clean else _count(len(lint.findings), "finding")
        print(
            f"lint: {verdict} with cfn-lint {lint.cfn_lint_version} ({lint.linted} linted, {lint.cached} known clean)",
            file=out,
        )
        for finding in lint.findings:
            print(f"  {finding}", file=out)
    if seconds is not None:
        print(f"done in {seconds:.2f} s", file=out)


def error(problem: StackyardError, err: TextIO) -> None:
    if isinstance(problem, ParamsError):
        for item in problem.problems:
            print(f"error: {item}", file=err)
        print(f"{_count(len(problem.problems), 'problem')} in the params; nothing was written", file=err)
    else:
        print(f"error: {problem}", file=err)


def _stack_lint(result: GenerateResult, stack: StackSummary) -> str:
    if result.lint is None:
        return "-"
    env_dir = result.build_dir / stack.environment
    found = sum(len(result.lint.findings_for(env_dir / template)) for template in stack.templates)
    return "clean" if not found else _count(found, "finding")


def _table(rows: list[tuple[str, ...]], out: TextIO) -> None:
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=False)).rstrip(), file=out)


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"
