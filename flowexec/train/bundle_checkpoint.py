"""TensorFlow's V2 checkpoints (tensor bundles, `graph_io.bundle`) written crash-safely.

TF names a bundle's files by its prefix and shard count only: `<prefix>.index` and
`<prefix>.data-<i>-of-<n>`. Writing a new checkpoint over an old one at the same prefix
with the same names would replace the old data before the new index is in place, so a crash
between the two renames would leave an index that does not match its data. flowexec keeps
its checkpoint invariant instead (see `checkpoint_format`): at every instant `<prefix>.index`
is absent or a complete index whose data files are complete and durable. A save
(`write_bundle_checkpoint`):

  1. picks the shard count: the number of shards asked for, plus one empty shard when the
     checkpoint already at this prefix has that count, so that no new data file has the
     name of an old one (saving over one prefix again and again alternates n and n+1
     shards; every count is a valid TF bundle, and TF reads it);
  2. writes each data file under a temporary name, fsyncs it and renames it to its name,
     holding an `flock` on it until the index names it;
  3. writes the index under a temporary name and `os.replace`s it onto `<prefix>.index`,
     the one atomic switch, then fsyncs the directory;
  4. only then deletes the old checkpoint's data files (the other shard count).

A crash leaves the old checkpoint or the new one, and at most garbage beside it: temporary
files and data files whose count the index does not have (or without an index). The next
save removes the garbage of dead writers (`remove_abandoned_data_files`); a live writer's
files are locked and left alone.
"""

import contextlib
import os

from flowexec.framework import errors
from flowexec.graph_io import bundle
from flowexec.train.atomic_file import (
    atomic_write,
    atomic_write_held,
    fsync_dir,
    is_abandoned,
    remove_abandoned_temporaries,
    remove_if_exists,
)

__all__ = ["index_num_shards", "remove_abandoned_data_files", "remove_data_files",
           "write_bundle_checkpoint"]


def index_num_shards(prefix):
    """The shard count of the bundle index at `prefix`, or None (no index, not a bundle, or
    one too damaged to read)."""
    if not bundle.is_bundle(prefix):
        return None
    try:
        return bundle.BundleReader(prefix).num_shards
    except (OSError, errors.OpError):
        return None


def _data_files(directory):
    """{base name: [(file name, shard count)]} of the bundle data files in `directory`."""
    try:
        names = os.listdir(directory or ".")
    except OSError:
        return {}
    found = {}
    for name in sorted(names):
        m = bundle.DATA_FILE.fullmatch(name)
        if m:
            found.setdefault(m.group(1), []).append((name, int(m.group(3))))
    return found


def remove_abandoned_data_files(directory):
    """Deletes the bundle data files in `directory` that no live writer holds and that their
    prefix's index does not count (a dead save's); returns the names removed."""
    removed = []
    for base, files in _data_files(directory).items():
        prefix = os.path.join(directory, base)
        for name, count in files:
            path = os.path.join(directory, name)
            # Lock first, index second: a writer releases its data files only after its index
            # is in place, so a file found unlocked and not counted never will be.
            if is_abandoned(path) and index_num_shards(prefix) != count:
                with contextlib.suppress(OSError):
                    os.remove(path)
                    removed.append(name)
    return removed


def remove_data_files(prefix):
    """Deletes every bundle data file of `prefix` (call after its index is gone)."""
    directory, base = os.path.split(prefix)
    for name, _ in _data_files(directory).get(base, []):
        remove_if_exists(os.path.join(directory, name))


def write_bundle_checkpoint(prefix, shards):
    """Writes a TF V2 checkpoint at `prefix`, replacing one there only by the atomic rename of
    its index (see the module docstring).

    Args:
        prefix: the checkpoint's prefix.
        shards: a list of {tensor name: numpy array}, one per data file (TF's sharded saves
            put each device's variables in one).

    Returns:
        The shard count written.

    Raises:
        OSError: writing failed; what this call wrote is removed and the old checkpoint at
            `prefix` is intact.
        InvalidArgumentError: a string tensor holds something other than bytes or str.
    """
    directory = os.path.dirname(prefix) or "."
    remove_abandoned_temporaries(directory)
    remove_abandoned_data_files(directory)
    wanted = max(len(shards), 1)
    old = index_num_shards(prefix)
    num_shards = wanted + 1 if old == wanted else wanted
    index, datas = bundle.encode_bundle_chunks(list(shards), num_shards)
    held = []
    try:
        for i, chunks in enumerate(datas):
            held.append(atomic_write_held(bundle.data_filename(prefix, i, num_shards),
                                          lambda f, chunks=chunks: f.writelines(chunks)))
        atomic_write(prefix + ".index", lambda f: f.write(index))
    except BaseException:
        for h in held:
            with contextlib.suppress(OSError):
                os.remove(h.path)
        raise
    finally:
        for h in held:
            h.release()
    base = os.path.basename(prefix)
    stale = [n for n, count in _data_files(directory).get(base, []) if count != num_shards]
    for name in stale:
        remove_if_exists(os.path.join(directory, name))
    if stale:
        fsync_dir(directory)
    return num_shards
