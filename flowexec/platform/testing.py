"""`tf.test`: `TestCase` with TF's assertion and session helpers, `main`, the GPU queries,
`compute_gradient(_error)`, `Benchmark` and `create_local_cluster` (an in-process cluster).

`TestCase` is a `unittest.TestCase` (pytest collects it too): each test starts with a fresh
default graph, `self.session()` / `self.cached_session()` give a Session on it installed as
the default, and `self.evaluate(tensors)` runs them there.

Example:
    >>> class AddTest(tf.test.TestCase):
    ...     def test_add(self):
    ...         with self.cached_session():
    ...             self.assertAllClose(self.evaluate(tf.constant(1.0) + 2.0), 3.0)
"""

import contextlib
import importlib.util
import math
import re
import tempfile
import time
import unittest
from unittest import mock  # noqa: F401 - tf.test.mock

import numpy as np

from flowexec.framework import errors
from flowexec.platform.graph_compare import assert_equal_graph_def  # noqa: F401
from flowexec.framework import graph as graph_mod


def main(argv=None):
    """Runs the tests of `__main__` (TF's `tf.test.main`)."""
    return unittest.main(argv=argv)


def _gpus():
    from devices import list_local_devices

    return [d for d in list_local_devices() if d.device_type == "GPU"]


def is_built_with_cuda():
    """Whether flowexec can use CUDA here: CuPy is installed (no CUDA call is made)."""
    return importlib.util.find_spec("cupy") is not None


is_built_with_gpu_support = is_built_with_cuda


def is_built_with_rocm():
    return False


def is_built_with_xla():
    return False


def is_gpu_available(cuda_only=False, min_cuda_compute_capability=None):
    """Whether a GPU answers (optionally of at least compute capability (major, minor))."""
    for d in _gpus():
        if min_cuda_compute_capability is None:
            return True
        m = re.search(r"compute capability: (\d+)\.(\d+)", d.physical_device_desc or "")
        if m and (int(m.group(1)), int(m.group(2))) >= tuple(min_cuda_compute_capability):
            return True
    return False


def gpu_device_name():
    """'/device:GPU:0' when a GPU answers, else ''."""
    gpus = _gpus()
    return gpus[0].name if gpus else ""


def create_local_cluster(num_workers, num_ps, protocol="grpc", worker_config=None,
                         ps_config=None):
    """Starts a cluster of `num_workers` worker and `num_ps` ps servers in this process
    (TF's `tf.test.create_local_cluster`), on free localhost addresses.

    Args:
        num_workers: worker tasks (job "worker").
        num_ps: ps tasks (job "ps"; none when 0).
        protocol: "grpc", as TF.
        worker_config, ps_config: ConfigProtos of the workers' and ps' servers.

    Returns:
        `(workers, ps_servers)`: lists of started `tf.train.Server`s; a session on
        `workers[0].target` places `/job:ps/task:0` ops on the first ps.

    Example:
        >>> workers, _ = tf.test.create_local_cluster(2, 1)
        >>> with tf.device("/job:ps/task:0"):
        ...     v = tf.Variable(1.0)
        >>> sess = tf.Session(workers[0].target)
    """
    from flowexec.distributed import local
    from flowexec.distributed.cluster import ClusterSpec
    from flowexec.distributed.server import Server

    addresses = local.free_port_addresses(num_workers + num_ps)
    spec = {"worker": addresses[:num_workers]}
    if num_ps > 0:
        spec["ps"] = addresses[num_workers:]
    cluster = ClusterSpec(spec)
    workers = [Server(cluster, job_name="worker", protocol=protocol, task_index=i,
                      config=worker_config, start=True) for i in range(num_workers)]
    ps_servers = [Server(cluster, job_name="ps", protocol=protocol, task_index=i,
                         config=ps_config, start=True) for i in range(num_ps)]
    return workers, ps_servers


def get_temp_dir():
    """A fresh temporary directory."""
    return tempfile.mkdtemp(prefix="flowexec_test_")


def _default_session():
    from flowexec.framework.default_session import get_default_session

    sess = get_default_session()
    if sess is None:
        raise ValueError("compute_gradient needs a default session: use it inside "
                         "`with tf.Session().as_default():` or a TestCase session")
    return sess


def compute_gradient(x, x_shape, y, y_shape, x_init_value=None, delta=1e-3,
                     init_targets=None, extra_feed_dict=None):
    """The theoretical and numerical Jacobians of `y` with respect to `x` (TF 1.x).

    Args:
        x: a Tensor, or a list of Tensors; `x_shape` is its shape (a list of shapes).
        y: the Tensor to differentiate; `y_shape` its shape.
        x_init_value: the point (an array, or a list of arrays); random uniform by default.
        delta: the finite-difference step (central differences).
        init_targets: ops to run first (e.g. variable initializers).
        extra_feed_dict: more feeds for every run.

    Returns:
        (theoretical, numerical) of shape (x size, y size) each; lists of such pairs when
        `x` is a list.
    """
    from flowexec.gradients import gradients
    from flowexec.ops.constant_op import placeholder

    sess = _default_session()
    if init_targets is not None:
        sess.run(init_targets)
    xs = list(x) if isinstance(x, (list, tuple)) else [x]
    shapes = list(x_shape) if isinstance(x, (list, tuple)) else [x_shape]
    if x_init_value is None:
        rng = np.random.RandomState(0)
        inits = [rng.random_sample(s).astype(t.dtype.np) for t, s in zip(xs, shapes)]
    else:
        inits = list(x_init_value) if isinstance(x, (list, tuple)) else [x_init_value]
        inits = [np.asarray(v, dtype=t.dtype.np) for t, v in zip(xs, inits)]
    feed = dict(extra_feed_dict or {})
    dy = placeholder(y.dtype, y_shape)
    grads = gradients(y, xs, grad_ys=dy)
    y_size = int(np.prod(y_shape))
    pairs = []
    for k, (xt, x0) in enumerate(zip(xs, inits)):
        base = dict(feed)
        base.update(zip(xs, inits))
        theo = np.zeros((x0.size, y_size))
        for j in range(y_size):
            unit = np.zeros(y_size, dtype=y.dtype.np)
            unit[j] = 1
            base[dy] = unit.reshape(y_shape)
            g = grads[k]
            theo[:, j] = 0 if g is None else _dense(sess.run(g, base), x0.shape).reshape(-1)
        num = np.zeros((x0.size, y_size))
        for i in range(x0.size):
            plus, minus = x0.copy().reshape(-1), x0.copy().reshape(-1)
            plus[i] += delta
            minus[i] -= delta
            fp = dict(base)
            fp[xt] = plus.reshape(x0.shape)
            yp = np.asarray(sess.run(y, fp), dtype=np.float64).reshape(-1)
            fp[xt] = minus.reshape(x0.shape)
            ym = np.asarray(sess.run(y, fp), dtype=np.float64).reshape(-1)
            num[i] = (yp - ym) / (2 * delta)
        pairs.append((theo, num))
    return pairs if isinstance(x, (list, tuple)) else pairs[0]


def _dense(value, shape):
    """A fetched gradient as an array: an IndexedSlicesValue's rows summed in (TF's checker
    reads the slices the same way)."""
    if hasattr(value, "indices") and hasattr(value, "values"):
        out = np.zeros(shape, dtype=np.asarray(value.values).dtype)
        np.add.at(out, np.asarray(value.indices), value.values)
        return out
    return np.asarray(value)


def compute_gradient_error(x, x_shape, y, y_shape, x_init_value=None, delta=1e-3,
                           init_targets=None, extra_feed_dict=None):
    """The largest absolute difference between the theoretical and numerical Jacobians."""
    result = compute_gradient(x, x_shape, y, y_shape, x_init_value, delta, init_targets,
                              extra_feed_dict)
    pairs = result if isinstance(x, (list, tuple)) else [result]
    return max((float(np.max(np.abs(t - n))) if t.size else 0.0) for t, n in pairs)


class Benchmark:
    """TF's `tf.test.Benchmark`: `run_op_benchmark` times a fetch; `report_benchmark`
    records an entry (kept in `self.reported`, printed in TF's one-line form)."""

    def __init__(self):
        self.reported = []

    def report_benchmark(self, iters=None, cpu_time=None, wall_time=None, throughput=None,
                         extras=None, name=None, metrics=None):
        entry = {"name": name or type(self).__name__, "iters": iters, "cpu_time": cpu_time,
                 "wall_time": wall_time, "throughput": throughput, "extras": extras or {},
                 "metrics": metrics or []}
        self.reported.append(entry)
        print(f"entry {{ name: {entry['name']!r} iters: {iters} wall_time: {wall_time} }}")
        return entry

    def run_op_benchmark(self, sess, op_or_tensor, feed_dict=None, burn_iters=2,
                         min_iters=10, store_trace=False, store_memory_usage=True, name=None,
                         extras=None, mbs=0):
        """Runs `op_or_tensor` `burn_iters` times, then times `min_iters` runs; returns the
        entry with the median wall time in seconds."""
        for _ in range(burn_iters):
            sess.run(op_or_tensor, feed_dict=feed_dict)
        times = []
        for _ in range(min_iters):
            t0 = time.perf_counter()
            sess.run(op_or_tensor, feed_dict=feed_dict)
            times.append(time.perf_counter() - t0)
        wall = float(np.median(times))
        extras = dict(extras or {})
        if mbs:
            extras["throughput_mbs"] = mbs / wall
        return self.report_benchmark(iters=min_iters, wall_time=wall, extras=extras, name=name)


def _evaluate_structure(value, evaluate):
    if hasattr(value, "_as_graph_element") or hasattr(value, "value_index"):
        return evaluate(value)
    return value


class TestCase(unittest.TestCase):
    """TF's `tf.test.TestCase`. Each test gets a fresh default graph."""

    def setUp(self):
        super().setUp()
        graph_mod.reset_default_graph()
        self._cached = None

    def tearDown(self):
        if getattr(self, "_cached", None) is not None:
            self._cached[1].close()
            self._cached = None
        super().tearDown()

    # ----- sessions ------------------------------------------------------------------------
    @contextlib.contextmanager
    def _installed(self, sess, graph, use_gpu, force_gpu):
        device = "/device:GPU:0" if force_gpu else (None if use_gpu else "/device:CPU:0")
        with graph.as_default(), sess.as_default():
            if device is None:
                yield sess
            else:
                with graph.device(device):
                    yield sess

    @contextlib.contextmanager
    def session(self, graph=None, config=None, use_gpu=True, force_gpu=False):
        """A new Session on `graph` (the default graph), installed as the default."""
        from flowexec.runtime.session import Session

        graph = graph if graph is not None else graph_mod.get_default_graph()
        sess = Session(graph=graph, config=config)
        try:
            with self._installed(sess, graph, use_gpu, force_gpu):
                yield sess
        finally:
            sess.close()

    @contextlib.contextmanager
    def cached_session(self, graph=None, config=None, use_gpu=True, force_gpu=False):
        """The test's one Session on `graph`, reused by later calls in the same test."""
        from flowexec.runtime.session import Session

        graph = graph if graph is not None else graph_mod.get_default_graph()
        if self._cached is None or self._cached[0] is not graph:
            if self._cached is not None:
                self._cached[1].close()
            self._cached = (graph, Session(graph=graph, config=config))
        with self._installed(self._cached[1], graph, use_gpu, force_gpu):
            yield self._cached[1]

    def test_session(self, graph=None, config=None, use_gpu=True, force_gpu=False):
        """Deprecated name of `cached_session`. A test method named `test_session` is
        skipped, as in TF: the name is reserved for this helper."""
        if self.id().endswith(".test_session"):
            self.skipTest('Tests that have the name "test_session" are automatically skipped '
                          "by the TestCase fixture, as the name is reserved for creating "
                          "sessions within tests. Please rename your test if you have a test "
                          "with this name.")
        return self.cached_session(graph, config, use_gpu, force_gpu)

    def evaluate(self, tensors):
        """The numpy values of `tensors` (any nested structure), in the default session."""
        from flowexec.framework.default_session import get_default_session

        sess = get_default_session()
        if sess is None:
            with self.cached_session() as sess:
                return sess.run(tensors)
        return sess.run(tensors)

    def get_temp_dir(self):
        """A temporary directory of this test."""
        if not hasattr(self, "_temp_dir"):
            self._temp_dir = get_temp_dir()
        return self._temp_dir

    # ----- array assertions ---------------------------------------------------------------
    def _value(self, a):
        return _evaluate_structure(a, self.evaluate)

    def _assert_all_close_rec(self, a, b, rtol, atol, path, msg):
        a, b = self._value(a), self._value(b)
        if isinstance(a, dict) or isinstance(b, dict):
            if not (isinstance(a, dict) and isinstance(b, dict)) or set(a) != set(b):
                self.fail(f"{path}: mismatched structure {a!r} vs {b!r}. {msg or ''}")
            for k in a:
                self._assert_all_close_rec(a[k], b[k], rtol, atol, f"{path}[{k!r}]", msg)
            return
        if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)) and \
                not _is_numeric_sequence(a) and not _is_numeric_sequence(b):
            if len(a) != len(b):
                self.fail(f"{path}: length {len(a)} != {len(b)}. {msg or ''}")
            for i, (x, y) in enumerate(zip(a, b)):
                self._assert_all_close_rec(x, y, rtol, atol, f"{path}[{i}]", msg)
            return
        a, b = np.asarray(a), np.asarray(b)
        if a.shape != b.shape:
            self.fail(f"Shape mismatch: expected {a.shape}, got {b.shape} with contents "
                      f"{b}{' at ' + path if path else ''}. {msg or ''}")
        if not np.allclose(a, b, rtol=rtol, atol=atol, equal_nan=True):
            cond = np.logical_or(np.abs(a - b) > atol + rtol * np.abs(b),
                                 np.isnan(a) != np.isnan(b))
            where = np.where(cond) if a.ndim else ()
            lines = [f"Mismatched value: a is different from b{' at ' + path if path else ''}.",
                     f"not close where = {where}",
                     f"not close lhs = {a[where] if a.ndim else a}",
                     f"not close rhs = {b[where] if b.ndim else b}",
                     f"not close dif = {np.abs(a - b)[where] if a.ndim else np.abs(a - b)}",
                     f"not close tol = {(atol + rtol * np.abs(b))[where] if a.ndim else atol}",
                     f"dtype = {a.dtype}, shape = {a.shape}"]
            if msg:
                lines.append(str(msg))
            self.fail("\n".join(lines))

    def assertAllClose(self, a, b, rtol=1e-6, atol=1e-6, msg=None):  # noqa: N802
        """`a` and `b` (arrays, tensors, or nested structures of them) are elementwise close:
        |a - b| <= atol + rtol * |b|, NaNs equal."""
        self._assert_all_close_rec(a, b, rtol, atol, "", msg)

    def assertAllCloseAccordingToType(self, a, b, rtol=1e-6, atol=1e-6, float_rtol=1e-6,  # noqa: N802
                                      float_atol=1e-6, half_rtol=1e-3, half_atol=1e-3,
                                      bfloat16_rtol=1e-2, bfloat16_atol=1e-2, msg=None):
        """assertAllClose with tolerances widened by the lowest precision of `a` and `b`."""
        a, b = np.asarray(self._value(a)), np.asarray(self._value(b))
        kinds = {a.dtype.type, b.dtype.type}
        if np.float32 in kinds or np.complex64 in kinds:
            rtol, atol = max(rtol, float_rtol), max(atol, float_atol)
        if np.float16 in kinds:
            rtol, atol = max(rtol, half_rtol), max(atol, half_atol)
        if "bfloat16" in (a.dtype.name, b.dtype.name):
            rtol, atol = max(rtol, bfloat16_rtol), max(atol, bfloat16_atol)
        self.assertAllClose(a, b, rtol=rtol, atol=atol, msg=msg)

    def assertNotAllClose(self, a, b, rtol=1e-6, atol=1e-6, msg=None):  # noqa: N802
        try:
            self.assertAllClose(a, b, rtol=rtol, atol=atol)
        except AssertionError:
            return
        self.fail(msg or "The two values are close at all elements")

    def assertAllEqual(self, a, b, msg=None):  # noqa: N802
        """`a` and `b` have the same shape and equal elements."""
        a, b = np.asarray(self._value(a)), np.asarray(self._value(b))
        if a.shape != b.shape:
            self.fail(f"Shape mismatch: expected {a.shape}, got {b.shape} with contents {b}. "
                      f"{msg or ''}")
        same = a == b
        if a.dtype.kind == "f" or b.dtype.kind == "f":
            same = np.logical_or(same, np.logical_and(np.isnan(a), np.isnan(b)))
        if not np.all(same):
            diff = np.logical_not(same)
            where = np.where(diff) if a.ndim else ()
            self.fail(f"not equal where = {where}\nnot equal lhs = "
                      f"{a[where] if a.ndim else a}\nnot equal rhs = "
                      f"{b[where] if b.ndim else b}\n{msg or ''}")

    def assertNotAllEqual(self, a, b, msg=None):  # noqa: N802
        try:
            self.assertAllEqual(a, b)
        except AssertionError:
            return
        self.fail(msg or "The two values are equal at all elements")

    def _compare(self, a, op, target, what):
        a = np.asarray(self._value(a))
        if not np.all(op(a, target)):
            self.fail(f"{a} is not {what} {target}")

    def assertAllGreater(self, a, comparison_target):  # noqa: N802
        self._compare(a, np.greater, comparison_target, "greater than")

    def assertAllLess(self, a, comparison_target):  # noqa: N802
        self._compare(a, np.less, comparison_target, "less than")

    def assertAllGreaterEqual(self, a, comparison_target):  # noqa: N802
        self._compare(a, np.greater_equal, comparison_target, "greater than or equal to")

    def assertAllLessEqual(self, a, comparison_target):  # noqa: N802
        self._compare(a, np.less_equal, comparison_target, "less than or equal to")

    def assertAllInRange(self, target, lower_bound, upper_bound, open_lower_bound=False,  # noqa: N802
                         open_upper_bound=False):
        """Every element of `target` lies within the bounds (closed unless said open)."""
        t = np.asarray(self._value(target))
        lo = np.greater if open_lower_bound else np.greater_equal
        hi = np.less if open_upper_bound else np.less_equal
        bad = np.logical_not(np.logical_and(lo(t, lower_bound), hi(t, upper_bound)))
        if np.any(bad):
            l_br, r_br = "(" if open_lower_bound else "[", ")" if open_upper_bound else "]"
            self.fail(f"{int(np.sum(bad))} of the {t.size} element(s) are outside the range "
                      f"{l_br}{lower_bound}, {upper_bound}{r_br}: {t[bad]}")

    def assertAllInSet(self, target, expected_set):  # noqa: N802
        t = np.asarray(self._value(target)).reshape(-1)
        extra = sorted(set(t.tolist()) - set(expected_set))
        if extra:
            self.fail(f"{extra} are not in the expected set {expected_set}")

    def assertArrayNear(self, farray1, farray2, err, msg=None):  # noqa: N802
        self.assertEqual(len(farray1), len(farray2), msg=msg)
        for f1, f2 in zip(farray1, farray2):
            self.assertNear(float(f1), float(f2), err, msg=msg)

    def assertNear(self, f1, f2, err, msg=None):  # noqa: N802
        """|f1 - f2| <= err (also true when both are the same infinity)."""
        if not (f1 == f2 or math.fabs(f1 - f2) <= err):
            self.fail(f"{f1} != {f2} +/- {err}{' (' + msg + ')' if msg else ''}")

    def assertNDArrayNear(self, ndarray1, ndarray2, err, msg=None):  # noqa: N802
        self.assertTrue(np.linalg.norm(np.asarray(ndarray1) - np.asarray(ndarray2)) < err,
                        msg=msg)

    def assertShapeEqual(self, np_array, tf_tensor, msg=None):  # noqa: N802
        """The numpy array's shape equals the tensor's static shape."""
        self.assertEqual(list(np.shape(np_array)), tf_tensor.get_shape().as_list(), msg=msg)

    def assertDeviceEqual(self, device1, device2, msg=None):  # noqa: N802
        """The two device strings name the same device."""
        from devices.spec import DeviceSpec

        d1 = DeviceSpec.from_string(device1 or "").to_string()
        d2 = DeviceSpec.from_string(device2 or "").to_string()
        self.assertEqual(d1, d2, msg=msg or f"Devices {device1} and {device2} are not equal.")

    def assertDTypeEqual(self, target, expected_dtype):  # noqa: N802
        from flowexec.framework.dtypes import as_dtype

        expected = as_dtype(expected_dtype).np
        for t in target if isinstance(target, (list, tuple)) else [target]:
            self.assertEqual(np.asarray(t).dtype, expected)

    # ----- error assertions ---------------------------------------------------------------
    @contextlib.contextmanager
    def assertRaisesWithPredicateMatch(self, exception_type, expected_err_re_or_predicate):  # noqa: N802
        """The block raises `exception_type` whose message matches the regex (or for which the
        predicate is true)."""
        if callable(expected_err_re_or_predicate):
            predicate = expected_err_re_or_predicate
        else:
            def predicate(e):
                return re.search(expected_err_re_or_predicate, str(e)) is not None
        try:
            yield
        except exception_type as e:
            if not predicate(e):
                raise AssertionError(f"Exception of type {type(e)}: {e}") from e
        else:
            self.fail(exception_type.__name__ + " not raised")

    def assertRaisesOpError(self, expected_err_re_or_predicate):  # noqa: N802
        """The block raises a `tf.errors.OpError` matching the regex or predicate."""
        return self.assertRaisesWithPredicateMatch(errors.OpError, expected_err_re_or_predicate)

    # ----- absl-style helpers that TF tests use -------------------------------------------
    def assertStartsWith(self, actual, expected_start, msg=None):  # noqa: N802
        if not actual.startswith(expected_start):
            self.fail(msg or f"{actual!r} does not start with {expected_start!r}")

    def assertEndsWith(self, actual, expected_end, msg=None):  # noqa: N802
        if not actual.endswith(expected_end):
            self.fail(msg or f"{actual!r} does not end with {expected_end!r}")

    def assertLen(self, container, expected_len, msg=None):  # noqa: N802
        if len(container) != expected_len:
            self.fail(msg or f"{container!r} has length of {len(container)}, "
                      f"expected {expected_len}.")

    def assertEmpty(self, container, msg=None):  # noqa: N802
        self.assertLen(container, 0, msg)

    def assertNotEmpty(self, container, msg=None):  # noqa: N802
        if not len(container):
            self.fail(msg or f"{container!r} has length of 0.")

    def assertItemsEqual(self, first, second, msg=None):  # noqa: N802
        self.assertCountEqual(first, second, msg)

    def assertSameElements(self, expected_seq, actual_seq, msg=None):  # noqa: N802
        self.assertEqual(set(expected_seq), set(actual_seq), msg)

    def assertBetween(self, value, minv, maxv, msg=None):  # noqa: N802
        if not minv <= value <= maxv:
            self.fail(msg or f"{value!r} is not in range [{minv!r}, {maxv!r}]")


def _is_numeric_sequence(x):
    """A list/tuple of numbers (an array literal), not a structure of arrays."""
    return all(isinstance(v, (int, float, complex, np.number, bool)) for v in x) or \
        (len(x) > 0 and all(isinstance(v, (list, tuple)) and _is_numeric_sequence(v)
                            for v in x))
