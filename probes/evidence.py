"""The evidence file: validation on load (pydantic 2), atomic writes.

    evidence = load_evidence("laptop.json")      # -> Evidence, or raises EvidenceError
    write_evidence(document, "out.json")         # validated, then temp file + os.replace

The format is DESIGN.md's; extra keys are kept (samples_s, first_call_s, comparisons, ...).
A failed or skipped row carries `error` and no timing; a measured row has a positive median.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from fwadvise.advisor.files import UserError, printable, read_text, shorten, write_atomic

SCHEMA_VERSION = 1


class EvidenceError(ValueError):
    """An evidence file that cannot be used; the message names the file and what is wrong."""

    def __init__(self, path: str | Path, message: str) -> None:
        self.path = printable(str(path))
        super().__init__(f"{self.path}: {shorten(printable(message))}")


MAX_ROWS = 2000  # a full suite on several devices has about 100; bounds every comparison
MAX_DEPTH = 16  # the format nests 5 levels; more is not an evidence file
MAX_SECONDS = 1e6  # no workload takes 11 days; keeps every ratio finite


def _number(*, gt: float | None = None, ge: float | None = None, le: float | None = None) -> Any:
    """An optional float within limits; finite (JSON's 1e999 is infinity) as every float here."""
    return Field(default=None, gt=gt, ge=ge, le=le)


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow", allow_inf_nan=False)


class Row(_Open):
    workload: str = Field(min_length=1, max_length=100)
    framework: Literal["pytorch", "tensorflow"]
    device: str = Field(min_length=1, max_length=100)
    mode: str = Field(min_length=1, max_length=100)
    params: dict[str, Any] = Field(default_factory=dict)
    median_s: float | None = _number(gt=0, le=MAX_SECONDS)
    iqr_s: float | None = _number(ge=0, le=MAX_SECONDS)
    p90_s: float | None = _number(gt=0, le=MAX_SECONDS)
    first_call_s: float | None = _number(ge=0, le=MAX_SECONDS)
    repeats: int | None = Field(default=None, ge=1, le=10**9)
    number: int | None = Field(default=None, ge=1, le=10**12)
    throughput: float | None = _number(ge=0)
    unit: str | None = None
    peak_memory_mb: float | None = _number(ge=0)
    peak_rss_mb: float | None = _number(ge=0)
    size_bytes: float | None = _number(ge=0)
    samples_s: list[float] | None = Field(default=None, max_length=100_000)
    # paired rows (probes/runner.py): one estimate per turn, per worker process
    turns_s: list[float] | None = Field(default=None, max_length=100_000)
    process_turns_s: list[list[float]] | None = Field(default=None, max_length=1000)
    # read as numbers by the comparisons, the advice and the table (a string here was a crash)
    other_load_cores: float | None = _number(ge=0)
    memory_growth_mb: float | None = _number(ge=0)
    scaling_efficiency: float | None = _number(ge=0, le=1e6)
    efficiency_ci: list[float] | None = Field(default=None, min_length=2, max_length=2)
    reliable: bool | None = None
    skipped: bool | None = None
    runtime: str | None = None
    error: str | None = None

    @model_validator(mode="after")
    def _timing_or_error(self) -> Row:
        if self.error is not None:
            if self.median_s is not None:
                raise ValueError("a failed row (with `error`) must not carry a timing (median_s)")
        elif self.median_s is None or self.repeats is None:
            raise ValueError("a row without `error` needs median_s and repeats")
        turns = [t for process in self.process_turns_s or [] for t in process]
        for name, values in (
            ("samples_s", self.samples_s),
            ("turns_s", self.turns_s),
            ("process_turns_s", turns),
        ):
            if values and not all(0 < s <= MAX_SECONDS for s in values):
                raise ValueError(
                    f"{name} must be times in seconds, over 0 and up to {MAX_SECONDS:g}"
                )
        return self

    @property
    def failed(self) -> bool:
        return self.error is not None


class Devices(_Open):
    gpus: list[Any] = Field(default_factory=list, max_length=256)
    rocm: bool | None = None


class FrameworkInfo(_Open):
    available: bool | None  # None: not known (the run was interrupted before it)
    version: str | None = None
    reason: str | None = None
    device: str | None = None
    devices: Devices | None = None


_VERSION = r"^[0-9]{1,6}(\.[0-9A-Za-z]{1,12}){0,4}$"


class Gpu(_Open):
    name: str | None = None
    vendor: str | None = None
    driver: str | None = Field(default=None, pattern=_VERSION)  # e.g. 550.54.15
    cuda_driver: str | None = Field(default=None, pattern=_VERSION)  # e.g. 12.4


class Cpu(_Open):
    model: str | None = None
    usable_cores: int | None = Field(default=None, ge=1, le=1_000_000)


class OsInfo(_Open):
    system: str | None = None


class Hardware(_Open):
    cpu: Cpu | None = None
    gpus: list[Gpu] = Field(default_factory=list, max_length=256)
    os: OsInfo | None = None
    apple_silicon: bool | None = None
    memory_gb: float | None = _number(ge=0)


class Evidence(_Open):
    schema_version: Literal[1]
    created: dt.datetime
    hardware: Hardware
    frameworks: dict[Literal["pytorch", "tensorflow"], FrameworkInfo]
    results: list[Row] = Field(max_length=MAX_ROWS)
    calibration: list[Row] = Field(default_factory=list, max_length=MAX_ROWS)  # noise floor
    label: str | None = Field(default=None, max_length=200)
    interrupted: bool = False
    suite: str | None = Field(default=None, max_length=40)
    fingerprint: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_.-]{1,80}$")  # a file name
    threads: int | None = Field(default=None, ge=1, le=1_000_000)
    duration_s: float | None = _number(ge=0)
    notes: list[str] = Field(default_factory=list, max_length=1000)

    def age_s(self, now: dt.datetime | None = None) -> float:
        """Seconds since it was measured; negative when dated in the future (not fresh)."""
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
    if not isinstance(document, dict):
        raise EvidenceError(path, "not an evidence document (expected a JSON object)")
    try:
        return Evidence.model_validate(document)
    except ValidationError as exc:
        raise EvidenceError(path, describe_validation(exc)) from None


def load_evidence(path: str | Path) -> Evidence:
    """Read (a regular file, at most MAX_BYTES) and validate an evidence file; EvidenceError
    (a ValueError) says what is wrong. Strings come back printable (no terminal escapes)."""
    try:
        text = read_text(path, what="evidence file")
    except UserError as exc:
        raise EvidenceError(path, str(exc).removeprefix(f"{path}: ")) from None
    return parse_evidence(decode(text, path), path)


def decode(text: str, path: str | Path = "<evidence>") -> dict[str, Any]:
    """JSON -> a plain, bounded document: finite numbers, at most MAX_DEPTH levels, printable."""
    try:
        document = json.loads(text, parse_constant=_no_constant, parse_float=_finite)
    except json.JSONDecodeError as exc:
        raise EvidenceError(
            path, f"not JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}"
        ) from None
    except ValueError as exc:
        raise EvidenceError(path, str(exc)) from None
    except RecursionError:
        raise EvidenceError(path, f"nested more than {MAX_DEPTH} levels deep") from None
    if not isinstance(document, dict):
        raise EvidenceError(path, "not an evidence document (expected a JSON object)")
    if document.get("schema_version") not in (None, SCHEMA_VERSION):
        version = shorten(repr(document["schema_version"]))
        raise EvidenceError(path, f"schema_version {version} unknown (reads {SCHEMA_VERSION})")
    cleaned = _clean(document, 0, path)
    assert isinstance(cleaned, dict)
    return cleaned


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number JSON allows; give a finite number or null")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{shorten(text)} is out of range; give a finite number")
    return value


def _clean(value: Any, depth: int, path: str | Path) -> Any:
    if depth > MAX_DEPTH:
        raise EvidenceError(path, f"nested more than {MAX_DEPTH} levels deep")
    if isinstance(value, str):
        return printable(value)
    if isinstance(value, dict):
        return {printable(k): _clean(v, depth + 1, path) for k, v in value.items()}
    if isinstance(value, list):
        return [_clean(v, depth + 1, path) for v in value]
    return value


def write_evidence(document: dict[str, Any], path: str | Path) -> Path:
    """Validate, then write atomically: a reader sees the old file or the new, never half."""
    path = Path(path)
    parse_evidence(document, path)
    text = json.dumps(document, indent=1, allow_nan=False, default=str) + "\n"
    return write_atomic(path, text)


def is_evidence(head: bytes) -> bool:
    """Whether a file's first bytes are an evidence file's (so -o may replace it)."""
    return head.lstrip().startswith(b"{") and b'"schema_version"' in head
