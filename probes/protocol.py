"""The worker protocol: JSON lines in a file the parent names, never stdout.

Frameworks print freely to stdout and stderr (oneDNN banners, XLA logs, deprecation warnings), so
results travel in a file of their own (`--result PATH`), one JSON object per line, flushed as each
is written: the parent shows progress as lines arrive and keeps every finished row, and every
task's turns so far, when a worker later crashes, hangs or is interrupted. Messages, in order:

    {"type": "hello", "framework": ..., "available": true, "info": {...}}   or
    {"type": "hello", "framework": ..., "available": false, "reason": "..."}
    {"type": "start", "workload": ..., "mode": ...}        before each task
    {"type": "row", "row": {...}}                           one evidence row per task
    {"type": "ready", "workload": ..., "mode": ..., "first_call_s": ..., "warm_s": ...}   set up
    {"type": "turn", "workload": ..., "mode": ..., "estimate_s": ..., "calls": ...}   one turn
    {"type": "partial", "row": {...}}                       the task's row so far, after a turn
    {"type": "done"}                                        the worker finished cleanly

The parent drives the worker with commands, one JSON object a line on the worker's stdin (see
COMMANDS): run a task alone, prepare a task for paired turns, take one timed turn, finish a task
into its row, quit. Both workers wait on their stdin between turns, so only one measures at once.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

PROTOCOL = 1
MESSAGE_TYPES = ("hello", "start", "ready", "turn", "partial", "row", "done")
COMMANDS = ("run", "prepare", "turn", "finish", "quit")


class ProtocolError(ValueError):
    """A line from a worker that is not a protocol message."""


class Channel:
    """The worker's end: appends one JSON line per message and flushes it to disk at once."""

    def __init__(self, path: str | Path) -> None:
        self._file: TextIO = open(path, "a", encoding="utf-8")  # noqa: SIM115 - lives as long as the worker

    def send(self, message: dict[str, Any], durable: bool = True) -> None:
        """durable=False skips the fsync: a turn's reply is awaited at once and cheap to lose."""
        self._file.write(json.dumps(message, default=str, allow_nan=False) + "\n")
        self._file.flush()
        if durable:
            os.fsync(self._file.fileno())

    def write_raw(self, text: str) -> None:
        """For fault injection only: bytes that are not a message."""
        self._file.write(text)
        self._file.flush()

    def close(self) -> None:
        self._file.close()


def decode(line: str) -> dict[str, Any]:
    """One message from one line; ProtocolError says what is wrong with it."""
    try:
        message = json.loads(line)
    except json.JSONDecodeError as exc:
        raise ProtocolError(f"not JSON ({exc.msg}): {line[:80]!r}") from None
    if not isinstance(message, dict) or message.get("type") not in MESSAGE_TYPES:
        raise ProtocolError(f"not a protocol message: {line[:80]!r}")
    if message["type"] in ("row", "partial") and not isinstance(message.get("row"), dict):
        raise ProtocolError(f"row message without a row object: {line[:80]!r}")
    return message


@dataclass
class Reader:
    """The parent's end: reads the complete lines added since the last call."""

    path: Path
    _offset: int = 0
    _partial: str = ""
    malformed: list[str] = field(default_factory=list)

    def poll(self) -> list[dict[str, Any]]:
        try:
            with open(self.path, encoding="utf-8", errors="replace") as handle:
                handle.seek(self._offset)
                chunk = handle.read()
                self._offset = handle.tell()
        except FileNotFoundError:
            return []
        lines = (self._partial + chunk).split("\n")
        self._partial = lines.pop()  # the last piece has no newline yet (or is empty)
        messages = []
        for line in lines:
            if not line.strip():
                continue
            try:
                messages.append(decode(line))
            except ProtocolError as exc:
                self.malformed.append(str(exc))
        return messages

    def flush_partial(self) -> list[dict[str, Any]]:
        """At worker exit: a last line without its newline still counts if it is a message."""
        line, self._partial = self._partial, ""
        if not line.strip():
            return []
        try:
            return [decode(line)]
        except ProtocolError as exc:
            self.malformed.append(str(exc))
            return []


def command(line: str) -> dict[str, Any]:
    """One parent command from a line of the worker's stdin; ProtocolError when it is not one."""
    try:
        message = json.loads(line)
    except json.JSONDecodeError as exc:
        raise ProtocolError(f"command not JSON ({exc.msg}): {line[:80]!r}") from None
    if not isinstance(message, dict) or message.get("cmd") not in COMMANDS:
        raise ProtocolError(f"not a command: {line[:80]!r}")
    return message


def encode_command(cmd: str, **fields: Any) -> bytes:
    return (json.dumps({"cmd": cmd, **fields}) + "\n").encode()
