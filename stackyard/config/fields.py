"""What the params sections share: the base model, and annotated types that check one value each."""

from __future__ import annotations

import ipaddress
import re
import unicodedata
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field


class Model(BaseModel):
    """Params are data, not code: no unknown keys, no silent type coercion, no mutation, and no
    infinite or NaN numbers (YAML reads .inf and .nan; JSON templates cannot hold them)."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, allow_inf_nan=False)


def matching(regex: str, allowed: str) -> AfterValidator:
    """A check that the whole text matches `regex`; `allowed` says in words what does."""
    compiled = re.compile(regex)

    def check(value: str) -> str:
        if not compiled.fullmatch(value):
            raise ValueError(f"got {value!r}; expected {allowed}")
        return value

    return AfterValidator(check)


def _ipv4_cidr(value: str) -> str:
    try:
        network = ipaddress.IPv4Network(value, strict=False)
    except ValueError:
        raise ValueError(f"got {value!r}, which is not an IPv4 CIDR; expected a.b.c.d/n, e.g. 10.0.0.0/16") from None
    if "/" not in value:
        raise ValueError(f"got {value!r} without a prefix length; expected a.b.c.d/n, e.g. {network}")
    if str(network) != value:
        raise ValueError(f"got {value!r}, which has host bits set; expected the network address {network}")
    return value


# What AWS allows in a tag value besides letters, digits and spaces of any script (AWS General Reference,
# "Tagging your AWS resources": [\p{L}\p{Z}\p{N}_.:/=+\-@]*, at most 256 characters, no aws: prefix).
TAG_SYMBOLS = "_.:/=+-@"
TAG_VALUE_MAX = 256


def _tag_value(value: str) -> str:
    if len(value) > TAG_VALUE_MAX:
        raise ValueError(f"got {len(value)} characters; AWS takes tag values of at most {TAG_VALUE_MAX}")
    refused = sorted(
        {c for c in value if c not in TAG_SYMBOLS and unicodedata.category(c)[0] not in "LZN"}, key=value.index
    )
    if refused:
        raise ValueError(
            f"got {_quoted(value)}, which has {' '.join(map(repr, refused))}; expected letters, digits, spaces "
            f"and {TAG_SYMBOLS} only (what AWS takes in a tag)"
        )
    if value.lower().startswith("aws:"):
        raise ValueError(f"got {_quoted(value)}; AWS reserves the aws: prefix for its own tags. Expected another value")
    return value


# RFC 1035 (with RFC 1123's leading digits): labels of letters, digits and '-' (not first or last), each
# at most 63 characters, the whole name at most 253; lowercase, as Route 53 and ACM show names.
DNS_LABEL = re.compile(r"[a-z0-9]([a-z0-9-]*[a-z0-9])?")
DNS_NAME_MAX = 253
DNS_LABEL_MAX = 63


def dns_name_problem(name: str) -> str | None:
    """What makes `name` no DNS name that certificates and Route 53 records can carry, or None."""
    if len(name) > DNS_NAME_MAX:
        return f"{len(name)} characters; a DNS name has at most {DNS_NAME_MAX}"
    labels = name.split(".")
    for label in labels:
        if len(label) > DNS_LABEL_MAX:
            return f"label {label[:20]!r}... is {len(label)} characters; each label has at most {DNS_LABEL_MAX}"
        if not DNS_LABEL.fullmatch(label):
            return (
                f"label {label!r} is not lowercase letters, digits and '-' with a letter or digit first and last"
                if label
                else "an empty label (two dots in a row, or a dot first or last)"
            )
    if len(labels) < 2 or len(labels[-1]) < 2 or not labels[-1].isalpha():
        return "it ends in no top-level domain of two or more letters"
    return None


def _dns_name(value: str) -> str:
    problem = dns_name_problem(value)
    if problem:
        raise ValueError(f"got {_quoted(value)}: {problem}; expected a DNS name such as app.example.com")
    return value


def _dns_label(value: str) -> str:
    if len(value) > DNS_LABEL_MAX or not DNS_LABEL.fullmatch(value):
        raise ValueError(
            f"got {_quoted(value)}; expected one DNS label such as api: 1-{DNS_LABEL_MAX} lowercase letters, digits "
            f"or '-', not first or last"
        )
    return value


def _quoted(value: str) -> str:
    return repr(value) if len(value) <= 60 else repr(value[:57]) + "..."


# CloudWatch Logs accepts only these retention periods.
LogRetentionDays = Literal[
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653
]
Cidr = Annotated[str, AfterValidator(_ipv4_cidr)]
AppName = Annotated[
    str, matching(r"[a-z][a-z0-9-]{0,18}[a-z0-9]", "2-20 lowercase letters, digits or '-', starting with a letter")
]
Region = Annotated[str, matching(r"[a-z]{2}(-gov)?-[a-z]+-\d", "an AWS region name such as ap-southeast-1")]
NonEmpty = Annotated[str, Field(min_length=1, max_length=256)]
TagValue = Annotated[str, Field(min_length=1), AfterValidator(_tag_value)]
DnsName = Annotated[str, AfterValidator(_dns_name)]
DnsLabel = Annotated[str, AfterValidator(_dns_label)]
# Keys other sections name: a grant's or a reference's bucket and table, the edge's site bucket.
BucketKey = Annotated[str, matching(r"[a-z][a-z0-9-]{0,28}[a-z0-9]", "2-30 lowercase letters, digits or '-'")]
TableKey = Annotated[str, matching(r"[a-z][a-z0-9-]{0,38}[a-z0-9]", "2-40 lowercase letters, digits or '-'")]
EnvironmentVariable = Annotated[str, matching(r"[A-Z][A-Z0-9_]*", "an upper-case variable name")]
