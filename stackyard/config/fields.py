"""What the params sections share: the base model, and annotated types that check one value each."""

from __future__ import annotations

import ipaddress
import re
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field


class Model(BaseModel):
    """Params are data, not code: no unknown keys, no silent type coercion, no mutation."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


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
# Keys other sections name: a grant's or a reference's bucket and table, the edge's site bucket.
BucketKey = Annotated[str, matching(r"[a-z][a-z0-9-]{0,28}[a-z0-9]", "2-30 lowercase letters, digits or '-'")]
TableKey = Annotated[str, matching(r"[a-z][a-z0-9-]{0,38}[a-z0-9]", "2-40 lowercase letters, digits or '-'")]
EnvironmentVariable = Annotated[str, matching(r"[A-Z][A-Z0-9_]*", "an upper-case variable name")]
