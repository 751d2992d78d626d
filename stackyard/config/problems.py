"""Params problems: one for a key path and a message, and pydantic's errors turned into them.

Each problem names the file and line the key was written at, the key path, what is wrong and
what is expected instead.
"""

from __future__ import annotations

import difflib
import types
import typing
from collections.abc import Collection
from typing import Annotated, Any

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from stackyard.errors import ParamsProblem
from stackyard.params import KeyPath, SourcedParams, dotted


def problem_at(params: SourcedParams, path: KeyPath, message: str) -> ParamsProblem:
    """A problem with the key at `path`, located where it (or its nearest written parent) is written."""
    return ParamsProblem(params.locate(path), dotted(path), message)


def validation_problems(
    params: SourcedParams, error: ValidationError, root: type[BaseModel], derived: Collection[str]
) -> list[ParamsProblem]:
    """Every error of validating `params` into `root`; `derived` are root fields no file sets."""
    return [_problem(params, detail, root, derived) for detail in error.errors()]


def shown(value: Any) -> str:
    """A value as a message quotes it: short, and containers by their kind."""
    if value is None:
        return "an empty value"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _problem(
    params: SourcedParams, detail: ErrorDetails, root: type[BaseModel], derived: Collection[str]
) -> ParamsProblem:
    path = tuple(detail["loc"])
    if path[-1:] == ("[key]",) and detail["type"] != "extra_forbidden":
        path = path[:-1]  # pydantic marks a mapping key that failed its check; a key may itself be "[key]"
    return problem_at(params, path, _message(path, detail, root, derived))


def _message(path: KeyPath, detail: ErrorDetails, root: type[BaseModel], derived: Collection[str]) -> str:
    kind, message = detail["type"], detail["msg"]
    if kind == "extra_forbidden":
        return _unknown_key(path, root, derived)
    if kind == "missing":
        return "required key is missing; add it to this environment's file, or to base.yaml for every environment"
    if kind == "value_error":
        return message.removeprefix("Value error, ")
    expected = message.removeprefix("Input should be ").removeprefix("Input ")
    if isinstance(detail.get("input"), bool) and "'" in expected:
        # YAML 1.1 reads ON/OFF, yes/no and true/false unquoted as booleans.
        expected += "; quote the word (for example 'ON') so YAML keeps it as text"
    return f"got {shown(detail.get('input'))}; expected {expected}"


def _unknown_key(path: KeyPath, root: type[BaseModel], derived: Collection[str]) -> str:
    allowed = sorted(_fields_at(root, path[:-1]))
    if len(path) == 1:  # the fields loading fills in come from the files, not from keys
        allowed = [name for name in allowed if name not in derived]
    close = difflib.get_close_matches(str(path[-1]), allowed, n=1)
    hint = f" (did you mean '{close[0]}'?)" if close else ""
    return f"unknown key{hint}; allowed keys here: {', '.join(allowed)}"


def _fields_at(model: type[BaseModel], path: KeyPath) -> list[str]:
    """The field names of the model found by walking `path` down from `model`."""
    annotation: Any = model
    for part in path:
        annotation = _unwrap(annotation)
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            annotation = annotation.model_fields[str(part)].annotation
        elif typing.get_origin(annotation) in (dict, list):
            annotation = typing.get_args(annotation)[-1]
    annotation = _unwrap(annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return list(annotation.model_fields)
    return []


def _unwrap(annotation: Any) -> Any:
    """`X | None` and `Annotated[X, ...]` as X."""
    while True:
        origin = typing.get_origin(annotation)
        if origin is Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (typing.Union, types.UnionType):
            annotation = next(arg for arg in typing.get_args(annotation) if arg is not type(None))
        else:
            return annotation
