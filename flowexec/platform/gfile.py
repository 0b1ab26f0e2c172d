"""`tf.gfile` (TF 1.x names) and `tf.io.gfile` (the lower-case names): files through TF's
file API, on the local filesystem.

Errors are TF's: a missing file is `NotFoundError` ("<path>; No such file or directory"),
an existing target of `MkDir`/`Rename`/`Copy` without `overwrite` is `AlreadyExistsError`,
and a path with a scheme other than `file://` (e.g. `gs://`) is `UnimplementedError`: no
remote filesystem is registered. A `GFile` opens lazily, like TF's, so constructing one for a
missing file fails only when it is read.

Example:
    >>> with tf.gfile.GFile("/tmp/notes.txt", "w") as f:
    ...     f.write("hello")
    >>> tf.gfile.Exists("/tmp/notes.txt")
    True
"""

import collections
import glob as _glob
import os
import shutil

from flowexec.framework import errors

FileStatistics = collections.namedtuple("FileStatistics", ["length", "mtime_nsec", "is_directory"])


def _local(path):
    """The local path for `path`, or UnimplementedError for an unregistered scheme."""
    path = os.fspath(path)
    if isinstance(path, bytes):
        path = path.decode("utf-8")
    if "://" in path:
        scheme, rest = path.split("://", 1)
        if scheme == "file":
            return rest
        raise errors.UnimplementedError(
            None, None, f"File system scheme '{scheme}' not implemented (file: '{path}')")
    return path


def _not_found(path):
    return errors.NotFoundError(None, None, f"{path}; No such file or directory")


def _os_error(e, path):
    if isinstance(e, FileNotFoundError):
        return _not_found(path)
    if isinstance(e, FileExistsError):
        return errors.AlreadyExistsError(None, None, f"{path}; File exists")
    if isinstance(e, PermissionError):
        return errors.PermissionDeniedError(None, None, f"{path}; Permission denied")
    return errors.UnknownError(None, None, f"{path}; {e.strerror or e}")


class GFile:
    """A file object with TF's `GFile` API (`read(n)`, `readline`, `write`, `seek`, `tell`,
    `size`, iteration, context manager). Text modes read and write `str`, binary modes
    `bytes`. Not thread-safe (as any file object)."""

    def __init__(self, name, mode="r"):
        self._name = os.fspath(name)
        self._path = _local(self._name)
        if mode not in ("r", "rb", "w", "wb", "a", "ab", "r+", "rb+", "w+", "wb+", "a+"):
            raise errors.InvalidArgumentError(None, None, f"Invalid mode {mode!r} for {name}")
        self._mode = mode
        self._file = None

    @property
    def name(self):
        return self._name

    @property
    def mode(self):
        return self._mode

    def _f(self):
        if self._file is None:
            try:
                self._file = open(self._path, self._mode)  # noqa: SIM115 - kept open
            except OSError as e:
                raise _os_error(e, self._name) from None
        return self._file

    def read(self, n=-1):
        """Reads `n` bytes/characters (all that remain when `n` is -1)."""
        return self._f().read(n)

    def readline(self):
        return self._f().readline()

    def readlines(self):
        return self._f().readlines()

    def write(self, file_content):
        """Writes `file_content` (str in text mode, bytes in binary mode)."""
        f = self._f()
        if "b" in self._mode and isinstance(file_content, str):
            file_content = file_content.encode("utf-8")
        elif "b" not in self._mode and isinstance(file_content, (bytes, bytearray)):
            file_content = bytes(file_content).decode("utf-8")
        f.write(file_content)

    def seek(self, offset=None, whence=0, position=None):
        """Moves to `offset` (TF's deprecated `position` is the same)."""
        if position is not None:
            if offset is not None:
                raise TypeError("seek() takes offset or position, not both")
            offset = position
        return self._f().seek(0 if offset is None else offset, whence)

    def tell(self):
        return self._f().tell()

    def size(self):
        """The file's size in bytes."""
        try:
            return os.stat(self._path).st_size
        except OSError as e:
            raise _os_error(e, self._name) from None

    def flush(self):
        if self._file is not None:
            self._file.flush()

    def close(self):
        if self._file is not None:
            self._file.close()
            self._file = None

    def seekable(self):
        return True

    def __iter__(self):
        return self

    def __next__(self):
        line = self.readline()
        if not line:
            raise StopIteration
        return line

    next = __next__

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False


Open = GFile
FastGFile = GFile


def Exists(filename):  # noqa: N802 - TF's names
    """Whether `filename` exists."""
    return os.path.exists(_local(filename))


def IsDirectory(dirname):  # noqa: N802
    return os.path.isdir(_local(dirname))


def MakeDirs(dirname):  # noqa: N802
    """Creates `dirname` and its parents; fine if it exists."""
    try:
        os.makedirs(_local(dirname), exist_ok=True)
    except OSError as e:
        raise _os_error(e, dirname) from None


def MkDir(dirname):  # noqa: N802
    """Creates one directory; AlreadyExistsError if it exists."""
    path = _local(dirname)
    if os.path.exists(path):
        raise errors.AlreadyExistsError(None, None, "file already exists")
    try:
        os.mkdir(path)
    except OSError as e:
        raise _os_error(e, dirname) from None


def ListDirectory(dirname):  # noqa: N802
    """The entries of `dirname` (names only, no '.' or '..')."""
    path = _local(dirname)
    if not os.path.isdir(path):
        raise errors.NotFoundError(None, None, f"Could not find directory {dirname}")
    return sorted(os.listdir(path))


def Glob(filename):  # noqa: N802
    """The paths matching the pattern `filename`."""
    return sorted(_glob.glob(_local(filename)))


def Remove(filename):  # noqa: N802
    try:
        os.remove(_local(filename))
    except OSError as e:
        raise _os_error(e, filename) from None


def DeleteRecursively(dirname):  # noqa: N802
    """Deletes a directory tree (or a file)."""
    path = _local(dirname)
    if not os.path.exists(path):
        raise _not_found(dirname)
    if os.path.isdir(path):
        shutil.rmtree(path)
    else:
        os.remove(path)


def _check_target(newpath, overwrite):
    if not overwrite and os.path.exists(_local(newpath)):
        raise errors.AlreadyExistsError(None, None, "file already exists")


def Rename(oldname, newname, overwrite=False):  # noqa: N802
    """Renames `oldname` to `newname`; AlreadyExistsError if it exists and not `overwrite`."""
    _check_target(newname, overwrite)
    try:
        os.replace(_local(oldname), _local(newname))
    except OSError as e:
        raise _os_error(e, oldname) from None


def Copy(oldpath, newpath, overwrite=False):  # noqa: N802
    """Copies a file; AlreadyExistsError if `newpath` exists and not `overwrite`."""
    _check_target(newpath, overwrite)
    try:
        shutil.copyfile(_local(oldpath), _local(newpath))
    except OSError as e:
        raise _os_error(e, oldpath) from None


def Stat(filename):  # noqa: N802
    """FileStatistics(length, mtime_nsec, is_directory) of `filename`."""
    try:
        st = os.stat(_local(filename))
    except OSError as e:
        raise _os_error(e, filename) from None
    return FileStatistics(st.st_size, st.st_mtime_ns, os.path.isdir(_local(filename)))


def Walk(top, in_order=True):  # noqa: N802
    """Yields (dirname, subdirs, files) for each directory under `top` (parents first when
    `in_order`, else children first); nothing when `top` does not exist."""
    yield from os.walk(_local(top), topdown=in_order)
