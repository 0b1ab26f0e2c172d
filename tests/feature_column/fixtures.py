"""TensorFlow's recorded feature-column results (scripts/make_tf_feature_column_fixtures.py)
and the flowexec side of each case."""

import functools
import json
import os

import numpy as np

import flowexec as tf
import flowexec.feature_column as fc
from tests.feature_column import cases


@functools.cache
def recorded():
    """(arrays, metadata) as TF recorded them."""
    with np.load(os.path.join(cases.DATA_DIR, "fixtures.npz"), allow_pickle=True) as z:
        arrays = {k: z[k] for k in z.files}
    with open(os.path.join(cases.DATA_DIR, "fixtures.json")) as f:
        meta = json.load(f)
    return arrays, meta


def expected(kind, name):
    arrays, meta = recorded()
    prefix = f"{kind}/{name}/"
    return ({k[len(prefix):]: v for k, v in arrays.items() if k.startswith(prefix)},
            meta[kind][name])


def run(kind, name):
    """The flowexec (arrays, metadata) of one case."""
    return cases.run_case(tf, fc, kind, name, builder_cls=fc._LazyBuilder)
