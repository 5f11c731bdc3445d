"""A validated knowledge base, kept as JSON so later runs skip YAML parsing and validation.

The snapshot is plain JSON data in the user's cache directory, named by a hash of the
knowledge files and of the schema's source, so any edit to either makes a new one. It is
rebuilt into the schema's models without re-validating (it was validated when written);
conditions are re-parsed from their JSON, as from YAML. Nothing in it is ever run as code.
A snapshot that cannot be read or written is simply not used.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
import types
import typing
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from fwadvise.advisor.errors import UserError
from fwadvise.advisor.files import cache_dir, read_bytes, write_atomic
from fwadvise.advisor.kb import schema
from fwadvise.advisor.kb.conditions import parse_condition

_SCHEMA_SOURCE = Path(schema.__file__)
MAX_SNAPSHOT = 64 * 1024 * 1024  # the knowledge base's own files are limited to 2 MiB each


def key(texts: dict[str, str]) -> str | None:
    if os.environ.get("FWADVISE_NO_SNAPSHOT"):
        return None
    digest = hashlib.sha256(_SCHEMA_SOURCE.read_bytes())
    for name in sorted(texts):
        digest.update(name.encode() + b"\0" + texts[name].encode() + b"\0")
    return digest.hexdigest()[:32]


def read(key: str) -> dict[str, BaseModel] | None:
    data = read_json(f"kb-{key}")
    if not isinstance(data, dict):
        return None
    try:
        return {name: build(model, data[name]) for name, model in schema.KB_FILES.items()}
    except (ValueError, KeyError, TypeError, AttributeError, UserError):
        return None  # written by another version: rebuilt from the YAML


def write(key: str, parts: dict[str, BaseModel]) -> None:
    write_json(f"kb-{key}", {name: _dump(part) for name, part in parts.items()})


def read_json(name: str) -> Any:
    """Another validated file kept the same way, as plain JSON data (knowledge/install.yaml):
    `name` carries its key; None where there is none, it cannot be read, or its checksum
    does not match (a flipped byte on disk: the caller rebuilds it from the YAML)."""
    try:
        raw = read_bytes(cache_dir() / f"{name}.json", what="snapshot", limit=MAX_SNAPSHOT)
    except UserError:
        return None
    digest, _, body = raw.partition(b"\n")
    if digest != _digest(body):
        return None
    try:
        return json.loads(body)
    except (ValueError, RecursionError):
        return None


def write_json(name: str, data: Any) -> None:
    """Through the one safe writer: a full disk or an interruption leaves no temporary file."""
    body = json.dumps(data).encode()
    # a read-only home or a full disk: every run validates, which is only slower
    with contextlib.suppress(UserError):
        write_atomic(cache_dir() / f"{name}.json", (_digest(body) + b"\n" + body).decode())


def _digest(body: bytes) -> bytes:
    return b"sha256:" + hashlib.sha256(body).hexdigest().encode()


def _dump(value: Any) -> Any:
    """Like model_dump(mode="json"), but conditions go back to their YAML form."""
    if hasattr(value, "to_data"):  # a condition (a tuple too, so before the tuple case)
        return value.to_data()
    if isinstance(value, BaseModel):
        return {name: _dump(getattr(value, name)) for name in type(value).model_fields}
    if isinstance(value, list | tuple):
        return [_dump(v) for v in value]
    if isinstance(value, dict):
        return {k: _dump(v) for k, v in value.items()}
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def build(model: type[BaseModel], data: dict[str, Any]) -> BaseModel:
    """Rebuild a model from its JSON without validating it again."""
    values = {name: convert(data[name]) for name, convert in _plan(model) if name in data}
    return model.model_construct(**values)


Convert = Callable[[Any], Any]


@cache
def _plan(model: type[BaseModel]) -> tuple[tuple[str, Convert], ...]:
    """How to rebuild each field of a model: worked out once per model, not once per value."""
    return tuple(
        (name, _converter(info.annotation, list(info.metadata)))
        for name, info in model.model_fields.items()
    )


def _converter(annotation: Any, metadata: list[Any]) -> Convert:
    if any(getattr(m, "func", None) is schema._to_condition for m in metadata):
        return _optional(parse_condition)
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Annotated:
        return _converter(args[0], [*metadata, *args[1:]])
    if origin in (typing.Union, types.UnionType):
        inner = [a for a in args if a is not type(None)]
        return _optional(_converter(inner[0], metadata)) if len(inner) == 1 else _same
    if origin is list:
        item = _converter(args[0], [])
        return lambda raw: [item(v) for v in raw]
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return _optional(lambda raw: build(annotation, raw))
    if annotation is dt.date:
        return _optional(dt.date.fromisoformat)
    return _same


def _same(raw: Any) -> Any:
    return raw


def _optional(convert: Convert) -> Convert:
    return lambda raw: None if raw is None else convert(raw)
