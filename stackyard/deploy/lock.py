"""The per-environment deploy lock: one object in the home region's artifact bucket.

A deploy or delete writes `locks/<app>-<env>.json` with a conditional PUT (If-None-Match: *), which
S3 accepts only when no object has that key, so of two runs exactly one gets the lock (S3 answers
the other 412 PreconditionFailed, or 409 ConditionalRequestConflict when both write at once). The
object says who holds it: run id, user and host, the command, when it started and when it expires.
The run deletes it when it ends, also after a failure or Ctrl-C. A second run exits 1 naming the
holder; a lock whose run was killed is broken with `--force-unlock <run id>` (docs/deploy.md, "The
deploy lock"). A plan takes no lock.
"""

from __future__ import annotations

import getpass
import json
import os
import socket
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from types import TracebackType

from stackyard.aws import S3
from stackyard.errors import BadInputError, StackyardError

LOCK_PREFIX = "locks/"
# Longer than any run should take; an expired lock is reported as stale, never broken unasked.
LOCK_LIFETIME = timedelta(hours=6)


@dataclass(frozen=True)
class LockHolder:
    run_id: str
    environment: str
    user: str
    host: str
    pid: int
    command: str
    started: str  # ISO 8601, UTC
    expires: str

    @classmethod
    def for_this_run(cls, run_id: str, environment: str, command: str, now: datetime) -> LockHolder:
        try:
            user = getpass.getuser()
        except (KeyError, OSError):
            user = "unknown"
        return cls(
            run_id,
            environment,
            user,
            socket.gethostname(),
            os.getpid(),
            command,
            now.isoformat(timespec="seconds"),
            (now + LOCK_LIFETIME).isoformat(timespec="seconds"),
        )

    def to_json(self) -> bytes:
        return (json.dumps(asdict(self), indent=2, sort_keys=True) + "\n").encode()

    @classmethod
    def from_json(cls, body: bytes) -> LockHolder | None:
        """The holder a lock object names; None when the object is not a lock stackyard wrote."""
        try:
            return cls(**json.loads(body))
        except (ValueError, TypeError):
            return None

    def expired(self, now: datetime) -> bool:
        return datetime.fromisoformat(self.expires) < now


class EnvironmentLocked(StackyardError):
    """Another run holds the environment's deploy lock."""


def lock_key(app: str, environment: str) -> str:
    return f"{LOCK_PREFIX}{app}-{environment}.json"


def locked_message(environment: str, holder: LockHolder | None, where: str, command: str, now: datetime) -> str:
    """What a run refused by the lock tells the user: who holds it and how to break a stale one (pure)."""
    if holder is None:
        return (
            f"environment {environment} is locked ({where} exists but is not a lock stackyard can read). "
            f"Fix: when no deploy is running, delete that object and run again"
        )
    stale = f"; it expired at {holder.expires}, so that run is most likely dead" if holder.expired(now) else ""
    return (
        f"environment {environment} is locked by run {holder.run_id} ({holder.user}@{holder.host}, pid "
        f"{holder.pid}: {holder.command}) since {holder.started}{stale}. Fix: wait for that run to end; if it "
        f"is no longer running (killed, or its machine gone), break the lock: {command} --force-unlock {holder.run_id}"
    )


class DeployLock:
    """Held for a `with` block; `command` is how the user runs this verb (for the messages)."""

    def __init__(self, s3: S3, bucket: str, key: str, holder: LockHolder, now: datetime):
        self.s3, self.bucket, self.key, self.holder, self.now = s3, bucket, key, holder, now

    def acquire(self) -> None:
        for _ in range(2):  # the holder may release between our PUT and our read
            if self.s3.put_if_absent(self.bucket, self.key, self.holder.to_json()):
                return
            body = self.s3.read(self.bucket, self.key)
            if body is not None:
                where = f"s3://{self.bucket}/{self.key}"
                raise EnvironmentLocked(
                    locked_message(
                        self.holder.environment, LockHolder.from_json(body), where, self.holder.command, self.now
                    )
                )
        raise EnvironmentLocked(f"environment {self.holder.environment}: could not take the deploy lock; run again")

    def release(self) -> None:
        """Delete the lock, if it is still ours (someone may have broken it with --force-unlock)."""
        body = self.s3.read(self.bucket, self.key)
        found = LockHolder.from_json(body) if body is not None else None
        if found is not None and found.run_id == self.holder.run_id:
            self.s3.delete(self.bucket, self.key)

    def __enter__(self) -> DeployLock:
        self.acquire()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.release()


def force_unlock(s3: S3, bucket: str, key: str, run_id: str, environment: str) -> str:
    """Break the lock run `run_id` holds; what was done, for the log. Refuses another run's lock."""
    body = s3.read(bucket, key)
    if body is None:
        return f"--force-unlock {run_id}: environment {environment} was not locked"
    holder = LockHolder.from_json(body)
    if holder is not None and holder.run_id != run_id:
        raise BadInputError(
            f"--force-unlock {run_id}: environment {environment} is locked by run {holder.run_id}, not {run_id}; "
            f"nothing was unlocked. Fix: check that run {holder.run_id} is not running, then pass its id"
        )
    s3.delete(bucket, key)
    return f"broke the deploy lock of run {run_id} on environment {environment}"
