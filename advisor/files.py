"""Writing the user's files: all or nothing, and a clear error when the path is not writable."""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path

from fwadvise.advisor.errors import UserError


def write_atomic(path: str | Path, text: str) -> Path:
    """Write `text` to `path` through a temporary file and a rename: a reader (or a crash) sees
    the old file or the new one, never half of one."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise UserError(f"{path}: cannot write here: {exc.strerror or exc}") from None
    try:
        os.fchmod(handle, _mode_for(path))  # mkstemp makes 0600: others could not read a report
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temp, path)
    except OSError as exc:
        Path(temp).unlink(missing_ok=True)
        raise UserError(f"{path}: cannot write here: {exc.strerror or exc}") from None
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    return path


def _mode_for(path: Path) -> int:
    """The file's own permissions when it exists, else what the umask gives a new file."""
    try:
        return stat.S_IMODE(path.stat().st_mode)
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask
