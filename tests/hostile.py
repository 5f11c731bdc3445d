"""Running the command line in-process, as the fuzz and hostile-input tests need it: fast, with
every exception that is not the contract's (exit 0 or 2 and one message) left to fail the test."""

from __future__ import annotations

import contextlib
import io
import json
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fwadvise.cli.app import main


@dataclass
class Done:
    code: int
    out: str
    err: str


def cli(*args: str, env: dict[str, str] | None = None) -> Done:
    """`fwadvise ARGS` in this process; a traceback (any exception but SystemExit) propagates."""
    out, err = io.StringIO(), io.StringIO()
    argv = sys.argv
    with _environ(env or {}), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        sys.argv = ["fwadvise", *args]
        try:
            main()
            code = 0
        except SystemExit as stop:
            code = stop.code if isinstance(stop.code, int) else (0 if stop.code is None else 1)
        finally:
            sys.argv = argv
    return Done(code, out.getvalue(), err.getvalue())


@contextlib.contextmanager
def _environ(changes: dict[str, str]) -> Iterator[None]:
    before = {k: os.environ.get(k) for k in changes}
    os.environ.update(changes)
    try:
        yield
    finally:
        for key, value in before.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _no_constant(name: str) -> Any:
    raise AssertionError(f"{name} in JSON output")


def strict_json(text: str) -> Any:
    """JSON as the standard has it: Infinity and NaN fail the test."""
    return json.loads(text, parse_constant=_no_constant)


def assert_contract(done: Done, *, ok: tuple[int, ...] = (0, 2)) -> None:
    """Exit 0, or 2 with one message; never a traceback, never raw control characters."""
    assert done.code in ok, (done.code, done.err[-2000:])
    assert "Traceback" not in done.err
    if done.code == 2:
        # fwadvise's own message, or click's usage error for an option it parses itself
        assert done.err.startswith("fwadvise: error: ") or "\nError: " in done.err, done.err[:500]
        assert len(done.err) < 20_000, len(done.err)
    assert "\x1b" not in done.err
    assert "\x1b" not in done.out


def tree(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*")}
