"""Environment variables of functions and containers: params values naming one of the environment's
buckets or tables (by the name the storage or tables stack gives it), or a literal (with ${Domain} and
${ApiDomain} filled in from edge.domain)."""

from __future__ import annotations

from troposphere import Sub

from stackyard.config import EnvironmentConfig, Reference, with_domain
from templates import names


def environment_value(config: EnvironmentConfig, reference: Reference) -> Sub | str | None:
    """A params environment value: a bucket's or table's name, or the literal."""
    if reference.bucket:
        return names.bucket_name(config, reference.bucket)
    if reference.table:
        return names.table_name(config, reference.table)
    return None if reference.value is None else with_domain(reference.value, config.edge)
