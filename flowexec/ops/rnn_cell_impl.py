"""`tf.nn.rnn_cell`: TF 1.x's recurrent cells, one time step each (`output, new_state =
cell(inputs, state)`), with TF's variable names and weight layouts.

A cell is a `tf.layers.Layer`: its weights are made on the first call, inside a variable
scope named after the class (`basic_lstm_cell`, `gru_cell`, ...) below the caller's scope, and
calling the same cell object again reuses them. So `tf.nn.dynamic_rnn(cell, ...)` creates
`rnn/basic_lstm_cell/kernel` and `rnn/basic_lstm_cell/bias`; a `MultiRNNCell` puts cell `i`
under `multi_rnn_cell/cell_<i>/`. `cell(x, s, scope="foo")` puts the weights at `foo/kernel`.

Weight layouts are TF's, so weights copied from a TF checkpoint give TF's numbers:

- `BasicRNNCell`: `kernel` [input_depth + units, units], `bias` [units].
- `BasicLSTMCell`/`LSTMCell`: `kernel` [input_depth + h_depth, 4 * units] over the
  concatenation `[inputs, h]`, gates in the order i, j, f, o (input, new input, forget,
  output); `bias` [4 * units] (zeros; `forget_bias` is added to f at run time).
  `LSTMCell` peepholes are `w_f_diag`, `w_i_diag`, `w_o_diag`; the projection is
  `projection/kernel` [units, num_proj].
- `GRUCell`: `gates/kernel` [input_depth + units, 2 * units] (r, u; bias initialised to 1),
  `candidate/kernel` [input_depth + units, units].

Wrappers (`DropoutWrapper`, `ResidualWrapper`, `DeviceWrapper`) open no scope of their own:
the wrapped cell's variables keep their names.

Example:
    >>> cell = tf.nn.rnn_cell.MultiRNNCell([tf.nn.rnn_cell.BasicLSTMCell(64) for _ in range(2)])
    >>> state = cell.zero_state(32, tf.float32)
    >>> out, state = cell(x_t, state)  # multi_rnn_cell/cell_0/basic_lstm_cell/kernel, ...
"""

import collections
import hashlib
import logging
import numbers

from flowexec import variable_scope as vs
from flowexec.framework import dtypes, nest, tensor_shape
from flowexec.framework import graph as graph_mod
from flowexec.framework.convert import convert_to_tensor
from flowexec.framework.tensor import Tensor
from flowexec.init_ops import constant_initializer, zeros_initializer
from flowexec.layers import base as base_layer
from flowexec.ops import array_ops, clip_ops, math_ops, nn_ops, random_ops
from flowexec.ops.shape_fns import constant_value

_log = logging.getLogger("flowexec")

_WARNED = set()


def _warn_once(key, msg, *args):
    if key not in _WARNED:
        _WARNED.add(key)
        _log.warning(msg, *args)


def assert_like_rnncell(cell_name, cell):
    """Raises TF's TypeError unless `cell` has output_size, state_size, zero_state, __call__."""
    conditions = [hasattr(cell, "output_size"), hasattr(cell, "state_size"),
                  hasattr(cell, "get_initial_state") or hasattr(cell, "zero_state"),
                  callable(cell)]
    errors = ["'output_size' property is missing", "'state_size' property is missing",
              "either 'zero_state' or 'get_initial_state' method is required",
              "is not callable"]
    if not all(conditions):
        errors = [e for e, c in zip(errors, conditions) if not c]
        raise TypeError(f"The argument {cell_name!r} ({cell}) is not an RNNCell: "
                        f"{', '.join(errors)}.")


def _concat(prefix, suffix, static=False):
    """`prefix` (an int or a scalar/vector tensor) followed by the dims of `suffix`.

    A list of ints (None for an unknown batch) when `static`, else an int32 vector tensor.
    """
    if isinstance(prefix, Tensor):
        p = prefix
        p_static = constant_value(prefix)
        if p.shape.ndims == 0:
            p = array_ops.expand_dims(p, 0)
        elif p.shape.ndims != 1:
            raise ValueError(f"prefix tensor must be either a scalar or vector, but saw "
                             f"tensor: {p}")
    else:
        p_static = tensor_shape.as_shape(prefix).as_list() if prefix is not None else [None]
        p = None if None in p_static else convert_to_tensor(p_static, dtype=dtypes.int32)
    s = None
    if isinstance(suffix, Tensor):  # a size known only at run time (TF's _concat takes it)
        s = suffix if suffix.shape.ndims != 0 else array_ops.expand_dims(suffix, 0)
        if s.shape.ndims != 1:
            raise ValueError(f"suffix tensor must be either a scalar or vector, but saw "
                             f"tensor: {suffix}")
        value = constant_value(s)
        s_static = ([int(v) for v in value] if value is not None
                    else [None] * (s.shape.num_elements() or 0)
                    if s.shape.is_fully_defined() else None)
        if s_static is None:
            if static:
                return None
            return array_ops.concat((p, math_ops.cast(s, dtypes.int32)), 0)
    else:
        s_static = tensor_shape.as_shape(suffix).as_list()
    if static:
        if isinstance(p_static, (list, tuple)):
            head = list(p_static)
        elif p_static is None:
            head = [None]
        else:
            head = [int(x) for x in (p_static.reshape(-1) if hasattr(p_static, "reshape")
                                     else [p_static])]
        return head + s_static
    if s is not None:
        return array_ops.concat((p, math_ops.cast(s, dtypes.int32)), 0)
    if None in s_static:
        raise ValueError(f"Provided a prefix or suffix of None: {prefix} and {suffix}")
    return array_ops.concat((p, convert_to_tensor(s_static, dtype=dtypes.int32)), 0)


def _zero_state_tensors(state_size, batch_size, dtype):
    """Zeros shaped [batch_size] + size for each size in the (nested) `state_size`."""
    def get_state_shape(s):
        z = array_ops.zeros(_concat(batch_size, s), dtype=dtype)
        z.set_shape(_concat(batch_size, s, static=True))
        return z
    return nest.map_structure(get_state_shape, state_size)


class RNNCell(base_layer.Layer):
    """Abstract recurrent cell: maps (inputs [batch, depth], state) to (output, new_state).

    Subclasses define `state_size` and `output_size` (ints, TensorShapes, or nests of them)
    and `call(inputs, state)`. The cell's variables are made on its first call inside its
    layer scope (see the module docstring) and shared by every later call.

    Example:
        >>> out, new_state = cell(x_t, cell.zero_state(batch, tf.float32))
    """

    def __call__(self, inputs, state, scope=None):
        """Runs the cell on `inputs` from `state`.

        Args:
            inputs: a 2-D Tensor [batch, input_depth] (or a nest for cells that take one).
            state: a Tensor [batch, state_size] or a nest (e.g. LSTMStateTuple) matching
                `state_size`.
            scope: a variable scope (name or VariableScope) to hold the weights directly,
                instead of the class-named scope below the current one.

        Returns:
            (output, new_state).
        """
        if scope is not None:
            with vs.variable_scope(scope) as captured:
                if self._scope is None or isinstance(self._scope, str):
                    self._scope = captured
                return self._layer_call(inputs, state)
        return self._layer_call(inputs, state)

    def _layer_call(self, inputs, state):
        first = nest.flatten(inputs)[0] if nest.flatten(inputs) else None
        if self._dtype is None and isinstance(first, Tensor):
            self._dtype = first.dtype.base_dtype  # any dtype: build rejects non-floats
        return base_layer.Layer.__call__(self, inputs, state)

    @property
    def state_size(self):
        """The size(s) of the state: an int, a TensorShape, or a nest of them."""
        raise NotImplementedError("Abstract method")

    @property
    def output_size(self):
        """The size of the output: an int or a TensorShape."""
        raise NotImplementedError("Abstract method")

    def build(self, inputs_shape):
        """Cells without weights need no build; LSTM/GRU/RNN cells override this."""
        self.built = True

    def get_initial_state(self, inputs=None, batch_size=None, dtype=None):
        """The zero state for `inputs` (batch size and dtype taken from them) or given ones."""
        if inputs is not None:
            inputs = convert_to_tensor(inputs, name="inputs")
            static_batch = inputs.shape.with_rank_at_least(1).as_list()[0]
            if batch_size is not None and isinstance(batch_size, int) and \
                    static_batch is not None and static_batch != batch_size:
                raise ValueError(f"batch size from input tensor is different from the input "
                                 f"param. Input tensor batch: {static_batch}, batch_size: "
                                 f"{batch_size}")
            if dtype is not None and inputs.dtype != dtypes.as_dtype(dtype):
                raise ValueError(f"dtype from input tensor is different from the input "
                                 f"param. Input tensor dtype: {inputs.dtype}, dtype: {dtype}")
            batch_size = static_batch if static_batch is not None \
                else array_ops.shape(inputs)[0]
            dtype = inputs.dtype
        if batch_size is None or dtype is None:
            raise ValueError(f"batch_size and dtype cannot be None while constructing "
                             f"initial state: batch_size={batch_size}, dtype={dtype}")
        return self.zero_state(batch_size, dtype)

    def zero_state(self, batch_size, dtype):
        """Zero-filled state tensor(s), [batch_size] + each state size, made under the name
        scope `<ClassName>ZeroState`.

        Args:
            batch_size: an int or an int scalar Tensor.
            dtype: the state's dtype.

        Returns:
            A Tensor, or a nest of Tensors shaped as `state_size`.
        """
        with graph_mod.name_scope(type(self).__name__ + "ZeroState"):
            return _zero_state_tensors(self.state_size, batch_size, dtype)


def _check_supported_dtypes(dtype):
    if dtype is None:
        return
    dtype = dtypes.as_dtype(dtype)
    if not (dtype.is_floating or dtype.is_complex):
        raise ValueError(f"RNN cell only supports floating point inputs, but saw dtype: "
                         f"{dtype}")


def _input_depth(inputs_shape):
    depth = tensor_shape.as_shape(inputs_shape).as_list()[-1] \
        if tensor_shape.as_shape(inputs_shape).ndims else None
    if depth is None:
        raise ValueError(f"Expected inputs.shape[-1] to be known, saw shape: "
                         f"{tensor_shape.as_shape(inputs_shape)}")
    return depth


class LayerRNNCell(RNNCell):
    """An RNNCell whose weights are layer weights (`add_weight` in `build`)."""

    add_variable = base_layer.Layer.add_weight


class BasicRNNCell(LayerRNNCell):
    """`output = new_state = activation(W [inputs, state] + b)`.

    Args:
        num_units: the state and output size.
        activation: default `tf.tanh`.
        reuse: reuse the weights of an existing scope of the same name.
        name: the layer (variable scope) name; default "basic_rnn_cell".
        dtype: the weights' dtype (default: the inputs').
    """

    def __init__(self, num_units, activation=None, reuse=None, name=None, dtype=None,
                 **kwargs):
        super().__init__(_reuse=reuse, name=name, dtype=dtype, **kwargs)
        _check_supported_dtypes(self.dtype)
        self.input_spec = base_layer.InputSpec(ndim=2)
        self._num_units = num_units
        self._activation = activation or math_ops.tanh

    @property
    def state_size(self):
        return self._num_units

    @property
    def output_size(self):
        return self._num_units

    def build(self, inputs_shape):
        depth = _input_depth(inputs_shape)
        _check_supported_dtypes(self.dtype)
        self._kernel = self.add_weight("kernel", shape=[depth + self._num_units,
                                                        self._num_units])
        self._bias = self.add_weight("bias", shape=[self._num_units],
                                     initializer=zeros_initializer(dtype=self.dtype))
        self.built = True

    def call(self, inputs, state):
        gate_inputs = math_ops.matmul(array_ops.concat([inputs, state], 1), self._kernel)
        output = self._activation(nn_ops.bias_add(gate_inputs, self._bias))
        return output, output


class GRUCell(LayerRNNCell):
    """Gated recurrent unit (Cho et al. 2014), TF's formulation:
    `r, u = sigmoid(W_g [x, h] + b_g)`, `c = activation(W_c [x, r * h] + b_c)`,
    `h' = u * h + (1 - u) * c`.

    Args:
        num_units: the state size.
        activation: default `tf.tanh`.
        reuse, name, dtype: as BasicRNNCell.
        kernel_initializer: the kernels' initializer (default get_variable's).
        bias_initializer: the biases' initializer (default: 1.0 for the gates, 0 for the
            candidate).
    """

    def __init__(self, num_units, activation=None, reuse=None, kernel_initializer=None,
                 bias_initializer=None, name=None, dtype=None, **kwargs):
        super().__init__(_reuse=reuse, name=name, dtype=dtype, **kwargs)
        _check_supported_dtypes(self.dtype)
        self.input_spec = base_layer.InputSpec(ndim=2)
        self._num_units = num_units
        self._activation = activation or math_ops.tanh
        self._kernel_initializer = kernel_initializer
        self._bias_initializer = bias_initializer

    @property
    def state_size(self):
        return self._num_units

    @property
    def output_size(self):
        return self._num_units

    def build(self, inputs_shape):
        depth = _input_depth(inputs_shape)
        _check_supported_dtypes(self.dtype)
        n = self._num_units
        self._gate_kernel = self.add_weight("gates/kernel", shape=[depth + n, 2 * n],
                                            initializer=self._kernel_initializer)
        self._gate_bias = self.add_weight(
            "gates/bias", shape=[2 * n],
            initializer=self._bias_initializer or constant_initializer(1.0, dtype=self.dtype))
        self._candidate_kernel = self.add_weight("candidate/kernel", shape=[depth + n, n],
                                                 initializer=self._kernel_initializer)
        self._candidate_bias = self.add_weight(
            "candidate/bias", shape=[n],
            initializer=self._bias_initializer or zeros_initializer(dtype=self.dtype))
        self.built = True

    def call(self, inputs, state):
        gate_inputs = math_ops.matmul(array_ops.concat([inputs, state], 1), self._gate_kernel)
        value = math_ops.sigmoid(nn_ops.bias_add(gate_inputs, self._gate_bias))
        r, u = array_ops.split(value=value, num_or_size_splits=2, axis=1)
        candidate = math_ops.matmul(array_ops.concat([inputs, r * state], 1),
                                    self._candidate_kernel)
        c = self._activation(nn_ops.bias_add(candidate, self._candidate_bias))
        new_h = u * state + (1 - u) * c
        return new_h, new_h


_LSTMStateTupleBase = collections.namedtuple("LSTMStateTuple", ("c", "h"))


class LSTMStateTuple(_LSTMStateTupleBase):
    """An LSTM state `(c, h)`: the cell state and the hidden state (output), in that order."""

    __slots__ = ()

    @property
    def dtype(self):
        c, h = self
        if c.dtype != h.dtype:
            raise TypeError(f"Inconsistent internal state: {c.dtype} vs {h.dtype}")
        return c.dtype


class BasicLSTMCell(LayerRNNCell):
    """LSTM without peepholes or projection (Zaremba et al. 2014), TF's layout:
    `i, j, f, o = split(W [x, h] + b, 4)`, `c' = c * sigmoid(f + forget_bias) +
    sigmoid(i) * activation(j)`, `h' = activation(c') * sigmoid(o)`.

    Args:
        num_units: the cell size.
        forget_bias: added to the forget gate's pre-activation (default 1.0); use 0.0 when
            restoring CudnnLSTM-trained weights.
        state_is_tuple: state as LSTMStateTuple(c, h) (default) or one [batch, 2*units]
            tensor `concat([c, h], 1)` (deprecated in TF; logs a warning).
        activation: default `tf.tanh`.
        reuse, name, dtype: as BasicRNNCell.
    """

    def __init__(self, num_units, forget_bias=1.0, state_is_tuple=True, activation=None,
                 reuse=None, name=None, dtype=None, **kwargs):
        super().__init__(_reuse=reuse, name=name, dtype=dtype, **kwargs)
        _check_supported_dtypes(self.dtype)
        if not state_is_tuple:
            _warn_once("lstm_state_tuple", "%s: Using a concatenated state is slower and "
                       "will soon be deprecated.  Use state_is_tuple=True.", self)
        self.input_spec = base_layer.InputSpec(ndim=2)
        self._num_units = num_units
        self._forget_bias = forget_bias
        self._state_is_tuple = state_is_tuple
        self._activation = activation or math_ops.tanh

    @property
    def state_size(self):
        n = self._num_units
        return LSTMStateTuple(n, n) if self._state_is_tuple else 2 * n

    @property
    def output_size(self):
        return self._num_units

    def build(self, inputs_shape):
        depth = _input_depth(inputs_shape)
        _check_supported_dtypes(self.dtype)
        n = self._num_units
        self._kernel = self.add_weight("kernel", shape=[depth + n, 4 * n])
        self._bias = self.add_weight("bias", shape=[4 * n],
                                     initializer=zeros_initializer(dtype=self.dtype))
        self.built = True

    def call(self, inputs, state):
        if self._state_is_tuple:
            c, h = state
        else:
            c, h = array_ops.split(value=state, num_or_size_splits=2, axis=1)
        gate_inputs = nn_ops.bias_add(
            math_ops.matmul(array_ops.concat([inputs, h], 1), self._kernel), self._bias)
        i, j, f, o = array_ops.split(value=gate_inputs, num_or_size_splits=4, axis=1)
        forget_bias = convert_to_tensor(self._forget_bias, dtype=f.dtype)
        new_c = c * math_ops.sigmoid(f + forget_bias) + \
            math_ops.sigmoid(i) * self._activation(j)
        new_h = self._activation(new_c) * math_ops.sigmoid(o)
        if self._state_is_tuple:
            return new_h, LSTMStateTuple(new_c, new_h)
        return new_h, array_ops.concat([new_c, new_h], 1)


class LSTMCell(LayerRNNCell):
    """LSTM with optional peepholes (Gers & Schmidhuber 2000), cell clipping and an output
    projection (Sak et al. 2014); gates as BasicLSTMCell (i, j, f, o).

    Args:
        num_units: the cell size.
        use_peepholes: diagonal peephole weights `w_f_diag`, `w_i_diag`, `w_o_diag`.
        cell_clip: clip the cell state to [-cell_clip, cell_clip] before the output.
        initializer: the kernels', peepholes' and projection's initializer.
        num_proj: project the output (and h) to this size with `projection/kernel`.
        proj_clip: clip the projected output to [-proj_clip, proj_clip].
        num_unit_shards, num_proj_shards: weight partitioning, which flowexec does not do
            (a value other than None is a ValueError).
        forget_bias: added to the forget gate's pre-activation (default 1.0).
        state_is_tuple: LSTMStateTuple(c, h) (default) or `concat([c, h], 1)`.
        activation: default `tf.tanh`.
        reuse, name, dtype: as BasicRNNCell.
    """

    def __init__(self, num_units, use_peepholes=False, cell_clip=None, initializer=None,
                 num_proj=None, proj_clip=None, num_unit_shards=None, num_proj_shards=None,
                 forget_bias=1.0, state_is_tuple=True, activation=None, reuse=None,
                 name=None, dtype=None, **kwargs):
        super().__init__(_reuse=reuse, name=name, dtype=dtype, **kwargs)
        _check_supported_dtypes(self.dtype)
        if not state_is_tuple:
            _warn_once("lstm_state_tuple", "%s: Using a concatenated state is slower and "
                       "will soon be deprecated.  Use state_is_tuple=True.", self)
        if num_unit_shards is not None or num_proj_shards is not None:
            raise ValueError("LSTMCell: num_unit_shards and num_proj_shards (deprecated "
                             "weight partitioning) are not supported by flowexec; leave "
                             "them None.")
        self.input_spec = base_layer.InputSpec(ndim=2)
        self._num_units = num_units
        self._use_peepholes = use_peepholes
        self._cell_clip = cell_clip
        self._initializer = initializer
        self._num_proj = num_proj
        self._proj_clip = proj_clip
        self._forget_bias = forget_bias
        self._state_is_tuple = state_is_tuple
        self._activation = activation or math_ops.tanh

    @property
    def state_size(self):
        n, p = self._num_units, self._num_proj
        if p:
            return LSTMStateTuple(n, p) if self._state_is_tuple else n + p
        return LSTMStateTuple(n, n) if self._state_is_tuple else 2 * n

    @property
    def output_size(self):
        return self._num_proj or self._num_units

    def build(self, inputs_shape):
        depth = _input_depth(inputs_shape)
        _check_supported_dtypes(self.dtype)
        n = self._num_units
        h_depth = self._num_proj or n
        init = self._initializer
        self._kernel = self.add_weight("kernel", shape=[depth + h_depth, 4 * n],
                                       initializer=init)
        self._bias = self.add_weight("bias", shape=[4 * n],
                                     initializer=zeros_initializer(dtype=self.dtype))
        if self._use_peepholes:
            self._w_f_diag = self.add_weight("w_f_diag", shape=[n], initializer=init)
            self._w_i_diag = self.add_weight("w_i_diag", shape=[n], initializer=init)
            self._w_o_diag = self.add_weight("w_o_diag", shape=[n], initializer=init)
        if self._num_proj is not None:
            self._proj_kernel = self.add_weight("projection/kernel", shape=[n, self._num_proj],
                                                initializer=init)
        self.built = True

    def call(self, inputs, state):
        n = self._num_units
        num_proj = self._num_proj or n
        sigmoid = math_ops.sigmoid
        if self._state_is_tuple:
            c_prev, m_prev = state
        else:
            c_prev = array_ops.slice(state, [0, 0], [-1, n])
            m_prev = array_ops.slice(state, [0, n], [-1, num_proj])
        if inputs.shape.with_rank(2).as_list()[1] is None:
            raise ValueError("Could not infer input size from inputs.get_shape()[-1]")
        lstm_matrix = nn_ops.bias_add(
            math_ops.matmul(array_ops.concat([inputs, m_prev], 1), self._kernel), self._bias)
        i, j, f, o = array_ops.split(value=lstm_matrix, num_or_size_splits=4, axis=1)
        if self._use_peepholes:
            c = sigmoid(f + self._forget_bias + self._w_f_diag * c_prev) * c_prev + \
                sigmoid(i + self._w_i_diag * c_prev) * self._activation(j)
        else:
            c = sigmoid(f + self._forget_bias) * c_prev + sigmoid(i) * self._activation(j)
        if self._cell_clip is not None:
            c = clip_ops.clip_by_value(c, -self._cell_clip, self._cell_clip)
        if self._use_peepholes:
            m = sigmoid(o + self._w_o_diag * c) * self._activation(c)
        else:
            m = sigmoid(o) * self._activation(c)
        if self._num_proj is not None:
            m = math_ops.matmul(m, self._proj_kernel)
            if self._proj_clip is not None:
                m = clip_ops.clip_by_value(m, -self._proj_clip, self._proj_clip)
        if self._state_is_tuple:
            return m, LSTMStateTuple(c, m)
        return m, array_ops.concat([c, m], 1)


class MultiRNNCell(RNNCell):
    """Cells stacked in layers: cell i's output is cell i+1's input; cell i's weights live
    under `multi_rnn_cell/cell_<i>/`.

    Args:
        cells: a list of RNNCells (the same object twice shares its weights; TF warns).
        state_is_tuple: the state is a tuple with one state per cell (default), or the
            concatenation along axis 1 (then no cell may have a tuple state).

    Raises:
        ValueError: no cells; a tuple-state cell with state_is_tuple=False.
        TypeError: cells not a list or tuple.
    """

    def __init__(self, cells, state_is_tuple=True):
        super().__init__()
        if not cells:
            raise ValueError("Must specify at least one cell for MultiRNNCell.")
        if not nest.is_nested(cells):
            raise TypeError(f"cells must be a list or tuple, but saw: {cells}.")
        if len({id(c) for c in cells}) < len(cells):
            _warn_once("multi_rnn_same", "At least two cells provided to MultiRNNCell are "
                       "the same object and will share weights.")
        self._cells = list(cells)
        self._state_is_tuple = state_is_tuple
        if not state_is_tuple and any(nest.is_nested(c.state_size) for c in self._cells):
            raise ValueError(f"Some cells return tuples of states, but the flag "
                             f"state_is_tuple is not set.  State sizes are: "
                             f"{[c.state_size for c in self._cells]}")

    @property
    def state_size(self):
        if self._state_is_tuple:
            return tuple(c.state_size for c in self._cells)
        return sum(c.state_size for c in self._cells)

    @property
    def output_size(self):
        return self._cells[-1].output_size

    def zero_state(self, batch_size, dtype):
        if self._state_is_tuple:
            with graph_mod.name_scope(type(self).__name__ + "ZeroState"):
                return tuple(c.zero_state(batch_size, dtype) for c in self._cells)
        return super().zero_state(batch_size, dtype)

    @property
    def trainable_weights(self):
        if not self.trainable:
            return []
        return [w for c in self._cells for w in c.trainable_weights]

    trainable_variables = trainable_weights

    @property
    def non_trainable_weights(self):
        out = [w for c in self._cells for w in c.non_trainable_weights]
        if not self.trainable:
            out = [w for c in self._cells for w in c.trainable_weights] + out
        return out

    non_trainable_variables = non_trainable_weights

    @property
    def weights(self):
        return self.trainable_weights + self.non_trainable_weights

    variables = weights

    def call(self, inputs, state):
        cur_pos = 0
        cur_inp = inputs
        new_states = []
        for i, cell in enumerate(self._cells):
            with vs.variable_scope(f"cell_{i}"):
                if self._state_is_tuple:
                    if not nest.is_nested(state):
                        raise ValueError(f"Expected state to be a tuple of length "
                                         f"{len(self.state_size)}, but received: {state}")
                    cur_state = state[i]
                else:
                    cur_state = array_ops.slice(state, [0, cur_pos], [-1, cell.state_size])
                    cur_pos += cell.state_size
                cur_inp, new_state = cell(cur_inp, cur_state)
                new_states.append(new_state)
        if self._state_is_tuple:
            return cur_inp, tuple(new_states)
        return cur_inp, array_ops.concat(new_states, 1)


class _RNNCellWrapper(RNNCell):
    """A cell that calls another: no variable scope of its own; sizes are the wrapped cell's."""

    def __init__(self, cell, dtype=None):
        super().__init__(dtype=dtype)
        assert_like_rnncell("cell", cell)
        self.cell = cell

    @property
    def state_size(self):
        return self.cell.state_size

    @property
    def output_size(self):
        return self.cell.output_size

    def zero_state(self, batch_size, dtype):
        with graph_mod.name_scope(type(self).__name__ + "ZeroState"):
            return self.cell.zero_state(batch_size, dtype)

    @property
    def trainable_weights(self):
        return self.cell.trainable_weights

    trainable_variables = trainable_weights

    @property
    def non_trainable_weights(self):
        return self.cell.non_trainable_weights

    non_trainable_variables = non_trainable_weights

    @property
    def weights(self):
        return self.cell.weights

    variables = weights

    def __call__(self, inputs, state, scope=None):
        return self._call_wrapped_cell(inputs, state, scope)

    def _call_wrapped_cell(self, inputs, state, scope):
        raise NotImplementedError("Abstract method")


def _default_dropout_state_filter_visitor(substate):
    if isinstance(substate, LSTMStateTuple):
        return LSTMStateTuple(c=False, h=True)  # TF drops h, never the memory c
    return True


def _enumerated_map(shallow, fn, *structures):
    """fn(i, *leaves) over the leaves of `shallow` (leaf i), descending the structures
    only as deep as `shallow` does."""
    counter = [0]

    def rec(sh, *vals):
        if nest.is_nested(sh) and not isinstance(sh, Tensor):
            children = nest._children(sh)
            parts = [nest._children(v) for v in vals]
            return nest._rebuild(sh, [rec(c, *(p[k] for p in parts))
                                      for k, c in enumerate(children)])
        i = counter[0]
        counter[0] += 1
        return fn(i, sh, *vals)
    return rec(shallow, *structures)


class DropoutWrapper(_RNNCellWrapper):
    """Dropout on a cell's inputs, outputs and (new) state.

    Args:
        cell: the RNNCell to wrap.
        input_keep_prob, output_keep_prob, state_keep_prob: keep probabilities, floats in
            [0, 1] or scalar Tensors; 1 means no dropout. State dropout leaves an LSTM's
            memory `c` alone (only `h` is dropped), as TF.
        variational_recurrent: one dropout mask per sequence (made once, reused at every
            time step; Gal & Ghahramani 2016) instead of a fresh mask per step; needs
            `dtype`, and `input_size` when inputs are dropped.
        input_size: the (nested) input depth(s), for variational input dropout.
        dtype: the masks' dtype (variational_recurrent).
        seed: derives each mask's op seed as TF does (md5 of seed + "input_0", ...).
        dropout_state_filter_visitor: `fn(substate)` -> bool or a shallow structure of
            bools saying which parts of the state to drop.

    Raises:
        ValueError: a keep probability outside [0, 1]; variational_recurrent without dtype
            (or without input_size while dropping inputs).
        TypeError: a non-callable dropout_state_filter_visitor.
    """

    def __init__(self, cell, input_keep_prob=1.0, output_keep_prob=1.0, state_keep_prob=1.0,
                 variational_recurrent=False, input_size=None, dtype=None, seed=None,
                 dropout_state_filter_visitor=None):
        super().__init__(cell, dtype=dtype)
        if dropout_state_filter_visitor is not None and \
                not callable(dropout_state_filter_visitor):
            raise TypeError("dropout_state_filter_visitor must be callable")
        self._dropout_state_filter = (dropout_state_filter_visitor
                                      or _default_dropout_state_filter_visitor)
        with graph_mod.name_scope("DropoutWrapperInit"):
            for prob, attr in ((input_keep_prob, "input_keep_prob"),
                               (state_keep_prob, "state_keep_prob"),
                               (output_keep_prob, "output_keep_prob")):
                tensor_prob = convert_to_tensor(prob)
                const = constant_value(tensor_prob)
                if const is not None:
                    const = float(const)
                    if const < 0 or const > 1:
                        raise ValueError(f"Parameter {attr} must be between 0 and 1: "
                                         f"{int(const)}")
                    setattr(self, f"_{attr}", const)
                else:
                    setattr(self, f"_{attr}", tensor_prob)
        self._variational_recurrent = variational_recurrent
        self._input_size = input_size
        self._seed = seed
        self._recurrent_input_noise = None
        self._recurrent_state_noise = None
        self._recurrent_output_noise = None
        if variational_recurrent:
            if dtype is None:
                raise ValueError("When variational_recurrent=True, dtype must be provided")

            def batch_noise(s, inner_seed):
                shape = [1] + tensor_shape.as_shape(s).as_list()
                return random_ops.random_uniform(shape, seed=inner_seed, dtype=dtype)

            if not isinstance(self._input_keep_prob, numbers.Real) or \
                    self._input_keep_prob < 1.0:
                if input_size is None:
                    raise ValueError("When variational_recurrent=True and input_keep_prob < "
                                     "1.0 or is unknown, input_size must be provided")
                self._recurrent_input_noise = _enumerated_map(
                    input_size, lambda i, s: batch_noise(s, self._gen_seed("input", i)))
            self._recurrent_state_noise = _enumerated_map(
                cell.state_size, lambda i, s: batch_noise(s, self._gen_seed("state", i)))
            self._recurrent_output_noise = _enumerated_map(
                cell.output_size, lambda i, s: batch_noise(s, self._gen_seed("output", i)))

    def _gen_seed(self, salt_prefix, index):
        if self._seed is None:
            return None
        digest = hashlib.md5((str(self._seed) + f"{salt_prefix}_{index}").encode("utf-8"))
        return int(digest.hexdigest()[:8], 16) & 0x7FFFFFFF

    def _variational_dropout(self, value, noise, keep_prob):
        binary = math_ops.floor(keep_prob + noise)
        out = math_ops.div(value, keep_prob) * binary
        out.set_shape(value.shape)
        return out

    def _dropout(self, values, salt_prefix, noise, keep_prob, shallow=None):
        shallow = values if shallow is None else shallow

        def drop(i, do_dropout, v, n=None):
            if isinstance(do_dropout, bool) and not do_dropout:
                return v
            if self._variational_recurrent:
                return self._variational_dropout(v, n, keep_prob)
            return nn_ops.dropout(v, keep_prob=keep_prob,
                                  seed=self._gen_seed(salt_prefix, i))
        if self._variational_recurrent:
            return _enumerated_map(shallow, drop, values, noise)
        return _enumerated_map(shallow, drop, values)

    def _call_wrapped_cell(self, inputs, state, scope):
        def should_drop(p):
            return not isinstance(p, float) or p < 1

        if should_drop(self._input_keep_prob):
            inputs = self._dropout(inputs, "input", self._recurrent_input_noise,
                                   self._input_keep_prob)
        output, new_state = self.cell(inputs, state, scope=scope)
        if should_drop(self._state_keep_prob):
            shallow = _traverse_shallow(self._dropout_state_filter, new_state)
            new_state = self._dropout(new_state, "state", self._recurrent_state_noise,
                                      self._state_keep_prob, shallow)
        if should_drop(self._output_keep_prob):
            output = self._dropout(output, "output", self._recurrent_output_noise,
                                   self._output_keep_prob)
        return output, new_state


def _traverse_shallow(visitor, structure):
    """The bool structure saying which leaves of `structure` to visit (TF's
    nest.get_traverse_shallow_structure): `visitor(sub)` is a bool (for the whole subtree)
    or a shallow structure of bools."""
    verdict = visitor(structure)
    if isinstance(verdict, bool):
        if verdict and nest.is_nested(structure) and not isinstance(structure, Tensor):
            return nest._rebuild(structure, [_traverse_shallow(visitor, c)
                                             for c in nest._children(structure)])
        return verdict
    nest.assert_same_structure(verdict, structure, check_types=False) \
        if nest.is_nested(verdict) else None
    return verdict


class ResidualWrapper(_RNNCellWrapper):
    """`output = inputs + cell_output` (the state is the cell's). The inputs and outputs
    must have the same structure and compatible shapes.

    Args:
        cell: the RNNCell to wrap.
        residual_fn: `fn(inputs, outputs)` replacing the sum.
    """

    def __init__(self, cell, residual_fn=None):
        super().__init__(cell)
        self._residual_fn = residual_fn

    def _call_wrapped_cell(self, inputs, state, scope):
        outputs, new_state = self.cell(inputs, state, scope=scope)

        def default_residual_fn(inputs, outputs):
            nest.assert_same_structure(inputs, outputs)

            def add(inp, out):
                inp.shape.assert_is_compatible_with(out.shape)
                return inp + out
            return nest.map_structure(add, inputs, outputs)
        return (self._residual_fn or default_residual_fn)(inputs, outputs), new_state


class DeviceWrapper(_RNNCellWrapper):
    """Runs a cell (and makes its zero state) on `device`.

    Args:
        cell: the RNNCell to wrap.
        device: a device string ("/cpu:0", "/gpu:1", ...).
    """

    def __init__(self, cell, device):
        super().__init__(cell)
        self._device = device

    def zero_state(self, batch_size, dtype):
        with graph_mod.name_scope(type(self).__name__ + "ZeroState"):
            with graph_mod.device(self._device):
                return self.cell.zero_state(batch_size, dtype)

    def _call_wrapped_cell(self, inputs, state, scope):
        with graph_mod.device(self._device):
            return self.cell(inputs, state, scope=scope)


__all__ = ["RNNCell", "BasicRNNCell", "BasicLSTMCell", "LSTMCell", "GRUCell", "MultiRNNCell",
           "DropoutWrapper", "ResidualWrapper", "DeviceWrapper", "LSTMStateTuple"]
