"""A generated role's identity policy, resolved and evaluated as IAM evaluates it, for
tests/faults/test_ci_roles.py: does this role allow this action on this resource, in this request context?

Only what the ci stack's roles use is played: Allow statements (an Allow-only policy denies what it does
not allow), Action lists with `*` wildcards, Resource ARNs with IAM's wildcard rules, and the condition
operators StringEquals, StringLike, ArnEquals, ArnLike and Null. A statement or operator outside that set
fails the test rather than being guessed at.

Wildcards (IAM User Guide, "IAM JSON policy elements: Resource", "Using wildcards in resource ARNs"): `*`
matches any run of characters and `?` one character, within an ARN segment (the parts between colons);
a `*` that ends a segment may expand past the colons that follow. Action names match case-insensitively
("IAM JSON policy elements: Action").
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any

ADMINISTRATOR_ACCESS = "arn:aws:iam::aws:policy/AdministratorAccess"
ARN_SEGMENTS = 6  # arn:partition:service:region:account:resource


@dataclass(frozen=True)
class Need:
    """One permission a call needs: an action on a resource, with the request's condition keys."""

    action: str
    resource: str
    context: Mapping[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        keys = f" with {dict(self.context)}" if self.context else ""
        return f"{self.action} on {self.resource}{keys}"


@dataclass(frozen=True)
class Role:
    name: str  # the role's RoleName
    statements: tuple[dict[str, Any], ...]

    def allows(self, need: Need) -> bool:
        return any(_statement_allows(statement, need) for statement in self.statements)


def role_from_template(document: dict[str, Any], logical_id: str, pseudo: Mapping[str, str]) -> Role:
    """The role `logical_id` of a generated template, its inline policies and AdministratorAccess resolved
    (`pseudo`: AWS::Partition, AWS::AccountId, AWS::Region as the stack would be deployed)."""
    resources = document["Resources"]
    properties = resources[logical_id]["Properties"]
    resolve = _Resolver(resources, pseudo)
    statements: list[dict[str, Any]] = []
    for policy in properties.get("Policies", []):
        statements += resolve(policy["PolicyDocument"])["Statement"]
    for managed in properties.get("ManagedPolicyArns", []):
        arn = resolve(managed)
        assert arn == ADMINISTRATOR_ACCESS, f"{logical_id}: managed policy {arn} is not played by this test"
        statements.append({"Effect": "Allow", "Action": "*", "Resource": "*"})
    return Role(resolve(properties["RoleName"]), tuple(statements))


class _Resolver:
    """CloudFormation's intrinsic functions as they appear in the roles' policies. An import stands for a value
    this test cannot know: it resolves to a name no ARN matches, so nothing is allowed through it."""

    def __init__(self, resources: dict[str, Any], pseudo: Mapping[str, str]):
        self.resources, self.pseudo = resources, pseudo

    def __call__(self, value: Any) -> Any:
        if isinstance(value, list):
            return [self(item) for item in value]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            [(function, argument)] = value.items()
            if function in ("Fn::Sub", "Fn::Join", "Fn::GetAtt", "Fn::ImportValue", "Ref"):
                return getattr(self, function.replace("Fn::", "").lower())(argument)
        return {key: self(item) for key, item in value.items()}

    def sub(self, argument: str | list[Any]) -> str:
        text, variables = (argument, {}) if isinstance(argument, str) else (argument[0], argument[1])
        values = {**self.pseudo, **{name: self(value) for name, value in variables.items()}}
        return re.sub(r"\$\{([^}]+)\}", lambda match: str(values[match.group(1)]), text)

    def join(self, argument: list[Any]) -> str:
        separator, parts = argument
        return str(separator).join(str(self(part)) for part in parts)

    def getatt(self, argument: list[str]) -> str:
        logical_id, attribute = argument
        resource = self.resources[logical_id]
        assert (resource["Type"], attribute) == ("AWS::IAM::Role", "Arn"), f"Fn::GetAtt {argument} is not played"
        account = self.pseudo["AWS::AccountId"]
        return f"arn:{self.pseudo['AWS::Partition']}:iam::{account}:role/{self(resource['Properties']['RoleName'])}"

    def importvalue(self, argument: Any) -> str:
        return f"<the value of import {self(argument)}>"

    def ref(self, name: str) -> str:
        return self.pseudo[name]


def _listed(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else value


def _statement_allows(statement: dict[str, Any], need: Need) -> bool:
    unplayed = set(statement) - {"Sid", "Effect", "Action", "Resource", "Condition"}
    assert statement["Effect"] == "Allow" and not unplayed, f"statement {statement} is not played by this test"
    return (
        any(_action_matches(pattern, need.action) for pattern in _listed(statement["Action"]))
        and any(arn_matches(pattern, need.resource) for pattern in _listed(statement["Resource"]))
        and _conditions_hold(statement.get("Condition", {}), need.context)
    )


def _action_matches(pattern: str, action: str) -> bool:
    return _wildcard(pattern.lower(), within_segment=False).fullmatch(action.lower()) is not None


def arn_matches(pattern: str, arn: str) -> bool:
    """IAM's match of a Resource element against a resource's ARN (see the module's docstring)."""
    if pattern == "*":
        return True
    segments = pattern.split(":", ARN_SEGMENTS - 1)
    regex = ":".join(
        _wildcard(segment, within_segment=index < ARN_SEGMENTS - 1).pattern for index, segment in enumerate(segments)
    )
    return re.fullmatch(regex, arn) is not None


@cache
def _wildcard(pattern: str, within_segment: bool) -> re.Pattern[str]:
    """`*` and `?` as regular expressions; within an ARN segment they stop at a colon, except a final `*`."""
    any_run, any_one = ("[^:]*", "[^:]") if within_segment else (".*", ".")
    parts = []
    for index, char in enumerate(pattern):
        if char == "*":
            parts.append(".*" if index == len(pattern) - 1 else any_run)
        elif char == "?":
            parts.append(any_one)
        else:
            parts.append(re.escape(char))
    return re.compile("".join(parts))


def _conditions_hold(condition: dict[str, dict[str, Any]], context: Mapping[str, str]) -> bool:
    """Every operator's every key must hold; a key holds when the request's value matches any listed value."""
    return all(
        _key_holds(operator, key, _listed(values), context.get(key))
        for operator, keys in condition.items()
        for key, values in keys.items()
    )


def _key_holds(operator: str, key: str, values: list[Any], found: str | None) -> bool:
    if operator == "Null":  # "true": the key is absent from the request; "false": it is present
        return all((found is None) == (str(value).lower() == "true") for value in values)
    if found is None:
        return False
    if operator in ("StringEquals", "ArnEquals"):
        return found in values
    if operator in ("StringLike", "ArnLike"):
        return any(_wildcard(str(value), within_segment=False).fullmatch(found) for value in values)
    raise AssertionError(f"condition operator {operator} (key {key}) is not played by this test")
