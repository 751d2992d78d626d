"""The fault matrix: one row per documented CloudFormation (or S3) behaviour, played through deploy.py.

Each row says what AWS does (and where that is documented), how the scenario sets it up, the
command, and what must follow: the exit code, fragments of the output, the calls that must and
must not happen. The rows live by topic in this package's modules; docs/faults.md lists every row;
tests/faults/test_fault_matrix.py runs them.
"""

from __future__ import annotations

from tests.faults.scenarios import (
    adoption,
    artifacts,
    credentials,
    data_loss,
    delete,
    deploy,
    exports,
    first_deploy,
    interrupt,
    lock,
    noop,
    prefix_lists,
    reboots,
    recovery,
    rollback,
)
from tests.faults.scenarios.common import Expect, Scenario

SCENARIOS: tuple[Scenario, ...] = (
    *deploy.SCENARIOS,
    *recovery.SCENARIOS,
    *rollback.SCENARIOS,
    *data_loss.SCENARIOS,
    *exports.SCENARIOS,
    *adoption.SCENARIOS,
    *artifacts.SCENARIOS,
    *credentials.SCENARIOS,
    *delete.SCENARIOS,
    *interrupt.SCENARIOS,
    *lock.SCENARIOS,
    *first_deploy.FIRST_DEPLOY,
    *prefix_lists.SCENARIOS,
    *reboots.SCENARIOS,
    *noop.SCENARIOS,
)

__all__ = ["SCENARIOS", "Expect", "Scenario"]
