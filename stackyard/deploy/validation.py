"""Validation records of certificates whose domain's DNS is not in Route 53 (seed 002 §2.6).

Such a certificate (the manifest's `manual_validation`: logical id -> domain) is DNS-validated with no
zone to write the record into, so CloudFormation waits, up to days, until someone creates it at the
domain's DNS provider. While the stack's operation runs, the certificate is found among the stack's
resources and read (DescribeCertificate), and its CNAME is shown once in the progress; after the stack
is done it is read again, so the outputs file always holds the records (ACM renews with them, so they
stay). A record that cannot be read is said once and never fails the stack: CloudFormation's events
name it too (docs/deploy.md, "Validation records for a domain whose DNS is elsewhere").
"""

from __future__ import annotations

import threading
from dataclasses import asdict

from stackyard.aws import Aws, AwsError, CertificateValidation, ThrottledError
from stackyard.deploy.environment import DeployOptions, Environment
from stackyard.deploy.progress import Progress

OUTPUTS_KEY = "dns_validation"  # where the outputs file keeps them: stack -> certificate -> records
PENDING = "PENDING_VALIDATION"


class ValidationRecords:
    """The validation records of a run's certificates, read while CloudFormation waits on them."""

    def __init__(self, aws: Aws, environment: Environment, options: DeployOptions, progress: Progress):
        self.aws = aws
        self.environment = environment
        self.options = options
        self.progress = progress
        self._found: dict[str, dict[str, CertificateValidation]] = {}
        self._unreadable: set[tuple[str, str]] = set()
        self._shown: set[tuple[str, str]] = set()  # (stack, certificate) whose records the progress showed
        self._lock = threading.Lock()

    def while_waiting(self, stack: str, stack_id: str) -> None:
        """On each poll of a stack's operation: read the certificates not read yet (a Watcher poller)."""
        self._read(stack, stack_id, again_if_pending=False)

    def after(self, stack: str) -> None:
        """Once the stack is done (also when it was unchanged): read what this run has not, and again what
        was still pending (the stack's operation ended, so it may be issued now)."""
        entry = self.environment.manifest.stacks.get(stack)
        if entry is not None:
            self._read(stack, entry.stack_name, again_if_pending=True)

    def as_outputs(self) -> dict[str, dict[str, dict[str, object]]]:
        """stack -> certificate logical id -> domain, status and records, for the outputs file."""
        with self._lock:
            return {
                stack: {logical: asdict(validation) for logical, validation in sorted(found.items())}
                for stack, found in sorted(self._found.items())
            }

    def pending(self) -> list[str]:
        """One line per certificate still waiting for its records: what to create, and where."""
        with self._lock:
            return [
                f"{stack} {logical} ({validation.domain}): {record}"
                for stack, found in sorted(self._found.items())
                for logical, validation in sorted(found.items())
                if validation.status == PENDING
                for record in validation.records
            ]

    def _read(self, stack: str, stack_ref: str, again_if_pending: bool) -> None:
        entry = self.environment.manifest.stacks.get(stack)
        if entry is None or not entry.manual_validation:
            return
        wanted = [logical for logical in entry.manual_validation if self._wanted(stack, logical, again_if_pending)]
        if not wanted:
            return
        region = self.environment.region(stack, self.options)
        try:
            resources = self.aws.stack_reader(region).resources(stack_ref)
        except ThrottledError:
            return  # the next poll tries again
        except AwsError as error:
            self._give_up(stack, "", str(error))
            return
        for resource in resources:
            if resource.logical_id in wanted and resource.physical_id.startswith("arn:"):
                self._read_certificate(stack, resource.logical_id, resource.physical_id, region)

    def _read_certificate(self, stack: str, logical: str, arn: str, region: str) -> None:
        try:
            validation = self.aws.acm(region).validation(arn)
        except ThrottledError:
            return
        except AwsError as error:
            self._give_up(stack, logical, str(error))
            return
        if not validation.records:
            return  # ACM adds them a few seconds after the request: the next poll reads them
        with self._lock:
            self._found.setdefault(stack, {})[logical] = validation
            first = (stack, logical) not in self._shown
            self._shown.add((stack, logical))
        if validation.status == PENDING and first:
            for record in validation.records:
                self.progress.line(
                    stack,
                    f"certificate {logical} ({validation.domain}) waits for its DNS validation record; CloudFormation "
                    f"waits with it. Create it at the domain's DNS provider: {record}",
                )

    def _wanted(self, stack: str, logical: str, again_if_pending: bool) -> bool:
        with self._lock:
            if (stack, logical) in self._unreadable:
                return False
            found = self._found.get(stack, {}).get(logical)
            return found is None or (again_if_pending and found.status == PENDING)

    def _give_up(self, stack: str, logical: str, problem: str) -> None:
        entry = self.environment.manifest.stacks[stack]
        logicals = [logical] if logical else list(entry.manual_validation)
        with self._lock:
            self._unreadable.update((stack, each) for each in logicals)
        self.progress.line(
            stack,
            f"cannot read the DNS validation records of {', '.join(logicals)} ({problem}); the stack's events in "
            f"CloudFormation name them too",
        )
