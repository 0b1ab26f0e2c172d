"""tf.test: TestCase helpers (run as a real TestCase), compute_gradient, GPU queries."""

import unittest

import numpy as np
import pytest

import flowexec as tf


class _Case(tf.test.TestCase):
    def test_sessions_and_evaluate(self):
        c = tf.constant([1.0, 2.0]) * 2.0
        with self.cached_session() as s1:
            self.assertIs(tf.get_default_session(), s1)
            self.assertAllClose(self.evaluate(c), [2.0, 4.0])
        with self.cached_session() as s2:
            self.assertIs(s1, s2)
        with self.session() as s3:
            self.assertIsNot(s3, s1)
            self.assertAllEqual(s3.run(c), np.array([2.0, 4.0]))
        # evaluate without an open session uses the cached one
        self.assertAllClose(self.evaluate({"c": c, "t": (c, c + 1.0)}),
                            {"c": [2, 4], "t": ([2, 4], [3, 5])})
        with self.test_session() as s4:
            self.assertIs(s4, s1)

    def test_fresh_graph_per_test(self):
        self.assertEqual(tf.get_default_graph().get_operations(), [])

    def test_assertions_pass(self):
        self.assertAllClose([1.0, np.nan], [1.0 + 1e-7, np.nan])
        self.assertAllCloseAccordingToType(np.float16([1.0]), np.float16([1.0005]))
        self.assertNotAllClose([1.0], [2.0])
        self.assertAllEqual([[1, 2]], np.array([[1, 2]]))
        self.assertNotAllEqual([1, 2], [1, 3])
        self.assertAllGreater([2, 3], 1)
        self.assertAllLessEqual([1, 2], 2)
        self.assertAllInRange([0.0, 1.0], 0.0, 1.0)
        self.assertAllInSet([1, 2, 1], {1, 2})
        self.assertNear(1.0, 1.05, 0.1)
        self.assertArrayNear([1.0, 2.0], [1.01, 1.99], 0.02)
        self.assertShapeEqual(np.zeros((2, 3)), tf.zeros([2, 3]))
        self.assertDeviceEqual("/cpu:0", "/device:CPU:0")
        self.assertDTypeEqual(np.float32([1]), tf.float32)
        self.assertStartsWith("flowexec", "flow")
        self.assertLen([1, 2], 2)
        with self.assertRaisesOpError("must feed a value"):
            x = tf.placeholder(tf.float32)
            self.evaluate(x)
        with self.assertRaisesWithPredicateMatch(ValueError, lambda e: "bad" in str(e)):
            raise ValueError("bad value")

    def test_assertion_failures_say_where(self):
        with self.assertRaisesRegex(AssertionError, "not close where"):
            self.assertAllClose([1.0, 2.0], [1.0, 2.5])
        with self.assertRaisesRegex(AssertionError, "Shape mismatch"):
            self.assertAllEqual([1, 2], [1, 2, 3])
        with self.assertRaisesRegex(AssertionError, r"\[0\]\['a'\]"):
            self.assertAllClose([{"a": 1.0}], [{"a": 2.0}])
        with self.assertRaisesRegex(AssertionError, "outside the range"):
            self.assertAllInRange([2.0], 0.0, 1.0)
        with self.assertRaisesRegex(AssertionError, "OpError not raised"):
            with self.assertRaisesOpError("x"):
                pass


def test_test_case_runs_under_unittest():
    suite = unittest.defaultTestLoader.loadTestsFromTestCase(_Case)
    result = unittest.TestResult()
    suite.run(result)
    assert result.testsRun == 5
    assert not result.failures and not result.errors, result.failures + result.errors
    assert [t.id().rsplit(".", 1)[1] for t, _ in result.skipped] == ["test_session"]


def test_compute_gradient_matches_the_analytic_jacobian():
    x = tf.placeholder(tf.float64, [2, 3])
    y = tf.reduce_sum(tf.square(x), axis=1)
    x0 = np.arange(6.0).reshape(2, 3)
    with tf.Session().as_default():
        theo, num = tf.test.compute_gradient(x, [2, 3], y, [2], x_init_value=x0)
        err = tf.test.compute_gradient_error(x, [2, 3], y, [2], x_init_value=x0)
    expected = np.zeros((6, 2))
    expected[:3, 0] = 2 * x0[0]
    expected[3:, 1] = 2 * x0[1]
    np.testing.assert_allclose(theo, expected)
    np.testing.assert_allclose(num, expected, atol=1e-6)
    assert err < 1e-6


def test_compute_gradient_needs_a_default_session():
    x = tf.placeholder(tf.float64, [1])
    with pytest.raises(ValueError, match="default session"):
        tf.test.compute_gradient(x, [1], x * 2.0, [1])


def test_gpu_queries_without_a_gpu(monkeypatch):
    import devices

    if any(d.device_type == "GPU" for d in devices.list_local_devices()):
        pytest.skip("a GPU answers here")
    assert tf.test.is_gpu_available() is False
    assert tf.test.gpu_device_name() == ""
    assert tf.test.is_built_with_rocm() is False
    assert isinstance(tf.test.is_built_with_cuda(), bool)


def test_benchmark_run_op_benchmark():
    b = tf.test.Benchmark()
    with tf.Session() as sess:
        entry = b.run_op_benchmark(sess, tf.constant(1.0) + 1.0, min_iters=3, name="add")
    assert entry["name"] == "add" and entry["iters"] == 3 and entry["wall_time"] > 0
    assert b.reported == [entry]
