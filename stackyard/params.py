"""Reading params: YAML files that remember where every key was written.

`params/base.yaml` holds the defaults; `params/<env>.yaml` is deep-merged over it (mappings
merge key by key; lists and scalars replace). Each value keeps the file and line it came
from, so validation errors can point at the exact place to edit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from stackyard.errors import BadInputError, Location, ParamsError, ParamsProblem

BASE_FILE = "base.yaml"
ENV_NAME = re.compile(r"^[a-z][a-z0-9]{0,9}$")

KeyPath = tuple[str | int, ...]

# libyaml's parser where PyYAML was built with it: the same nodes and marks, ten times faster.
SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True)
class SourcedParams:
    """A params mapping plus the location of every key path in it."""

    data: dict[str, Any]
    locations: dict[KeyPath, Location]

    def locate(self, path: KeyPath) -> Location | None:
        """The location of `path`, or of its nearest written ancestor."""
        for end in range(len(path), 0, -1):
            if path[:end] in self.locations:
                return self.locations[path[:end]]
        return self.locations.get((), None)


def environment_names(params_dir: Path) -> list[str]:
    """The environments a params folder defines: every `<env>.yaml` beside `base.yaml`."""
    if not (params_dir / BASE_FILE).is_file():
        raise BadInputError(
            f"{params_dir / BASE_FILE}: not found; a params folder needs base.yaml "
            f"(the defaults) and one <env>.yaml per environment; pass --params DIR to use another folder"
        )
    return sorted(path.stem for path in params_dir.glob("*.yaml") if path.name != BASE_FILE)


def load_environment(params_dir: Path, env: str) -> SourcedParams:
    """base.yaml deep-merged with <env>.yaml, or ParamsError naming what is wrong."""
    known = environment_names(params_dir)
    env_file = params_dir / f"{env}.yaml"
    if env not in known:
        raise ParamsError(
            [
                ParamsProblem(
                    None,
                    "",
                    f"{env_file}: unknown environment '{env}'; known environments: {', '.join(known) or 'none'}. "
                    f"Fix: pick one of those, or create {env_file}",
                )
            ]
        )
    if not ENV_NAME.match(env):
        raise ParamsError(
            [
                ParamsProblem(
                    None,
                    "",
                    f"{env_file}: environment name '{env}' must be 1-10 lowercase letters or digits, starting "
                    f"with a letter (it goes into stack, bucket and export names). Fix: rename the file",
                )
            ]
        )
    base = load_yaml_file(params_dir / BASE_FILE)
    override = load_yaml_file(env_file)
    return merge(base, override)


def load_yaml_file(path: Path) -> SourcedParams:
    """One YAML file as a mapping with locations; a syntax error or duplicate key is a ParamsError."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise ParamsError([ParamsProblem(None, "", f"{path}: cannot read: {error.strerror}")]) from error
    try:
        root = yaml.compose(text, Loader=SAFE_LOADER)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark else 0
        raise ParamsError(
            [
                ParamsProblem(
                    Location(path, line),
                    "",
                    f"YAML syntax error: {error.problem or error.context}. Fix the YAML at this line",
                )
            ]
        ) from error
    reader = _NodeReader(path)
    if root is None:
        return SourcedParams({}, {(): Location(path, 1)})
    if not isinstance(root, yaml.MappingNode):
        raise ParamsError(
            [
                ParamsProblem(
                    Location(path, root.start_mark.line + 1),
                    "",
                    "the file must be a mapping of keys to values (key: value), not a list or a single value",
                )
            ]
        )
    data = reader.read(root, ())
    reader.locations[()] = Location(path, 1)
    if reader.problems:
        raise ParamsError(reader.problems)
    return SourcedParams(data, reader.locations)


def merge(base: SourcedParams, override: SourcedParams) -> SourcedParams:
    """`override` deep-merged over `base`; each key keeps the location of the value that won."""
    locations = dict(base.locations)
    data = _merge_into(base.data, override.data, (), locations, override.locations)
    locations[()] = override.locations.get((), base.locations.get(()))
    return SourcedParams(data, locations)


def _merge_into(base: dict, override: dict, at: KeyPath, locations: dict, new_locations: dict) -> dict:
    merged = dict(base)
    for key, value in override.items():
        path = (*at, key)
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            locations[path] = new_locations[path]
            merged[key] = _merge_into(merged[key], value, path, locations, new_locations)
            continue
        for stale in [p for p in locations if p[: len(path)] == path]:
            del locations[stale]
        locations.update({p: loc for p, loc in new_locations.items() if p[: len(path)] == path})
        merged[key] = value
    return merged


class _NodeReader:
    """Turns a composed YAML node tree into plain data, recording where each key sits."""

    def __init__(self, path: Path):
        self.path = path
        self.constructor = yaml.constructor.SafeConstructor()
        self.locations: dict[KeyPath, Location] = {}
        self.problems: list[ParamsProblem] = []

    def read(self, node: yaml.Node, at: KeyPath) -> Any:
        if isinstance(node, yaml.MappingNode):
            return self._read_mapping(node, at)
        if isinstance(node, yaml.SequenceNode):
            items = []
            for index, item in enumerate(node.value):
                self.locations[(*at, index)] = self._where(item)
                items.append(self.read(item, (*at, index)))
            return items
        return self.constructor.construct_object(node, deep=True)

    def _read_mapping(self, node: yaml.MappingNode, at: KeyPath) -> dict:
        self._check_duplicates(node, at)
        self.constructor.flatten_mapping(node)  # resolves `<<: *anchor` merge keys
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key = self.constructor.construct_object(key_node, deep=True)
            if not isinstance(key, str):
                self.problems.append(
                    ParamsProblem(
                        self._where(key_node),
                        dotted(at),
                        f'key {key!r} is not a string; quote it ("{key}") or rename it',
                    )
                )
                continue
            self.locations[(*at, key)] = self._where(key_node)
            result[key] = self.read(value_node, (*at, key))
        return result

    def _check_duplicates(self, node: yaml.MappingNode, at: KeyPath) -> None:
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = key_node.value
            line = key_node.start_mark.line + 1
            if key in seen:
                self.problems.append(
                    ParamsProblem(
                        Location(self.path, line),
                        dotted((*at, key)),
                        f"duplicate key (first written at line {seen[key]}); YAML would silently keep "
                        f"only the last one. Fix: remove one of them",
                    )
                )
            seen.setdefault(key, line)

    def _where(self, node: yaml.Node) -> Location:
        return Location(self.path, node.start_mark.line + 1)


def dotted(path: KeyPath) -> str:
    """A key path as people write it: storage.buckets.exports.days, subnets[0]."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text
