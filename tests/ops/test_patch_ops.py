"""extract_image_patches / extract_volume_patches vs a loop-based numpy oracle (the layout
checked against TensorFlow's kernel), with finite-difference gradients."""

import itertools

import numpy as np
import pytest

import flowexec as tf
from flowexec.ops import patch_ops as po
from tests.ops.harness import OpCase, check_forward, check_gradient, ids


def _np_patches(x, k, s, r, padding):
    spatial = x.shape[1:-1]
    eff = [kk + (kk - 1) * (rr - 1) for kk, rr in zip(k, r)]
    if padding == "VALID":
        out = [max(-(-(n - e + 1) // ss), 0) for n, e, ss in zip(spatial, eff, s)]
        before = [0] * len(spatial)
    else:
        out = [-(-n // ss) for n, ss in zip(spatial, s)]
        before = [max((o - 1) * ss + e - n, 0) // 2 for o, ss, e, n in
                  zip(out, s, eff, spatial)]
    depth = x.shape[-1]
    res = np.zeros((x.shape[0], *out, int(np.prod(k)) * depth), x.dtype)
    for pos in itertools.product(*[range(o) for o in out]):
        for w, off in enumerate(itertools.product(*[range(kk) for kk in k])):
            src = [p * ss + o * rr - b for p, ss, o, rr, b in zip(pos, s, off, r, before)]
            if all(0 <= c < n for c, n in zip(src, spatial)):
                res[(slice(None), *pos, slice(w * depth, (w + 1) * depth))] = \
                    x[(slice(None), *src, slice(None))]
    return res


def _u(*shape):
    return lambda rng: [rng.standard_normal(shape)]


CASES = [
    OpCase("image_same_strided_dilated",
           lambda x: po.extract_image_patches(x, [1, 3, 2, 1], [1, 2, 3, 1], [1, 1, 2, 1],
                                              "SAME"),
           lambda x: _np_patches(x, [3, 2], [2, 3], [1, 2], "SAME"), _u(2, 5, 6, 3)),
    OpCase("image_valid",
           lambda x: po.extract_image_patches(x, [1, 2, 2, 1], [1, 1, 2, 1], [1, 2, 1, 1],
                                              "VALID"),
           lambda x: _np_patches(x, [2, 2], [1, 2], [2, 1], "VALID"), _u(1, 5, 6, 2)),
    OpCase("volume_same",
           lambda x: po.extract_volume_patches(x, [1, 2, 2, 3, 1], [1, 1, 2, 2, 1], "SAME"),
           lambda x: _np_patches(x, [2, 2, 3], [1, 2, 2], [1, 1, 1], "SAME"),
           _u(1, 3, 3, 4, 2)),
]


@pytest.mark.parametrize("case", CASES, ids=ids(CASES))
def test_forward(case):
    check_forward(case)


@pytest.mark.parametrize("case", CASES[:2], ids=ids(CASES[:2]))
def test_gradient(case):
    check_gradient(case)


def test_argument_errors():
    x = tf.zeros([1, 4, 4, 1])
    with pytest.raises(ValueError, match="ksizes"):
        po.extract_image_patches(x, [2, 2], [1, 1, 1, 1], [1, 1, 1, 1], "SAME")
    with pytest.raises(ValueError, match="padding"):
        po.extract_image_patches(x, [1, 2, 2, 1], [1, 1, 1, 1], [1, 1, 1, 1], "FULL")
    with pytest.raises(ValueError, match="spatial sizes"):
        po.extract_image_patches(tf.placeholder(tf.float32, [1, None, 4, 1]), [1, 2, 2, 1],
                                 [1, 1, 1, 1], [1, 1, 1, 1], "SAME")
    assert tf.extract_image_patches is po.extract_image_patches
