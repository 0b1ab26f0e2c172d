"""`tf.layers.Layer`: TF 1.x's graph-mode layer base (variables through `get_variable`).

Naming follows TF1's `tf.layers`:

- A layer without a name gets the snake-case class name made unique in the current variable
  scope: the first `Dense` creates `dense/kernel`, the next `dense_1/kernel`.
- A layer created by a functional wrapper with `name="fc"` opens variable scope "fc" as
  given, so building a second "fc" without `reuse=True` fails as `get_variable` does
  ("Variable fc/kernel already exists, disallowed. ..."); `reuse=True` shares the variables.
- Calling one layer object again reuses its variables; its ops go to the same name scope
  ("dense/MatMul", then "dense/MatMul_1").

Regularizers passed for weights are applied by `get_variable` (losses in
GraphKeys.REGULARIZATION_LOSSES, as TF); an `activity_regularizer` adds its loss of each
output there too. Updates (batch norm's moving averages) go to GraphKeys.UPDATE_OPS.

Graph construction is not thread-safe (as TF's).
"""

import re
import weakref

from flowexec import variable_scope as vs
from flowexec.framework import dtypes
from flowexec.framework import graph as graph_mod
from flowexec.framework import nest
from flowexec.framework.convert import convert_to_tensor
from flowexec.framework.graph import GraphKeys
from flowexec.init_ops import ones_initializer, zeros_initializer

# The layers' default initializers (TF's signatures default to these instances).
ZEROS = zeros_initializer()
ONES = ones_initializer()

_ALLOWED_KWARGS = {"_scope", "_reuse", "activity_regularizer", "input_shape",
                   "batch_input_shape", "batch_size", "weights", "autocast"}


def _to_snake_case(name):
    s = re.sub(r"(.)([A-Z][a-z0-9]+)", r"\1_\2", name)
    s = re.sub(r"([a-z])([A-Z])", r"\1_\2", s).lower()
    return s if s[0] != "_" else "private" + s


_LAYER_NAME_UIDS = weakref.WeakKeyDictionary()  # graph -> {base name: count}


def _unique_layer_name(base):
    """`base`, `base_1`, ... per graph, as TF's layer names."""
    uids = _LAYER_NAME_UIDS.setdefault(graph_mod.get_default_graph(), {})
    n = uids.get(base, 0)
    uids[base] = n + 1
    return base if n == 0 else f"{base}_{n}"


class InputSpec:
    """What a layer accepts: rank (`ndim`/`min_ndim`) and known axis sizes (`axes`)."""

    def __init__(self, dtype=None, shape=None, ndim=None, max_ndim=None, min_ndim=None,
                 axes=None):
        self.dtype = dtype
        self.shape = shape
        self.ndim = len(shape) if shape is not None else ndim
        self.max_ndim = max_ndim
        self.min_ndim = min_ndim
        self.axes = dict(axes or {})


class Layer:
    """Base class of `tf.layers`: builds its weights on first call, inside its variable scope.

    Subclasses implement `build(input_shape)` (creating weights with `add_weight`) and
    `call(inputs, **kwargs)`.

    Args:
        trainable: whether the layer's weights go to TRAINABLE_VARIABLES.
        name: the layer's name (its variable scope); default from the class name.
        dtype: the weights' dtype (default: the first input's floating dtype).
        **kwargs: `activity_regularizer`, and the functional wrappers' `_scope`/`_reuse`.

    Example:
        >>> layer = tf.layers.Dense(10)
        >>> y = layer(x)              # creates dense/kernel, dense/bias
        >>> layer.trainable_variables
    """

    def __init__(self, trainable=True, name=None, dtype=None, **kwargs):
        for k in kwargs:
            if k not in _ALLOWED_KWARGS:
                raise TypeError(f"('Keyword argument not understood:', '{k}')")
        self.trainable = trainable
        self.built = False
        self.input_spec = None
        self.activity_regularizer = kwargs.get("activity_regularizer")
        self._reuse = kwargs.get("_reuse")
        self._scope = kwargs.get("_scope")
        self._dtype = None if dtype is None else dtypes.as_dtype(dtype)
        base = name or _to_snake_case(type(self).__name__)
        self._base_name = base
        self._name = name or _unique_layer_name(base)
        self._trainable_weights = []
        self._non_trainable_weights = []
        self._updates = []
        self._losses = []
        self._call_count = 0

    # ----- properties ---------------------------------------------------------------------
    @property
    def name(self):
        return self._name

    @property
    def dtype(self):
        return self._dtype

    @property
    def scope_name(self):
        if self._scope is None or isinstance(self._scope, str):
            raise ValueError(f"No name available for layer scope because the layer "
                             f'"{self._name}" has not been used yet. The scope name is '
                             "determined the first time the layer instance is called. You "
                             "must therefore call the layer before querying `scope_name`.")
        return self._scope.name

    @property
    def trainable_weights(self):
        return list(self._trainable_weights) if self.trainable else []

    @property
    def non_trainable_weights(self):
        if self.trainable:
            return list(self._non_trainable_weights)
        return list(self._trainable_weights) + list(self._non_trainable_weights)

    @property
    def weights(self):
        return self.trainable_weights + self.non_trainable_weights

    trainable_variables = trainable_weights
    non_trainable_variables = non_trainable_weights
    variables = weights

    @property
    def updates(self):
        return list(self._updates)

    @property
    def losses(self):
        return list(self._losses)

    # ----- what subclasses use ------------------------------------------------------------
    def build(self, input_shape):
        """Creates the layer's weights; the base has none."""
        self.built = True

    def call(self, inputs, **kwargs):
        """The layer's computation; the base returns its inputs."""
        return inputs

    def add_weight(self, name, shape, dtype=None, initializer=None, regularizer=None,
                   trainable=True, constraint=None):
        """Creates (or, on reuse, gets) variable `<layer scope>/<name>` via `get_variable`.

        Returns:
            The Variable.
        """
        dtype = dtypes.as_dtype(dtype or self._dtype or dtypes.float32)
        graph = graph_mod.get_default_graph()
        before = list(graph.get_collection(GraphKeys.REGULARIZATION_LOSSES))
        v = vs.get_variable(name, shape=shape, dtype=dtype, initializer=initializer,
                            regularizer=regularizer, trainable=trainable and self.trainable,
                            constraint=constraint)
        after = graph.get_collection(GraphKeys.REGULARIZATION_LOSSES)
        self._losses.extend(t for t in after if not any(t is b for b in before))
        target = self._trainable_weights if trainable else self._non_trainable_weights
        if not any(v is w for w in target):
            target.append(v)
        tracked = self.__dict__.setdefault("_tracked_weights", {})
        tracked.setdefault(name, v)
        return v

    def _trackable_children(self):
        """Dependencies in object-based checkpoints: the weights under their `add_weight`
        names, in creation order, then the public trackable attributes not already named
        (as TF's layers track them: a Dense has "kernel" and "bias")."""
        from flowexec.train.trackable import attribute_children

        deps = dict(self.__dict__.get("_tracked_weights", {}))
        for k, v in attribute_children(self):
            if not k.startswith("_") and k not in deps:
                deps[k] = v
        return list(deps.items())

    def add_update(self, updates, inputs=None):
        """Records update ops and adds them to GraphKeys.UPDATE_OPS (TF1 graph mode)."""
        updates = list(updates) if isinstance(updates, (list, tuple)) else [updates]
        self._updates.extend(updates)
        for u in updates:
            graph_mod.add_to_collection(GraphKeys.UPDATE_OPS, u)

    def add_loss(self, losses, inputs=None):
        """Records losses and adds them to GraphKeys.REGULARIZATION_LOSSES."""
        losses = list(losses) if isinstance(losses, (list, tuple)) else [losses]
        self._losses.extend(losses)
        for t in losses:
            graph_mod.add_to_collection(GraphKeys.REGULARIZATION_LOSSES, t)

    def _assert_input_compatibility(self, inputs):
        spec = self.input_spec
        if spec is None:
            return
        shape = inputs.shape
        nd = shape.ndims
        full = "None" if nd is None else str([d for d in shape.as_list()]).replace("'", "")
        where = f"Input 0 of layer {self._name} is incompatible with the layer: "
        if spec.ndim is not None and nd is not None and nd != spec.ndim:
            raise ValueError(f"{where}expected ndim={spec.ndim}, found ndim={nd}. Full shape "
                             f"received: {full}")
        if spec.min_ndim is not None and nd is not None and nd < spec.min_ndim:
            raise ValueError(f"{where}expected min_ndim={spec.min_ndim}, found ndim={nd}. "
                             f"Full shape received: {full}")
        if nd is not None:
            for axis, size in spec.axes.items():
                got = shape.as_list()[axis]
                if got is not None and got != size:
                    raise ValueError(f"{where}expected axis {axis} of input shape to have "
                                     f"value {size} but received input with shape {full}")

    # ----- calling ------------------------------------------------------------------------
    def _set_scope(self):
        if self._scope is not None and not isinstance(self._scope, str):
            return
        if self._reuse:
            ctx = vs.variable_scope(self._scope if self._scope is not None
                                    else self._base_name)
        else:
            ctx = vs.variable_scope(self._scope, default_name=self._base_name)
        with ctx as captured:
            self._scope = captured

    def __call__(self, inputs, *args, **kwargs):
        """Builds the layer on first call (in its variable scope), then applies `call`.

        Args:
            inputs: a Tensor (or value convertible to one), or a nest of them (`build`
                then gets the nest of their shapes).
            *args, **kwargs: passed to `call` (e.g. `training=`).

        Returns:
            The output Tensor(s).
        """
        inputs = nest.map_structure(lambda t: convert_to_tensor(t, name="inputs"), inputs)
        first = nest.flatten(inputs)[0]
        if self._dtype is None and first.dtype.is_floating:
            self._dtype = first.dtype
        self._set_scope()
        reuse = True if self.built else self._reuse
        # As TF's layers: the variable scope without a name scope of its own, then the name
        # scope the layer's first call opened (so every call's ops share it).
        with vs.variable_scope(self._scope, reuse=reuse, auxiliary_name_scope=False), \
                graph_mod.name_scope(self._scope.original_name_scope):
            if not nest.is_nested(inputs):
                self._assert_input_compatibility(inputs)
            if not self.built:
                self.build(nest.map_structure(lambda t: t.shape, inputs))
                self.built = True
            outputs = self.call(inputs, *args, **kwargs)
            if self.activity_regularizer is not None:
                with graph_mod.name_scope("ActivityRegularizer"):
                    loss = self.activity_regularizer(outputs)
                if loss is not None:
                    self.add_loss(loss)
        self._call_count += 1
        return outputs

    def apply(self, inputs, *args, **kwargs):
        """`self(inputs, *args, **kwargs)`, TF1's alias."""
        return self(inputs, *args, **kwargs)


def channels_format(data_format, nd):
    """TF's op data_format for a layer's "channels_last"/"channels_first"."""
    if data_format in (None, "channels_last"):
        return {1: "NWC", 2: "NHWC", 3: "NDHWC"}[nd]
    if data_format == "channels_first":
        return {1: "NCW", 2: "NCHW", 3: "NCDHW"}[nd]
    raise ValueError(f"The `data_format` argument must be one of \"channels_first\", "
                     f"\"channels_last\". Received: {data_format}")


def normalize_tuple(value, n, name):
    """An int or a sequence of n ints as a tuple of n ints (TF's conv_utils.normalize_tuple)."""
    if isinstance(value, int):
        return (value,) * n
    try:
        value = tuple(value)
    except TypeError:
        raise ValueError(f"The `{name}` argument must be a tuple of {n} integers. Received: "
                         f"{value}") from None
    if len(value) != n or not all(isinstance(v, int) for v in value):
        raise ValueError(f"The `{name}` argument must be a tuple of {n} integers. Received: "
                         f"{value}")
    return value


def normalize_padding(padding):
    p = padding.lower() if isinstance(padding, str) else padding
    if p not in ("valid", "same"):
        raise ValueError(f"The `padding` argument must be a list/tuple or one of \"valid\", "
                         f"\"same\" (or \"causal\", only for `Conv1D). Received: {padding}")
    return p.upper()


__all__ = ["InputSpec", "Layer"]
