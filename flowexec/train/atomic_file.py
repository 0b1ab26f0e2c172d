"""Crash-safe file writes for checkpoints: a file appears under its final name complete or not
at all.

`atomic_write` writes into a temporary file beside the target (same directory, so the rename
never crosses file systems), flushes and fsyncs it, `os.replace`s it onto the target and fsyncs
the directory, so that after it returns the new file survives a power loss and before the
rename a reader sees the old file. The writer holds an exclusive `flock` on its file from
the moment the temporary file exists until it is done (`atomic_write_held` lets the caller
hold it longer), so that `remove_abandoned_temporaries` can tell a dead writer's leftovers
(the lock died with the process) from a live writer's work. `os_error` maps an OSError to
the TF error class that TF's file_io raises for the same errno.
"""

import contextlib
import errno
import os
import re
import uuid

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None

from flowexec.framework import errors


def os_error(exc, what):
    """The TF error class for a failed file operation (as TF's file_io maps errno)."""
    cls = {
        errno.ENOENT: errors.NotFoundError,
        errno.EACCES: errors.PermissionDeniedError,
        errno.EPERM: errors.PermissionDeniedError,
        errno.ENOSPC: errors.ResourceExhaustedError,
        errno.EDQUOT: errors.ResourceExhaustedError,
        errno.EEXIST: errors.AlreadyExistsError,
    }.get(exc.errno, errors.UnknownError)
    return cls(None, None, f"{what}: {exc}")


def fsync_dir(directory):
    """Makes the directory's entries (renames, new and removed files) durable."""
    try:
        fd = os.open(directory, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:  # no directory handles on this platform (Windows): rename is the best
        return
    try:
        os.fsync(fd)
    except OSError:  # some file systems refuse fsync on a directory (EINVAL)
        pass
    finally:
        os.close(fd)


_TEMPORARY = re.compile(r"\..+\.tmp-[0-9a-f]{12}")


def _lock(fd):
    if fcntl is not None:
        fcntl.flock(fd, fcntl.LOCK_EX)


class HeldFile:
    """A file that `atomic_write_held` put in place, still locked by its writer.

    While it is held, `is_abandoned` says False for it; `release()` (or leaving the `with`
    block) drops the lock.
    """

    def __init__(self, path, fd, size):
        self.path, self.size, self._fd = path, size, fd

    def release(self):
        """Unlocks the file (closes the writer's descriptor); later calls do nothing."""
        if self._fd is not None:
            fd, self._fd = self._fd, None
            os.close(fd)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.release()


def atomic_write_held(path, write_fn):
    """Writes `path` through `write_fn(binary file)` into a locked temporary file beside it,
    fsyncs it, renames it onto `path` and fsyncs the directory; returns a `HeldFile` that
    keeps the lock until released. On failure the temporary file is removed and `path` is
    untouched."""
    directory = os.path.dirname(path) or "."
    tmp = os.path.join(directory, f".{os.path.basename(path)}.tmp-{uuid.uuid4().hex[:12]}")
    fd = os.open(tmp, os.O_RDWR | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    try:
        _lock(fd)
        with os.fdopen(os.dup(fd), "wb") as f:
            write_fn(f)
            f.flush()
            os.fsync(f.fileno())
            size = os.fstat(f.fileno()).st_size
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        os.close(fd)
        raise
    held = HeldFile(path, fd, size)
    try:
        fsync_dir(directory)
    except BaseException:
        held.release()
        raise
    return held


def atomic_write(path, write_fn):
    """Writes `path` through `write_fn(binary file)` into a temporary file beside it, fsyncs
    it and renames it onto `path`; returns the file's size. On failure the temporary file is
    removed and `path` is untouched.

    A reader of `path` sees the old file or the new one, complete; after a crash, `path` is
    the old or the new file, and at most a temporary file ".<name>.tmp-<12 hex digits>" is
    left, which `remove_abandoned_temporaries` deletes.
    """
    with atomic_write_held(path, write_fn) as held:
        return held.size


def is_abandoned(path):
    """Whether no live writer holds `path` (its writer finished or died); False if it is gone.

    A writer holds a file from the creation of its temporary file until it releases it.
    Without `fcntl` (Windows) there are no such locks, and every file counts as abandoned:
    there an open file cannot be deleted, which protects a live writer's file instead.
    """
    if fcntl is None:
        return os.path.exists(path)
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_BINARY", 0))
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False
    else:
        return True
    finally:
        os.close(fd)


def remove_abandoned_temporaries(directory):
    """Deletes the temporary files of `atomic_write`s in `directory` whose writer died (e.g.
    a process killed mid-save); a live writer's temporary file is left alone. Returns the
    names removed."""
    removed = []
    try:
        names = os.listdir(directory or ".")
    except OSError:
        return removed
    for name in sorted(names):
        path = os.path.join(directory, name)
        if _TEMPORARY.fullmatch(name) and is_abandoned(path):
            with contextlib.suppress(OSError):
                os.remove(path)
                removed.append(name)
    return removed


def remove_if_exists(path):
    """Removes `path`; a missing file is not an error."""
    with contextlib.suppress(FileNotFoundError):
        os.remove(path)
