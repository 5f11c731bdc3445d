"""The user's files, read and written in one place each.

Reading: `read_bytes`/`read_text` open only regular files, never block (a FIFO or a device is
refused after a non-blocking open, before any read) and never read more than a limit, so no
input can hang fwadvise or fill its memory. Writing: `write_atomic` goes through a temporary
file and a rename, refuses to replace anything but a regular file (a device node, a FIFO), and
leaves nothing behind when interrupted. `terminate_as_interrupt` makes SIGTERM and SIGHUP end a
run the way Ctrl-C does, so every clean-up written for Ctrl-C runs for them too.
"""

from __future__ import annotations

import contextlib
import os
import signal
import stat
import tempfile
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from types import FrameType

from fwadvise.advisor.errors import UserError, printable, shorten

__all__ = [
    "MAX_BYTES",
    "Terminated",
    "UserError",
    "check_replaceable",
    "printable",
    "read_bytes",
    "read_head",
    "read_text",
    "shorten",
    "terminate_as_interrupt",
    "write_atomic",
]

MAX_BYTES = 2 * 1024 * 1024  # no legitimate input file (answers, KB, evidence) comes near this
_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)


def _open_regular(path: Path, what: str, *, follow: bool = True) -> int:
    """A descriptor on `path` if it is a regular file; UserError naming the file otherwise."""
    flags = _OPEN_FLAGS | (0 if follow else getattr(os, "O_NOFOLLOW", 0))
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise UserError(f"{what} not found", where=str(path)) from None
    except IsADirectoryError:
        raise UserError(f"expected a {what}, found a directory", where=str(path)) from None
    except (OSError, ValueError) as exc:  # ValueError: a NUL byte in the name
        raise UserError(f"cannot read {what}: {_reason(exc)}", where=str(path)) from None
    mode = os.fstat(fd).st_mode
    if not stat.S_ISREG(mode):
        os.close(fd)
        kind = "a directory" if stat.S_ISDIR(mode) else "not a regular file (a FIFO or a device)"
        raise UserError(f"expected a {what}, found {kind}", where=str(path))
    return fd


def read_bytes(
    path: str | Path, *, what: str = "file", limit: int = MAX_BYTES, follow: bool = True
) -> bytes:
    """At most `limit` bytes of a regular file; larger, missing or special files are UserErrors."""
    path = Path(path)
    fd = _open_regular(path, what, follow=follow)
    try:
        with os.fdopen(fd, "rb") as handle:
            raw = handle.read(limit + 1)
    except OSError as exc:
        raise UserError(f"cannot read {what}: {_reason(exc)}", where=str(path)) from None
    if len(raw) > limit:
        raise UserError(f"{what} is too large: the limit is {limit} bytes", where=str(path))
    return raw


def read_text(path: str | Path, *, what: str = "file", limit: int = MAX_BYTES) -> str:
    """A UTF-8 text file through `read_bytes`; bad UTF-8 names the line."""
    raw = read_bytes(path, what=what, limit=limit)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise UserError(
            f"not valid UTF-8 (byte {exc.start}); save the file as UTF-8", where=f"{path}:{line}"
        ) from None


def read_head(path: str | Path, size: int = 4096) -> bytes | None:
    """The first bytes of a regular file, or None (absent, special, unreadable): for the
    'is this a file fwadvise wrote?' checks before replacing it."""
    try:
        fd = _open_regular(Path(path), "file")
    except UserError:
        return None
    with os.fdopen(fd, "rb") as handle:
        try:
            return handle.read(size)
        except OSError:
            return None


def check_replaceable(
    path: Path,
    *,
    flag: str,
    force: bool,
    ours: Callable[[bytes], bool],
    kind: str,
    hint: str = "give another name, or --force to replace it",
) -> None:
    """Refuse an output target that fwadvise did not write (unless --force), or that is not a
    regular file at all (never, even with --force): a mistyped name must not destroy anything."""
    try:
        mode = path.stat().st_mode
    except (OSError, ValueError):
        return  # absent (or unreachable: write_atomic will say why)
    if stat.S_ISDIR(mode):
        raise UserError(f"{flag} {path}: is a directory; give a file name")
    if not stat.S_ISREG(mode):
        raise UserError(f"{flag} {path}: not a regular file (a FIFO or a device); not replaced")
    head = read_head(path)
    if not force and (head is None or not ours(head)):
        raise UserError(f"{flag} {path}: exists and is not {kind}; {hint}")


def write_atomic(path: str | Path, text: str) -> Path:
    """Write `text` to `path` through a temporary file and a rename: a reader (or a crash) sees
    the old file or the new one, never half of one; an interruption leaves the old file."""
    path = Path(path)
    _refuse_special(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except (OSError, ValueError) as exc:
        raise UserError(f"{path}: cannot write here: {_reason(exc)}") from None
    try:
        os.fchmod(handle, _mode_for(path))  # mkstemp makes 0600: others could not read a report
        with os.fdopen(handle, "w", encoding="utf-8", errors="surrogateescape") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temp, path)
    except OSError as exc:
        Path(temp).unlink(missing_ok=True)
        raise UserError(f"{path}: cannot write here: {_reason(exc)}") from None
    except BaseException:  # Ctrl-C, SIGTERM (see terminate_as_interrupt): no temp file left
        Path(temp).unlink(missing_ok=True)
        raise
    return path


def _refuse_special(path: Path) -> None:
    """The rename would replace a device node or a FIFO with a regular file: refuse."""
    try:
        mode = path.lstat().st_mode
    except (OSError, ValueError):
        return
    if stat.S_ISDIR(mode):
        raise UserError(f"{path}: is a directory; give a file name")
    if not (stat.S_ISREG(mode) or stat.S_ISLNK(mode)):
        raise UserError(f"{path}: not a regular file (a FIFO or a device); not replaced")


def _mode_for(path: Path) -> int:
    """The file's own permissions when it exists, else what the umask gives a new file."""
    try:
        return stat.S_IMODE(path.stat().st_mode)
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def _reason(exc: BaseException) -> str:
    if isinstance(exc, ValueError):
        return "the name holds a NUL byte"
    return getattr(exc, "strerror", None) or str(exc)


class Terminated(KeyboardInterrupt):
    """SIGTERM or SIGHUP, raised where the program is so that it cleans up as for Ctrl-C."""

    def __init__(self, signum: int) -> None:
        self.signum = signum
        super().__init__(signal.Signals(signum).name)


def _raise_terminated(signum: int, frame: FrameType | None) -> None:
    raise Terminated(signum)


@contextlib.contextmanager
def terminate_as_interrupt() -> Iterator[None]:
    """While inside, SIGTERM and SIGHUP raise Terminated (a KeyboardInterrupt); a no-op off the
    main thread, where Python cannot set handlers."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    names = ("SIGTERM", "SIGHUP")
    signums = [getattr(signal, n) for n in names if hasattr(signal, n)]
    # a signal already ignored (SIGHUP under nohup) or handled by a caller stays so
    before = {
        s: signal.signal(s, _raise_terminated)
        for s in signums
        if signal.getsignal(s) is signal.SIG_DFL
    }
    try:
        yield
    finally:
        for signum, handler in before.items():
            signal.signal(signum, handler)


def cache_dir() -> Path:
    """fwadvise's cache folder: $XDG_CACHE_HOME/fwadvise, default ~/.cache/fwadvise (knowledge
    snapshots, cached evidence, XLA's compiled programs)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "fwadvise"
