"""Crash-safe file writes for checkpoints: a file appears under its final name complete or not
at all.

`atomic_write` writes into a temporary file beside the target (same directory, so the rename
never crosses file systems), flushes and fsyncs it, `os.replace`s it onto the target and fsyncs
the directory, so that after it returns the new file survives a power loss and before the
rename a reader sees the old file. `os_error` maps an OSError to the TF error class that TF's
file_io raises for the same errno.
"""

import contextlib
import errno
import os
import uuid

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


def atomic_write(path, write_fn):
    """Writes `path` through `write_fn(binary file)` into a temporary file beside it, fsyncs
    it and renames it onto `path`; returns the file's size. On failure the temporary file is
    removed and `path` is untouched."""
    directory = os.path.dirname(path) or "."
    tmp = os.path.join(directory, f".{os.path.basename(path)}.tmp-{uuid.uuid4().hex[:12]}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    try:
        with os.fdopen(fd, "wb") as f:
            write_fn(f)
            f.flush()
            os.fsync(f.fileno())
            size = os.fstat(f.fileno()).st_size
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    fsync_dir(directory)
    return size


def remove_if_exists(path):
    """Removes `path`; a missing file is not an error."""
    with contextlib.suppress(FileNotFoundError):
        os.remove(path)
