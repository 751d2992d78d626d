"""Typed manifests for tests that drive deploy or delete without a generated build."""

from __future__ import annotations

from typing import Any

from stackyard.manifest import Manifest, StackEntry


def stack_entry(stack_name: str, region: str, **fields: Any) -> StackEntry:
    """A stack with no children, exports, parameters, packages, images or prefix lists unless `fields` gives them."""
    empty: dict[str, Any] = {
        "template": f"{stack_name}.json",
        "sha256": "",
        "resources": 0,
        "nested": {},
        "exports": {},
        "imports": (),
        "parameters": {},
        "packages": {},
        "images": {},
        "manual_validation": {},
        "prefix_lists": {},
        "depends_on": (),
    }
    return StackEntry(stack_name=stack_name, region=region, **(empty | fields))


def manifest(environment: str, region: str, stacks: dict[str, StackEntry], **fields: Any) -> Manifest:
    """An environment of `stacks`, deployed in the order given."""
    defaults: dict[str, Any] = {
        "app": "app",
        "stack_tags": {},
        "termination_protection": False,
        "deploy_order": tuple(stacks),
    }
    return Manifest(environment=environment, region=region, stacks=stacks, **(defaults | fields))
