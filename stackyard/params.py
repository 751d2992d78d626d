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
from stackyard.params_text import SAFE_LOADER, check_yaml_events, read_params_text

BASE_FILE = "base.yaml"
ENV_NAME = re.compile(r"^[a-z][a-z0-9]{0,9}$")
# CloudFormation numbers are 64-bit at most; a longer one is a typo or an attempt to make printing it fail.
MAX_INTEGER_BITS = 63

KeyPath = tuple[str | int, ...]


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


def default_environment(params_dir: Path) -> str | None:
    """The environment base.yaml names as the system's default (`default_environment`), if any; validating
    it is the config's (stackyard/config/environment.py)."""
    if not (params_dir / BASE_FILE).is_file():
        return None  # the run's own check names the missing file
    value = load_yaml_file(params_dir / BASE_FILE).data.get("default_environment")
    return value if isinstance(value, str) and value else None


def load_environment(params_dir: Path, env: str) -> SourcedParams:
    """base.yaml deep-merged with <env>.yaml, or ParamsError naming what is wrong."""
    known = environment_names(params_dir)
    env_file = params_dir / f"{env}.yaml"
    known_text = f"known environments: {', '.join(known) or 'none'}"
    if not ENV_NAME.match(env):
        # Only a valid name may suggest a file to create: '../x' or '/etc/passwd' would point outside params/.
        fix = "rename the file" if env in known else "pick one of those"
        message = (
            f"environment name {env!r} must be 1-10 lowercase letters or digits, starting with a letter "
            f"(it goes into stack, bucket and export names); {known_text}. Fix: {fix}"
        )
        raise ParamsError([ParamsProblem(None, "", f"{env_file}: {message}" if env in known else message)])
    if env not in known:
        raise ParamsError(
            [
                ParamsProblem(
                    None,
                    "",
                    f"{env_file}: unknown environment '{env}'; {known_text}. Fix: pick one of those, or create {env_file}",
                )
            ]
        )
    base = load_yaml_file(params_dir / BASE_FILE)
    override = load_yaml_file(env_file)
    return merge(base, override)


def load_yaml_file(path: Path) -> SourcedParams:
    """One YAML file as a mapping with locations; unreadable text, a syntax error, a tag, an alias that
    multiplies the file (stackyard/params_text.py) or a duplicate key is a ParamsError."""
    text = read_params_text(path)
    check_yaml_events(text, path)
    try:
        root = yaml.compose(text, Loader=SAFE_LOADER)
    except yaml.MarkedYAMLError as error:
        raise ParamsError([_yaml_problem(path, error)]) from error
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
    root = override.locations.get(()) or base.locations.get(())
    if root is not None:
        locations[()] = root
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
        return self._scalar(node, at)

    def _read_mapping(self, node: yaml.MappingNode, at: KeyPath) -> dict:
        self._check_duplicates(node, at)
        try:
            self.constructor.flatten_mapping(node)  # resolves `<<: *anchor` merge keys
        except yaml.MarkedYAMLError as error:  # `<<:` given something other than mappings
            self.problems.append(_yaml_problem(self.path, error, dotted(at)))
            return {}
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key = self._scalar(key_node, at) if isinstance(key_node, yaml.ScalarNode) else None
            if key is _UNREADABLE:
                continue
            if not isinstance(key, str):
                what = (
                    f"key {_short(repr(key))} is not a string; quote it or rename it"
                    if isinstance(key_node, yaml.ScalarNode)
                    else "a list or mapping as a key; expected a name. Fix: write the key as plain text"
                )
                self.problems.append(ParamsProblem(self._where(key_node), dotted(at), what))
                continue
            self.locations[(*at, key)] = self._where(key_node)
            result[key] = self.read(value_node, (*at, key))
        return result

    def _scalar(self, node: yaml.Node, at: KeyPath) -> Any:
        """The value YAML reads from the text, or _UNREADABLE with a problem recorded."""
        try:
            value = self.constructor.construct_object(node, deep=True)
        except ValueError as error:
            if node.tag.endswith(":int"):  # past Python's 4,300-digit limit for int(text)
                value = 1 << (MAX_INTEGER_BITS + 1)
            else:  # such as 2024-13-45, which YAML reads as a date
                self.problems.append(
                    ParamsProblem(
                        self._where(node),
                        dotted(at),
                        f"YAML cannot read {_short(repr(node.value))} as the value it looks like ({error}). "
                        f"Fix: quote it to keep it as text, or correct it",
                    )
                )
                return _UNREADABLE
        if isinstance(value, int) and value.bit_length() > MAX_INTEGER_BITS:
            self.problems.append(
                ParamsProblem(
                    self._where(node),
                    dotted(at),
                    f"a number {len(node.value):,} characters long; expected one that fits in 64 bits, as "
                    f"CloudFormation's numbers do. Fix: correct the number, or quote it if it is text",
                )
            )
            return _UNREADABLE
        return value

    def _check_duplicates(self, node: yaml.MappingNode, at: KeyPath) -> None:
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge" or not isinstance(key_node, yaml.ScalarNode):
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


_UNREADABLE = object()  # a scalar YAML could not read; its problem is recorded


def _yaml_problem(path: Path, error: yaml.MarkedYAMLError, key: str = "") -> ParamsProblem:
    mark = error.problem_mark or error.context_mark
    message = f"YAML syntax error: {error.problem or error.context}. Fix the YAML at this line"
    return ParamsProblem(Location(path, mark.line + 1 if mark else 0), key, message)


def _short(text: str) -> str:
    return text if len(text) <= 60 else text[:57] + "..."


def dotted(path: KeyPath) -> str:
    """A key path as people write it: storage.buckets.exports.days, subnets[0]. A key holding control
    characters or line breaks is quoted with them escaped, so a message stays one line."""
    text = ""
    for part in path:
        key = part if isinstance(part, int) or part.isprintable() else repr(part)
        text += f"[{key}]" if isinstance(key, int) else (f".{key}" if text else key)
    return text
