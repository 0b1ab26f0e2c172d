"""trig_ops vs numpy, gradients vs finite differences."""

import numpy as np
import pytest

import flowexec as tf
from flowexec.ops import trig_ops as tr
from tests.ops.harness import OpCase, check_forward, check_gradient, ids


def _u(low, high, *shapes):
    return lambda rng: [rng.uniform(low, high, size=s) for s in shapes]


CASES = [
    OpCase("tan", tr.tan, np.tan, _u(-1.2, 1.2, (3, 4))),
    OpCase("asin", tr.asin, np.arcsin, _u(-0.9, 0.9, (3, 4))),
    OpCase("acos", tr.acos, np.arccos, _u(-0.9, 0.9, (3, 4))),
    OpCase("atan", tr.atan, np.arctan, _u(-3, 3, (3, 4))),
    OpCase("sinh", tr.sinh, np.sinh, _u(-2, 2, (3, 4))),
    OpCase("cosh", tr.cosh, np.cosh, _u(-2, 2, (3, 4))),
    OpCase("asinh", tr.asinh, np.arcsinh, _u(-3, 3, (3, 4))),
    OpCase("acosh", tr.acosh, np.arccosh, _u(1.2, 3, (3, 4))),
    OpCase("atanh", tr.atanh, np.arctanh, _u(-0.9, 0.9, (3, 4))),
    OpCase("expm1", tr.expm1, np.expm1, _u(-2, 2, (3, 4))),
    OpCase("expm1_f32", tr.expm1, np.expm1,
           lambda rng: [rng.uniform(-1e-4, 1e-4, 5).astype(np.float32)], grad=False),
    OpCase("rint", tr.rint, np.rint, [np.array([0.5, 1.5, 2.5, -0.5, -1.7, 3.2])], grad=False),
    OpCase("atan2", tr.atan2, np.arctan2,
           lambda rng: [rng.uniform(-2, 2, (3, 4)), rng.uniform(0.3, 2, (3, 4))
                        * rng.choice([-1, 1], (3, 4))]),
    OpCase("atan2_broadcast", tr.atan2, np.arctan2, _u(0.5, 2, (3, 4), (4,))),
]


@pytest.mark.parametrize("case", CASES, ids=ids(CASES))
def test_forward(case):
    check_forward(case)


GRAD_CASES = [c for c in CASES if c.grad]


@pytest.mark.parametrize("case", GRAD_CASES, ids=ids(GRAD_CASES))
def test_gradient(case):
    check_gradient(case)


def test_rint_has_no_gradient_and_atan2_names_its_inputs():
    x = tf.constant([1.5])
    assert tf.gradients(tr.rint(x), [x]) == [None]
    t = tr.atan2(tf.constant([1.0]), 2.0)
    assert t.op.type == "Atan2" and t.op.inputs[1].name == "Atan2/x:0"
