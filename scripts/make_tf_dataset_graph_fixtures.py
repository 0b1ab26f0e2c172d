"""Records TensorFlow's GraphDefs of small tf.data pipelines with functions (map, parallel map,
filter, flat_map, batch, one-shot iterators) and the elements TF reads from them, into
tests/data/tf1/dataset_graphs/ (<name>.pb, and elements.json: {name: {"fetch": [tensor
names], "init": initializer op name or null, "elements": [[component lists]]}}).

Run with a TensorFlow install (never a flowexec dependency):
    /work/tfvenv/bin/python scripts/make_tf_dataset_graph_fixtures.py
"""

import json
import os

import numpy as np
import tensorflow as tf

t = tf.compat.v1
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "tests", "data", "tf1", "dataset_graphs")


def _map():
    c = tf.constant(10, tf.int64, name="offset")
    return t.data.Dataset.range(6).map(lambda x: x * 2 + c)


def _map_tuple():
    x = np.arange(8, dtype=np.float32).reshape(4, 2)
    return t.data.Dataset.from_tensor_slices((x, np.arange(4, dtype=np.int32))).map(
        lambda a, b: (tf.reduce_sum(a) * 0.5, b + 1))


def _filter():
    return t.data.Dataset.range(10).filter(lambda x: tf.equal(x % 3, 0))


def _flat_map():
    return t.data.Dataset.range(1, 4).flat_map(
        lambda x: t.data.Dataset.from_tensors(x).repeat(x))


def _batch():
    return t.data.Dataset.range(7).map(lambda x: tf.cast(x, tf.float32) + 0.5).batch(3)


def _parallel_map():
    return t.data.Dataset.range(5).map(lambda x: x * x, num_parallel_calls=2)


PIPELINES = {"map": _map, "parallel_map": _parallel_map, "map_tuple": _map_tuple, "filter": _filter, "flat_map": _flat_map,
             "batch": _batch}


def record(name, make, one_shot):
    g = tf.Graph()
    with g.as_default():
        ds = make()
        if one_shot:
            it = t.data.make_one_shot_iterator(ds)
            init = None
        else:
            it = t.data.make_initializable_iterator(ds)
            init = it.initializer.name
        nxt = it.get_next()
        flat = list(nxt) if isinstance(nxt, (tuple, list)) else [nxt]
        elements = []
        with t.Session(graph=g) as sess:
            if init:
                sess.run(init)
            while True:
                try:
                    elements.append([np.asarray(v).tolist() for v in sess.run(flat)])
                except tf.errors.OutOfRangeError:
                    break
    gd = g.as_graph_def()
    with open(os.path.join(OUT, name + ".pb"), "wb") as f:
        f.write(gd.SerializeToString())
    return {"fetch": [x.name for x in flat], "init": init, "elements": elements}


def main():
    os.makedirs(OUT, exist_ok=True)
    out = {}
    for name, make in PIPELINES.items():
        out[name] = record(name, make, one_shot=False)
    for name in ("map", "flat_map", "batch"):
        out["one_shot_" + name] = record("one_shot_" + name, PIPELINES[name], one_shot=True)
    with open(os.path.join(OUT, "elements.json"), "w") as f:
        json.dump({"tensorflow_version": tf.__version__, "pipelines": out}, f, indent=1,
                  sort_keys=True)


if __name__ == "__main__":
    main()
