"""Safe YAML loading that remembers where every value came from (file:line), for error messages.

Only the safe loader is used: a `!!python/...` tag is refused, never constructed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from fwadvise.advisor.errors import UserError

MAX_BYTES = 2 * 1024 * 1024  # no legitimate answers file or KB file comes near this

Path_ = tuple[str | int, ...]


@dataclass
class YamlDoc:
    """A loaded YAML document and the line of every mapping key and list item in it."""

    name: str
    data: Any
    lines: dict[Path_, int] = field(default_factory=dict)

    def line(self, path: Path_) -> int | None:
        """The line of `path`, or of its nearest ancestor that has one."""
        for cut in range(len(path), -1, -1):
            found = self.lines.get(tuple(path[:cut]))
            if found is not None:
                return found
        return None

    def where(self, path: Path_ = ()) -> str:
        line = self.line(path)
        return f"{self.name}:{line}" if line else self.name


def read_text(path: Path, *, what: str = "file") -> str:
    """Read a UTF-8 text file with a size limit; every failure is a UserError naming the file."""
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise UserError(f"{what} not found", where=str(path)) from None
    except OSError as exc:
        raise UserError(f"cannot read {what}: {exc.strerror}", where=str(path)) from None
    if path.is_dir():
        raise UserError(f"expected a {what}, found a directory", where=str(path))
    if size > MAX_BYTES:
        raise UserError(f"{what} is {size} bytes; the limit is {MAX_BYTES}", where=str(path))
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise UserError(f"cannot read {what}: {exc.strerror}", where=str(path)) from None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise UserError(
            f"not valid UTF-8 (byte {exc.start}); save the file as UTF-8", where=f"{path}:{line}"
        ) from None


def load_file(path: Path, *, what: str = "YAML file", name: str | None = None) -> YamlDoc:
    return parse(read_text(path, what=what), name or str(path))


def parse(text: str, name: str) -> YamlDoc:
    """Parse one YAML document; errors name the file and line."""
    if len(text.encode("utf-8", "surrogatepass")) > MAX_BYTES:
        raise UserError(f"document is larger than {MAX_BYTES} bytes", where=name)
    loader = _safe_loader()(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return YamlDoc(name, None)
        data = loader.construct_document(node)
    except yaml.constructor.ConstructorError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"{name}:{mark.line + 1}" if mark else name
        problem = exc.problem or "cannot construct this value"
        if "python/" in problem or "tag" in problem:
            problem = f"{problem}; only plain YAML (mappings, lists, strings, numbers) is allowed"
        raise UserError(problem, where=where) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{name}:{mark.line + 1}" if mark else name
        problem = getattr(exc, "problem", None) or str(exc)
        raise UserError(f"malformed YAML: {problem}", where=where) from None
    except RecursionError:
        raise UserError("YAML nesting is too deep", where=name) from None
    finally:
        loader.dispose()
    doc = YamlDoc(name, data)
    _record_lines(node, (), doc.lines, name)
    return doc


def _safe_loader() -> type:
    """libyaml's safe loader (several times faster), else PyYAML's own; imported on first use."""
    try:
        from yaml import CSafeLoader

        return CSafeLoader
    except ImportError:  # pragma: no cover - depends on how PyYAML was built
        return yaml.SafeLoader


def _record_lines(node: yaml.Node, path: Path_, lines: dict[Path_, int], name: str) -> None:
    """Walk the node tree beside the data; also refuse duplicate keys, which YAML would drop."""
    lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                continue
            child = (*path, key_node.value)
            line = key_node.start_mark.line + 1
            if child in lines and child != path:
                raise UserError(
                    f"duplicate key {key_node.value!r} (first on line {lines[child]})",
                    where=f"{name}:{line}",
                )
            lines[child] = line
            _record_lines(value_node, child, lines, name)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _record_lines(item, (*path, index), lines, name)
