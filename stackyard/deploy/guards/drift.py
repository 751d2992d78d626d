"""Drift: what was changed outside CloudFormation (docs/deploy.md, "Drift").

DetectStackDrift checks one stack and never its nested stacks (DetectStackDrift API reference), so a
stack's nested stacks (found with ListStackResources) are detected too, all started at once and then
waited for. Only resources that differ (MODIFIED) or are gone (DELETED) are read, with their differing
properties, expected against actual.

Before an update of a stack that holds stateful resources, deploy stops when one of those drifted (an
update may overwrite an out-of-band fix, or fail on a resource that is not what CloudFormation believes),
unless --ignore-drift. Other drift, and resources CloudFormation could not check (DETECTION_FAILED: the
caller cannot read them, or the type does not support drift detection), are reported, not blocking: a
guard that blocks on what it cannot see would be bypassed as a habit.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

from stackyard.aws import Aws, ResourceDrift
from stackyard.cfn import NESTED_STACK
from stackyard.deploy.environment import DeployOptions, Environment
from stackyard.deploy.scheduler import Outcome, run_graph
from stackyard.deploy.watch import Watcher

IN_PROGRESS = "DETECTION_IN_PROGRESS"
SHOWN_VALUE = 60  # characters of an expected or actual value shown in a table cell


@dataclass(frozen=True)
class StackDrift:
    path: str  # "" for the stack itself, "Vpc/" for a nested stack
    stack_id: str
    status: str  # DriftDetection.status once done
    reason: str
    resources: tuple[ResourceDrift, ...] = ()


@dataclass(frozen=True)
class DriftReport:
    stack: str  # the stack's name in the manifest
    stacks: tuple[StackDrift, ...] = field(default_factory=tuple)

    @property
    def drifted(self) -> list[tuple[str, ResourceDrift]]:
        """(logical path, drift) of every drifted resource, nested ones as "Vpc/FlowLogGroup"."""
        return [(f"{each.path}{drift.logical_id}", drift) for each in self.stacks for drift in each.resources]

    @property
    def unchecked(self) -> list[str]:
        return [
            f"{self.stack}{'/' + each.path.rstrip('/') if each.path else ''}: drift detection failed ({each.reason})"
            for each in self.stacks
            if each.status != "DETECTION_COMPLETE"
        ]


def blocking(report: DriftReport, stateful: tuple[str, ...]) -> list[str]:
    """The stateful resources that drifted, described (pure)."""
    held = set(stateful)
    return [described(path, drift) for path, drift in report.drifted if path in held]


def notes(report: DriftReport, stateful: tuple[str, ...]) -> list[str]:
    """Drift that does not block (resources that hold no data), and what could not be checked (pure)."""
    held = set(stateful)
    other = [f"drifted: {described(path, drift)}" for path, drift in report.drifted if path not in held]
    return other + report.unchecked


def described(path: str, drift: ResourceDrift) -> str:
    properties = ", ".join(difference.path for difference in drift.differences)
    return f"{path} ({drift.resource_type}) {drift.status}{': ' + properties if properties else ''}"


def table(reports: list[DriftReport]) -> list[str]:
    """The drift verb's table: one row per differing property (or per deleted resource)."""
    rows = [("stack", "resource", "type", "drift", "property", "expected", "actual")]
    for report in reports:
        for path, drift in report.drifted:
            for difference in drift.differences or ():
                rows.append(
                    (
                        report.stack,
                        path,
                        drift.resource_type,
                        difference.kind or drift.status,
                        difference.path,
                        _cell(difference.expected),
                        _cell(difference.actual),
                    )
                )
            if not drift.differences:
                rows.append((report.stack, path, drift.resource_type, drift.status, "-", "-", "-"))
    if len(rows) == 1:
        return []
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    return ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip() for row in rows]


def _cell(value: str) -> str:
    flat = " ".join(value.split()) or "-"
    return flat if len(flat) <= SHOWN_VALUE else flat[: SHOWN_VALUE - 3] + "..."


class DriftDetector:
    def __init__(self, aws: Aws, watcher: Watcher):
        self.aws = aws
        self.watcher = watcher

    def check(self, stack: str, region: str, stack_id: str) -> DriftReport:
        """Detect drift on the stack and every nested stack in it, wait for each, read what drifted."""
        reader = self.aws.guard_reader(region)
        stacks = self._with_nested(region, stack_id, "")
        started = [(path, each, reader.detect_drift(each)) for path, each in stacks]
        found = []
        for path, each, detection_id in started:
            label = f"{stack}/{path.rstrip('/')}" if path else stack
            detection = self.watcher.poll(
                functools.partial(reader.drift_detection, detection_id),
                lambda status: status.status != IN_PROGRESS,
                f"detecting drift of {label}",
            )
            resources = tuple(reader.drifted_resources(each)) if detection.status != IN_PROGRESS else ()
            found.append(StackDrift(path, each, detection.status, detection.reason, resources))
        return DriftReport(stack, tuple(found))

    def _with_nested(self, region: str, stack_id: str, path: str) -> list[tuple[str, str]]:
        found = [(path, stack_id)]
        for resource in self.aws.stack_reader(region).resources(stack_id):
            if resource.resource_type == NESTED_STACK and resource.physical_id.startswith("arn:"):
                found += self._with_nested(region, resource.physical_id, f"{path}{resource.logical_id}/")
        return found


class DriftRun:
    """The drift verb: every chosen stack detected at once (at most --concurrency), none changed."""

    def __init__(self, aws: Aws, environment: Environment, options: DeployOptions, watcher: Watcher):
        self.aws = aws
        self.environment = environment
        self.options = options
        self.watcher = watcher
        self.detector = DriftDetector(aws, watcher)
        self.reports: dict[str, DriftReport] = {}

    def run(self, stacks: list[str]) -> tuple[dict[str, Outcome], list[DriftReport]]:
        outcomes = run_graph(stacks, {}, self._one, self.options.concurrency, self.watcher.interrupt)
        return outcomes, [self.reports[stack] for stack in stacks if stack in self.reports]

    def _one(self, stack: str) -> Outcome:
        entry = self.environment.manifest.entry(stack)
        region = self.environment.region(stack, self.options)
        deployed = self.aws.stack_reader(region).describe(entry.stack_name)
        if deployed is None or deployed.status in ("REVIEW_IN_PROGRESS", "DELETE_COMPLETE"):
            self.watcher.progress.state(stack, "not deployed")
            return Outcome(stack, "not deployed")
        self.watcher.progress.state(stack, "detecting drift")
        report = self.detector.check(stack, region, deployed.stack_id)
        self.reports[stack] = report
        unchecked = f"; {'; '.join(report.unchecked)}" if report.unchecked else ""
        result = "drifted" if report.drifted else "in sync"
        self.watcher.progress.state(stack, result)
        found = ", ".join(path for path, _ in report.drifted)
        return Outcome(stack, result, (f"{len(report.drifted)} resources: {found}" if found else "") + unchecked)


def drift_verb(
    aws: Aws, environment: Environment, options: DeployOptions, watcher: Watcher, stacks: list[str]
) -> tuple[dict[str, Outcome], list[str], bool]:
    """The drift verb: each stack's outcome, what to print, and whether anything drifted. "no drift found" only
    when every stack was checked: a stack whose detection could not run is not in sync."""
    outcomes, reports = DriftRun(aws, environment, options, watcher).run(stacks)
    rows = table(reports)
    checked = not watcher.interrupt.requested and all(outcome.ok for outcome in outcomes.values())
    lines = ["drifted resources:", *(f"  {row}" for row in rows)] if rows else ["no drift found"] if checked else []
    return outcomes, lines, bool(rows)
