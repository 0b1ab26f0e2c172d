"""`tf.flags` / `tf.app.flags`: absl-py's flags, as TF 1.x builds them.

absl-py is an optional dependency (`pip install flowexec[app]`); it is imported the first
time a name of this module is used, so `import flowexec` never needs it.

Example:
    >>> tf.flags.DEFINE_integer("steps", 100, "Training steps.")
    >>> FLAGS = tf.flags.FLAGS
"""


def _absl_flags():
    try:
        from absl import flags
    except ImportError as e:
        raise ImportError("tf.flags / tf.app.flags need absl-py: pip install absl-py "
                          "(or pip install 'flowexec[app]')") from e
    return flags


def __getattr__(name):
    if name.startswith("__"):
        raise AttributeError(name)
    try:
        return getattr(_absl_flags(), name)
    except AttributeError:
        raise AttributeError(f"module 'flowexec.flags' has no attribute {name!r}") from None


def __dir__():
    try:
        return sorted(n for n in dir(_absl_flags()) if not n.startswith("_"))
    except ImportError:
        return []
