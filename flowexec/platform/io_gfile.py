"""`tf.io.gfile`: the lower-case file API of TF 1.15/2.x, on the same implementation as
`tf.gfile` (see `flowexec.platform.gfile` for errors and schemes)."""

import os

from flowexec.platform.gfile import (  # noqa: F401
    Copy as _copy,
    DeleteRecursively as rmtree,
    Exists as exists,
    GFile,
    Glob as glob,
    IsDirectory as isdir,
    ListDirectory as listdir,
    MakeDirs as makedirs,
    MkDir as mkdir,
    Remove as remove,
    Rename as _rename,
    Stat as stat,
    _local,
)


def copy(src, dst, overwrite=False):
    """Copies file `src` to `dst`; AlreadyExistsError if `dst` exists and not `overwrite`."""
    _copy(src, dst, overwrite)


def rename(src, dst, overwrite=False):
    """Renames `src` to `dst`; AlreadyExistsError if `dst` exists and not `overwrite`."""
    _rename(src, dst, overwrite)


def walk(top, topdown=True, onerror=None):
    """Yields (dirname, subdirs, files) under `top`, with os.walk's arguments."""
    yield from os.walk(_local(top), topdown=topdown, onerror=onerror)


def join(path, *paths):
    """Joins path components."""
    return os.path.join(path, *paths)
