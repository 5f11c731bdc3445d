"""The evidence file: validation on load (pydantic 2), atomic writes.

    evidence = load_evidence("laptop.json")      # -> Evidence, or raises EvidenceError
    write_evidence(document, "out.json")         # validated, then temp file + os.replace

The format is DESIGN.md's; extra keys are kept (samples_s, first_call_s, comparisons, ...).
A failed or skipped row carries `error` and no timing; a measured row has a positive median.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from fwadvise.advisor.files import write_atomic

SCHEMA_VERSION = 1


class EvidenceError(ValueError):
    """An evidence file that cannot be used; the message names the file and what is wrong."""

    def __init__(self, path: str | Path, message: str) -> None:
        self.path = str(path)
        super().__init__(f"{path}: {message}")


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow")


class Row(_Open):
    workload: str = Field(min_length=1)
    framework: Literal["pytorch", "tensorflow"]
    device: str = Field(min_length=1)
    mode: str = Field(min_length=1)
    params: dict[str, Any] = Field(default_factory=dict)
    median_s: float | None = Field(default=None, gt=0)
    iqr_s: float | None = Field(default=None, ge=0)
    repeats: int | None = Field(default=None, ge=1)
    throughput: float | None = Field(default=None, ge=0)
    unit: str | None = None
    peak_memory_mb: float | None = Field(default=None, ge=0)
    samples_s: list[float] | None = None
    error: str | None = None

    @model_validator(mode="after")
    def _timing_or_error(self) -> Row:
        if self.error is not None:
            if self.median_s is not None:
                raise ValueError("a failed row (with `error`) must not carry a timing (median_s)")
        elif self.median_s is None or self.repeats is None:
            raise ValueError("a row without `error` needs median_s and repeats")
        return self

    @property
    def failed(self) -> bool:
        return self.error is not None


class FrameworkInfo(_Open):
    available: bool | None  # None: not known (the run was interrupted before it)
    version: str | None = None
    reason: str | None = None


class Evidence(_Open):
    schema_version: Literal[1]
    created: dt.datetime
    hardware: dict[str, Any]
    frameworks: dict[Literal["pytorch", "tensorflow"], FrameworkInfo]
    results: list[Row]
    label: str | None = None
    interrupted: bool = False

    def age_s(self, now: dt.datetime | None = None) -> float:
        created = (
            self.created if self.created.tzinfo else self.created.replace(tzinfo=dt.timezone.utc)
        )
        return ((now or dt.datetime.now(dt.timezone.utc)) - created).total_seconds()


def _where(loc: tuple[int | str, ...]) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "top level"


def describe_validation(exc: ValidationError) -> str:
    """The first problem on one line, and how many more there are."""
    errors = exc.errors()
    first = errors[0]
    message = first["msg"].removeprefix("Value error, ")
    more = f" (and {len(errors) - 1} more problem(s))" if len(errors) > 1 else ""
    return f"{_where(first['loc'])}: {message}{more}"


def parse_evidence(document: Any, path: str | Path = "<evidence>") -> Evidence:
    try:
        return Evidence.model_validate(document)
    except ValidationError as exc:
        raise EvidenceError(path, describe_validation(exc)) from None


def load_evidence(path: str | Path) -> Evidence:
    """Read and validate an evidence file; EvidenceError (a ValueError) says what is wrong."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise EvidenceError(path, "no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise EvidenceError(path, f"cannot read: {exc}") from None
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise EvidenceError(
            path, f"not JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}"
        ) from None
    if not isinstance(document, dict):
        raise EvidenceError(path, "not an evidence document (expected a JSON object)")
    if document.get("schema_version") not in (None, SCHEMA_VERSION):
        version = document["schema_version"]
        raise EvidenceError(path, f"schema_version {version!r} unknown (reads {SCHEMA_VERSION})")
    return parse_evidence(document, path)


def write_evidence(document: dict[str, Any], path: str | Path) -> Path:
    """Validate, then write atomically: a reader sees the old file or the new, never half."""
    path = Path(path)
    parse_evidence(document, path)
    text = json.dumps(document, indent=1, allow_nan=False, default=str) + "\n"
    return write_atomic(path, text)
