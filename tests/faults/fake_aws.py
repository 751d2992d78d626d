"""A scripted AWS for the fault matrix on a virtual clock: CloudFormation (with the guards' calls,
tests/faults/fake_guards.py), S3, STS, SSM, EC2 prefix lists, ECR, ACM, RDS parameter group statuses, and
the Secrets Manager and SQS look-ups adoption makes.

`FakeCloud.client` stands where boto3's clients stand (stackyard.aws.Aws's client_factory), so
stackyard/aws/'s wrappers and error translation run as they do against AWS. Every call is checked
against botocore's service model (a request AWS would reject fails the test), recorded in
`calls`, and answered from the fake's state; errors are real `botocore.exceptions.ClientError`s
with the codes and messages AWS sends.

Time is virtual: an operation is a timeline of steps N virtual seconds apart, revealed as the
clock passes them, and the engine's poll sleeps advance the clock. `faults` script what AWS does
wrong (throttles, failing resources, refusals), `triggers` do something when a call happens (a
Ctrl-C right after ExecuteChangeSet). botocore's own retries are not in the path: a throttle
here is one that outlasted them.

tests/sim/ builds the time-compressed simulation on this fake (bench/cloud_sim.py): each resource type's
provisioning time, a token bucket answering Throttling, botocore's retries, and a discrete-event clock.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

import botocore.session
from botocore import xform_name
from botocore.exceptions import ParamValidationError
from botocore.validate import ParamValidator

from tests.faults.answers import ACCOUNT, aws_error
from tests.faults.fake_account import FakeSecretsManager, FakeSqs, NamedResources
from tests.faults.fake_acm import FakeAcm
from tests.faults.fake_cloudformation import FakeCloudFormation
from tests.faults.fake_ec2 import FakeEc2
from tests.faults.fake_ecr import FakeEcr
from tests.faults.fake_guards import GuardedCloudFormation
from tests.faults.fake_rds import FakeRds
from tests.faults.fake_s3 import FakeS3
from tests.faults.fake_ssm import FakeSsm


class VirtualClock:
    """stackyard.deploy.clock.Clock on virtual time: sleeping advances it, nothing waits."""

    def __init__(self, start: datetime = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)):
        self._now = start
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def sleep(self, seconds: float, wake: threading.Event | None = None) -> None:
        if wake is not None and wake.is_set():
            return  # a Ctrl-C ends a wait at once
        self.advance(seconds)

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._now += timedelta(seconds=seconds)


@dataclass(frozen=True)
class Call:
    service: str
    operation: str  # the API's name: CreateChangeSet, DeleteObjects, ...
    params: dict[str, Any]
    region: str = ""  # the client's region (tests/faults/test_ci_roles.py builds the ARNs a call touches from it)

    def matches(self, pattern: str) -> bool:
        """`Operation`, or `Operation~text`: that operation with `text` in one of its parameter values."""
        operation, _, text = pattern.partition("~")
        return self.operation == operation and (not text or any(text in str(value) for value in self.params.values()))

    def __str__(self) -> str:
        shown = {key: value for key, value in self.params.items() if key not in ("TemplateBody", "Body")}
        return f"{self.operation} {shown}"


@dataclass
class Trigger:
    pattern: str
    action: Callable[[], None]
    times: int = 1


@dataclass
class Faults:
    """What the scripted AWS does wrong."""

    throttled: dict[str, int] = field(default_factory=dict)  # pattern -> how many calls are throttled
    failing: dict[str, str] = field(default_factory=dict)  # "stack/Logical" or "Logical" -> reason it fails
    replacements: dict[str, str] = field(default_factory=dict)  # logical id -> Replacement a change set reports
    actions: dict[str, str] = field(default_factory=dict)  # logical id -> the Action a change set reports (Dynamic)
    history_denied: bool = False  # ssm:GetParameterHistory is not allowed (a plan role without it)
    imports_unlisted: bool = False  # ListImports lags (eventually consistent): it finds no importer
    lock_write_conflict: bool = False  # a conditional PUT races another: 409 ConditionalRequestConflict
    objects_reappear: dict[str, int] = field(default_factory=dict)  # bucket -> objects written after emptying
    regions_not_enabled: set[str] = field(default_factory=set)  # opt-in regions the account has not enabled
    credentials_error: Exception | None = None  # what botocore raises before any request (an expired SSO token)
    no_import_into_new_stacks: bool = False  # IMPORT only into an existing stack (LocalStack core)
    denied: tuple[str, ...] = ()  # call patterns answered AccessDenied (the deploying identity may not)
    # logical id -> virtual seconds its create waits on something outside (a certificate on its DNS record)
    waits: dict[str, float] = field(default_factory=dict)


class FakeCloud:
    def __init__(self, clock: VirtualClock | None = None):
        self.clock = clock or VirtualClock()
        self.calls: list[Call] = []
        self.faults = Faults()
        self.triggers: list[Trigger] = []
        self.lock = threading.RLock()
        self.s3 = FakeS3(self)
        self.ssm = FakeSsm(self)
        self.ec2 = FakeEc2()
        self.named = NamedResources()
        self.acm = FakeAcm(self)
        self.rds = FakeRds()
        self._regions: dict[str, FakeCloudFormation] = {}
        self._ecr: dict[str, FakeEcr] = {}

    def cloudformation(self, region: str) -> FakeCloudFormation:
        """The region's CloudFormation: the guarded fake (tests/faults/fake_guards.py) unless a subclass says."""
        with self.lock:
            if region not in self._regions:
                self._regions[region] = GuardedCloudFormation(self, region)
            return self._regions[region]

    def ecr(self, region: str) -> FakeEcr:
        with self.lock:
            return self._ecr.setdefault(region, FakeEcr(region))

    def client(self, service: str, region: str, config: object = None) -> FakeClient:
        handlers = {
            "cloudformation": lambda: self.cloudformation(region),
            "s3": lambda: self.s3,
            "ssm": lambda: self.ssm,
            "ec2": lambda: self.ec2.in_region(region),
            "secretsmanager": lambda: FakeSecretsManager(self),
            "sqs": lambda: FakeSqs(self, region),
            "sts": lambda: _Sts(self.faults, region),
            "ecr": lambda: self.ecr(region),
            "acm": lambda: self.acm,
            "rds": lambda: self.rds,
        }
        return FakeClient(self, service, handlers[service](), region)

    def on(self, pattern: str, action: Callable[[], None]) -> None:
        """Run `action` right after the first call matching `pattern` is answered (or fails)."""
        self.triggers.append(Trigger(pattern, action))

    def called(self, pattern: str) -> list[Call]:
        return [call for call in self.calls if call.matches(pattern)]

    def tick(self) -> None:
        for region in list(self._regions.values()):
            region.tick()

    def _call(
        self, service: str, operation: str, params: dict[str, Any], handler: Callable[..., Any], region: str = ""
    ) -> Any:
        call = Call(service, operation, params, region)
        try:
            with self.lock:
                self.calls.append(call)
                self._throttle(call)
                self._deny(call)
                self.tick()
                return handler(**params)
        finally:
            self._fire(call)

    def _throttle(self, call: Call) -> None:
        for pattern, left in self.faults.throttled.items():
            if left and call.matches(pattern):
                self.faults.throttled[pattern] = left - 1
                raise aws_error(call.operation, "Throttling", "Rate exceeded")

    def _deny(self, call: Call) -> None:
        if any(call.matches(pattern) for pattern in self.faults.denied):
            raise aws_error(
                call.operation,
                "AccessDeniedException",
                f"User: arn:aws:iam::{ACCOUNT}:user/deployer is not authorized to perform: "
                f"{call.service}:{call.operation} because no identity-based policy allows the action",
            )

    def _fire(self, call: Call) -> None:
        for trigger in self.triggers:
            if trigger.times and call.matches(trigger.pattern):
                trigger.times -= 1
                trigger.action()


class FakeClient:
    """boto3's client interface (methods by their snake_case names, paginators) over a fake service."""

    _models: ClassVar[dict[str, Any]] = {}
    # Each service model is loaded once per process, as stackyard.aws's clients share one loader: without
    # the lock, threads making their first client at once each loaded (and kept) a copy.
    _models_lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(self, cloud: FakeCloud, service: str, handler: Any, region: str = ""):
        self.cloud, self.service, self.handler, self.region = cloud, service, handler, region
        with self._models_lock:
            if service not in self._models:
                self._models[service] = botocore.session.get_session().get_service_model(service)
            self.model = self._models[service]
        self.operations = {xform_name(name): name for name in self.model.operation_names}

    def __getattr__(self, method: str) -> Callable[..., Any]:
        if method not in self.operations:
            raise AttributeError(method)
        operation = self.operations[method]

        def call(**params: Any) -> Any:
            report = ParamValidator().validate(params, self.model.operation_model(operation).input_shape)
            if report.has_errors():
                raise ParamValidationError(report=report.generate_report())
            handler = getattr(self.handler, method, None)
            if handler is None:
                raise NotImplementedError(f"the fake {self.service} does not play {operation}")
            return self.cloud._call(self.service, operation, params, handler, self.region)

        return call

    def get_paginator(self, method: str) -> _Paginator:
        return _Paginator(getattr(self, method))


class _Paginator:
    """One page per call: the fake answers whole lists (tokens are followed when it gives one)."""

    def __init__(self, call: Callable[..., dict[str, Any]]):
        self._call = call

    def paginate(self, **params: Any) -> Iterator[dict[str, Any]]:
        while True:
            page = self._call(**params)
            yield page
            if not page.get("NextToken"):
                return
            params = {**params, "NextToken": page["NextToken"]}


class _Sts:
    def __init__(self, faults: Faults, region: str):
        self.faults, self.region = faults, region

    def get_caller_identity(self) -> dict[str, Any]:
        if self.faults.credentials_error is not None:
            raise self.faults.credentials_error
        if self.region in self.faults.regions_not_enabled:
            raise aws_error(
                "GetCallerIdentity",
                "InvalidClientTokenId",
                "The security token included in the request is invalid.",
                403,
            )
        return {"Account": ACCOUNT, "Arn": f"arn:aws:iam::{ACCOUNT}:user/deployer", "UserId": "AIDAFAKE"}
