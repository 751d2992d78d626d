"""A time-compressed CloudFormation: the fault matrix's fake playing AWS's provisioning times and
API throttling, on a discrete-event clock (tests/sim/clock.py).

What it adds to tests/faults/:

- resources run as CloudFormation runs them, in parallel as soon as what they refer to (Ref,
  Fn::GetAtt, Fn::Sub, DependsOn) is complete, each taking its type's time (tests/sim/figures.py);
  a nested stack runs inside its parent's resource; change sets take seconds to compute;
- DescribeStackEvents answers 100 events a page, newest first, as CloudFormation does;
- every CloudFormation operation is rate-limited per region by a token bucket, answering
  `Throttling: Rate exceeded` past it;
- each client retries as botocore's adaptive mode does (stackyard/aws/__init__.py: 10 attempts):
  its exponential backoff with jitter, its retry quota, and its client-side rate limiter (botocore's
  own CubicCalculator and RateClocker, with a token bucket that sleeps in virtual time);
- every request (retries included) is recorded with its virtual time and the stack it names, which
  is what the figures are computed from (tests/sim/measure.py).
"""

from __future__ import annotations

import json
import random
import re
import threading
from array import array
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError
from botocore.retries.adaptive import RateClocker
from botocore.retries.quota import RetryQuota
from botocore.retries.throttling import CubicCalculator

from tests.faults.answers import aws_error
from tests.faults.fake_aws import FakeClient, FakeCloud, _Paginator
from tests.faults.fake_cloudformation import NESTED, FakeCloudFormation, FakeStack
from tests.faults.fake_guards import GuardedCloudFormation
from tests.sim import figures
from tests.sim.clock import DiscreteClock

THROTTLING = {"Throttling", "ThrottlingException", "RequestLimitExceeded"}
DESCRIBES = {"DescribeStacks", "DescribeStackEvents"}
REFERENCE = re.compile(r"\$\{([A-Za-z0-9]+)[.}]")


@dataclass
class Requests:
    """Every request the simulated AWS received: per operation, and the Describe* ones per stack."""

    by_operation: Counter[str] = field(default_factory=Counter)
    describes: dict[str, array[float]] = field(default_factory=lambda: defaultdict(lambda: array("d")))
    asked: dict[str, array[float]] = field(default_factory=lambda: defaultdict(lambda: array("d")))  # no retries
    throttled: int = 0  # requests answered Throttling
    retried: int = 0  # throttled requests the client retried
    failed: int = 0  # throttled requests whose error reached the caller

    def __post_init__(self) -> None:
        self.lock = threading.Lock()

    def record(self, seconds: float, operation: str, stack: str | None, retry: bool) -> None:
        with self.lock:
            self.by_operation[operation] += 1
            if operation in DESCRIBES and stack:
                self.describes[stack].append(seconds)
                if not retry:
                    self.asked[stack].append(seconds)


class SimCloudFormation(FakeCloudFormation):
    """The fake CloudFormation with real durations: parallel resources, slow change sets, paged events."""

    cloud: SimCloud

    def __init__(self, cloud: SimCloud, region: str):
        super().__init__(cloud, region)
        # stack name -> the virtual seconds its last change set and operation were planned to take
        self.change_set_seconds: dict[str, float] = {}
        self.operation_seconds: dict[str, float] = {}
        # stack id -> (start, end) of its last operation, in seconds since the clock's start
        self.operations: dict[str, tuple[float, float]] = {}
        self.policies: dict[str, str] = {}  # stack id -> its stack policy (deploy sets one on each stack holding data)

    # A deploy sets each stateful stack's policy after its create (docs/deploy.md, "Stack policies"): kept as the
    # fault fake keeps it, never enforced here.
    set_stack_policy = GuardedCloudFormation.set_stack_policy
    get_stack_policy = GuardedCloudFormation.get_stack_policy

    def describe_stack_events(self, StackName: str, NextToken: str = "", **_: Any) -> dict[str, Any]:
        events = self._find("DescribeStackEvents", StackName).events  # oldest first; all have happened
        end = len(events)
        if NextToken:
            end = next(index for index in range(len(events)) if events[index]["EventId"] == NextToken)
        page = events[max(0, end - int(figures.EVENTS_PAGE.seconds)) : end][::-1]
        more = end > len(page)
        return {"StackEvents": page, **({"NextToken": page[-1]["EventId"]} if more and page else {})}

    def _change_set_made(self, change_set: Any, unchanged: bool) -> None:
        nested = sum(spec["Type"] == NESTED for spec in change_set.template.get("Resources", {}).values())
        seconds = figures.CHANGE_SET_SECONDS.seconds + nested * figures.CHANGE_SET_SECONDS_PER_NESTED.seconds
        self.change_set_seconds[change_set.stack.name] = seconds
        made = super()._change_set_made
        # The fake calls this two of its steps after the request; the rest of the time is ours.
        self._later(seconds - 2, lambda: made(change_set, unchanged))

    def _run(
        self,
        stack: FakeStack,
        kind: str,
        template: dict[str, Any],
        parameters: dict[str, str],
        tags: dict[str, str],
        resolved: dict[str, str] | None = None,
        offset: float = 0.0,
        imports: dict[str, str] | None = None,
        on_failure: str = "ROLLBACK",
    ) -> float:
        """Create or update `stack`: each changed resource starts once those it refers to are complete."""
        if self.cloud.faults.failing or kind == "IMPORT" or imports:
            return super()._run(stack, kind, template, parameters, tags, resolved, offset, imports, on_failure)
        verb = (
            "CREATE" if kind == "CREATE" or stack.status in ("REVIEW_IN_PROGRESS", "CREATE_IN_PROGRESS") else "UPDATE"
        )
        self._at(offset, lambda: self._begin(stack, f"{verb}_IN_PROGRESS", "User Initiated"))
        final = self._final(stack, template, parameters, tags, resolved or {})
        context = {"parameters": final.values, "resources": final.resources, "stack": stack}
        resources = template.get("Resources", {})
        finished: dict[str, float] = {}
        for logical in _in_dependency_order(resources):
            start = max((finished[need] for need in _refers_to(resources[logical], resources)), default=offset)
            if logical not in final.resources or not self._differs(stack, logical, resources[logical], final.values):
                finished[logical] = start
                continue
            finished[logical] = self._resource(
                stack, verb, logical, final.resources[logical], resources[logical], start, context
            )
        end = max(finished.values(), default=offset) + 1

        def complete() -> None:
            self._apply(stack, final, f"{verb}_COMPLETE")
            self._end(stack, f"{verb}_COMPLETE", None)

        self._at(end, complete)
        self.operation_seconds[stack.name] = end - offset
        base = ((self._step_time or self.cloud.clock.now()) - self.cloud.clock.start).total_seconds()
        self.operations[stack.stack_id] = (base + offset, base + end)
        return end - offset

    def _resource(
        self,
        stack: FakeStack,
        verb: str,
        logical: str,
        made: tuple[str, str],
        spec: dict[str, Any],
        start: float,
        context: dict[str, Any],
    ) -> float:
        """Play one resource from `start`; returns when it completes."""
        kind, physical = made
        self._at(start, lambda: self._event(stack, logical, kind, f"{verb}_IN_PROGRESS", None, physical))
        if kind == NESTED:
            overhead = figures.NESTED_STACK_OVERHEAD.seconds
            child_seconds, _ = self._run_nested(self._find("", physical), spec, start + overhead / 2, context)
            end = start + overhead + child_seconds
        else:
            end = start + figures.seconds(kind)
            if verb == "CREATE" and end - start > 1:
                initiated = "Resource creation Initiated"
                self._at(
                    start + 1, lambda: self._event(stack, logical, kind, "CREATE_IN_PROGRESS", initiated, physical)
                )
        self._at(end, lambda: self._event(stack, logical, kind, f"{verb}_COMPLETE", None, physical))
        return end


def _refers_to(spec: dict[str, Any], resources: dict[str, Any]) -> set[str]:
    """The resources `spec` needs first: DependsOn, and every Ref, Fn::GetAtt and Fn::Sub reference."""
    depends = spec.get("DependsOn", [])
    found = set([depends] if isinstance(depends, str) else depends)
    text = json.dumps(spec.get("Properties", {}))
    found |= set(re.findall(r'\{"Ref": "([^"]+)"\}', text))
    found |= set(re.findall(r'"Fn::GetAtt": \["([^"]+)"', text))
    found |= set(REFERENCE.findall(text))
    return found & set(resources)


def _in_dependency_order(resources: dict[str, Any]) -> list[str]:
    needs = {logical: _refers_to(spec, resources) for logical, spec in resources.items()}
    ordered: list[str] = []
    while needs:
        ready = [logical for logical, wanted in needs.items() if wanted <= set(ordered)]
        if not ready:
            raise ValueError(f"resources refer to each other in a cycle: {', '.join(sorted(needs))}")
        ordered += ready
        for logical in ready:
            del needs[logical]
    return ordered


class _Bucket:
    """A token bucket on virtual time (the same arithmetic as botocore/retries/bucket.py's TokenBucket)."""

    def __init__(self, clock: DiscreteClock, rate: float, capacity: float, min_rate: float = 0.5):
        self.clock, self.min_rate = clock, min_rate
        self.rate, self.capacity, self.tokens = rate, capacity, capacity
        self.stamp = clock.elapsed()
        self.lock = threading.Lock()

    def take(self) -> bool:
        with self.lock:
            self._refill()
            if self.tokens >= 1 - 1e-9:  # refills are float arithmetic on microseconds
                self.tokens -= 1
                return True
            return False

    def acquire(self) -> None:
        """Take a token, sleeping (in virtual time) until one is there."""
        while True:
            with self.lock:
                self._refill()
                if self.tokens >= 1 - 1e-9:  # refills are float arithmetic on microseconds
                    self.tokens -= 1
                    return
                wait = (1 - self.tokens) / self.rate
            self.clock.sleep(wait)

    def set_rate(self, rate: float) -> None:
        with self.lock:
            self._refill()
            self.rate = max(rate, self.min_rate)
            self.capacity = max(rate, 1)
            self.tokens = min(self.tokens, self.capacity)

    def _refill(self) -> None:
        now = self.clock.elapsed()
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now


class _VirtualTime:
    """What botocore's rate calculators ask of a clock."""

    def __init__(self, clock: DiscreteClock):
        self.clock = clock

    def current_time(self) -> float:
        return self.clock.elapsed()


class AdaptiveRetries:
    """One client's retries in botocore's adaptive mode (botocore/retries/adaptive.py and standard.py),
    on virtual time: a client-side send rate that backs off on throttles (CubicCalculator), the
    standard retry quota, and exponential backoff with jitter."""

    def __init__(self, clock: DiscreteClock, seed: int):
        virtual = _VirtualTime(clock)
        self.clock = clock
        self.random = random.Random(seed)
        self.quota = RetryQuota(figures.RETRY_QUOTA)
        self.rate_adjustor = CubicCalculator(starting_max_rate=0, start_time=virtual.current_time())
        self.rate_clocker = RateClocker(virtual)
        self.sending = _Bucket(clock, rate=1, capacity=1)
        self.enabled = False  # botocore limits the send rate only after a first throttle
        self.lock = threading.Lock()

    def before_send(self) -> None:
        if self.enabled:
            self.sending.acquire()

    def answered(self, throttled: bool) -> None:
        measured = self.rate_clocker.record()
        now = self.clock.elapsed()
        with self.lock:
            if not throttled:
                rate = self.rate_adjustor.success_received(now)
            else:
                basis = measured if not self.enabled else min(measured, self.sending.rate)
                rate = self.rate_adjustor.error_received(basis, now)
                self.enabled = True
            self.sending.set_rate(min(rate, 2.0 * measured))

    def backoff(self, attempt: int) -> float:
        return self.random.random() * min(2.0 ** (attempt - 1), figures.MAX_BACKOFF)


class SimClient:
    """A boto3-like client over the fake: throttled by the region's buckets, retried as botocore does."""

    def __init__(self, cloud: SimCloud, fake: FakeClient, region: str, seed: int):
        self.cloud, self.fake, self.region = cloud, fake, region
        self.retries = AdaptiveRetries(cloud.clock, seed)

    def __getattr__(self, method: str) -> Callable[..., Any]:
        answer = getattr(self.fake, method)
        operation = self.fake.operations[method]

        def call(**params: Any) -> Any:
            attempt = 1
            while True:
                self.retries.before_send()
                try:
                    result = self.cloud.request(self.region, operation, params, answer, retry=attempt > 1)
                except ClientError as error:
                    throttled = error.response.get("Error", {}).get("Code") in THROTTLING
                    self.retries.answered(throttled)
                    retry = throttled and attempt < figures.MAX_ATTEMPTS
                    if not (retry and self.retries.quota.acquire(figures.THROTTLING_RETRY_COST)):
                        self.cloud.requests.failed += throttled
                        raise
                    self.cloud.requests.retried += 1
                    self.cloud.clock.sleep(self.retries.backoff(attempt))
                    attempt += 1
                    continue
                self.retries.answered(False)
                self.retries.quota.release(figures.THROTTLING_RETRY_COST if attempt > 1 else 1)
                return result

        return call

    def get_paginator(self, method: str) -> _Paginator:
        return _Paginator(getattr(self, method))


class SimCloud(FakeCloud):
    """AWS for simulated deploys: SimCloudFormation per region, throttling, botocore-like clients."""

    clock: DiscreteClock  # type: ignore[assignment]  # a VirtualClock's interface, jumping when all sleep

    def __init__(self, clock: DiscreteClock):
        super().__init__(clock)  # type: ignore[arg-type]
        self.requests = Requests()
        self._buckets: dict[tuple[str, str], _Bucket] = {}
        self._seeds = iter(range(1, 1_000_000))

    def cloudformation(self, region: str) -> SimCloudFormation:
        with self.lock:
            if region not in self._regions:
                self._regions[region] = SimCloudFormation(self, region)
            found = self._regions[region]
            assert isinstance(found, SimCloudFormation)
            return found

    def regions(self) -> list[SimCloudFormation]:
        return [self.cloudformation(region) for region in sorted(self._regions)]

    def client(self, service: str, region: str, config: object = None) -> Any:
        if service == "ec2":
            return FakeClient(self, "ec2", _Ec2(region))
        fake = super().client(service, region, config)
        return SimClient(self, fake, region, next(self._seeds)) if service == "cloudformation" else fake

    def request(
        self, region: str, operation: str, params: dict[str, Any], answer: Callable[..., Any], retry: bool = False
    ) -> Any:
        """One request reaching CloudFormation in `region`: recorded, then throttled or answered."""
        self.requests.record(self.clock.elapsed(), operation, _stack_named(params), retry)
        with self.lock:
            bucket = self._buckets.get((region, operation))
            if bucket is None:
                rate, burst = figures.DESCRIBE_RATE.seconds, figures.DESCRIBE_BURST.seconds
                bucket = self._buckets[(region, operation)] = _Bucket(self.clock, rate, burst)
        if not bucket.take():
            self.requests.throttled += 1
            raise aws_error(operation, "Throttling", "Rate exceeded")
        return answer(**params)

    def _call(
        self, service: str, operation: str, params: dict[str, Any], handler: Callable[..., Any], region: str = ""
    ) -> Any:
        # No record of each call (a simulation makes hundreds of thousands): `requests` counts them.
        with self.lock:
            self.tick()
            return handler(**params)


def _stack_named(params: dict[str, Any]) -> str | None:
    """The stack a request names (by name or id), as its name."""
    name = params.get("StackName")
    if not isinstance(name, str):
        return None
    return name.split("/")[1] if name.startswith("arn:") else name


class _Ec2:
    """The one EC2 call a deploy makes: the AWS-managed prefix list CloudFront's origins use."""

    def __init__(self, region: str):
        self.region = region

    def describe_managed_prefix_lists(self, **_: Any) -> dict[str, Any]:
        name = "com.amazonaws.global.cloudfront.origin-facing"
        return {"PrefixLists": [{"PrefixListId": "pl-3b927c52", "PrefixListName": name, "State": "create-complete"}]}
