"""`tf.data.Options`: settings a dataset carries (`with_options`) to its iterators.

Options are typed: assigning an unknown property is an AttributeError, a value of the wrong
type a TypeError (TF's messages). Unset properties read as None (nested option groups are
created on first access). `merge` gives a copy where the other's set values win; a
transformation keeps its input's options, and `zip`/`concatenate` merge their inputs'.

What flowexec does with them: `threading.private_threadpool_size` caps every parallel
`map` of the pipeline (and is the AUTOTUNE value). flowexec's pipeline is always
deterministic and runs exactly the transformations written, so `deterministic`,
`experimental_slack`, `autotune` and the `experimental_optimization` switches (rewrites
that would not change the elements) leave the results as they are.

Example:
    >>> options = Options()
    >>> options.threading.private_threadpool_size = 2
    >>> ds = Dataset.range(10).map(f, num_parallel_calls=8).with_options(options)
"""

from typing import ClassVar


class _OptionsGroup:
    """Typed, mergeable properties (`_fields`: name -> (type, docstring))."""

    _fields: ClassVar[dict] = {}
    _aliases: ClassVar[dict] = {}

    def __init__(self):
        object.__setattr__(self, "_values", {})

    def _name(self, name):
        return self._aliases.get(name, name)

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        key = self._name(name)
        if key not in self._fields:
            raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")
        value = self._values.get(key)
        kind = self._fields[key][0]
        if value is None and isinstance(kind, type) and issubclass(kind, _OptionsGroup):
            value = self._values[key] = kind()
        return value

    def __setattr__(self, name, value):
        key = self._name(name)
        if key not in self._fields:
            raise AttributeError(f"Cannot set the property {name} on {type(self).__name__}.")
        kind = self._fields[key][0]
        if value is not None and not isinstance(value, kind):
            raise TypeError(f'Property "{name}" must be of type {kind}, got: {value!r} '
                            f"(type: {type(value)})")
        self._values[key] = value

    def __eq__(self, other):
        return type(self) is type(other) and self._set() == other._set()

    def __ne__(self, other):
        return not self == other

    __hash__ = None

    def _set(self):
        out = {}
        for k, v in self._values.items():
            if isinstance(v, _OptionsGroup):
                v = v._set()
                if not v:
                    continue
            if v is not None:
                out[k] = v
        return out

    def merge(self, options):
        """A new object: these options, overridden by the ones `options` sets."""
        result = type(self)()
        for source in (self, options):
            if source is None:
                continue
            for k, v in source._values.items():
                if isinstance(v, _OptionsGroup):
                    result._values[k] = result.__getattr__(k).merge(v)
                elif v is not None:
                    result._values[k] = v
        return result

    def __repr__(self):
        return f"{type(self).__name__}({self._set()})"


class ThreadingOptions(_OptionsGroup):
    """`tf.data.ThreadingOptions`: the pipeline's threads."""

    _fields: ClassVar[dict] = {
        "max_intra_op_parallelism": (int, "Threads one op may use (numpy's own)."),
        "private_threadpool_size": (int, "Caps every parallel map's workers."),
    }


class OptimizationOptions(_OptionsGroup):
    """`tf.data.experimental.OptimizationOptions`: graph rewrites TF may apply (none of
    them changes the elements; flowexec runs the pipeline as written)."""

    _fields: ClassVar[dict] = {name: (bool, "A rewrite switch.") for name in (
        "apply_default_optimizations", "filter_fusion", "map_and_batch_fusion",
        "map_and_filter_fusion", "map_fusion", "map_parallelization", "noop_elimination",
        "parallel_batch", "shuffle_and_repeat_fusion")}


class AutotuneOptions(_OptionsGroup):
    """`tf.data.experimental.AutotuneOptions`."""

    _fields: ClassVar[dict] = {"enabled": (bool, "Autotuning on."), "cpu_budget": (int, "Cores to use."),
               "ram_budget": (int, "Bytes to use.")}


class Options(_OptionsGroup):
    """`tf.data.Options`: see the module docstring."""

    _fields: ClassVar[dict] = {
        "deterministic": (bool, "Whether elements keep their order (always, here)."),
        "threading": (ThreadingOptions, "Thread options."),
        "experimental_optimization": (OptimizationOptions, "Rewrite switches."),
        "autotune": (AutotuneOptions, "Autotuning."),
        "experimental_slack": (bool, "Prefetch slack (no effect on elements)."),
    }
    _aliases: ClassVar[dict] = {"experimental_deterministic": "deterministic",
                "experimental_threading": "threading"}

    def _runtime(self):
        """What the pipeline's kernels read (a plain dict, the OptionsDataset attribute)."""
        size = self._values.get("threading")
        size = None if size is None else size._values.get("private_threadpool_size")
        return {"private_threadpool_size": size}
