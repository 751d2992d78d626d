"""Content digests of source folders, so a changed folder shows up as a changed template property.

The schema migrator's custom resource carries the sql/ folder's digest (SqlSha256): CloudFormation
sends an Update exactly when a migration file is added or changed.
"""

from __future__ import annotations

import hashlib
from pathlib import Path


def folder_digest(folder: Path, pattern: str) -> str:
    """sha256 over the names and contents of the folder's files matching `pattern`, in name order."""
    hasher = hashlib.sha256()
    for path in sorted(folder.glob(pattern)):
        hasher.update(path.name.encode() + b"\0" + hashlib.sha256(path.read_bytes()).digest())
    return hasher.hexdigest()
