"""Pure unit: every stack status CloudFormation documents is classified, checked against the StackStatus
enum of the botocore service model installed here, so a status AWS adds fails this test, not a deploy;
and each has a recovery (or a refusal naming the fix), never "unknown"."""

from __future__ import annotations

import botocore.session
import pytest

from stackyard.aws import DeployedStack
from stackyard.deploy.recovery import Recovery, decide_recovery
from stackyard.deploy.status import STATES, StackState, UnknownStatusError, classify
from stackyard.errors import StackyardError

BOTOCORE_STATUSES = botocore.session.get_session().get_service_model("cloudformation").shape_for("StackStatus").enum


def test_stackyard_knows_exactly_the_statuses_botocore_knows():
    assert sorted(STATES) == sorted(BOTOCORE_STATUSES), (
        "a StackStatus was added to (or removed from) CloudFormation: classify it in stackyard/deploy/status.py"
    )


@pytest.mark.parametrize("status", BOTOCORE_STATUSES)
def test_every_status_has_a_recovery_or_a_refusal_that_names_the_fix(status):
    deployed = DeployedStack("app", "arn:app", status, "why", {}, {}, {}, False)
    try:
        decision = decide_recovery("app", deployed)
    except UnknownStatusError:  # pragma: no cover - what this test is for
        pytest.fail(f"{status} is unknown to stackyard")
    except StackyardError as refusal:
        assert classify("app", status) in (StackState.DELETE_FAILED, StackState.IMPORT_ROLLBACK_FAILED)
        assert "Fix:" in str(refusal) and "(" in str(refusal)
        return
    assert isinstance(decision.recovery, Recovery) and decision.reason


@pytest.mark.parametrize(
    ("status", "state"),
    [
        ("UPDATE_FAILED", StackState.KEPT_FAILED),  # rollback disabled: it can be updated again
        ("IMPORT_ROLLBACK_COMPLETE", StackState.READY),
        ("IMPORT_ROLLBACK_FAILED", StackState.IMPORT_ROLLBACK_FAILED),
        ("UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS", StackState.BUSY),
        ("IMPORT_IN_PROGRESS", StackState.BUSY),
        ("CREATE_FAILED", StackState.FIRST_CREATE_FAILED),
    ],
)
def test_the_statuses_added_since_the_first_table_are_classified(status, state):
    assert classify("app", status) is state


def test_an_import_whose_rollback_failed_is_refused_with_its_reason_and_the_fix():
    deployed = DeployedStack("app", "arn:app", "IMPORT_ROLLBACK_FAILED", "Bucket failed", {}, {}, {}, False)
    with pytest.raises(StackyardError, match=r"\(IMPORT_ROLLBACK_FAILED: Bucket failed\).*Fix:"):
        decide_recovery("app", deployed)
