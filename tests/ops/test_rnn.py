"""tf.nn.static_rnn / dynamic_rnn / bidirectional forms: TensorFlow's results and variable
names (tests/ops/rnn_fixture_cases.py, stored by scripts/make_rnn_fixtures.py), a numpy
oracle for sequence_length, TF's errors, finite-difference gradients, and a small LSTM that
learns."""

import os

import numpy as np
import pytest

import flowexec as tf
from tests.ops.rnn_fixture_cases import build_cases, set_variables

rc = tf.nn.rnn_cell
_FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures", "rnn_tf.npz")


def test_matches_tensorflow_fixtures_and_variable_names():
    data = np.load(_FIXTURES)
    with tf.Graph().as_default():
        out, static_grads, dyn = build_cases(tf, data)
        results = {**out, **static_grads, **dyn}
        names = sorted(results)
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            set_variables(tf, sess)
            got = sess.run([results[n] for n in names])
        assert sorted(v.op.name for v in tf.global_variables()) == \
            list(data["variable_names"])
    assert len(names) >= 30
    for name, value in zip(names, got):
        want = data[f"out/{name}"]
        assert value.shape == want.shape, name
        np.testing.assert_allclose(value, want, rtol=1e-5, atol=2e-6, err_msg=name)


def _np_rnn(x, w, b, lengths):
    """Numpy BasicRNNCell over [batch, time, depth] with TF's sequence_length rules."""
    batch, steps, _ = x.shape
    h = np.zeros((batch, b.size), np.float64)
    outs = np.zeros((batch, steps, b.size))
    for t in range(steps):
        new = np.tanh(np.concatenate([x[:, t], h], 1) @ w + b)
        live = (t < lengths)[:, None]
        outs[:, t] = np.where(live, new, 0)
        h = np.where(live, new, h)
    return outs, h


@pytest.mark.parametrize("time_major", [False, True])
def test_dynamic_rnn_sequence_length_zeros_outputs_and_copies_state(time_major):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((4, 6, 3))
    lengths = np.array([6, 3, 1, 0])
    with tf.Graph().as_default():
        ph = tf.placeholder(tf.float64, [None, None, 3])
        seq = tf.placeholder(tf.int64, [None])
        inp = tf.transpose(ph, [1, 0, 2]) if time_major else ph
        out, state = tf.nn.dynamic_rnn(rc.BasicRNNCell(5), inp, sequence_length=seq,
                                       dtype=tf.float64, time_major=time_major)
        assert out.shape.as_list() == [None, None, 5]
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            w, b = sess.run(tf.trainable_variables())
            o, s = sess.run([out, state], {ph: x, seq: lengths})
    want_o, want_s = _np_rnn(x, w, b, lengths)
    if time_major:
        o = o.transpose(1, 0, 2)
    np.testing.assert_allclose(o, want_o, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(s, want_s, rtol=1e-10, atol=1e-12)


def test_dynamic_rnn_stops_at_the_longest_sequence_and_pads_with_zeros():
    with tf.Graph().as_default():
        x = tf.ones([2, 7, 2])
        out, _ = tf.nn.dynamic_rnn(rc.GRUCell(3), x, sequence_length=[2, 3],
                                   dtype=tf.float32)
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            o = sess.run(out)
    assert o.shape == (2, 7, 3)
    assert not o[:, 3:].any() and not o[0, 2:].any() and o[1, 2].any()


def test_dynamic_rnn_checks_sequence_length_against_the_batch_at_run_time():
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [None, 4, 2])
        out, _ = tf.nn.dynamic_rnn(rc.BasicRNNCell(2), x, sequence_length=[1, 2, 3],
                                   dtype=tf.float32)
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            with pytest.raises(tf.errors.InvalidArgumentError,
                               match="Expected shape for Tensor"):
                sess.run(out, {x: np.zeros((2, 4, 2))})
            assert sess.run(out, {x: np.zeros((3, 4, 2))}).shape == (3, 4, 2)


def test_dynamic_rnn_nested_inputs_and_outputs():
    class Pair(rc.RNNCell):
        """A cell over (a, b) inputs returning (a + h, b) outputs."""

        @property
        def state_size(self):
            return 2

        @property
        def output_size(self):
            return (2, 3)

        def call(self, inputs, state):
            a, b = inputs
            return (a + state, b), state + a

    with tf.Graph().as_default():
        a = tf.ones([4, 5, 2])
        b = tf.reshape(tf.range(60, dtype=tf.float32), [4, 5, 3])
        (oa, ob), s = tf.nn.dynamic_rnn(Pair(), (a, b), dtype=tf.float32)
        with tf.Session() as sess:
            va, vb, vs = sess.run([oa, ob, s])
    np.testing.assert_allclose(va[0, :, 0], [1, 2, 3, 4, 5])
    np.testing.assert_allclose(vb, np.arange(60).reshape(4, 5, 3))
    np.testing.assert_allclose(vs, 5 * np.ones((4, 2)))


def test_rnn_errors_are_tf_s():
    with tf.Graph().as_default():
        x = tf.zeros([2, 3, 4])
        with pytest.raises(ValueError, match="If there is no initial_state, you must give a "
                                             "dtype."):
            tf.nn.dynamic_rnn(rc.GRUCell(2), x)
        with pytest.raises(ValueError, match="If no initial_state is provided, dtype must be "
                                             "specified"):
            tf.nn.static_rnn(rc.GRUCell(2), tf.unstack(x, axis=1))
        with pytest.raises(TypeError, match="inputs must be a sequence"):
            tf.nn.static_rnn(rc.GRUCell(2), x, dtype=tf.float32)
        with pytest.raises(ValueError, match="inputs must not be empty"):
            tf.nn.static_rnn(rc.GRUCell(2), [], dtype=tf.float32)
        with pytest.raises(TypeError, match="The argument 'cell' .* is not an RNNCell"):
            tf.nn.dynamic_rnn(lambda x, s: (x, s), x, dtype=tf.float32)
        with pytest.raises(ValueError, match="Input size \\(depth of inputs\\) must be "
                                             "accessible via shape inference"):
            tf.nn.dynamic_rnn(rc.GRUCell(2), tf.placeholder(tf.float32, [2, 3, None]),
                              dtype=tf.float32)
        with pytest.raises(ValueError, match="sequence_length must be a vector of length "
                                             "batch_size, but saw shape"):
            tf.nn.dynamic_rnn(rc.GRUCell(2), x, sequence_length=[[1, 2]], dtype=tf.float32)
        with pytest.raises(ValueError, match="Time steps is not the same"):
            tf.nn.dynamic_rnn(rc.GRUCell(2), (x, tf.zeros([2, 4, 1])), dtype=tf.float32)


def test_static_rnn_names_and_reuse_across_steps():
    with tf.Graph().as_default():
        steps = [tf.zeros([2, 3]) for _ in range(4)]
        outs, _ = tf.nn.static_rnn(rc.BasicLSTMCell(5), steps, dtype=tf.float32)
        assert len(outs) == 4
        assert sorted(v.op.name for v in tf.global_variables()) == [
            "rnn/basic_lstm_cell/bias", "rnn/basic_lstm_cell/kernel"]
        (fw, bw), _ = tf.nn.bidirectional_dynamic_rnn(
            rc.GRUCell(2), rc.GRUCell(2), tf.zeros([2, 4, 3]), dtype=tf.float32)
        assert {v.op.name.split("/")[1] for v in tf.global_variables()
                if v.op.name.startswith("bidirectional_rnn/")} == {"fw", "bw"}


def _finite_difference_check(loss, variables, sess, feed=None, eps=1e-6, tol=1e-6):
    grads = tf.gradients(loss, variables)
    analytic = sess.run(grads, feed)
    for v, g in zip(variables, analytic):
        base = sess.run(v)
        num = np.zeros_like(base)
        for j in range(base.size):
            for sign in (1, -1):
                pert = base.copy()
                pert.reshape(-1)[j] += sign * eps
                v.load(pert, sess)
                num.reshape(-1)[j] += sign * sess.run(loss, feed) / (2 * eps)
            v.load(base, sess)
        np.testing.assert_allclose(g, num, rtol=tol, atol=tol, err_msg=v.op.name)


@pytest.mark.parametrize("make_cell", [
    lambda: rc.BasicLSTMCell(3),
    lambda: rc.LSTMCell(3, use_peepholes=True, num_proj=2),
    lambda: rc.GRUCell(3),
    lambda: rc.MultiRNNCell([rc.BasicRNNCell(2), rc.BasicLSTMCell(2)]),
], ids=["basic_lstm", "lstm_peephole_proj", "gru", "multi"])
def test_static_rnn_gradients_match_finite_differences(make_cell):
    rng = np.random.default_rng(1)
    with tf.Graph().as_default():
        x = tf.Variable(rng.standard_normal((2, 4, 2)), name="x")
        outs, state = tf.nn.static_rnn(make_cell(), tf.unstack(x, axis=1), dtype=tf.float64,
                                       sequence_length=[4, 2])
        w = rng.standard_normal((2, 4, outs[0].shape.as_list()[1]))
        loss = tf.reduce_sum(tf.stack(outs, 1) * w) + tf.add_n(
            [tf.reduce_sum(s * s) for s in tf.nest.flatten(state)])
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            _finite_difference_check(loss, tf.global_variables(), sess)


@pytest.mark.parametrize("make_cell", [
    lambda: rc.BasicLSTMCell(3),
    lambda: rc.LSTMCell(3, use_peepholes=True, num_proj=2),
    lambda: rc.GRUCell(3),
    lambda: rc.BasicRNNCell(3),
    lambda: rc.MultiRNNCell([rc.BasicRNNCell(2), rc.BasicLSTMCell(2)]),
], ids=["basic_lstm", "lstm_peephole_proj", "gru", "basic_rnn", "multi"])
@pytest.mark.parametrize("time_major", [False, True])
def test_dynamic_rnn_gradients_match_finite_differences(make_cell, time_major):
    """d(loss)/d(inputs, weights) through the While over time, sequence_length [4, 2, 0]:
    steps past an example's length get no gradient from its outputs, its state is copied
    through, and the final state's gradient reaches the last valid step."""
    rng = np.random.default_rng(2)
    with tf.Graph().as_default():
        x = tf.Variable(rng.standard_normal((3, 4, 2)), name="x")
        inputs = tf.transpose(x, [1, 0, 2]) if time_major else x
        out, state = tf.nn.dynamic_rnn(make_cell(), inputs, sequence_length=[4, 2, 0],
                                       dtype=tf.float64, time_major=time_major)
        if time_major:
            out = tf.transpose(out, [1, 0, 2])
        w = rng.standard_normal((3, 4, out.shape.as_list()[2]))
        loss = tf.reduce_sum(out * w) + tf.add_n(
            [tf.reduce_sum(s * s) for s in tf.nest.flatten(state)])
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            _finite_difference_check(loss, tf.global_variables(), sess)


@pytest.mark.parametrize("dynamic", [False, True], ids=["static_rnn", "dynamic_rnn"])
def test_lstm_learns_to_sum_a_sequence(dynamic):
    """A 16-unit LSTM (6 steps) learns y = sum(x): the loss falls tenfold."""
    rng = np.random.default_rng(0)
    with tf.Graph().as_default():
        tf.set_random_seed(0)
        x = tf.placeholder(tf.float32, [None, 6, 1])
        y = tf.placeholder(tf.float32, [None, 1])
        if dynamic:
            _, state = tf.nn.dynamic_rnn(rc.BasicLSTMCell(16), x, dtype=tf.float32)
            last = state.h
        else:
            outs, _ = tf.nn.static_rnn(rc.BasicLSTMCell(16), tf.unstack(x, axis=1),
                                       dtype=tf.float32)
            last = outs[-1]
        pred = tf.layers.dense(last, 1)
        loss = tf.reduce_mean(tf.square(pred - y))
        train = tf.train.AdamOptimizer(0.02).minimize(loss)
        xs = rng.uniform(-0.5, 0.5, (256, 6, 1)).astype(np.float32)
        ys = xs.sum(axis=1)
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            first = sess.run(loss, {x: xs, y: ys})
            for step in range(150):
                batch = slice((step * 32) % 256, (step * 32) % 256 + 32)
                sess.run(train, {x: xs[batch], y: ys[batch]})
            last = sess.run(loss, {x: xs, y: ys})
    assert last < first / 10, (first, last)


def test_dynamic_rnn_is_a_while_over_tensor_arrays_named_as_tf():
    """TF's graph: the time-major input unstacked into a TensorArray, one While under
    "rnn/while" whose body reads step `time` and writes the output TensorArray, stacked and
    transposed back after the loop; one step's ops (not T copies) in the graph."""
    with tf.Graph().as_default() as g:
        x = tf.placeholder(tf.float32, [None, None, 3])
        out, state = tf.nn.dynamic_rnn(rc.BasicLSTMCell(4), x, dtype=tf.float32)
        assert out.name == "rnn/transpose_1:0" and out.shape.as_list() == [None, None, 4]
        assert state.c.shape.as_list() == [None, 4]
        ops = {op.name: op for op in g.get_operations()}
        loops = [op for op in ops.values() if op.type in ("While", "StatelessWhile")]
        assert [op.name for op in loops] == ["rnn/while/While"]
        assert ops["rnn/TensorArrayStack"].inputs[0].op is loops[0]
        assert ops["rnn/TensorArrayUnstack/TensorArrayScatter"].inputs[1].name == \
            "rnn/transpose:0"
        assert "rnn/dynamic_rnn/time" in ops
        body = [op.type for op in loops[0].get_attr("body").get_operations()]
        assert body.count("TensorListGetItem") == 1 and body.count("TensorListSetItem") == 1
        assert body.count("MatMul") == 1


def _raw_rnn_reading(cell, x, lengths, emit_structure=None, loop_state=None):
    """raw_rnn over time-major `x` with TF's documented loop_fn: inputs until each length."""
    steps, batch, depth = x.shape.as_list()
    inputs_ta = tf.TensorArray(x.dtype, size=steps).unstack(x)

    def loop_fn(time, cell_output, cell_state, state_in):
        if cell_output is None:
            state, emit, state_in = cell.zero_state(batch, x.dtype), emit_structure, loop_state
        else:
            state, emit = cell_state, cell_output
            if loop_state is not None:  # (without one, raw_rnn passes a surrogate)
                state_in = state_in.write(time - 1, tf.reduce_sum(cell_output[0]))
        finished = time >= lengths
        next_input = tf.cond(tf.reduce_all(finished), lambda: tf.zeros([batch, depth], x.dtype),
                             lambda: inputs_ta.read(tf.minimum(time, steps - 1)))
        return finished, next_input, state, emit, state_in
    return tf.nn.raw_rnn(cell, loop_fn)


def test_raw_rnn_emits_zeros_and_keeps_state_once_an_element_finishes():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((4, 6, 3))
    lengths = np.array([6, 3, 1, 4])
    with tf.Graph().as_default():
        emit_ta, state, loop_state = _raw_rnn_reading(
            rc.BasicRNNCell(5), tf.constant(x.transpose(1, 0, 2)), tf.constant(lengths, tf.int32))
        assert isinstance(emit_ta, tf.TensorArray) and loop_state is None
        assert [v.op.name for v in tf.global_variables()] == [
            "rnn/basic_rnn_cell/kernel", "rnn/basic_rnn_cell/bias"]
        out = emit_ta.stack()
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            w, b = sess.run(tf.trainable_variables())
            o, s = sess.run([out, state])
    want_o, want_s = _np_rnn(x, w, b, lengths)
    np.testing.assert_allclose(o.transpose(1, 0, 2), want_o, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(s, want_s, rtol=1e-10, atol=1e-12)


def test_raw_rnn_emit_structure_and_a_tensor_array_loop_state():
    """The first call's emit_output gives each emit's per-example shape and dtype; a
    TensorArray may travel in the loop state (here: each step's sum of example 0's output)
    and comes back as the final loop state."""
    with tf.Graph().as_default():
        x = tf.ones([3, 2, 4], tf.float64)
        cell = rc.GRUCell(2)
        emit_ta, _, loop_state = _raw_rnn_reading(
            cell, x, tf.constant([3, 1]), emit_structure=tf.zeros([2], tf.float64),
            loop_state=tf.TensorArray(tf.float64, size=3))
        assert emit_ta.dtype == tf.float64 and emit_ta.element_shape.as_list() == [2, 2]
        sums, out = loop_state.stack(), emit_ta.stack()
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            s, o = sess.run([sums, out])
    np.testing.assert_allclose(s, o[:, 0].sum(axis=1), rtol=1e-12)
    assert o.shape == (3, 2, 2) and not o[1:, 1].any() and o[:, 0].all()


def test_raw_rnn_gradients_match_finite_differences():
    rng = np.random.default_rng(4)
    with tf.Graph().as_default():
        x = tf.Variable(rng.standard_normal((4, 2, 3)), name="x")  # time-major
        emit_ta, state, _ = _raw_rnn_reading(rc.BasicLSTMCell(2), x, tf.constant([4, 2]))
        loss = tf.reduce_sum(emit_ta.stack() * rng.standard_normal((4, 2, 2))) + \
            tf.reduce_sum(state.c * state.h)
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            _finite_difference_check(loss, tf.global_variables(), sess)


def test_raw_rnn_errors_are_tf_s():
    with tf.Graph().as_default():
        with pytest.raises(TypeError, match="loop_fn must be a callable"):
            tf.nn.raw_rnn(rc.GRUCell(2), None)
        with pytest.raises(TypeError, match="is not an RNNCell"):
            tf.nn.raw_rnn(lambda x, s: (x, s), lambda *a: None)


class _DictStateSaver:
    """TF's state saver protocol over variables: state(name), save_state(name, value)."""

    def __init__(self, shapes):
        self.vars = {n: tf.Variable(np.zeros(s), name=f"saved_{n}", trainable=False)
                     for n, s in shapes.items()}

    def state(self, name):
        return tf.identity(self.vars[name])

    def save_state(self, name, value):
        return self.vars[name].assign(value)


def test_static_state_saving_rnn_continues_from_the_saved_state_across_runs():
    """Two runs over halves of a sequence give what one static_rnn gives over all of it."""
    rng = np.random.default_rng(5)
    x = rng.standard_normal((2, 6, 3))
    with tf.Graph().as_default():
        chunk = tf.placeholder(tf.float64, [2, 3, 3])
        saver = _DictStateSaver({"h": (2, 4)})
        outs, state = tf.nn.static_state_saving_rnn(rc.BasicRNNCell(4), tf.unstack(chunk, axis=1),
                                                    saver, "h")
        out = tf.stack(outs, 1)
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            w, b = sess.run(tf.trainable_variables())
            first, s1 = sess.run([out, state], {chunk: x[:, :3]})
            np.testing.assert_array_equal(sess.run(saver.vars["h"]), s1)
            second, s2 = sess.run([out, state], {chunk: x[:, 3:]})
    want_o, want_s = _np_rnn(x, w, b, np.array([6, 6]))
    np.testing.assert_allclose(np.concatenate([first, second], 1), want_o, rtol=1e-10)
    np.testing.assert_allclose(s2, want_s, rtol=1e-10)


def test_static_state_saving_rnn_state_names_must_match_the_state_size():
    with tf.Graph().as_default():
        steps = [tf.zeros([2, 3], tf.float64)]
        saver = _DictStateSaver({"c": (2, 4), "h": (2, 4)})
        with pytest.raises(ValueError, match="state_name should be the same type as "
                                             "cell.state_size"):
            tf.nn.static_state_saving_rnn(rc.BasicLSTMCell(4), steps, saver, "c")
        with pytest.raises(ValueError, match=r"#elems\(state_name\) != #elems\(state_size\): "
                                             "1 vs. 2"):
            tf.nn.static_state_saving_rnn(rc.BasicLSTMCell(4), steps, saver, ("c",))
        outs, state = tf.nn.static_state_saving_rnn(rc.BasicLSTMCell(4), steps, saver,
                                                    ("c", "h"))
        assert outs[-1].op.type == "Identity" and len(outs[-1].op.control_inputs) == 2


def _np_bidirectional(x, fw, bw, lengths):
    """Numpy (fw outputs ++ bw outputs, fw state, bw state) of BasicRNNCells; the bw cell
    reads each example's first lengths[b] steps reversed, its outputs reversed back."""
    def rev(a):
        out = np.zeros_like(a)
        for i, n in enumerate(lengths):
            out[i, :n] = a[i, :n][::-1]
        return out
    o_fw, s_fw = _np_rnn(x, *fw, lengths)
    o_bw, s_bw = _np_rnn(rev(x), *bw, lengths)
    return np.concatenate([o_fw, rev(o_bw)], 2), s_fw, s_bw


@pytest.mark.parametrize("dynamic", [True, False])
def test_stack_bidirectional_rnn_feeds_each_layer_the_last_ones_outputs(dynamic):
    rng = np.random.default_rng(6)
    x = rng.standard_normal((3, 5, 2))
    lengths = np.array([5, 3, 1])
    with tf.Graph().as_default():
        cells_fw = [rc.BasicRNNCell(3), rc.BasicRNNCell(2)]
        cells_bw = [rc.BasicRNNCell(4), rc.BasicRNNCell(2)]
        if dynamic:
            out, states_fw, states_bw = tf.contrib.rnn.stack_bidirectional_dynamic_rnn(
                cells_fw, cells_bw, tf.constant(x), sequence_length=lengths,
                dtype=tf.float64)
        else:
            outs, states_fw, states_bw = tf.contrib.rnn.stack_bidirectional_rnn(
                cells_fw, cells_bw, tf.unstack(tf.constant(x), axis=1),
                sequence_length=lengths, dtype=tf.float64)
            out = tf.stack(outs, 1)
        names = [v.op.name for v in tf.trainable_variables()]
        middle = "/bidirectional_rnn" if dynamic else ""
        assert names == [f"stack_bidirectional_rnn/cell_{i}{middle}/{d}/basic_rnn_cell/{w}"
                         for i in (0, 1) for d in ("fw", "bw") for w in ("kernel", "bias")]
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            weights = sess.run(tf.trainable_variables())
            got = sess.run([out, states_fw, states_bw])
    layer, want_fw, want_bw = x, [], []
    for i in (0, 1):
        layer, s_fw, s_bw = _np_bidirectional(layer, weights[4 * i:4 * i + 2],
                                              weights[4 * i + 2:4 * i + 4], lengths)
        want_fw.append(s_fw)
        want_bw.append(s_bw)
    for g, w in zip([got[0], *got[1], *got[2]], [layer, *want_fw, *want_bw]):
        np.testing.assert_allclose(g, w, rtol=1e-10, atol=1e-12)


def test_stack_bidirectional_rnn_errors_are_tf_s():
    stack = tf.contrib.rnn.stack_bidirectional_dynamic_rnn
    with tf.Graph().as_default():
        x = tf.zeros([2, 3, 4])
        with pytest.raises(ValueError, match="Must specify at least one fw cell"):
            stack([], [rc.GRUCell(2)], x, dtype=tf.float32)
        with pytest.raises(ValueError, match="cells_bw must be a list of RNNCells"):
            stack([rc.GRUCell(2)], (rc.GRUCell(2),), x, dtype=tf.float32)
        with pytest.raises(ValueError, match="Forward and Backward cells must have the same "
                                             "depth."):
            stack([rc.GRUCell(2)], [rc.GRUCell(2), rc.GRUCell(2)], x, dtype=tf.float32)
        with pytest.raises(ValueError, match="initial_states_fw must be a list of state "
                                             "tensors"):
            stack([rc.GRUCell(2)], [rc.GRUCell(2)], x, initial_states_fw=[],
                  dtype=tf.float32)
