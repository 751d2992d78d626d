"""A params file before YAML builds anything from it: readable UTF-8 text of bounded size, no tags, and
aliases that cannot multiply it.

Params files come from pull requests, which CI generates and lints: a file must not be able to hang
the tool, exhaust its memory or crash it. Each refusal names the file and line and says how to fix it
(docs/checks.md lists these bounds).
"""

from __future__ import annotations

import codecs
from pathlib import Path

import yaml

from stackyard.errors import Location, ParamsError, ParamsProblem

# The largest params file in the repository is ~7 KB; real ones stay far below these.
MAX_FILE_BYTES = 1024 * 1024
# Values (scalars, lists and mappings) of one file, counting each alias as if its value were written out
# again: the bound that keeps nested aliases ("billion laughs") from multiplying a small file.
MAX_VALUES = 10_000
MAX_DEPTH = 32  # lists and mappings inside each other; real params nest 8 deep at most

# libyaml's parser where PyYAML was built with it: the same events, nodes and marks, ten times faster.
SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_WIDE_BOMS = {
    codecs.BOM_UTF32_LE: "UTF-32",
    codecs.BOM_UTF32_BE: "UTF-32",
    codecs.BOM_UTF16_LE: "UTF-16",
    codecs.BOM_UTF16_BE: "UTF-16",
}
_SAVE_AS_UTF8 = "Fix: save it as UTF-8 text"


def read_params_text(path: Path) -> str:
    """The file's text, or ParamsError: not a regular file, too large, not UTF-8, or holding a NUL."""
    if path.exists() and not path.is_file():
        raise _refused(path, 0, f"not a regular file; expected a YAML file. Fix: replace {path} with one")
    try:
        with path.open("rb") as file:
            data = file.read(MAX_FILE_BYTES + 1)
    except OSError as error:
        raise _refused(path, 0, f"cannot read: {error.strerror}") from error
    if len(data) > MAX_FILE_BYTES:
        raise _refused(
            path, 0, f"larger than {MAX_FILE_BYTES:,} bytes, which no params file needs. Fix: is this the right file?"
        )
    for bom, encoding in _WIDE_BOMS.items():  # UTF-32's marks start like UTF-16's: longest first
        if data.startswith(bom):
            raise _refused(path, 1, f"the file is {encoding} text; params files are UTF-8. {_SAVE_AS_UTF8}")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line, bad = _line_of(data, error.start), data[error.start : error.start + 1].hex()
        raise _refused(path, line, f"byte 0x{bad} is not UTF-8; params files are UTF-8 text. {_SAVE_AS_UTF8}") from None
    if "\x00" in text:
        raise _refused(
            path,
            text.count("\n", 0, text.index("\x00")) + 1,
            f"a NUL byte: this is a binary file, or text saved as UTF-16 or UTF-32. {_SAVE_AS_UTF8}",
        )
    return text


def check_yaml_events(text: str, path: Path) -> None:
    """Walk the file's YAML events once: ParamsError at the first syntax error, tag, too deep nesting,
    self-containing alias, or value past MAX_VALUES. Nothing is built, so this costs the file's length."""
    sizes: dict[str, int] = {}  # anchor -> the values it stands for, once its value is complete
    open_values: list[tuple[str | None, int]] = []  # the lists and mappings being read: (anchor, values so far)
    total = 0
    try:
        for event in yaml.parse(text, Loader=SAFE_LOADER):
            if isinstance(event, yaml.NodeEvent):
                line = event.start_mark.line + 1 if event.start_mark else 0
                values = _values_of(event, sizes, open_values, path, line)
                if isinstance(event, yaml.CollectionStartEvent):
                    open_values.append((event.anchor, values))
                    if len(open_values) > MAX_DEPTH:
                        raise _refused(
                            path,
                            line,
                            f"lists and mappings nested more than {MAX_DEPTH} deep; params nest a few levels. "
                            f"Fix: close the brackets or indentation you opened",
                        )
                else:
                    _count_in(open_values, values)
                total += values
                if total > MAX_VALUES:
                    raise _refused(path, line, _too_many_values(event))
            elif isinstance(event, yaml.CollectionEndEvent):
                anchor, values = open_values.pop()
                if anchor is not None:
                    sizes[anchor] = values
                _count_in(open_values, values)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        message = f"YAML syntax error: {error.problem or error.context}. Fix the YAML at this line"
        raise _refused(path, mark.line + 1 if mark else 0, message) from None
    except yaml.reader.ReaderError as error:
        line = text.count("\n", 0, error.position) + 1
        message = (
            f"character U+{error.character:04X} is a control character, which YAML does not allow. Fix: remove it"
            if isinstance(error.character, int)
            else f"unreadable text: {error.reason}. {_SAVE_AS_UTF8}"
        )
        raise _refused(path, line, message) from None


def _values_of(
    event: yaml.NodeEvent, sizes: dict[str, int], open_values: list[tuple[str | None, int]], path: Path, line: int
) -> int:
    """How many values `event` stands for: 1 for a value written here, the anchored value's for an alias."""
    tag = getattr(event, "tag", None)
    if tag is not None:
        shown_tag = tag.replace("tag:yaml.org,2002:", "!!")
        raise _refused(
            path,
            line,
            f"YAML tag {shown_tag}: params are plain values, and tags are refused (CloudFormation's !Ref and "
            f"!Sub are written by the templates, never in params). Fix: remove the tag; quote the value to "
            f"keep it as text",
        )
    if not isinstance(event, yaml.AliasEvent):
        return 1
    if any(anchor == event.anchor for anchor, _ in open_values):
        raise _refused(
            path,
            line,
            f"alias *{event.anchor} refers to the list or mapping it is inside, which would never end. "
            f"Fix: alias a value that is complete before this line",
        )
    return sizes.get(event.anchor or "", 1)  # an undefined alias: composing the file reports it


def _count_in(open_values: list[tuple[str | None, int]], values: int) -> None:
    if open_values:
        anchor, so_far = open_values[-1]
        open_values[-1] = (anchor, so_far + values)


def _too_many_values(event: yaml.NodeEvent) -> str:
    if isinstance(event, yaml.AliasEvent):
        return (
            f"alias *{event.anchor} takes the file past {MAX_VALUES:,} values, counting every alias as its "
            f"value written out again (aliases of aliases multiply: a 'billion laughs' file). Fix: alias "
            f"only small values, or write the values out"
        )
    return f"more than {MAX_VALUES:,} values in one file, which no params file needs. Fix: is this the right file?"


def _line_of(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def _refused(path: Path, line: int, message: str) -> ParamsError:
    return ParamsError([ParamsProblem(Location(path, line) if line else None, "", _with_path(path, line, message))])


def _with_path(path: Path, line: int, message: str) -> str:
    # Without a line the problem has no location to print, so the message names the file itself.
    return message if line else f"{path}: {message}"
