"""RNN graphs built identically with TensorFlow 1.x (`tensorflow.compat.v1`) and flowexec;
scripts/make_rnn_fixtures.py stores TF's results in tests/ops/fixtures/rnn_tf.npz.

Imports neither library: `build_cases(tf, data)` receives the module to build with. Every
variable is then set from `variable_values(names)` (seeded by the variable's name), so both
libraries run the same weights, and the stored variable names check TF's naming too.
Gradients through dynamic_rnn (a While over time) are among the results.
"""

import zlib

import numpy as np

BATCH, TIME, DEPTH = 3, 5, 4


def make_inputs(seed=0):
    """The inputs the fixtures were computed from (stored beside the results)."""
    rng = np.random.default_rng(seed)
    f = np.float32
    return {
        "x": rng.standard_normal((BATCH, TIME, DEPTH)).astype(f),
        "x6": rng.standard_normal((BATCH, TIME, 6)).astype(f),
        "c0": rng.standard_normal((BATCH, 6)).astype(f),
        "h0": rng.standard_normal((BATCH, 6)).astype(f),
        "lengths": np.array([5, 2, 0], np.int32),
    }


def variable_values(names_and_shapes):
    """{name: value}: a value per variable, seeded by its name (biases included)."""
    out = {}
    for name, shape in names_and_shapes:
        rng = np.random.default_rng(zlib.crc32(name.encode()))
        out[name] = (0.5 * rng.standard_normal(shape)).astype(np.float32)
    return out


def _weighted_sum(tf, ys):
    total = 0.0
    for y in ys:
        shape = y.shape.as_list()
        w = np.linspace(-1, 1, int(np.prod(shape))).reshape(shape).astype(np.float32)
        total = total + tf.reduce_sum(y * tf.constant(w))
    return total


def _variable(tf, name):
    return [v for v in tf.global_variables() if v.op.name == name][0]


def build_cases(tf, data):
    """({name: tensor} of the forward results, {name: tensor} of gradients through
    static_rnn, {name: tensor} of gradients through dynamic_rnn), built with `tf`."""
    rc = tf.nn.rnn_cell
    x = tf.constant(data["x"])
    x6 = tf.constant(data["x6"])
    lengths = tf.constant(data["lengths"])
    steps = tf.unstack(x, axis=1)
    out, static_grads, dyn = {}, {}, {}

    o, s = tf.nn.static_rnn(rc.BasicRNNCell(6), steps, dtype=tf.float32,
                            sequence_length=lengths)
    out["static_basic_rnn"], out["static_basic_rnn_state"] = tf.stack(o, 1), s
    loss = _weighted_sum(tf, o + [s])
    static_grads["static_basic_rnn_dx"] = tf.gradients(loss, x)[0]

    with tf.variable_scope("st_lstm"):
        o, s = tf.nn.static_rnn(rc.BasicLSTMCell(6, forget_bias=0.5), steps, dtype=tf.float32)
    out["static_lstm"], out["static_lstm_c"], out["static_lstm_h"] = tf.stack(o, 1), s.c, s.h
    loss = _weighted_sum(tf, o + [s.c])
    static_grads["static_lstm_dx"] = tf.gradients(loss, x)[0]
    kernel = [v for v in tf.global_variables() if v.op.name == "st_lstm/rnn/basic_lstm_cell/kernel"]
    static_grads["static_lstm_dkernel"] = tf.gradients(loss, kernel)[0]

    o, s = tf.nn.dynamic_rnn(rc.BasicLSTMCell(6), x, sequence_length=lengths,
                             dtype=tf.float32, scope="dyn_lstm")
    out["dyn_lstm"], out["dyn_lstm_c"], out["dyn_lstm_h"] = o, s.c, s.h
    loss = _weighted_sum(tf, [o, s.c])
    dyn["dyn_lstm_dx"] = tf.gradients(loss, x)[0]
    dyn["dyn_lstm_dkernel"], dyn["dyn_lstm_dbias"] = tf.gradients(
        loss, [_variable(tf, "dyn_lstm/basic_lstm_cell/kernel"),
               _variable(tf, "dyn_lstm/basic_lstm_cell/bias")])

    o, s = tf.nn.dynamic_rnn(rc.BasicRNNCell(5), tf.transpose(x, [1, 0, 2]), time_major=True,
                             sequence_length=lengths, dtype=tf.float32, scope="dyn_basic")
    out["dyn_basic_rnn"], out["dyn_basic_rnn_state"] = o, s
    loss = _weighted_sum(tf, [o, s])
    dyn["dyn_basic_rnn_dx"], dyn["dyn_basic_rnn_dkernel"] = tf.gradients(
        loss, [x, _variable(tf, "dyn_basic/basic_rnn_cell/kernel")])

    o, s = tf.nn.dynamic_rnn(rc.BasicLSTMCell(6, state_is_tuple=False), x, dtype=tf.float32,
                             scope="dyn_lstm_concat")
    out["dyn_lstm_concat"], out["dyn_lstm_concat_state"] = o, s

    cell = rc.LSTMCell(6, use_peepholes=True, cell_clip=0.4, num_proj=3, proj_clip=0.3)
    o, s = tf.nn.dynamic_rnn(cell, tf.transpose(x, [1, 0, 2]), time_major=True,
                             dtype=tf.float32, scope="dyn_peep")
    out["dyn_peep_proj"], out["dyn_peep_proj_c"], out["dyn_peep_proj_h"] = o, s.c, s.h

    o, s = tf.nn.dynamic_rnn(rc.GRUCell(6), x, sequence_length=lengths, dtype=tf.float32,
                             scope="dyn_gru")
    out["dyn_gru"], out["dyn_gru_state"] = o, s
    loss = _weighted_sum(tf, [o, s])
    dyn["dyn_gru_dx"], dyn["dyn_gru_dgates"] = tf.gradients(
        loss, [x, _variable(tf, "dyn_gru/gru_cell/gates/kernel")])

    multi = rc.MultiRNNCell([rc.BasicLSTMCell(6), rc.GRUCell(5)])
    o, s = tf.nn.dynamic_rnn(multi, x, dtype=tf.float32, scope="dyn_multi")
    out["dyn_multi"], out["dyn_multi_c0"], out["dyn_multi_s1"] = o, s[0].c, s[1]

    init = rc.LSTMStateTuple(tf.constant(data["c0"]), tf.constant(data["h0"]))
    o, s = tf.nn.dynamic_rnn(rc.LSTMCell(6), x, initial_state=init, scope="dyn_init")
    out["dyn_init"], out["dyn_init_h"] = o, s.h

    o, s = tf.nn.dynamic_rnn(rc.ResidualWrapper(rc.GRUCell(6)), x6, dtype=tf.float32,
                             scope="dyn_residual")
    out["dyn_residual"] = o

    (of, ob), (sf, sb) = tf.nn.bidirectional_dynamic_rnn(
        rc.GRUCell(4), rc.BasicLSTMCell(3), x, sequence_length=lengths, dtype=tf.float32)
    out["bidi_fw"], out["bidi_bw"], out["bidi_sf"], out["bidi_sb_h"] = of, ob, sf, sb.h

    o, sf, sb = tf.nn.static_bidirectional_rnn(rc.BasicRNNCell(3), rc.GRUCell(2), steps,
                                               dtype=tf.float32, sequence_length=lengths,
                                               scope="static_bidi")
    out["static_bidi"], out["static_bidi_sf"], out["static_bidi_sb"] = tf.stack(o, 1), sf, sb
    static_grads["static_bidi_dx"] = tf.gradients(_weighted_sum(tf, o + [sb]), x)[0]

    o, s, loop_state = _raw_rnn_case(tf, x, lengths)
    out["raw_rnn"], out["raw_rnn_h"], out["raw_rnn_loop_state"] = o, s.h, loop_state
    dyn["raw_rnn_dx"] = tf.gradients(_weighted_sum(tf, [o, s.c, loop_state]), x)[0]

    saver = VariableStateSaver(tf, {"c": [BATCH, 4], "h": [BATCH, 4]})
    o, s = tf.nn.static_state_saving_rnn(rc.BasicLSTMCell(4), steps, saver, ("c", "h"),
                                         sequence_length=lengths, scope="state_saving")
    out["state_saving"], out["state_saving_c"] = tf.stack(o, 1), s.c
    return out, static_grads, dyn


def _raw_rnn_case(tf, x, lengths):
    """raw_rnn with TF's documented loop_fn (inputs read from a TensorArray until each
    example's length), emitting twice the cell output, and a loop state summing outputs."""
    cell = tf.nn.rnn_cell.BasicLSTMCell(5)
    inputs_ta = tf.TensorArray(tf.float32, size=TIME).unstack(tf.transpose(x, [1, 0, 2]))

    def loop_fn(time, cell_output, cell_state, loop_state):
        if cell_output is None:
            state = cell.zero_state(BATCH, tf.float32)
            emit, loop_state = tf.zeros([5]), tf.zeros([BATCH, 5])  # emit: one example's
        else:
            state, emit, loop_state = cell_state, 2.0 * cell_output, loop_state + cell_output
        finished = time >= lengths
        next_input = tf.cond(tf.reduce_all(finished), lambda: tf.zeros([BATCH, DEPTH]),
                             lambda: inputs_ta.read(tf.minimum(time, TIME - 1)))
        return finished, next_input, state, emit, loop_state
    emit_ta, state, loop_state = tf.nn.raw_rnn(cell, loop_fn, scope="raw")
    outputs = tf.transpose(emit_ta.stack(), [1, 0, 2])
    outputs.set_shape([BATCH, TIME, 5])  # max(lengths) == TIME steps run
    return outputs, state, loop_state


class VariableStateSaver:
    """A state saver (TF's protocol: state(name), save_state(name, value)) over variables."""

    def __init__(self, tf, shapes):
        self._tf = tf
        self._vars = {name: tf.Variable(tf.zeros(shape), name=f"saved_{name}",
                                        trainable=False) for name, shape in shapes.items()}

    def state(self, name):
        return self._tf.identity(self._vars[name])

    def save_state(self, name, value):
        return self._vars[name].assign(value)


def set_variables(tf, sess):
    """Assigns every global variable its `variable_values` value; returns them by name."""
    variables = sorted(tf.global_variables(), key=lambda v: v.op.name)
    values = variable_values([(v.op.name, v.shape.as_list()) for v in variables])
    sess.run([v.assign(values[v.op.name]) for v in variables])
    return values
