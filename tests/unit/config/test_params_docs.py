"""Pure unit: docs/params.md names every params key the config models accept.

Each key is a path through the models (`storage.buckets.<key>.object_lock.mode`); the page
documents it when a code span holds that path, or its tail from a named key on
(`ingress[].port`, `grants[].bucket`), with any `<placeholder>` standing for a name.
"""

from __future__ import annotations

import re
import types
import typing
from typing import Annotated, Any

from pydantic import BaseModel

from stackyard.config import DERIVED_FIELDS, EnvironmentConfig
from tests.helpers import ROOT

PAGE = ROOT / "docs" / "params.md"
# Not keys: the environment's name, the project folder and what loading derives (the sql/ digest).
FROM_FILES = set(DERIVED_FIELDS)
PLACEHOLDER = re.compile(r"<[^>]+>")


def _unwrap(annotation: Any) -> Any:
    """`Annotated[X, ...]` as X; `X | None` as X (the model, when one of the choices is a model)."""
    while True:
        origin = typing.get_origin(annotation)
        if origin is Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (typing.Union, types.UnionType):
            choices = [arg for arg in typing.get_args(annotation) if arg is not type(None)]
            models = [arg for arg in choices if _model(arg) is not None]
            if not models and len(choices) > 1:
                return annotation
            annotation = (models or choices)[0]
        else:
            return annotation


def _model(annotation: Any) -> type[BaseModel] | None:
    annotation = _unwrap(annotation)
    return annotation if isinstance(annotation, type) and issubclass(annotation, BaseModel) else None


def _key_paths(model: type[BaseModel], prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every key below `model`, as its parts: field names, `<key>` for a mapping's keys, `[]` for a list's items."""
    paths = []
    for name, field in model.model_fields.items():
        if not prefix and name in FROM_FILES:
            continue
        path = (*prefix, name)
        paths.append(path)
        annotation = _unwrap(field.annotation)
        while typing.get_origin(annotation) in (list, dict):
            path = (*path, "[]" if typing.get_origin(annotation) is list else "<key>")
            annotation = _unwrap(typing.get_args(annotation)[-1])
        inner = _model(annotation)
        if inner is not None:
            paths += _key_paths(inner, path)
    return paths


def _written(parts: tuple[str, ...]) -> str:
    """How the page writes a path: `a.<key>.b[].c`."""
    return "".join(part if part == "[]" or index == 0 else f".{part}" for index, part in enumerate(parts))


def _accepted(path: tuple[str, ...]) -> set[str]:
    """The path, and each tail of it that starts at a named key and holds at least two parts."""
    starts = [index for index, part in enumerate(path) if part not in ("[]", "<key>")]
    return {_written(path[start:]) for start in starts if start == 0 or len(path) - start >= 2}


def _documented() -> set[str]:
    spans = re.findall(r"`([^`\n]+)`", PAGE.read_text(encoding="utf-8"))
    return {PLACEHOLDER.sub("<key>", span) for span in spans}


def test_the_models_have_the_keys_the_walk_expects():
    paths = {_written(path) for path in _key_paths(EnvironmentConfig)}
    assert {"app", "network.security_groups.<key>.ingress[].port", "ci.grants[].prefix"} <= paths
    assert not paths & FROM_FILES


def test_every_params_key_is_in_docs_params_md():
    documented = _documented()
    missing = [_written(path) for path in _key_paths(EnvironmentConfig) if not _accepted(path) & documented]
    assert not missing, f"docs/params.md does not name these params keys (write each in backticks): {missing}"
