"""Pure unit: what a run shows and logs (events, change-set tables, the summary), plain and live."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime, timedelta

from stackyard.aws import ResourceChange, StackEvent
from stackyard.deploy.progress import Progress
from stackyard.deploy.scheduler import Outcome

STARTED = datetime(2026, 11, 22, 3, 0, tzinfo=UTC)


def test_plain_lines_are_timestamped_and_every_line_reaches_the_log(tmp_path):
    out = io.StringIO()
    with Progress("test", ["network"], tmp_path / "run.log", out=out, live=False) as progress:
        progress.event(
            "network",
            StackEvent(
                "e1", STARTED + timedelta(seconds=4.25), "Vpc", "AWS::EC2::VPC", "CREATE_FAILED", "CIDR overlaps"
            ),
            STARTED,
        )
        progress.summary({"network": Outcome("network", "failed", "stack network: CREATE_FAILED")})
    lines = out.getvalue().splitlines()
    assert re.fullmatch(
        r"\d\d:\d\d:\d\d test network +Vpc +AWS::EC2::VPC +CREATE_FAILED +\+  4\.2s  CIDR overlaps", lines[0]
    ), lines[0]
    assert lines[1] == "network  failed  stack network: CREATE_FAILED"
    log = (tmp_path / "run.log").read_text()
    assert "CIDR overlaps" in log and "network  failed" in log


def test_the_change_set_table_marks_stateful_resources_and_data_loss(tmp_path):
    out = io.StringIO()
    with Progress("test", ["storage"], tmp_path / "run.log", out=out, live=False) as progress:
        progress.change_set(
            "storage",
            [
                ResourceChange("Modify", "RawLandingBucket", "AWS::S3::Bucket", "True"),
                ResourceChange("Modify", "RawLandingBucket", "AWS::S3::Bucket", "False"),
                ResourceChange("Add", "Alarm", "AWS::CloudWatch::Alarm", ""),
            ],
        )
    rows = [line.split(" storage ", 1)[1].strip() for line in out.getvalue().splitlines()]
    assert rows[0] == "change set: 3 changes"
    assert rows[2].split() == ["Modify", "RawLandingBucket", "AWS::S3::Bucket", "True", "LOSES", "DATA"]
    assert rows[3].split() == ["Modify", "RawLandingBucket", "AWS::S3::Bucket", "False", "stateful"]
    assert rows[4].split() == ["Add", "Alarm", "AWS::CloudWatch::Alarm", "-"]


def test_the_live_board_still_logs_every_line_and_ends_with_the_summary(tmp_path):
    out = io.StringIO()
    with Progress("test", ["network", "storage"], tmp_path / "run.log", out=out, live=True) as progress:
        progress.state("network", "executing")
        progress.line("storage", "emptied bucket b: 3 object versions")
        progress.summary({"network": Outcome("network", "created"), "storage": Outcome("storage", "deleted")})
    assert "network  created" in out.getvalue()
    log = (tmp_path / "run.log").read_text()
    assert re.search(r"test network +executing", log) and "emptied bucket b" in log
