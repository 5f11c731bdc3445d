"""A validated knowledge base, kept as JSON so later runs skip YAML parsing and validation.

The snapshot is plain JSON data in the user's cache directory, named by a hash of the
knowledge files and of the schema's source, so any edit to either makes a new one. It is
rebuilt into the schema's models without re-validating (it was validated when written);
conditions are re-parsed from their JSON, as from YAML. Nothing in it is ever run as code.
A snapshot that cannot be read or written is simply not used.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import tempfile
import types
import typing
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from advisor import schema
from advisor.conditions import parse_condition

_SCHEMA_SOURCE = Path(schema.__file__)


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "fwadvise"


def key(texts: dict[str, str]) -> str | None:
    if os.environ.get("FWADVISE_NO_SNAPSHOT"):
        return None
    digest = hashlib.sha256(_SCHEMA_SOURCE.read_bytes())
    for name in sorted(texts):
        digest.update(name.encode() + b"\0" + texts[name].encode() + b"\0")
    return digest.hexdigest()[:32]


def read(key: str) -> dict[str, BaseModel] | None:
    try:
        data = json.loads((cache_dir() / f"kb-{key}.json").read_text(encoding="utf-8"))
        return {name: build(model, data[name]) for name, model in schema.KB_FILES.items()}
    except (OSError, ValueError, KeyError, TypeError):
        return None


def write(key: str, parts: dict[str, BaseModel]) -> None:
    data = {name: _dump(part) for name, part in parts.items()}
    try:
        directory = cache_dir()
        directory.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=".kb-", suffix=".json")
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(data, out)
        os.replace(tmp, directory / f"kb-{key}.json")
    except OSError:
        pass  # a read-only home: every run validates, which is only slower


def _dump(value: Any) -> Any:
    """Like model_dump(mode="json"), but conditions go back to their YAML form."""
    if isinstance(value, BaseModel):
        return {name: _dump(getattr(value, name)) for name in type(value).model_fields}
    if isinstance(value, list | tuple):
        return [_dump(v) for v in value]
    if isinstance(value, dict):
        return {k: _dump(v) for k, v in value.items()}
    if isinstance(value, dt.date):
        return value.isoformat()
    if hasattr(value, "to_data"):
        return value.to_data()
    return value


def build(model: type[BaseModel], data: dict[str, Any]) -> BaseModel:
    """Rebuild a model from its JSON without validating it again."""
    values = {}
    for name, info in model.model_fields.items():
        if name in data:
            values[name] = _value(info.annotation, info.metadata, data[name])
    return model.model_construct(**values)


def _value(annotation: Any, metadata: list[Any], raw: Any) -> Any:
    if raw is None:
        return None
    if any(getattr(m, "func", None) is schema._to_condition for m in metadata):
        return parse_condition(raw)
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Annotated:
        return _value(args[0], [*metadata, *args[1:]], raw)
    if origin in (typing.Union, types.UnionType):
        inner = [a for a in args if a is not type(None)]
        return _value(inner[0], metadata, raw) if len(inner) == 1 else raw
    if origin is list:
        return [_value(args[0], [], item) for item in raw]
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return build(annotation, raw)
    if annotation is dt.date:
        return dt.date.fromisoformat(raw)
    return raw
