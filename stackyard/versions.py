"""Installed versions of the distributions a build depends on (troposphere, cfn-lint, ...).

Read from the names of the `<name>-<version>.dist-info` folders on sys.path, which is what
importlib.metadata finds too; importing importlib.metadata alone costs more than a warm generate
may spend (docs/performance.md). A distribution installed another way falls back to it.
"""

from __future__ import annotations

import functools
import os
import re
import sys

_SEPARATORS = re.compile(r"[-_.]+")


def installed(distribution: str) -> str:
    """The installed version of `distribution` (a name as pip spells it), or 'not installed'."""
    found = _dist_info_versions().get(_normal(distribution))
    if found is not None:
        return found
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(distribution)
    except PackageNotFoundError:
        return "not installed"


@functools.cache
def _dist_info_versions() -> dict[str, str]:
    """Normalised distribution name -> version, first on sys.path first, as imports resolve them."""
    versions: dict[str, str] = {}
    for entry in sys.path:
        try:
            names = os.listdir(entry or ".")
        except OSError:
            continue  # a zip file or a folder that is gone
        for name in names:
            stem = name.removesuffix(".dist-info")
            if stem != name and stem.count("-") == 1:
                distribution, version = stem.split("-")
                versions.setdefault(_normal(distribution), version)
    return versions


def _normal(distribution: str) -> str:
    return _SEPARATORS.sub("_", distribution).lower()
