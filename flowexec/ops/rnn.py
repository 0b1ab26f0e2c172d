"""Running an RNN cell over a sequence: `tf.nn.static_rnn`, `static_bidirectional_rnn`
(one cell call per time step, unrolled in the graph), `tf.nn.dynamic_rnn` and
`bidirectional_dynamic_rnn` (one `tf.while_loop` over time; the graph holds one step).

dynamic_rnn is built as TF builds it: the time-major input is unstacked into a TensorArray,
the loop body (under "rnn/while") reads step `time`, calls the cell and writes the output
TensorArray, which is stacked after the loop; gradients flow back through the While
(ops/control_flow_grad.py), the TensorArrays and the sequence_length selects.

Semantics are TF 1.x's:

- Variables live under the `scope` argument, default "rnn" ("bidirectional_rnn/fw",
  ".../bw" for the bidirectional forms), e.g. `rnn/basic_lstm_cell/kernel`.
- With `sequence_length` (an int vector [batch]), an example's outputs past its length are
  zeros and its state is copied through unchanged, so the final state is the state at each
  example's last valid step. dynamic_rnn stops iterating at `max(sequence_length)` (at least
  one step), leaving later outputs zero.
- `initial_state` or `dtype` must be given (the zero state is `cell.zero_state`).
- dynamic_rnn takes batch-major inputs [batch, time, depth] (or `time_major=True`:
  [time, batch, depth]) and returns outputs in the same layout; inputs and outputs may be
  nested structures. `parallel_iterations` and `swap_memory` are accepted (iterations run in
  order; nothing is swapped).

Example:
    >>> cell = tf.nn.rnn_cell.BasicLSTMCell(128)
    >>> outputs, state = tf.nn.dynamic_rnn(cell, x, sequence_length=lengths,
    ...                                    dtype=tf.float32)   # x: [batch, time, depth]
"""

from flowexec import variable_scope as vs
from flowexec.framework import dtypes, nest, tensor_shape
from flowexec.framework import graph as graph_mod
from flowexec.framework.convert import convert_to_tensor
from flowexec.framework.tensor import Tensor
from flowexec.ops import array_ops, constant_op, logging_ops, manip_ops, math_ops
from flowexec.ops import while_loop as while_loop_mod
from flowexec.ops.rnn_cell_impl import _concat, assert_like_rnncell
from flowexec.ops.tensor_array_ops import TensorArray


def _infer_state_dtype(explicit_dtype, state):
    if explicit_dtype is not None:
        return dtypes.as_dtype(explicit_dtype)
    if nest.is_nested(state):
        inferred = [s.dtype for s in nest.flatten(state)]
        if not inferred:
            raise ValueError("Unable to infer dtype from empty state.")
        if not all(d == inferred[0] for d in inferred):
            raise ValueError("State has tensors of different inferred_dtypes. Unable to infer "
                             "a single representative dtype.")
        return inferred[0]
    return state.dtype


def _initial_state(cell, initial_state, dtype, batch_size, message):
    if initial_state is not None:
        return initial_state
    if not dtype:
        raise ValueError(message)
    return cell.get_initial_state(inputs=None, batch_size=batch_size, dtype=dtype) \
        if hasattr(cell, "get_initial_state") else cell.zero_state(batch_size, dtype)


def _rnn_step(time, sequence_length, zero_output, state, call_cell):
    """One step with `sequence_length`: where `time >= sequence_length` the output is zero
    and the state is copied through (TF's _rnn_step with skip_conditionals)."""
    flat_state = nest.flatten(state)
    flat_zero_output = nest.flatten(zero_output)
    copy_cond = math_ops.greater_equal(time, sequence_length)
    new_output, new_state = call_cell()
    nest.assert_same_structure(zero_output, new_output)
    nest.assert_same_structure(state, new_state)

    def copy_one_through(old, new):
        if old.shape.ndims == 0:
            return new
        out = math_ops.where(copy_cond, old, new)
        out.set_shape(new.shape)
        return out
    flat_out = [copy_one_through(z, n) for z, n in zip(flat_zero_output,
                                                         nest.flatten(new_output))]
    flat_st = [copy_one_through(s, n) for s, n in zip(flat_state, nest.flatten(new_state))]
    return (nest.pack_sequence_as(zero_output, flat_out),
            nest.pack_sequence_as(state, flat_st))


def _zero_output(cell, batch_size, static_batch, dtype):
    def make(size):
        out = array_ops.zeros(_concat(batch_size, size), dtype=dtype)
        out.set_shape(_concat(static_batch, size, static=True))
        return out
    return nest.map_structure(make, cell.output_size)


def _seq_length(sequence_length, message):
    if sequence_length is None:
        return None
    sequence_length = convert_to_tensor(sequence_length, name="sequence_length")
    if sequence_length.shape.ndims not in (None, 1):
        raise ValueError(message.format(shape=sequence_length.shape))
    return math_ops.cast(sequence_length, dtypes.int32)


def static_rnn(cell, inputs, initial_state=None, dtype=None, sequence_length=None,
               scope=None):
    """Runs `cell` over a Python list of time steps, unrolled (one call per step).

    Args:
        cell: an RNNCell.
        inputs: a list of T tensors [batch, depth] (or of nests of them).
        initial_state: the starting state (default `cell.zero_state(batch, dtype)`).
        dtype: the state's dtype when initial_state is not given.
        sequence_length: an int vector [batch]; outputs past it are zeros and the state is
            copied through.
        scope: variable scope (default "rnn").

    Returns:
        (outputs, state): a list of T outputs, and the final state.

    Raises:
        TypeError: `cell` is not an RNNCell or `inputs` is not a sequence.
        ValueError: empty inputs, no initial_state and no dtype, an unknown input depth, a
            sequence_length that is not a vector.
    """
    assert_like_rnncell("cell", cell)
    if not nest.is_nested(inputs):
        raise TypeError("inputs must be a sequence")
    if not inputs:
        raise ValueError("inputs must not be empty")
    outputs = []
    with vs.variable_scope(scope or "rnn") as varscope:
        first_input = inputs
        while nest.is_nested(first_input):
            first_input = first_input[0]
        first_input = convert_to_tensor(first_input)
        if first_input.shape.ndims != 1:
            static_batch = first_input.shape.with_rank_at_least(2).as_list()[0]
            for flat_input in nest.flatten(inputs):
                shape = convert_to_tensor(flat_input).shape.with_rank_at_least(2).as_list()
                if None not in (static_batch, shape[0]) and static_batch != shape[0]:
                    raise ValueError(f"Dimensions {static_batch} and {shape[0]} are not "
                                     f"compatible")
                static_batch = static_batch if static_batch is not None else shape[0]
                for i, size in enumerate(shape[1:]):
                    if size is None:
                        raise ValueError(f"Input size (dimension {i} of inputs) must be "
                                         f"accessible via shape inference, but saw value "
                                         f"None.")
        else:
            static_batch = first_input.shape.with_rank_at_least(1).as_list()[0]
        batch_size = static_batch if static_batch else array_ops.shape(first_input)[0]
        state = _initial_state(cell, initial_state, dtype, batch_size,
                               "If no initial_state is provided, dtype must be specified")
        sequence_length = _seq_length(sequence_length,
                                      "sequence_length must be a vector of length batch_size")
        if sequence_length is not None:
            zero_output = _zero_output(cell, batch_size, static_batch,
                                       _infer_state_dtype(dtype, state))
        for time, input_ in enumerate(inputs):
            if time > 0:
                varscope.reuse_variables()
            step_input, step_state = input_, state

            def call_cell():
                return cell(step_input, step_state)
            if sequence_length is not None:
                output, state = _rnn_step(time, sequence_length, zero_output, state,
                                          call_cell)
            else:
                output, state = call_cell()
            outputs.append(output)
        return outputs, state


def _reverse_seq(input_seq, lengths):
    """The list of steps reversed; with `lengths`, each example's first lengths[b] steps."""
    if lengths is None:
        return list(reversed(input_seq))
    flat_seqs = [nest.flatten(x) for x in input_seq]
    flat_results = [[] for _ in input_seq]
    for sequence in zip(*flat_seqs):
        shape = tensor_shape.unknown_shape()
        for x in sequence:
            shape = shape.merge_with(x.shape)
        joined = array_ops.stack(list(sequence))
        reversed_ = manip_ops.reverse_sequence(joined, lengths, seq_axis=0, batch_axis=1)
        for r, flat_result in zip(array_ops.unstack(reversed_), flat_results):
            r.set_shape(shape)
            flat_result.append(r)
    return [nest.pack_sequence_as(x, r) for x, r in zip(input_seq, flat_results)]


def _check_bidirectional(cell_fw, cell_bw):
    assert_like_rnncell("cell_fw", cell_fw)
    assert_like_rnncell("cell_bw", cell_bw)


def static_bidirectional_rnn(cell_fw, cell_bw, inputs, initial_state_fw=None,
                             initial_state_bw=None, dtype=None, sequence_length=None,
                             scope=None):
    """A forward and a backward static_rnn over `inputs`, outputs concatenated per step.

    The backward cell sees each example's first `sequence_length` steps reversed; its
    outputs are reversed back. Variables go under `<scope>/fw` and `<scope>/bw` (default
    scope "bidirectional_rnn").

    Returns:
        (outputs, output_state_fw, output_state_bw): outputs is a list of T tensors
        [batch, fw_size + bw_size].
    """
    _check_bidirectional(cell_fw, cell_bw)
    if not nest.is_nested(inputs):
        raise TypeError("inputs must be a sequence")
    if not inputs:
        raise ValueError("inputs must not be empty")
    with vs.variable_scope(scope or "bidirectional_rnn"):
        with vs.variable_scope("fw") as fw_scope:
            output_fw, state_fw = static_rnn(cell_fw, inputs, initial_state_fw, dtype,
                                             sequence_length, scope=fw_scope)
        with vs.variable_scope("bw") as bw_scope:
            reversed_inputs = _reverse_seq(inputs, sequence_length)
            tmp, state_bw = static_rnn(cell_bw, reversed_inputs, initial_state_bw, dtype,
                                       sequence_length, scope=bw_scope)
    output_bw = _reverse_seq(tmp, sequence_length)
    flat = tuple(array_ops.concat([fw, bw], 1)
                 for fw, bw in zip(nest.flatten(output_fw), nest.flatten(output_bw)))
    return nest.pack_sequence_as(output_fw, flat), state_fw, state_bw


def _transpose_batch_time(x):
    """Swaps axes 0 and 1 (batch-major <-> time-major); rank < 2 is returned as is."""
    shape = x.shape
    if shape.ndims is not None and shape.ndims < 2:
        return x
    if shape.ndims is None:
        rank = array_ops.rank(x)
        perm = array_ops.concat(([1, 0], array_ops.range(2, rank)), axis=0)
    else:
        perm = [1, 0] + list(range(2, shape.ndims))
    out = array_ops.transpose(x, perm)
    if shape.ndims is not None:
        dims = shape.as_list()
        out.set_shape([dims[1], dims[0]] + dims[2:])
    return out


def _best_effort_input_batch_size(flat_input):
    for x in flat_input:
        shape = x.shape
        if shape.ndims is None:
            continue
        if shape.ndims < 2:
            raise ValueError(f"Expected input tensor {x} to have rank at least 2")
        if shape.as_list()[1] is not None:
            return shape.as_list()[1]
    return array_ops.shape(flat_input[0])[1]


def dynamic_rnn(cell, inputs, sequence_length=None, initial_state=None, dtype=None,
                parallel_iterations=None, swap_memory=False, time_major=False, scope=None):
    """Runs `cell` over the time axis of `inputs` in a `tf.while_loop`.

    Args:
        cell: an RNNCell.
        inputs: [batch, time, ...] (or [time, batch, ...] with time_major), or a nest of
            such tensors with the same batch and time sizes.
        sequence_length: an int vector [batch]; outputs past each length are zeros and the
            state is copied through (the final state is each example's last valid one).
        initial_state: the starting state (default `cell.zero_state(batch, dtype)`).
        dtype: the state's dtype when initial_state is not given.
        parallel_iterations, swap_memory: accepted for TF compatibility.
        time_major: inputs and outputs are [time, batch, ...].
        scope: variable scope (default "rnn").

    Returns:
        (outputs, state): outputs [batch, time, output_size] (time-major if asked; nested as
        `cell.output_size`), and the final state (nested as `cell.state_size`).

    Raises:
        TypeError: `cell` is not an RNNCell.
        ValueError: no initial_state and no dtype; an input depth that shape inference
            cannot see; inputs disagreeing on time or batch size; a sequence_length that is
            not a vector.
        InvalidArgumentError (at run time): sequence_length's size is not the batch size.
    """
    assert_like_rnncell("cell", cell)
    with vs.variable_scope(scope or "rnn"):
        flat_input = [convert_to_tensor(x) for x in nest.flatten(inputs)]
        if not time_major:
            flat_input = [_transpose_batch_time(x) for x in flat_input]
        sequence_length = _seq_length(
            sequence_length, "sequence_length must be a vector of length batch_size, but saw "
            "shape: {shape}")
        if sequence_length is not None:
            sequence_length = constant_op.identity(sequence_length, name="sequence_length")
        batch_size = _best_effort_input_batch_size(flat_input)
        state = _initial_state(cell, initial_state, dtype, batch_size,
                               "If there is no initial_state, you must give a dtype.")
        if sequence_length is not None:
            x_shape = array_ops.shape(sequence_length)
            packed = array_ops.stack([batch_size])
            check = logging_ops.Assert(
                math_ops.reduce_all(math_ops.equal(x_shape, packed)),
                [f"Expected shape for Tensor {sequence_length.name} is ", packed,
                 " but saw shape: ", x_shape])
            with graph_mod.control_dependencies([check]):
                sequence_length = constant_op.identity(sequence_length, name="CheckSeqLen")
        inputs = nest.pack_sequence_as(inputs, flat_input)
        outputs, final_state = _dynamic_rnn_loop(cell, inputs, state, sequence_length,
                                                 dtype, parallel_iterations or 32,
                                                 swap_memory)
        if not time_major:
            outputs = nest.map_structure(_transpose_batch_time, outputs)
        return outputs, final_state


def _dynamic_rnn_loop(cell, inputs, initial_state, sequence_length, dtype,
                      parallel_iterations, swap_memory):
    """TF's _dynamic_rnn_loop: the time-major inputs unstacked into TensorArrays, one
    while_loop over time reading step `time`, calling the cell and writing its outputs into
    output TensorArrays, which are stacked after the loop."""
    flat_input = nest.flatten(inputs)
    flat_output_size = nest.flatten(cell.output_size)
    time_steps = array_ops.shape(flat_input[0])[0]
    batch_size = _best_effort_input_batch_size(flat_input)
    got_shapes = [x.shape.with_rank_at_least(3) for x in flat_input]
    const_time, const_batch = got_shapes[0].as_list()[:2]
    for shape in got_shapes:
        if not shape[2:].is_fully_defined():
            raise ValueError("Input size (depth of inputs) must be accessible via shape "
                             "inference, but saw value None.")
        if shape.as_list()[0] != const_time:
            raise ValueError("Time steps is not the same for all the elements in the input "
                             "in a batch.")
        if shape.as_list()[1] != const_batch:
            raise ValueError("Batch_size is not the same for all the elements in the input.")
    out_dtype = _infer_state_dtype(dtype, initial_state)
    zero_output = _zero_output(cell, batch_size, const_batch, out_dtype)
    if sequence_length is not None:
        max_sequence_length = math_ops.reduce_max(sequence_length)
    with graph_mod.name_scope("dynamic_rnn") as base_name:
        time = constant_op.constant(0, dtype=dtypes.int32, name="time")

    def create_ta(name, element_shape, dtype_):
        return TensorArray(dtype=dtype_, size=time_steps, element_shape=element_shape,
                           tensor_array_name=base_name + name)
    output_ta = tuple(
        create_ta(f"output_{i}", tensor_shape.TensorShape([const_batch]).concatenate(
            tensor_shape.as_shape(size)), out_dtype)
        for i, size in enumerate(flat_output_size))
    input_ta = tuple(create_ta(f"input_{i}", x.shape[1:], x.dtype).unstack(x)
                     for i, x in enumerate(flat_input))

    def time_step(time, output_ta_t, state):
        input_t = tuple(ta.read(time) for ta in input_ta)
        for x, shape in zip(input_t, got_shapes):
            x.set_shape(shape[1:])
        input_t = nest.pack_sequence_as(inputs, input_t)

        def call_cell():
            return cell(input_t, state)
        if sequence_length is not None:
            output, new_state = _rnn_step(time, sequence_length, zero_output, state,
                                          call_cell)
        else:
            output, new_state = call_cell()
        output_ta_t = tuple(ta.write(time, out)
                            for ta, out in zip(output_ta_t, nest.flatten(output)))
        return time + 1, output_ta_t, new_state

    if sequence_length is not None:
        loop_bound = math_ops.minimum(time_steps, math_ops.maximum(1, max_sequence_length))
    else:
        loop_bound = time_steps
    _, output_final_ta, final_state = while_loop_mod.while_loop(
        lambda time, *_: time < loop_bound, time_step, (time, output_ta, initial_state),
        parallel_iterations=parallel_iterations, swap_memory=swap_memory,
        maximum_iterations=time_steps)
    final_outputs = tuple(ta.stack() for ta in output_final_ta)
    for out, size in zip(final_outputs, flat_output_size):
        out.set_shape(_concat([const_time, const_batch], size, static=True))
    return nest.pack_sequence_as(cell.output_size, list(final_outputs)), final_state


def bidirectional_dynamic_rnn(cell_fw, cell_bw, inputs, sequence_length=None,
                              initial_state_fw=None, initial_state_bw=None, dtype=None,
                              parallel_iterations=None, swap_memory=False, time_major=False,
                              scope=None):
    """A forward and a backward dynamic_rnn over `inputs` (TF 1.x's signature).

    The backward cell reads each example's first `sequence_length` steps reversed
    (`tf.reverse_sequence`; the whole time axis without lengths) and its outputs are
    reversed back. Variables go under `<scope>/fw` and `<scope>/bw` (default scope
    "bidirectional_rnn").

    Returns:
        ((output_fw, output_bw), (output_state_fw, output_state_bw)); the outputs are not
        concatenated (`tf.concat(outputs, 2)` does that).
    """
    _check_bidirectional(cell_fw, cell_bw)
    time_axis, batch_axis = (0, 1) if time_major else (1, 0)

    def reverse(x):
        if sequence_length is not None:
            return manip_ops.reverse_sequence(x, sequence_length, seq_axis=time_axis,
                                              batch_axis=batch_axis)
        return array_ops.reverse(x, axis=[time_axis])
    with vs.variable_scope(scope or "bidirectional_rnn"):
        with vs.variable_scope("fw") as fw_scope:
            output_fw, state_fw = dynamic_rnn(
                cell_fw, inputs, sequence_length=sequence_length,
                initial_state=initial_state_fw, dtype=dtype,
                parallel_iterations=parallel_iterations, swap_memory=swap_memory,
                time_major=time_major, scope=fw_scope)
        with vs.variable_scope("bw") as bw_scope:
            inputs_reverse = nest.map_structure(reverse, inputs)
            tmp, state_bw = dynamic_rnn(
                cell_bw, inputs_reverse, sequence_length=sequence_length,
                initial_state=initial_state_bw, dtype=dtype,
                parallel_iterations=parallel_iterations, swap_memory=swap_memory,
                time_major=time_major, scope=bw_scope)
    output_bw = nest.map_structure(reverse, tmp)
    return (output_fw, output_bw), (state_fw, state_bw)


def raw_rnn(cell, loop_fn, parallel_iterations=None, swap_memory=False, scope=None):
    """Runs `cell` in a while_loop whose inputs, state and outputs `loop_fn` decides.

    `loop_fn(time, cell_output, cell_state, loop_state)` returns `(finished, next_input,
    next_cell_state, emit_output, next_loop_state)`. It is called once before the loop with
    `cell_output`, `cell_state` and `loop_state` None (then `next_cell_state` is the initial
    state, `emit_output` the structure of what will be emitted, as tensors of its dtypes
    shaped as one example's emit (no batch dimension), or None for `cell.output_size` in the
    state's dtype, and `next_loop_state` the initial loop state or
    None), then after each cell call with time + 1 and the cell's output and state. The loop
    runs until every element of `finished` (a bool [batch] vector) is true; an element
    finished at a step emits zeros and keeps its state from then on (TF's `_copy_some_through`).

    Args:
        cell: an RNNCell.
        loop_fn: the callable above.
        parallel_iterations, swap_memory: accepted for TF compatibility.
        scope: variable scope (default "rnn").

    Returns:
        (emit_ta, final_state, final_loop_state): `emit_ta` a TensorArray per emitted tensor
        (nested as the emit structure; `.stack()` gives [time, batch, ...]), the last cell
        state, and the last loop state (None if loop_fn gave none).

    Raises:
        TypeError: `cell` is not an RNNCell or `loop_fn` is not callable.
        ValueError: loop_fn's results change structure, or inputs disagree on batch size.

    Example:
        >>> inputs_ta = tf.TensorArray(tf.float32, size=max_time).unstack(x_time_major)
        >>> def loop_fn(time, cell_output, cell_state, loop_state):
        ...     emit = cell_output  # None at time 0
        ...     state = cell.zero_state(batch, tf.float32) if cell_output is None \\
        ...         else cell_state
        ...     finished = time >= lengths
        ...     next_input = tf.cond(tf.reduce_all(finished),
        ...                          lambda: tf.zeros([batch, depth]),
        ...                          lambda: inputs_ta.read(time))
        ...     return finished, next_input, state, emit, None
        >>> outputs_ta, final_state, _ = tf.nn.raw_rnn(cell, loop_fn)
    """
    assert_like_rnncell("cell", cell)
    if not callable(loop_fn):
        raise TypeError("loop_fn must be a callable")
    parallel_iterations = parallel_iterations or 32
    with vs.variable_scope(scope or "rnn"):
        time = constant_op.constant(0, dtype=dtypes.int32)
        (elements_finished, next_input, initial_state, emit_structure,
         init_loop_state) = loop_fn(time, None, None, None)
        flat_input = [convert_to_tensor(x) for x in nest.flatten(next_input)]
        next_input = nest.pack_sequence_as(next_input, flat_input)
        loop_state = init_loop_state if init_loop_state is not None else \
            constant_op.constant(0, dtype=dtypes.int32)
        static_batch = tensor_shape.Dimension(None)
        for x in flat_input:
            dims = x.shape.with_rank_at_least(1)
            static_batch = static_batch.merge_with(dims[0])
        const_batch = static_batch.value
        batch_size = const_batch if const_batch is not None else \
            array_ops.shape(flat_input[0])[0]
        nest.assert_same_structure(initial_state, cell.state_size)
        flat_state = [convert_to_tensor(x) for x in nest.flatten(initial_state)]
        state = nest.pack_sequence_as(initial_state, flat_state)
        if emit_structure is not None:
            flat_emit = nest.flatten(emit_structure)
            # each a tensor shaped as one example's emit (no batch dimension)
            flat_emit_size = [e.shape if e.shape.is_fully_defined() else array_ops.shape(e)
                              for e in flat_emit]
            flat_emit_dtypes = [e.dtype for e in flat_emit]
        else:
            emit_structure = cell.output_size
            flat_emit_size = nest.flatten(emit_structure)
            flat_emit_dtypes = [flat_state[0].dtype] * len(flat_emit_size)

        def static_size(size):  # a shape, or an int vector tensor of unknown values
            if not isinstance(size, Tensor):
                return tensor_shape.as_shape(size)
            rank = size.shape.num_elements()
            return tensor_shape.TensorShape(None if rank is None else [None] * rank)
        flat_emit_ta = [
            TensorArray(dtype=dtype_i, dynamic_size=True, size=0,
                        element_shape=tensor_shape.TensorShape([const_batch]).concatenate(
                            static_size(size_i)),
                        name=f"rnn_output_{i}")
            for i, (dtype_i, size_i) in enumerate(zip(flat_emit_dtypes, flat_emit_size))]
        emit_ta = nest.pack_sequence_as(emit_structure, flat_emit_ta)
        zero_emit = nest.pack_sequence_as(emit_structure, [
            array_ops.zeros(_concat(batch_size, size_i), dtype_i)
            for size_i, dtype_i in zip(flat_emit_size, flat_emit_dtypes)])

        def condition(unused_time, elements_finished, *_):
            return math_ops.logical_not(math_ops.reduce_all(elements_finished))

        def body(time, elements_finished, current_input, emit_ta, state, loop_state):
            next_output, cell_state = cell(current_input, state)
            nest.assert_same_structure(state, cell_state)
            nest.assert_same_structure(cell.output_size, next_output)
            next_time = time + 1
            (next_finished, next_input, next_state, emit_output,
             next_loop_state) = loop_fn(next_time, next_output, cell_state, loop_state)
            nest.assert_same_structure(state, next_state)
            nest.assert_same_structure(current_input, next_input)
            nest.assert_same_structure(emit_ta, emit_output)
            loop_state = loop_state if next_loop_state is None else next_loop_state

            def copy_some_through(current, candidate):
                def copy_fn(cur_i, cand_i):
                    if isinstance(cur_i, TensorArray) or cur_i.shape.ndims == 0:
                        return cand_i
                    out = math_ops.where(elements_finished, cur_i, cand_i)
                    out.set_shape(cand_i.shape)
                    return out
                return nest.map_structure(copy_fn, current, candidate)
            emit_output = copy_some_through(zero_emit, emit_output)
            next_state = copy_some_through(state, next_state)
            emit_ta = nest.map_structure(lambda ta, emit: ta.write(time, emit), emit_ta,
                                         emit_output)
            elements_finished = math_ops.logical_or(elements_finished, next_finished)
            return (next_time, elements_finished, next_input, emit_ta, next_state, loop_state)

        returned = while_loop_mod.while_loop(
            condition, body,
            loop_vars=[time, elements_finished, next_input, emit_ta, state, loop_state],
            parallel_iterations=parallel_iterations, swap_memory=swap_memory)
        emit_ta, final_state, final_loop_state = returned[-3:]
        if init_loop_state is None:
            final_loop_state = None
        return emit_ta, final_state, final_loop_state


def static_state_saving_rnn(cell, inputs, state_saver, state_name, sequence_length=None,
                            scope=None):
    """static_rnn whose initial state comes from, and final state goes to, `state_saver`.

    The state saver is any object with `state(name)` (the tensor to start from) and
    `save_state(name, value)` (an op saving it), as TF's SequenceQueueingStateSaver; with a
    nested `cell.state_size`, `state_name` is a same-shaped nest of names, one per state
    tensor. The last output and the returned state run after every save.

    Args:
        cell: an RNNCell.
        inputs: a list of T tensors [batch, depth].
        state_saver: the object above.
        state_name: a name, or a nest of names matching `cell.state_size`.
        sequence_length: as static_rnn's.
        scope: variable scope (default "rnn").

    Returns:
        (outputs, state) as static_rnn's.

    Raises:
        ValueError: `state_name` is not nested like `cell.state_size`, or has another number
            of names.

    Example:
        >>> outputs, state = tf.nn.static_state_saving_rnn(
        ...     tf.nn.rnn_cell.BasicLSTMCell(8), steps, saver, ("c", "h"))
    """
    state_size = cell.state_size
    state_is_tuple = nest.is_nested(state_size)
    if state_is_tuple != nest.is_nested(state_name):
        raise ValueError(f"state_name should be the same type as cell.state_size.  "
                         f"state_name: {state_name}, cell.state_size: {state_size}")
    if state_is_tuple:
        state_name_flat = nest.flatten(state_name)
        state_size_flat = nest.flatten(state_size)
        if len(state_name_flat) != len(state_size_flat):
            raise ValueError(f"#elems(state_name) != #elems(state_size): "
                             f"{len(state_name_flat)} vs. {len(state_size_flat)}")
        initial_state = nest.pack_sequence_as(
            state_size, [state_saver.state(s) for s in state_name_flat])
    else:
        initial_state = state_saver.state(state_name)
    outputs, state = static_rnn(cell, inputs, initial_state=initial_state,
                                sequence_length=sequence_length, scope=scope)
    if state_is_tuple:
        flat_state = nest.flatten(state)
        save_state = [state_saver.save_state(name, substate)
                      for name, substate in zip(nest.flatten(state_name), flat_state)]
    else:
        save_state = [state_saver.save_state(state_name, state)]
    with graph_mod.control_dependencies(save_state):
        last_output = outputs[-1]
        outputs[-1] = nest.pack_sequence_as(
            last_output, [constant_op.identity(o) for o in nest.flatten(last_output)])
        if state_is_tuple:
            state = nest.pack_sequence_as(state, [constant_op.identity(s) for s in flat_state])
        else:
            state = constant_op.identity(state)
    return outputs, state


def _check_stack(cells_fw, cells_bw, initial_states_fw, initial_states_bw):
    if not cells_fw:
        raise ValueError("Must specify at least one fw cell for BidirectionalRNN.")
    if not cells_bw:
        raise ValueError("Must specify at least one bw cell for BidirectionalRNN.")
    if not isinstance(cells_fw, list):
        raise ValueError("cells_fw must be a list of RNNCells (one per layer).")
    if not isinstance(cells_bw, list):
        raise ValueError("cells_bw must be a list of RNNCells (one per layer).")
    if len(cells_fw) != len(cells_bw):
        raise ValueError("Forward and Backward cells must have the same depth.")
    for name, states in (("fw", initial_states_fw), ("bw", initial_states_bw)):
        if states is not None and (not isinstance(states, list) or
                                   len(states) != len(cells_fw)):
            raise ValueError(f"initial_states_{name} must be a list of state tensors (one "
                             f"per layer).")


def _stacked_bidirectional(cells_fw, cells_bw, inputs, initial_states_fw, initial_states_bw,
                           scope, layer):
    """Runs `layer(i, cell_fw, cell_bw, prev, init_fw, init_bw) -> (next, fw, bw)` per layer
    under `<scope>/cell_<i>`; returns (last layer's output, fw states, bw states)."""
    _check_stack(cells_fw, cells_bw, initial_states_fw, initial_states_bw)
    states_fw, states_bw = [], []
    prev_layer = inputs
    with vs.variable_scope(scope or "stack_bidirectional_rnn"):
        for i, (cell_fw, cell_bw) in enumerate(zip(cells_fw, cells_bw)):
            init_fw = initial_states_fw[i] if initial_states_fw else None
            init_bw = initial_states_bw[i] if initial_states_bw else None
            with vs.variable_scope(f"cell_{i}") as cell_scope:
                prev_layer, state_fw, state_bw = layer(cell_scope, cell_fw, cell_bw,
                                                       prev_layer, init_fw, init_bw)
            states_fw.append(state_fw)
            states_bw.append(state_bw)
    return prev_layer, tuple(states_fw), tuple(states_bw)


def stack_bidirectional_rnn(cells_fw, cells_bw, inputs, initial_states_fw=None,
                            initial_states_bw=None, dtype=None, sequence_length=None,
                            scope=None):
    """`tf.contrib.rnn.stack_bidirectional_rnn`: layers of static_bidirectional_rnn, each
    fed the previous layer's concatenated (fw, bw) outputs.

    Variables go under `<scope>/cell_<i>/fw` and `.../bw` (default scope
    "stack_bidirectional_rnn").

    Args:
        cells_fw, cells_bw: lists of RNNCells, one per layer (the same number).
        inputs: a list of T tensors [batch, depth].
        initial_states_fw, initial_states_bw: optional lists of states, one per layer.
        dtype, sequence_length: as static_bidirectional_rnn's.
        scope: variable scope.

    Returns:
        (outputs, output_states_fw, output_states_bw): the last layer's list of T outputs
        [batch, fw_size + bw_size], and tuples of each layer's final states.

    Raises:
        ValueError: TF's messages for empty, non-list or unequal cell lists and initial
            state lists of another length.
    """
    def layer(cell_scope, cell_fw, cell_bw, prev, init_fw, init_bw):
        return static_bidirectional_rnn(cell_fw, cell_bw, prev, initial_state_fw=init_fw,
                                        initial_state_bw=init_bw,
                                        sequence_length=sequence_length, dtype=dtype,
                                        scope=cell_scope)
    return _stacked_bidirectional(cells_fw, cells_bw, inputs, initial_states_fw,
                                  initial_states_bw, scope, layer)


def stack_bidirectional_dynamic_rnn(cells_fw, cells_bw, inputs, initial_states_fw=None,
                                    initial_states_bw=None, dtype=None, sequence_length=None,
                                    parallel_iterations=None, time_major=False, scope=None,
                                    swap_memory=False):
    """`tf.contrib.rnn.stack_bidirectional_dynamic_rnn`: layers of bidirectional_dynamic_rnn,
    each fed the previous layer's outputs concatenated on the depth axis.

    Variables go under `<scope>/cell_<i>/bidirectional_rnn/fw` and `.../bw` (default scope
    "stack_bidirectional_rnn").

    Returns:
        (outputs, output_states_fw, output_states_bw): the last layer's concatenated outputs
        [batch, time, fw_size + bw_size] (time-major with `time_major`), and tuples of each
        layer's final states.

    Raises:
        ValueError: as stack_bidirectional_rnn's.
    """
    def layer(cell_scope, cell_fw, cell_bw, prev, init_fw, init_bw):
        del cell_scope
        outputs, (state_fw, state_bw) = bidirectional_dynamic_rnn(
            cell_fw, cell_bw, prev, initial_state_fw=init_fw, initial_state_bw=init_bw,
            sequence_length=sequence_length, parallel_iterations=parallel_iterations,
            dtype=dtype, swap_memory=swap_memory, time_major=time_major)
        return array_ops.concat(outputs, 2), state_fw, state_bw
    return _stacked_bidirectional(cells_fw, cells_bw, inputs, initial_states_fw,
                                  initial_states_bw, scope, layer)


__all__ = ["static_rnn", "static_bidirectional_rnn", "dynamic_rnn",
           "bidirectional_dynamic_rnn", "raw_rnn", "static_state_saving_rnn"]
