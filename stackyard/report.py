"""What the CLIs print: summaries on stdout, problems on stderr."""

from __future__ import annotations

from typing import TextIO

from stackyard.build import RenderedStack
from stackyard.errors import ParamsError, StackyardError
from stackyard.generate import GenerateResult

COLUMNS = ("env", "stack", "resources", "templates", "exports", "imports", "depends on", "lint")


def generate_summary(result: GenerateResult, seconds: float, out: TextIO) -> None:
    rows = [COLUMNS]
    # A nested stack resource only stands for its child's resources, so it is not counted itself.
    for build in result.builds:
        for stack in build.stacks.values():
            rows.append(
                (
                    build.environment,
                    stack.name,
                    str(sum(rendered.resource_count for rendered in stack.templates) - len(stack.nested)),
                    str(len(stack.templates)),
                    str(len(stack.exports)),
                    str(len(stack.imports)),
                    ", ".join(build.dependencies[stack.name]) or "-",
                    _stack_lint(result, stack, build.environment),
                )
            )
    _table(rows, out)
    templates = sum(len(stack.templates) for build in result.builds for stack in build.stacks.values())
    writes = result.writes
    print(
        f"\n{_count(len(result.builds), 'environment')}, {_count(len(rows) - 1, 'stack')}, "
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
    print(f"done in {seconds:.2f} s", file=out)


def error(problem: StackyardError, err: TextIO) -> None:
    if isinstance(problem, ParamsError):
        for item in problem.problems:
            print(f"error: {item}", file=err)
        print(f"{_count(len(problem.problems), 'problem')} in the params; nothing was written", file=err)
    else:
        print(f"error: {problem}", file=err)


def _stack_lint(result: GenerateResult, stack: RenderedStack, env: str) -> str:
    if result.lint is None:
        return "-"
    env_dir = result.build_dir / env
    found = sum(len(result.lint.findings_for(env_dir / rendered.path)) for rendered in stack.templates)
    return "clean" if not found else _count(found, "finding")


def _table(rows: list[tuple[str, ...]], out: TextIO) -> None:
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=False)).rstrip(), file=out)


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"
