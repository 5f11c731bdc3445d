"""Safe YAML loading that remembers where every value came from (file:line), for error messages.

Only the safe loader is used: a `!!python/...` tag is refused, never constructed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from fwadvise.advisor.errors import UserError
from fwadvise.advisor.files import MAX_BYTES, read_text

__all__ = ["MAX_BYTES", "YamlDoc", "load_file", "parse", "read_text"]

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
        lines: dict[Path_, int] = {}
        _record_lines(node, (), lines, name, set(), 0)  # before building: refuses aliases
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
    except (ValueError, TypeError, OverflowError, AttributeError) as exc:
        # the safe constructors' own checks: a date such as 2024-13-45, `!!int foo`
        line = _bad_scalar_line(node)
        raise UserError(f"cannot read this value: {_short(exc)}", where=f"{name}:{line}") from None
    except RecursionError:
        raise UserError("YAML nesting is too deep", where=name) from None
    finally:
        loader.dispose()
    return YamlDoc(name, data, lines)


def _bad_scalar_line(root: yaml.Node) -> int:
    """The line of the first scalar the safe constructor refuses (found again, one by one)."""
    stack = [root]
    while stack:
        node = stack.pop()
        if isinstance(node, yaml.ScalarNode):
            try:
                yaml.SafeLoader("").construct_object(node)
            except (ValueError, TypeError, OverflowError, AttributeError, yaml.YAMLError):
                return node.start_mark.line + 1
        elif isinstance(node, yaml.MappingNode):
            stack.extend(n for pair in reversed(node.value) for n in reversed(pair))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(reversed(node.value))
    return root.start_mark.line + 1


def _short(exc: BaseException, limit: int = 200) -> str:
    text = str(exc)
    return text if len(text) <= limit else text[:limit] + "..."


def _safe_loader() -> type:
    """libyaml's safe loader (several times faster), else PyYAML's own; imported on first use."""
    try:
        from yaml import CSafeLoader

        return CSafeLoader
    except ImportError:  # pragma: no cover - depends on how PyYAML was built
        return yaml.SafeLoader


MAX_DEPTH = 64  # far deeper than any answers, project or KB file needs


def _record_lines(
    node: yaml.Node, path: Path_, lines: dict[Path_, int], name: str, seen: set[int], depth: int
) -> None:
    """Walk the node tree beside the data; also refuse duplicate keys, which YAML would drop,
    nesting past MAX_DEPTH, and aliases (a `*name` can nest a value in itself, or expand a
    small file into an exponentially large one)."""
    where = f"{name}:{node.start_mark.line + 1}"
    if depth > MAX_DEPTH:
        raise UserError(f"nested more than {MAX_DEPTH} levels deep", where=where)
    if isinstance(node, yaml.CollectionNode):
        if id(node) in seen:
            raise UserError("aliases (*name) are not allowed; write the value out", where=where)
        seen.add(id(node))
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
            _record_lines(value_node, child, lines, name, seen, depth + 1)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _record_lines(item, (*path, index), lines, name, seen, depth + 1)
