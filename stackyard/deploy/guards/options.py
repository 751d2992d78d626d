"""The guards' command-line options, checked before anything is read or called (docs/deploy.md, "Guards"):
bad input, exit 2. Pure."""

from __future__ import annotations

from stackyard.iam import ROLE_ARN


def option_problems(
    verb: str,
    *,
    reads_only: bool,
    no_rollback: bool,
    ignore_drift: bool,
    role_arn: str | None,
) -> list[str]:
    """`verb`: the run's verb; `reads_only`: the drift verb was given an option that changes or waits on
    something (--delete, --plan, --force-unlock, --allow-replace, --verify)."""
    found = []
    if verb == "drift" and reads_only:
        found.append(
            "the drift verb only reads: it goes with none of --delete, --plan, --force-unlock, --allow-replace, "
            "--verify"
        )
    for flag, given in (("--no-rollback", no_rollback), ("--ignore-drift", ignore_drift)):
        if given and verb in ("delete", "drift", "verify"):
            found.append(f"{flag} goes with deploy or plan, not with {verb}")
    if role_arn is not None and not ROLE_ARN.fullmatch(role_arn):
        found.append(f"--role-arn {role_arn}: expected an IAM role's ARN such as arn:aws:iam::123456789012:role/name")
    return found


def no_rollback_refusal(env: str, allowed: bool) -> str:
    """Why --no-rollback is refused for the environment ("" when params allow it)."""
    if allowed:
        return ""
    return (
        f"--no-rollback: environment {env} keeps no failed update (params guards.allow_no_rollback is false; "
        f"a production_grade environment never allows it); nothing was changed. Fix: deploy without "
        f"--no-rollback, or set guards.allow_no_rollback: true in params/{env}.yaml of a development environment"
    )
