"""Optimizers: each update rule against a numpy reimplementation of TF's formulas over
several steps (float32 and float64, slots included), the Optimizer protocol and its errors,
global step, naming, per-session state, and end-to-end training."""

import sys
import threading

import numpy as np
import pytest

import flowexec as tf
from flowexec.ops import state_ops

STEPS = 5


# ----- numpy oracles: TF's exact formulas ---------------------------------------------------
class _GD:
    def __init__(self, lr):
        self.lr = lr

    def init(self, w):
        return {}

    def step(self, w, g, s, t):
        return w - self.lr * g


class _Momentum:
    def __init__(self, lr, momentum, nesterov=False):
        self.lr, self.m, self.nesterov = lr, momentum, nesterov

    def init(self, w):
        return {"momentum": np.zeros_like(w)}

    def step(self, w, g, s, t):
        s["momentum"] = self.m * s["momentum"] + g
        if self.nesterov:
            return w - (g * self.lr + s["momentum"] * self.m * self.lr)
        return w - self.lr * s["momentum"]


def _f32_power(b, t):
    """b**t as Adam's beta-power variables hold it: float32, multiplied once per step."""
    p = np.float32(b)
    for _ in range(t - 1):
        p = p * np.float32(b)
    return float(p)


class _Adam:
    def __init__(self, lr, b1, b2, eps):
        self.lr, self.b1, self.b2, self.eps = lr, b1, b2, eps

    def init(self, w):
        return {"m": np.zeros_like(w), "v": np.zeros_like(w)}

    def step(self, w, g, s, t):
        p1, p2 = _f32_power(self.b1, t), _f32_power(self.b2, t)
        lr_t = self.lr * np.sqrt(1 - p2) / (1 - p1)
        s["m"] = self.b1 * s["m"] + (1 - self.b1) * g
        s["v"] = self.b2 * s["v"] + (1 - self.b2) * g * g
        return w - lr_t * s["m"] / (np.sqrt(s["v"]) + self.eps)


class _RMSProp:
    def __init__(self, lr, decay, momentum, eps, centered=False):
        self.lr, self.decay, self.momentum, self.eps = lr, decay, momentum, eps
        self.centered = centered

    def init(self, w):
        s = {"rms": np.ones_like(w), "momentum": np.zeros_like(w)}
        if self.centered:
            s["mg"] = np.zeros_like(w)
        return s

    def step(self, w, g, s, t):
        s["rms"] = self.decay * s["rms"] + (1 - self.decay) * g * g
        denom = s["rms"] + self.eps
        if self.centered:
            s["mg"] = self.decay * s["mg"] + (1 - self.decay) * g
            denom = s["rms"] - s["mg"] ** 2 + self.eps
        s["momentum"] = self.momentum * s["momentum"] + self.lr * g / np.sqrt(denom)
        return w - s["momentum"]


class _Adagrad:
    def __init__(self, lr, init):
        self.lr, self.init_value = lr, init

    def init(self, w):
        return {"accumulator": np.full_like(w, self.init_value)}

    def step(self, w, g, s, t):
        s["accumulator"] = s["accumulator"] + g * g
        return w - self.lr * g / np.sqrt(s["accumulator"])


def _h(x):
    """A Python float hyperparameter as the optimizer sees it: a float32 constant."""
    return float(np.float32(x))


# name: (optimizer factory, oracle factory)
OPTIMIZERS = {
    "gd": (lambda: tf.train.GradientDescentOptimizer(0.1), lambda: _GD(_h(0.1))),
    "momentum": (lambda: tf.train.MomentumOptimizer(0.05, 0.9),
                 lambda: _Momentum(_h(0.05), _h(0.9))),
    "nesterov": (lambda: tf.train.MomentumOptimizer(0.05, 0.9, use_nesterov=True),
                 lambda: _Momentum(_h(0.05), _h(0.9), nesterov=True)),
    "adam": (lambda: tf.train.AdamOptimizer(0.1, 0.8, 0.95, 1e-6),
             lambda: _Adam(_h(0.1), _h(0.8), _h(0.95), _h(1e-6))),
    "adam_default": (lambda: tf.train.AdamOptimizer(),
                     lambda: _Adam(_h(0.001), _h(0.9), _h(0.999), _h(1e-8))),
    "rmsprop": (lambda: tf.train.RMSPropOptimizer(0.01),
                lambda: _RMSProp(_h(0.01), _h(0.9), 0.0, _h(1e-10))),
    "rmsprop_momentum": (lambda: tf.train.RMSPropOptimizer(0.02, decay=0.8, momentum=0.5,
                                                           epsilon=1e-4),
                         lambda: _RMSProp(_h(0.02), _h(0.8), 0.5, _h(1e-4))),
    "rmsprop_centered": (lambda: tf.train.RMSPropOptimizer(0.02, momentum=0.3, epsilon=0.1,
                                                           centered=True),
                         lambda: _RMSProp(_h(0.02), _h(0.9), _h(0.3), _h(0.1),
                                          centered=True)),
    "adagrad": (lambda: tf.train.AdagradOptimizer(0.3), lambda: _Adagrad(_h(0.3), 0.1)),
    "adagrad_init": (lambda: tf.train.AdagradOptimizer(0.3, initial_accumulator_value=2.0),
                     lambda: _Adagrad(_h(0.3), 2.0)),
}


def _quadratic_problem(dtype, seed=0):
    """Two variables and loss 0.5 * sum(a * w^2) + sum(b * w): grad = a * w + b."""
    rng = np.random.default_rng(seed)
    np_dtype = tf.as_dtype(dtype).np
    w0 = [rng.standard_normal((2, 3)).astype(np_dtype), rng.standard_normal(3).astype(np_dtype)]
    a = [rng.uniform(0.5, 2.0, w.shape).astype(np_dtype) for w in w0]
    b = [rng.standard_normal(w.shape).astype(np_dtype) for w in w0]
    vs = [tf.Variable(w, name=f"w{i}") for i, w in enumerate(w0)]
    loss = tf.add_n([tf.reduce_sum(0.5 * ai * v * v) + tf.reduce_sum(bi * v)
                     for v, ai, bi in zip(vs, a, b)])
    return vs, loss, w0, a, b


@pytest.mark.parametrize("dtype", [tf.float32, tf.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("key", sorted(OPTIMIZERS))
def test_update_rule_matches_numpy(key, dtype):
    make, make_oracle = OPTIMIZERS[key]
    oracle = make_oracle()
    vs, loss, w0, a, b = _quadratic_problem(dtype)
    opt = make()
    train = opt.minimize(loss)
    ws = [w.astype(np.float64) for w in w0]
    states = [oracle.init(w) for w in ws]
    rtol = 2e-5 if dtype is tf.float32 else 1e-10
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        for t in range(1, STEPS + 1):
            grads = [ai * w + bi for w, ai, bi in zip(ws, a, b)]
            ws = [oracle.step(w, g, s, t) for w, g, s in zip(ws, grads, states)]
            sess.run(train)
            got = sess.run(vs)
            for g_, w, v in zip(got, ws, vs):
                assert g_.dtype == dtype.np
                np.testing.assert_allclose(g_, w, rtol=rtol, atol=rtol,
                                           err_msg=f"{key} step {t} {v.name}")
        for v, s in zip(vs, states):
            for slot_name, want in s.items():
                slot = opt.get_slot(v, slot_name)
                assert slot is not None, f"{key}: no slot {slot_name}"
                np.testing.assert_allclose(sess.run(slot), want, rtol=rtol, atol=rtol,
                                           err_msg=f"{key} slot {slot_name} of {v.name}")
    assert opt.get_slot_names() == sorted(states[0])


def _oracle_steps(oracle, ws, states, a, b, t):
    grads = [ai * w + bi for w, ai, bi in zip(ws, a, b)]
    return [oracle.step(w, g, s, t) for w, g, s in zip(ws, grads, states)]


@pytest.mark.parametrize("key", sorted(OPTIMIZERS))
def test_an_update_under_tf_cond_runs_only_when_its_branch_is_taken(key):
    """The updates `apply_gradients` builds inside a `tf.cond` branch belong to the branch
    (TF's cond context): they run on the steps that take it, global step included, and
    their slots and accumulators live with the variables."""
    make, make_oracle = OPTIMIZERS[key]
    oracle = make_oracle()
    vs, loss, w0, a, b = _quadratic_problem(tf.float64)
    opt = make()
    step = tf.train.get_or_create_global_step()
    grads = opt.compute_gradients(loss)
    take = tf.placeholder(tf.bool, [], name="take")

    def update():
        with tf.control_dependencies([opt.apply_gradients(grads, global_step=step)]):
            return tf.constant(True)
    applied = tf.cond(take, update, lambda: tf.constant(False))
    assert not [op for op in tf.get_default_graph().get_operations()
                if op.type.startswith("Apply")]   # no update left in the outer graph
    ws = list(w0)
    states = [oracle.init(w) for w in ws]
    t = 0
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        for flag in (True, False, False, True, True, False):
            assert sess.run(applied, {take: flag}) == flag
            if flag:
                t += 1
                ws = _oracle_steps(oracle, ws, states, a, b, t)
            for got, want in zip(sess.run(vs), ws):
                np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-10)
        assert sess.run(step) == 3
    graph = tf.get_default_graph()
    assert all(opt.get_slot(v, name).graph is graph for v in vs for name in
               opt.get_slot_names())
    assert all(v.graph is graph for v in opt.variables())


@pytest.mark.parametrize("key", ["gd", "momentum", "adam", "rmsprop_centered"])
def test_minimize_in_a_while_loop_body_trains_on_every_iteration(key):
    make, make_oracle = OPTIMIZERS[key]
    oracle = make_oracle()
    vs, _, w0, a, b = _quadratic_problem(tf.float64)
    opt = make()

    def body(i):
        loss = tf.add_n([tf.reduce_sum(0.5 * ai * v * v) + tf.reduce_sum(bi * v)
                         for v, ai, bi in zip(vs, a, b)])
        with tf.control_dependencies([opt.minimize(loss)]):   # var_list: the outer graph's
            return i + 1
    loop = tf.while_loop(lambda i: i < 3, body, [tf.constant(0)])
    ws = list(w0)
    states = [oracle.init(w) for w in ws]
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        assert sess.run(loop) == 3
        for t in (1, 2, 3):
            ws = _oracle_steps(oracle, ws, states, a, b, t)
        for got, want in zip(sess.run(vs), ws):
            np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-10)


def test_adam_beta_powers_and_slot_names():
    vs, loss, *_ = _quadratic_problem(tf.float32)
    opt = tf.train.AdamOptimizer(0.01, beta1=0.8, beta2=0.9)
    train = opt.minimize(loss)
    names = sorted(v.op.name for v in opt.variables())
    assert names == ["beta1_power", "beta2_power", "w0/Adam", "w0/Adam_1", "w1/Adam",
                     "w1/Adam_1"]
    assert opt.get_slot(vs[0], "m").op.name == "w0/Adam"
    assert opt.get_slot(vs[0], "v").op.name == "w0/Adam_1"
    b1, b2 = opt._get_beta_accumulators()
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        for _ in range(3):
            sess.run(train)
        np.testing.assert_allclose(sess.run([b1, b2]), [0.8 ** 4, 0.9 ** 4], rtol=1e-6)
    for v in opt.variables():
        assert not v.trainable and v in tf.global_variables()


def test_slot_variable_names_follow_tf():
    w = tf.Variable([1.0, 2.0], name="w")
    loss = tf.reduce_sum(w * w)
    mom = tf.train.MomentumOptimizer(0.1, 0.9)
    mom.minimize(loss)
    rms = tf.train.RMSPropOptimizer(0.1, centered=True)
    rms.minimize(loss)
    ada = tf.train.AdagradOptimizer(0.1)
    ada.minimize(loss)
    mom2 = tf.train.MomentumOptimizer(0.1, 0.9)
    mom2.minimize(loss)
    assert mom.get_slot(w, "momentum").op.name == "w/Momentum"
    assert rms.get_slot(w, "rms").op.name == "w/RMSProp"
    assert rms.get_slot(w, "mg").op.name == "w/RMSProp_1"
    assert rms.get_slot(w, "momentum").op.name == "w/RMSProp_2"
    assert ada.get_slot(w, "accumulator").op.name == "w/Adagrad"
    assert mom2.get_slot(w, "momentum").op.name == "w/Momentum_1"
    assert mom.get_slot(w, "nope") is None
    for opt in (mom, rms, ada):
        for v in opt.variables():
            assert v.op.colocation_groups == ["loc:@w"] or "loc:@w" in v.op.colocation_groups


def test_learning_rate_as_a_fed_tensor_and_as_a_callable():
    w = tf.Variable(1.0, name="w")
    loss = w * w  # grad = 2w
    lr = tf.placeholder(tf.float32, [])
    train = tf.train.MomentumOptimizer(lr, 0.5).minimize(loss)
    w2 = tf.Variable(1.0, name="w2")
    train2 = tf.train.GradientDescentOptimizer(lambda: tf.constant(0.25)).minimize(w2 * w2)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(train, {lr: 0.1})  # acc = 2; w = 1 - 0.2
        assert sess.run(w) == pytest.approx(0.8)
        sess.run(train, {lr: 0.0})
        assert sess.run(w) == pytest.approx(0.8)
        sess.run(train2)
        assert sess.run(w2) == pytest.approx(0.5)


def test_minimize_reduces_a_quadratic_with_every_optimizer():
    for key in ("gd", "momentum", "adam", "rmsprop_momentum", "adagrad"):
        tf.reset_default_graph()
        opt = {"gd": tf.train.GradientDescentOptimizer(0.1),
               "momentum": tf.train.MomentumOptimizer(0.05, 0.9),
               "adam": tf.train.AdamOptimizer(0.1),
               "rmsprop_momentum": tf.train.RMSPropOptimizer(0.05, momentum=0.5),
               "adagrad": tf.train.AdagradOptimizer(0.5)}[key]
        w = tf.Variable([5.0, -3.0], name="w")
        loss = tf.reduce_sum(tf.square(w - tf.constant([1.0, 2.0])))
        train = opt.minimize(loss)
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            start = sess.run(loss)
            for _ in range(200):
                sess.run(train)
            end = sess.run(loss)
        assert end < 0.01 * start, f"{key}: loss {start} -> {end}"


def test_global_step_increments_once_per_run_and_names_the_train_op():
    w = tf.Variable(1.0, name="w")
    step = tf.train.get_or_create_global_step()
    assert step.name == "global_step:0" and step.dtype is tf.int64
    assert tf.train.get_global_step() is step
    assert tf.train.get_or_create_global_step() is step
    assert tf.get_collection(tf.GraphKeys.GLOBAL_STEP) == [step]
    with pytest.raises(ValueError, match='"global_step" already exists.'):
        tf.train.create_global_step()
    train = tf.train.AdamOptimizer(0.1).minimize(w * w, global_step=step)
    assert train.name == "Adam" and train.type == "AssignAdd"
    assert train in tf.get_collection(tf.GraphKeys.TRAIN_OP)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        for _ in range(4):
            sess.run(train)
        assert sess.run(step) == 4
        assert tf.train.global_step(sess, step) == 4


@pytest.fixture
def fast_thread_switching():
    """Switch threads every microsecond so that racing updates really interleave."""
    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(old)


@pytest.mark.parametrize("parallel", [False, True], ids=["serial", "parallel"])
@pytest.mark.parametrize("make", [lambda: tf.train.GradientDescentOptimizer(0.001),
                                  lambda: tf.train.AdamOptimizer(0.001)], ids=["sgd", "adam"])
def test_global_step_counts_every_run_from_many_threads(monkeypatch, fast_thread_switching,
                                                        parallel, make):
    config = None
    if parallel:
        from flowexec.runtime import cost as cost_mod

        monkeypatch.setattr(cost_mod, "EXPENSIVE_COST", 0.0)
        monkeypatch.setattr(cost_mod, "PARALLEL_MIN_SAVING", 0.0)
        monkeypatch.setattr(cost_mod, "PARALLEL_MIN_RATIO", 0.0)
        config = tf.ConfigProto(inter_op_parallelism_threads=2)
    w = tf.Variable([1.0, 2.0], name="w")
    step = tf.train.get_or_create_global_step()
    train = make().minimize(tf.reduce_sum(w * w), global_step=step)
    with tf.Session(config=config) as sess:
        sess.run(tf.global_variables_initializer())

        def work():
            for _ in range(200):
                sess.run(train)

        threads = [threading.Thread(target=work) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sess.run(step) == 1600


def test_global_step_lookup_by_name_and_type_checks():
    assert tf.train.get_global_step() is None
    tf.Variable(0, name="global_step")
    assert tf.train.get_global_step().name == "global_step:0"
    tf.reset_default_graph()
    tf.Variable(0.0, name="global_step")
    with pytest.raises(TypeError, match='Existing "global_step" does not have integer type'):
        tf.train.get_global_step()
    tf.reset_default_graph()
    tf.Variable([0, 0], name="global_step")
    with pytest.raises(TypeError, match='Existing "global_step" is not scalar'):
        tf.train.get_global_step()


def test_train_op_and_update_op_names():
    w = tf.Variable([1.0], name="w")
    with tf.name_scope("outer"):
        w2 = tf.Variable([1.0], name="w2")
    loss = tf.reduce_sum(w * w2)
    train = tf.train.GradientDescentOptimizer(0.1).minimize(loss)
    assert train.name == "GradientDescent" and train.type == "NoOp"
    names = {op.name for op in tf.get_default_graph().get_operations()}
    assert "GradientDescent/update_w/ApplyGradientDescent" in names
    assert "GradientDescent/update_outer/w2/ApplyGradientDescent" in names
    assert "GradientDescent/learning_rate" in names
    named = tf.train.GradientDescentOptimizer(0.1).minimize(loss, name="train")
    assert named.name == "train"
    again = tf.train.GradientDescentOptimizer(0.1).minimize(loss)
    assert again.name == "GradientDescent_1"
    upd = tf.get_default_graph().get_operation_by_name(
        "GradientDescent/update_w/ApplyGradientDescent")
    assert upd.colocation_groups == ["loc:@w"]


def test_fetching_loss_with_the_train_op_gives_the_pre_update_loss():
    w = tf.Variable([3.0, -1.0], name="w")
    loss = tf.reduce_sum(w * w)
    train = tf.train.GradientDescentOptimizer(0.1).minimize(loss)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        for _ in range(10):
            before = sess.run(loss)
            _, fetched = sess.run([train, loss])
            assert fetched == before


def test_compute_and_apply_gradients_with_a_transformation():
    w = tf.Variable([1.0, 2.0], name="w")
    b = tf.Variable(0.0, name="b")
    frozen = tf.Variable(5.0, name="frozen")
    loss = tf.reduce_sum(w * w) + 3.0 * b
    opt = tf.train.GradientDescentOptimizer(1.0)
    gv = opt.compute_gradients(loss)
    assert [v for _, v in gv] == [w, b, frozen]
    assert gv[2][0] is None
    clipped = [(g * 0.5, v) for g, v in gv if g is not None]
    train = opt.apply_gradients(clipped)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        grads = sess.run([g for g, _ in gv[:2]])
        np.testing.assert_allclose(grads[0], [2.0, 4.0])
        assert grads[1] == 3.0
        sess.run(train)
        np.testing.assert_allclose(sess.run(w), [0.0, 0.0])
        assert sess.run(b) == -1.5
        assert sess.run(frozen) == 5.0


def test_var_list_restricts_the_update_and_gate_graph():
    w = tf.Variable(1.0, name="w")
    u = tf.Variable(1.0, name="u")
    loss = w * u
    train = tf.train.GradientDescentOptimizer(0.5).minimize(
        loss, var_list=[w], gate_gradients=tf.train.Optimizer.GATE_GRAPH)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(train)
        assert sess.run([w, u]) == [0.5, 1.0]


def test_no_gradients_error_matches_tf():
    w = tf.Variable([1.0], name="w")
    loss = tf.reduce_sum(tf.stop_gradient(w) * 2.0)
    with pytest.raises(ValueError) as e:
        tf.train.GradientDescentOptimizer(0.1).minimize(loss)
    assert str(e.value) == (
        "No gradients provided for any variable, check your graph for ops that do not support "
        "gradients, between variables [\"<tf.Variable 'w:0' shape=(1,) dtype=float32_ref>\"] "
        f"and loss {loss}.")


def test_optimizer_argument_errors():
    with pytest.raises(ValueError, match="No variables to optimize."):
        tf.train.GradientDescentOptimizer(0.1).minimize(tf.constant(1.0) * 2.0)
    w = tf.Variable(1, name="i")
    with pytest.raises(ValueError, match=r"Invalid type tf.int32 for mul_1:0, expected: "
                       r"\[tf.float16, tf.float32, tf.float64\]."):
        tf.train.GradientDescentOptimizer(0.1).minimize(w * 2)
    with pytest.raises(ValueError, match="Must specify the optimizer name"):
        tf.train.GradientDescentOptimizer(0.1, name="")
    with pytest.raises(ValueError, match="initial_accumulator_value must be positive: 0.0"):
        tf.train.AdagradOptimizer(0.1, initial_accumulator_value=0.0)
    v = tf.Variable(1.0, name="v")
    with pytest.raises(ValueError, match="gate_gradients must be one of"):
        tf.train.GradientDescentOptimizer(0.1).minimize(v * v, gate_gradients=7)
    with pytest.raises(NotImplementedError, match="Trying to optimize unsupported type"):
        tf.train.GradientDescentOptimizer(0.1).minimize(v * v, var_list=[v.value()])
    with pytest.raises(ValueError, match="No variables provided."):
        tf.train.GradientDescentOptimizer(0.1).apply_gradients([])
    with pytest.raises(ValueError, match="No gradients provided for any variable: "):
        tf.train.GradientDescentOptimizer(0.1).apply_gradients([(None, v)])


def test_apply_op_shape_and_dtype_errors():
    v = tf.Variable([1.0, 2.0], name="v")
    with pytest.raises(ValueError, match="for 'ApplyGradientDescent'"):
        state_ops.apply_gradient_descent(v, 0.1, tf.constant([1.0, 2.0, 3.0]))
    with pytest.raises(TypeError, match="Input 'delta' of 'ApplyGradientDescent' Op has type "
                       "float64 that does not match type float32 of argument 'var'."):
        state_ops.apply_gradient_descent(v, 0.1, tf.constant([1.0, 2.0], tf.float64))
    with pytest.raises(ValueError, match="Shape must be rank 0"):
        state_ops.apply_gradient_descent(v, tf.constant([0.1, 0.1]), tf.constant([1.0, 2.0]))
    with pytest.raises(TypeError, match="'ApplyAdagrad' needs a variable"):
        state_ops.apply_adagrad(v, v.value(), 0.1, tf.constant([1.0, 2.0]))


def test_apply_ops_on_uninitialized_variables_name_them():
    w = tf.Variable([1.0], name="w")
    train = tf.train.MomentumOptimizer(0.1, 0.9).minimize(tf.reduce_sum(w * w))
    with tf.Session() as sess:
        sess.run(w.initializer)
        with pytest.raises(tf.errors.FailedPreconditionError,
                           match="Attempting to use uninitialized value w/Momentum"):
            sess.run(train)


def test_two_sessions_train_independently():
    w = tf.Variable(4.0, name="w")
    train = tf.train.AdamOptimizer(0.5).minimize(w * w)
    init = tf.global_variables_initializer()
    s1, s2 = tf.Session(), tf.Session()
    try:
        s1.run(init)
        s2.run(init)
        for _ in range(5):
            s1.run(train)
        s2.run(train)
        once = s2.run(w)
        s3 = tf.Session()
        s3.run(init)
        s3.run(train)
        assert s3.run(w) == once
        assert s1.run(w) != once
        s3.close()
    finally:
        s1.close()
        s2.close()


def test_logistic_regression_converges():
    rng = np.random.default_rng(0)
    x_np = rng.standard_normal((400, 2)).astype(np.float32)
    y_np = (x_np @ np.array([2.0, -3.0]) + 0.5 > 0).astype(np.float32)[:, None]
    x = tf.placeholder(tf.float32, [None, 2])
    y = tf.placeholder(tf.float32, [None, 1])
    with tf.variable_scope("logreg"):
        w = tf.get_variable("w", [2, 1], initializer=tf.zeros_initializer())
        b = tf.get_variable("b", [1], initializer=tf.zeros_initializer())
    logits = tf.matmul(x, w) + b
    loss = tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(labels=y, logits=logits))
    accuracy = tf.reduce_mean(tf.cast(tf.equal(tf.cast(logits > 0.0, tf.float32), y),
                                      tf.float32))
    step = tf.train.get_or_create_global_step()
    train = tf.train.AdamOptimizer(0.1).minimize(loss, global_step=step)
    feed = {x: x_np, y: y_np}
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        start = sess.run(loss, feed)
        for _ in range(150):
            sess.run(train, feed)
        end, acc = sess.run([loss, accuracy], feed)
        assert sess.run(step) == 150
    assert start == pytest.approx(np.log(2.0), rel=1e-5)
    assert end < 0.15 and acc > 0.97


def test_training_with_variables_on_two_logical_devices():
    with tf.device("/cpu:0"):
        w0 = tf.Variable([1.0, 2.0], name="w0")
    with tf.device("/cpu:1"):
        w1 = tf.Variable([3.0], name="w1")
    loss = tf.reduce_sum(w0 * w0) + tf.reduce_sum(w1 * w1)
    with tf.device("/cpu:1"):  # colocation, not this scope, places the slots and updates
        train = tf.train.MomentumOptimizer(0.1, 0.5).minimize(loss)
    config = tf.ConfigProto(device_count={"CPU": 2})
    with tf.Session(config=config) as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(train)
        np.testing.assert_allclose(sess.run(w0), [0.8, 1.6])
        np.testing.assert_allclose(sess.run(w1), [2.4])


def _mlp_losses(steps, config):
    """Losses fetched together with the train op, and the final weights, of a small MLP."""
    rng = np.random.default_rng(1)
    xb = rng.standard_normal((64, 8)).astype(np.float32)
    yb = np.eye(3, dtype=np.float32)[rng.integers(0, 3, 64)]
    g = tf.Graph()
    with g.as_default():
        x = tf.constant(xb)
        params = [tf.Variable(rng.standard_normal(s).astype(np.float32) * 0.3, name=f"p{i}")
                  for i, s in enumerate([(8, 16), (16,), (16, 16), (16,), (16, 3), (3,)])]
        h = x
        for i in range(0, 4, 2):
            h = tf.nn.relu(tf.matmul(h, params[i]) + params[i + 1])
        logits = tf.matmul(h, params[4]) + params[5]
        loss = tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits_v2(labels=yb,
                                                                          logits=logits))
        train = tf.train.MomentumOptimizer(0.1, 0.9).minimize(loss)
        with tf.Session(config=config) as sess:
            sess.run(tf.global_variables_initializer())
            losses = []
            for _ in range(steps):
                before = sess.run(loss)
                _, fetched = sess.run([train, loss])
                assert fetched == before
                losses.append(fetched)
            return losses, sess.run(params)


def test_parallel_executor_trains_exactly_like_straight_line_code(monkeypatch):
    from flowexec.runtime import cost as cost_mod

    config = tf.ConfigProto(inter_op_parallelism_threads=4)
    want_losses, want_params = _mlp_losses(8, config)
    monkeypatch.setattr(cost_mod, "EXPENSIVE_COST", 0.0)
    monkeypatch.setattr(cost_mod, "PARALLEL_MIN_SAVING", 0.0)
    monkeypatch.setattr(cost_mod, "PARALLEL_MIN_RATIO", 0.0)
    for _ in range(3):
        losses, got = _mlp_losses(8, config)
        assert losses == want_losses
        for a, b in zip(got, want_params):
            np.testing.assert_array_equal(a, b)
    assert want_losses[-1] < want_losses[0]


def test_optimizer_and_initializer_bases_are_abstract():
    class NoRule(tf.train.Optimizer):
        pass

    with pytest.raises(TypeError, match="abstract"):
        NoRule(False, "NoRule")
    from flowexec.init_ops import Initializer

    with pytest.raises(TypeError, match="abstract"):
        Initializer()
