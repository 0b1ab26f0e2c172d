"""TensorFlow's results for `tf.train.warm_start` (with `VocabInfo` remapping, partitioned
variables, renames, object-based checkpoints) and for the vocabulary remapping ops
GenerateVocabRemapping / LoadAndRemapMatrix, recorded for flowexec's tests.

TensorFlow is never a flowexec dependency; run this with a scratch virtualenv's Python:

    /work/tfvenv/bin/python scripts/make_tf_warm_start_fixtures.py   # tests/data/tf1/warm_start/

It writes the vocabulary files and two checkpoints of the "old" model (`old.ckpt`, by
tf.train.Saver; `obj/ckpt-1`, by tf.train.Checkpoint), then for each case of `CASES` builds
the "new" model with `build(tf, case, data_dir)`, warm-starts it, runs the initializers and
records every variable (`warm.npz`, keys "<case>|<variable name>"), and for each of
`remap_cases` the op's outputs or its error class and message (`remap.npz`).
"""

import os
import sys

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "tests", "data", "tf1", "warm_start")

VOCABS = {
    "old_vocab.txt": "a\nb\nc\nd\ne\n",
    "new_vocab.txt": "c\nx\na\ne\ny\nb\n",
    "old_classes.txt": "p\nq\nr\ns\n",
    "new_classes.txt": "r\nt\np\n",
    "dup_vocab.txt": "a\na\nb\n",
    "crlf_vocab.txt": "a\r\nb\nc",
    "empty_line.txt": "a\n\nb\n",
}


def old_values():
    rng = np.random.RandomState(7)
    return {"emb": rng.randn(5, 3).astype(np.float32),
            "out/kernel": rng.randn(2, 4).astype(np.float32),
            "dense": rng.randn(3, 2).astype(np.float32)}


CASES = ("vocab_rows", "vocab_cols", "partitioned", "old_vocab_size", "rename", "object_based",
         "only_vocab")


def build(tf, case, data):
    """Builds the new model of `case` and calls tf.train.warm_start; returns {name: var}."""
    path = lambda name: os.path.join(data, name)  # noqa: E731
    ckpt = path("old.ckpt")
    zeros = tf.zeros_initializer()
    backup = tf.ones_initializer()  # TF calls it with a shape tensor
    made = {}
    if case in ("vocab_rows", "old_vocab_size", "only_vocab"):
        made["emb"] = tf.get_variable("emb", [7, 3], initializer=zeros)
        made["dense"] = tf.get_variable("dense", [3, 2], initializer=zeros)
        info = tf.train.VocabInfo(path("new_vocab.txt"), 6, 1, path("old_vocab.txt"),
                                  old_vocab_size=3 if case == "old_vocab_size" else -1,
                                  backup_initializer=backup)
        tf.train.warm_start(ckpt, None if case == "only_vocab" else ".*", {"emb": info})
    elif case == "vocab_cols":
        made["out/kernel"] = tf.get_variable("out/kernel", [2, 3], initializer=zeros)
        info = tf.train.VocabInfo(path("new_classes.txt"), 3, 0, path("old_classes.txt"),
                                  backup_initializer=backup, axis=1)
        tf.train.warm_start(ckpt, ["out"], {"out/kernel": info})
    elif case == "partitioned":
        emb = tf.get_variable("emb", [7, 3], initializer=zeros,
                              partitioner=tf.fixed_size_partitioner(2))
        for i, shard in enumerate(emb):
            made[f"emb/part_{i}"] = shard
        info = tf.train.VocabInfo(path("new_vocab.txt"), 6, 1, path("old_vocab.txt"),
                                  backup_initializer=backup)
        tf.train.warm_start(ckpt, ".*", {"emb": info})
    elif case == "rename":
        made["new_dense"] = tf.get_variable("new_dense", [3, 2], initializer=zeros)
        made["new_emb"] = tf.get_variable("new_emb", [5, 3], initializer=zeros)
        tf.train.warm_start(ckpt, ["new_dense", "new_emb"],
                            var_name_to_prev_var_name={"new_dense": "dense",
                                                       "new_emb": "emb"})
    elif case == "object_based":
        made["dense"] = tf.get_variable("dense", [3, 2], initializer=zeros)
        tf.train.warm_start(path("obj"), [made["dense"]])
    return made


def remap_cases(data):
    """[(name, op, kwargs)] run through gen_checkpoint_ops / flowexec's ops."""
    p = lambda name: os.path.join(data, name)  # noqa: E731
    gen, load = "generate_vocab_remapping", "load_and_remap_matrix"
    ckpt = p("old.ckpt")
    rows = np.array([2, -1, 0], np.int64)
    vals = np.arange(100, 104, dtype=np.float32)
    return [
        ("all", gen, dict(new_vocab_file=p("new_vocab.txt"), old_vocab_file=p("old_vocab.txt"),
                          new_vocab_offset=0, num_new_vocab=6)),
        ("offset_size", gen, dict(new_vocab_file=p("new_vocab.txt"),
                                  old_vocab_file=p("old_vocab.txt"), new_vocab_offset=2,
                                  num_new_vocab=3, old_vocab_size=3)),
        ("none", gen, dict(new_vocab_file=p("new_vocab.txt"), old_vocab_file=p("old_vocab.txt"),
                           new_vocab_offset=0, num_new_vocab=0)),
        ("crlf", gen, dict(new_vocab_file=p("crlf_vocab.txt"), old_vocab_file=p("old_vocab.txt"),
                           new_vocab_offset=0, num_new_vocab=3)),
        ("too_many_new", gen, dict(new_vocab_file=p("new_vocab.txt"),
                                   old_vocab_file=p("old_vocab.txt"), new_vocab_offset=4,
                                   num_new_vocab=3)),
        ("dup_old", gen, dict(new_vocab_file=p("new_vocab.txt"), old_vocab_file=p("dup_vocab.txt"),
                              new_vocab_offset=0, num_new_vocab=3)),
        ("old_size_too_big", gen, dict(new_vocab_file=p("new_vocab.txt"),
                                       old_vocab_file=p("old_vocab.txt"), new_vocab_offset=0,
                                       num_new_vocab=3, old_vocab_size=9)),
        ("empty_line", gen, dict(new_vocab_file=p("empty_line.txt"),
                                 old_vocab_file=p("old_vocab.txt"), new_vocab_offset=0,
                                 num_new_vocab=2)),
        ("rows_cols", load, dict(ckpt_path=ckpt, old_tensor_name="emb", row_remapping=rows,
                                 col_remapping=np.array([1, -1], np.int64),
                                 initializing_values=vals, num_rows=3, num_cols=2)),
        ("rows_only", load, dict(ckpt_path=ckpt, old_tensor_name="emb", row_remapping=rows,
                                 col_remapping=np.zeros(0, np.int64),
                                 initializing_values=vals[:3], num_rows=3, num_cols=3)),
        ("all_missing", load, dict(ckpt_path=ckpt, old_tensor_name="emb",
                                   row_remapping=np.full(2, -1, np.int64),
                                   col_remapping=np.zeros(0, np.int64),
                                   initializing_values=np.arange(6, dtype=np.float32),
                                   num_rows=2, num_cols=3, max_rows_in_memory=1)),
        ("too_few_values", load, dict(ckpt_path=ckpt, old_tensor_name="emb", row_remapping=rows,
                                      col_remapping=np.zeros(0, np.int64),
                                      initializing_values=vals[:2], num_rows=3, num_cols=3)),
        ("too_many_values", load, dict(ckpt_path=ckpt, old_tensor_name="emb",
                                       row_remapping=rows, col_remapping=np.zeros(0, np.int64),
                                       initializing_values=vals, num_rows=3, num_cols=3)),
        ("row_out_of_range", load, dict(ckpt_path=ckpt, old_tensor_name="emb",
                                        row_remapping=np.array([7, -1, 0], np.int64),
                                        col_remapping=np.zeros(0, np.int64),
                                        initializing_values=vals[:3], num_rows=3, num_cols=3)),
        ("row_size", load, dict(ckpt_path=ckpt, old_tensor_name="emb",
                                row_remapping=rows[:2], col_remapping=np.zeros(0, np.int64),
                                initializing_values=vals[:3], num_rows=3, num_cols=3)),
        ("col_size", load, dict(ckpt_path=ckpt, old_tensor_name="emb", row_remapping=rows,
                                col_remapping=np.array([1], np.int64),
                                initializing_values=vals, num_rows=3, num_cols=2)),
        ("num_cols", load, dict(ckpt_path=ckpt, old_tensor_name="emb", row_remapping=rows,
                                col_remapping=np.zeros(0, np.int64),
                                initializing_values=vals[:3], num_rows=3, num_cols=2)),
        ("dup_rows", load, dict(ckpt_path=ckpt, old_tensor_name="emb",
                                row_remapping=np.array([2, 2, 0], np.int64),
                                col_remapping=np.array([1, 0], np.int64),
                                initializing_values=np.zeros(0, np.float32), num_rows=3,
                                num_cols=2)),
        ("missing_key", load, dict(ckpt_path=ckpt, old_tensor_name="nope", row_remapping=rows,
                                   col_remapping=np.zeros(0, np.int64),
                                   initializing_values=vals[:3], num_rows=3, num_cols=3)),
    ]


def _message(e):
    lines = [ln for ln in getattr(e, "message", str(e)).split("\n") if ln.strip() and not
             ln.startswith(("Graph execution", "Detected at", "  ", "\t", "Node:",
                            "Original stack"))]
    return lines[0]


def write():
    import shutil

    import tensorflow

    tf = tensorflow.compat.v1
    tf.disable_eager_execution()
    from tensorflow.python.ops import gen_checkpoint_ops

    shutil.rmtree(OUT, ignore_errors=True)
    os.makedirs(OUT)
    for name, text in VOCABS.items():
        with open(os.path.join(OUT, name), "w", newline="") as f:
            f.write(text)
    with tf.Graph().as_default():
        made = [tf.Variable(v, name=n) for n, v in old_values().items()]
        ckpt = tf.train.Checkpoint(dense=made[2])
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            tf.train.Saver(made).save(sess, os.path.join(OUT, "old.ckpt"),
                                      write_meta_graph=False, write_state=False)
            ckpt.save(os.path.join(OUT, "obj", "ckpt"), session=sess)
    warm = {}
    for case in CASES:
        with tf.Graph().as_default():
            made = build(tf, case, OUT)
            with tf.Session() as sess:
                sess.run(tf.global_variables_initializer())
                for name, v in made.items():
                    warm[f"{case}|{name}"] = sess.run(v)
    np.savez(os.path.join(OUT, "warm.npz"), **warm)
    remap = {}
    for name, op, kwargs in remap_cases(OUT):
        with tf.Graph().as_default():
            out = getattr(gen_checkpoint_ops, op)(**kwargs)
            try:
                with tf.Session() as sess:
                    got = sess.run(list(out) if isinstance(out, tuple) else [out])
                for i, v in enumerate(got):
                    remap[f"{name}|{i}"] = v
            except tensorflow.errors.OpError as e:
                remap[f"{name}|error"] = np.array([type(e).__name__,
                                                  _message(e).replace(OUT, "<DATA>")])
    np.savez(os.path.join(OUT, "remap.npz"), **remap)
    print("wrote", sorted(os.listdir(OUT)))


if __name__ == "__main__":
    write()
    sys.exit(0)
