"""`tf.resource_loader`: finding data files next to the calling code.

Example:
    >>> import flowexec as tf
    >>> path = tf.resource_loader.get_path_to_datafile("data/vocab.txt")
"""

import inspect
import os

__all__ = ["get_data_files_path", "get_path_to_datafile", "get_root_dir_with_all_resources",
           "load_resource", "readahead_file_path"]


def _caller_dir(depth=2):
    frame = inspect.stack()[depth]
    return os.path.dirname(os.path.abspath(frame.filename))


def get_data_files_path():
    """The directory of the Python file that calls this function."""
    return _caller_dir()


def get_root_dir_with_all_resources():
    """The directory resources are looked up from: the caller's directory."""
    return _caller_dir()


def get_path_to_datafile(path):
    """`path` relative to the directory of the calling Python file (absolute paths are
    returned as they are)."""
    return os.path.join(_caller_dir(), path)


def load_resource(path):
    """The bytes of the file at `path`, relative to the directory of the calling file.

    Raises:
        IOError: the file cannot be read.
    """
    with open(os.path.join(_caller_dir(), path), "rb") as f:
        return f.read()


def readahead_file_path(path, readahead="128M"):
    """`path` itself: reads need no readahead prefix here."""
    del readahead
    return path


