#!/usr/bin/env python3
"""Train a digits classifier with data parallelism across every device it is given.

    python scripts/train_digits.py                       # every GPU, else the CPU
    python scripts/train_digits.py --logical-cpus 4      # four logical CPUs, one tower each
    python scripts/train_digits.py --devices /GPU:0,/GPU:1 --model deep --optimizer momentum
    python scripts/train_digits.py --model cnn --logical-cpus 2
    python scripts/train_digits.py --logdir logs --checkpoint-dir ckpt --trace step.json
    python scripts/train_digits.py --checkpoint-dir ckpt --resume --epochs 40

The data is scikit-learn's bundled 8x8 digits (1797 images, no download), split with
`train_test_split(test_size=0.2, random_state=seed, stratify=labels)` and scaled to [0, 1].
The program is TF1 graph code with one replica ("tower") of the model per device, each on
its slice of every batch; gradients are averaged on the variables' device by graph ops and
applied once to the shared variables (`flowexec.train.replicate.data_parallel_minimize`).
Evaluation runs data-parallel too (`replicate_model`).

Determinism: the order of epoch e is a permutation drawn from (seed, e) only, variables are
initialized from the graph seed, and the checkpoint holds every variable (optimizer slots,
the global step and the epoch counter), so `--resume` continues exactly where an
uninterrupted run would be. One device and N devices compute the same averaged gradient up to
float rounding, so their accuracies agree within noise.

The run's figures (training time and examples, wall time, last loss) are variables saved
with every checkpoint, so `--resume` reports the whole run's throughput, and resuming a run
that already finished reports what it measured. Ctrl-C stops cleanly: one line saying where
training stopped and which checkpoint `--resume` would continue from, exit status 130.

`main(argv)` returns the final metrics as a dict, so tests and notebooks can call it; the
command line goes through `cli(argv)`, which turns Ctrl-C into that line and status.
"""

import argparse
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import devices  # noqa: E402
import flowexec as tf  # noqa: E402
from flowexec.train.replicate import data_parallel_minimize, replicate_model  # noqa: E402

NUM_FEATURES = 64
NUM_CLASSES = 10
OPTIMIZERS = ("sgd", "momentum", "adam", "rmsprop", "adagrad")
DEFAULT_LR = {"sgd": 0.1, "momentum": 0.05, "adam": 0.003, "rmsprop": 0.003, "adagrad": 0.05}


# ----- data ------------------------------------------------------------------------------------
def load_data(seed):
    """Digits features scaled to [0, 1] (float32) and int64 labels: (x_train, y_train,
    x_test, y_test), split 80/20, stratified, with `seed`."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    digits = load_digits()
    x = (digits.data / 16.0).astype(np.float32)
    y = digits.target.astype(np.int64)
    x_train, x_test, y_train, y_test = train_test_split(
        x, y, test_size=0.2, random_state=seed, stratify=y)
    return x_train, y_train, x_test, y_test


def epoch_batches(num_examples, batch_size, seed, epoch, min_batch):
    """Index arrays of epoch `epoch`'s batches: a permutation that depends only on (seed,
    epoch); a last batch smaller than `min_batch` joins the one before it."""
    order = np.random.default_rng([seed, epoch]).permutation(num_examples)
    batches = [order[i:i + batch_size] for i in range(0, num_examples, batch_size)]
    if len(batches) > 1 and len(batches[-1]) < min_batch:
        batches[-2] = np.concatenate([batches[-2], batches.pop()])
    return batches


# ----- model -----------------------------------------------------------------------------------
def _dense(x, width, name, activation=None):
    with tf.variable_scope(name):
        w = tf.get_variable("w", [x.shape[1], width])
        b = tf.get_variable("b", [width], initializer=tf.zeros_initializer())
        y = tf.matmul(x, w) + b
        return activation(y) if activation is not None else y


def _mlp(hidden):
    """64 -> hidden -> hidden -> 10, ReLU."""
    def model(x):
        h = _dense(x, hidden, "dense0", tf.nn.relu)
        h = _dense(h, hidden, "dense1", tf.nn.relu)
        return _dense(h, NUM_CLASSES, "logits")
    return model


def _deep(hidden):
    """64 -> hidden, four residual blocks h + relu(dense(h)) (convolution-free), -> 10."""
    def model(x):
        h = _dense(x, hidden, "stem", tf.nn.relu)
        for i in range(4):
            h = h + _dense(h, hidden, f"block{i}", tf.nn.relu)
        return _dense(h, NUM_CLASSES, "logits")
    return model


def _cnn(hidden):
    """8x8x1 images: conv 3x3x32 SAME + ReLU, 2x2 max pool, conv 3x3x64 SAME + ReLU, 2x2 max
    pool, dense hidden + ReLU, dense 10 (tf.layers, named so every tower shares them)."""
    def model(x):
        h = tf.reshape(x, [-1, 8, 8, 1])
        h = tf.layers.conv2d(h, 32, 3, padding="same", activation=tf.nn.relu, name="conv0")
        h = tf.layers.max_pooling2d(h, 2, 2, name="pool0")
        h = tf.layers.conv2d(h, 64, 3, padding="same", activation=tf.nn.relu, name="conv1")
        h = tf.layers.max_pooling2d(h, 2, 2, name="pool1")
        h = tf.layers.dense(tf.layers.flatten(h), hidden, tf.nn.relu, name="dense0")
        return tf.layers.dense(h, NUM_CLASSES, name="logits")
    return model


# --model NAME -> a builder taking the hidden width and returning the tower's model function.
MODELS = {"mlp": _mlp, "deep": _deep, "cnn": _cnn}


def build_model(kind, hidden):
    """A function from a batch of features (`[batch, 64]` float32) to logits (`[batch, 10]`),
    creating its variables with `tf.get_variable` (so towers share them); `kind` is a key
    of `MODELS`."""
    if kind not in MODELS:
        raise ValueError(f"Unknown model {kind!r}; choose one of {', '.join(MODELS)}.")
    return MODELS[kind](hidden)


def make_optimizer(name, lr):
    if name == "sgd":
        return tf.train.GradientDescentOptimizer(lr)
    if name == "momentum":
        return tf.train.MomentumOptimizer(lr, 0.9)
    if name == "adam":
        return tf.train.AdamOptimizer(lr)
    if name == "rmsprop":
        return tf.train.RMSPropOptimizer(lr)
    if name == "adagrad":
        return tf.train.AdagradOptimizer(lr)
    raise ValueError(f"Unknown optimizer {name!r}; choose one of {', '.join(OPTIMIZERS)}.")


# ----- devices ---------------------------------------------------------------------------------
def choose_devices(spec, logical_cpus):
    """(tower device names, ConfigProto.device_count) for `--devices` / `--logical-cpus`.

    Raises:
        ValueError: `spec` names no device, or a device this machine does not have (the
            message lists the devices found).
    """
    device_count = {"CPU": logical_cpus} if logical_cpus else {}
    if spec and spec != "auto":
        names = [d.strip() for d in spec.split(",") if d.strip()]
        if not names:
            raise ValueError(f"--devices {spec!r} names no device.")
        parsed = [devices.DeviceSpec.from_string(n) for n in names]
        cpus = [c.device_index or 0 for c in parsed if (c.device_type or "").upper() == "CPU"]
        if cpus and not logical_cpus and max(cpus) > 0:
            device_count = {"CPU": max(cpus) + 1}  # /cpu:1 exists once the CPU is split
        found = [d.name for d in devices.local_devices(device_count or None)]
        missing = [n for n in names if not any(devices.is_compatible(n, f) for f in found)]
        if missing:
            raise ValueError(f"--devices: no {', '.join(missing)} on this machine; devices "
                             f"found: {', '.join(found)}")
        return names, device_count
    if logical_cpus:
        return [f"/device:CPU:{i}" for i in range(logical_cpus)], device_count
    found = devices.local_devices(device_count or None)
    gpus = [d.name for d in found if d.device_type == "GPU"]
    return (gpus or [found[0].name]), device_count


# ----- output ----------------------------------------------------------------------------------
class Progress:
    """A tqdm bar (examples as the unit, loss in the postfix) on a terminal; plain lines
    otherwise. Either way one summary line per epoch."""

    def __init__(self, total_examples, initial, enabled):
        self._bar = None
        if enabled:
            from tqdm import tqdm

            self._bar = tqdm(total=total_examples, initial=initial, unit="ex",
                             unit_scale=True, dynamic_ncols=True, leave=False)

    def step(self, examples, loss):
        if self._bar is not None:
            self._bar.update(examples)
            self._bar.set_postfix(loss=f"{loss:.4f}", refresh=False)

    def start_epoch(self, epoch, epochs):
        if self._bar is not None:
            self._bar.set_description(f"epoch {epoch}/{epochs}", refresh=False)

    def epoch(self, epoch, epochs, loss, accuracy, rate):
        line = (f"epoch {epoch:3d}/{epochs}  loss {loss:.4f}  test accuracy {accuracy:.4f}  "
                f"{rate:,.0f} examples/s")
        if self._bar is not None:
            self._bar.write(line)
        else:
            print(line, flush=True)

    def close(self):
        if self._bar is not None:
            self._bar.close()


def report_block(metrics):
    """The closing block of figures printed after training."""
    rows = [
        ("devices", ", ".join(metrics["devices"])),
        ("model", f"{metrics['model']} ({metrics['parameters']:,} parameters)"),
        ("optimizer", f"{metrics['optimizer']}, lr {metrics['lr']:g}, "
                      f"batch {metrics['batch_size']}"),
        ("epochs", f"{metrics['epochs']} ({metrics['global_step']} steps)"),
        ("accuracy", f"{metrics['test_accuracy']:.4f} on {metrics['test_examples']} "
                     "test examples"),
        ("throughput", f"{metrics['examples_per_sec']:,.0f} examples/s (training steps, "
                       "after the first of each session)"),
        ("wall time", f"{metrics['wall_time_s']:.2f} s"),
    ]
    if metrics.get("resumed_from"):
        rows.append(("resumed", f"from {metrics['resumed_from']} (figures cover the whole "
                                "run)"))
    width = max(len(v) for _, v in rows) + 14
    title = " flowexec: train_digits "
    lines = [title.center(width, "=")]
    lines += [f"  {k:<11} {v}" for k, v in rows]
    lines.append("=" * width)
    return "\n".join(lines)


class Interrupted(KeyboardInterrupt):
    """Ctrl-C during training, with where it stopped and the checkpoint to resume from.

    A KeyboardInterrupt, so callers that catch Ctrl-C still do; `cli()` prints `str(e)`.
    """

    def __init__(self, epoch, step, checkpoint_dir, checkpoint):
        super().__init__(epoch, step, checkpoint_dir, checkpoint)
        self.epoch, self.step = epoch, step
        self.checkpoint_dir, self.checkpoint = checkpoint_dir, checkpoint

    def __str__(self):
        where = f"interrupted in epoch {self.epoch}, after step {self.step}"
        if self.checkpoint:
            return (f"{where}; last checkpoint {self.checkpoint} (continue with --resume "
                    f"--checkpoint-dir {self.checkpoint_dir})")
        if self.checkpoint_dir:
            return f"{where}; no checkpoint saved in {self.checkpoint_dir} yet"
        return f"{where}; no checkpoint kept (--checkpoint-dir DIR keeps one per epoch)"


# ----- main ------------------------------------------------------------------------------------
def parse_args(argv):
    """Parses and checks the command line; `--devices` is checked against the machine, so
    the args carry `tower_devices` and `device_count` too."""
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--devices", default="auto",
                   help="'auto' (every GPU, else the CPU) or a list such as /GPU:0,/GPU:1")
    p.add_argument("--logical-cpus", type=int, default=0, metavar="N",
                   help="split the CPU into N logical devices (towers on /cpu:0../cpu:N-1)")
    p.add_argument("--model", choices=tuple(MODELS), default="mlp",
                   help="mlp: two hidden layers; deep: four residual blocks; cnn: two "
                        "conv+pool layers and a dense layer (default: mlp)")
    p.add_argument("--hidden", type=int, default=128, help="hidden width (default: 128)")
    p.add_argument("--epochs", type=int, default=20, help="default: 20")
    p.add_argument("--batch-size", type=int, default=128,
                   help="examples per step, split across the devices (default: 128)")
    p.add_argument("--lr", type=float, default=None,
                   help="learning rate (default per optimizer: " + ", ".join(
                       f"{k} {v:g}" for k, v in DEFAULT_LR.items()) + ")")
    p.add_argument("--optimizer", choices=OPTIMIZERS, default="adam", help="default: adam")
    p.add_argument("--seed", type=int, default=0,
                   help="data split, initial values and data order (default: 0)")
    p.add_argument("--logdir", help="write TensorBoard event files (graph, scalars) here "
                   "(needs the tensorboard package)")
    p.add_argument("--checkpoint-dir", help="save a checkpoint here after every epoch")
    p.add_argument("--resume", action="store_true",
                   help="continue from the latest checkpoint in --checkpoint-dir")
    p.add_argument("--trace", metavar="FILE",
                   help="write a Chrome trace (Perfetto) of one training step to FILE")
    p.add_argument("--no-progress", action="store_true", help="plain log lines, no bar")
    p.add_argument("--inter-op-threads", type=int, default=None,
                   help="Session inter_op_parallelism_threads (0: the cores available; "
                        "default: 1 when every tower is on the CPU, else 0)")
    p.add_argument("--intra-op-threads", type=int, default=1,
                   help="Session intra_op_parallelism_threads (BLAS threads; 0: default)")
    args = p.parse_args(argv)
    if args.lr is None:
        args.lr = DEFAULT_LR[args.optimizer]
    if args.resume and not args.checkpoint_dir:
        p.error("--resume needs --checkpoint-dir")
    if args.epochs < 1 or args.batch_size < 1 or args.logical_cpus < 0:
        p.error("--epochs and --batch-size must be positive, --logical-cpus non-negative")
    try:
        args.tower_devices, args.device_count = choose_devices(args.devices,
                                                               args.logical_cpus)
    except ValueError as e:  # one line, in argparse's form: the usage adds nothing here
        p.exit(2, f"{p.prog}: error: {e}\n")
    return args


# The run's figures, kept in variables so that every checkpoint holds them: (name, dtype).
RECORD = (("epoch", tf.int64), ("train_seconds", tf.float64), ("train_examples", tf.int64),
          ("wall_seconds", tf.float64), ("final_loss", tf.float64))


def build_graph(args, tower_devices):
    """The training and evaluation graph; returns a dict of its handles."""
    g = tf.Graph()
    with g.as_default():
        tf.set_random_seed(args.seed)
        x = tf.placeholder(tf.float32, [None, NUM_FEATURES], name="x")
        y = tf.placeholder(tf.int64, [None], name="y")
        model = build_model(args.model, args.hidden)

        def tower(xs, ys):
            logits = model(xs)
            loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(
                labels=ys, logits=logits))
            return loss, logits

        global_step = tf.train.get_or_create_global_step()
        train_op, loss, _ = data_parallel_minimize(
            make_optimizer(args.optimizer, args.lr), tower, [x, y], tower_devices,
            global_step=global_step)
        with tf.variable_scope(tf.get_variable_scope(), reuse=True), tf.name_scope("eval"):
            logits = tf.concat(replicate_model(model, x, tower_devices), axis=0)
            correct = tf.equal(tf.argmax(logits, 1), y)
            accuracy = tf.reduce_mean(tf.cast(correct, tf.float32), name="accuracy")
        record = {name: tf.Variable(0, dtype=dt, trainable=False,
                                    name=name if name == "epoch" else f"run/{name}")
                  for name, dt in RECORD}
        record_feeds = {name: tf.placeholder(dt, [], name=f"record_{name}")
                        for name, dt in RECORD}
        record_op = tf.group(*[record[n].assign(record_feeds[n]) for n, _ in RECORD],
                             name="record")
        handles = {
            "graph": g, "x": x, "y": y, "train_op": train_op, "loss": loss,
            "accuracy": accuracy, "global_step": global_step, "record": record,
            "record_feeds": record_feeds, "record_op": record_op,
            "init": tf.global_variables_initializer(), "trainable": tf.trainable_variables(),
        }
        if args.logdir:  # summaries only where they are written: they need tensorboard
            # Per-epoch values computed in Python (test accuracy, examples/s) enter the
            # graph through placeholders, so every curve goes through tf.summary.scalar.
            handles["acc_value"] = tf.placeholder(tf.float32, [], name="accuracy_value")
            handles["rate_value"] = tf.placeholder(tf.float32, [], name="throughput_value")
            handles["train_summaries"] = tf.summary.merge(
                [tf.summary.scalar("loss", loss, collections=[])])
            handles["epoch_summaries"] = tf.summary.merge([
                tf.summary.scalar("accuracy", handles["acc_value"], collections=[]),
                tf.summary.scalar("throughput", handles["rate_value"], collections=[])])
        if args.checkpoint_dir:
            handles["saver"] = tf.train.Saver(max_to_keep=3)
    return handles


def _inter_op_threads(args, tower_devices):
    """Logical CPUs share the same cores, and this model's ops are small (~0.1 ms): one
    thread running the plan as straight-line code beat the threaded executor 1.5-3x for 1, 2
    and 4 logical CPUs on a 2-core VM, so all-CPU runs default to 1; GPU runs keep the
    Session default."""
    if args.inter_op_threads is not None:
        return args.inter_op_threads
    types = {(devices.DeviceSpec.from_string(d).device_type or "CPU").upper()
             for d in tower_devices}
    return 1 if types == {"CPU"} else 0


def _write_trace(path, run_metadata, graph):
    from flowexec.timeline import Timeline

    trace = Timeline(run_metadata.step_stats, graph=graph).generate_chrome_trace_format()
    with open(path, "w") as f:
        f.write(trace)
    print(f"trace of one training step written to {path} (open it in https://ui.perfetto.dev)")


def _latest_checkpoint(checkpoint_dir):
    return tf.train.latest_checkpoint(checkpoint_dir) if checkpoint_dir else None


def _restore(sess, h, checkpoint_dir):
    """Restores the latest checkpoint; returns (its path or None, the run's record). The
    Saver takes over the checkpoints already there, so max_to_keep counts them too."""
    path = _latest_checkpoint(checkpoint_dir)
    if path is None:
        print(f"no checkpoint in {checkpoint_dir}: starting from scratch")
        return None, None
    h["saver"].restore(sess, path)
    h["saver"].recover_last_checkpoints(
        tf.train.get_checkpoint_state(checkpoint_dir).all_model_checkpoint_paths)
    record = {k: v.item() for k, v in sess.run(h["record"]).items()}
    print(f"resumed from {path} (epoch {record['epoch']}, "
          f"step {int(sess.run(h['global_step']))})")
    return path, record


def main(argv=None):
    """Runs the training; returns the final metrics (accuracy, throughput, ...) as a dict.

    Raises:
        Interrupted: Ctrl-C (a KeyboardInterrupt) during training.
    """
    args = parse_args(argv)
    wall0 = time.perf_counter()
    tower_devices = args.tower_devices
    x_train, y_train, x_test, y_test = load_data(args.seed)
    h = build_graph(args, tower_devices)
    config = tf.ConfigProto(device_count=args.device_count,
                            inter_op_parallelism_threads=_inter_op_threads(args, tower_devices),
                            intra_op_parallelism_threads=args.intra_op_threads)
    show_bar = not args.no_progress and sys.stdout.isatty()
    writer = None
    with tf.Session(graph=h["graph"], config=config) as sess:
        sess.run(h["init"])
        if args.checkpoint_dir:
            os.makedirs(args.checkpoint_dir, exist_ok=True)
        resumed_from, prior = _restore(sess, h, args.checkpoint_dir) if args.resume else \
            (None, None)
        prior = prior or {name: 0 for name, _ in RECORD}
        start_epoch = int(prior["epoch"])
        if resumed_from and start_epoch >= args.epochs:
            print(f"{resumed_from} already finished epoch {start_epoch} of {args.epochs}: "
                  "reporting the run's recorded figures")
        if args.logdir:
            writer = tf.summary.FileWriter(args.logdir, sess.graph)
        batches_per_epoch = len(epoch_batches(len(y_train), args.batch_size, args.seed, 0,
                                              len(tower_devices)))
        progress = Progress(args.epochs * len(y_train), start_epoch * len(y_train), show_bar)
        train_time = float(prior["train_seconds"])
        train_examples = int(prior["train_examples"])
        loss_v = float(prior["final_loss"]) if resumed_from else float("nan")
        accuracy = float("nan")
        step = int(sess.run(h["global_step"]))
        epoch = start_epoch
        warmup = True
        trace_step = start_epoch * batches_per_epoch + min(2, batches_per_epoch - 1)
        try:
            for epoch in range(start_epoch, args.epochs):
                epoch_time, epoch_examples, losses = 0.0, 0, []
                progress.start_epoch(epoch + 1, args.epochs)
                for idx in epoch_batches(len(y_train), args.batch_size, args.seed, epoch,
                                         len(tower_devices)):
                    feed = {h["x"]: x_train[idx], h["y"]: y_train[idx]}
                    fetches = [h["train_op"], h["loss"]]
                    if writer is not None and (step + 1) % 10 == 0:
                        fetches.append(h["train_summaries"])
                    options = metadata = None
                    if args.trace and step == trace_step:
                        options = tf.RunOptions(trace_level=tf.RunOptions.FULL_TRACE)
                        metadata = tf.RunMetadata()
                    t0 = time.perf_counter()
                    out = sess.run(fetches, feed, options=options, run_metadata=metadata)
                    dt = time.perf_counter() - t0
                    if metadata is not None:
                        _write_trace(args.trace, metadata, h["graph"])
                    elif not warmup:  # the first step builds the plan; a traced one is slower
                        epoch_time += dt
                        epoch_examples += len(idx)
                    warmup = False
                    loss_v = float(out[1])
                    losses.append(loss_v)
                    step += 1
                    if len(out) > 2:
                        writer.add_summary(out[2], step)
                    progress.step(len(idx), loss_v)
                train_time += epoch_time
                train_examples += epoch_examples
                accuracy = float(sess.run(h["accuracy"], {h["x"]: x_test, h["y"]: y_test}))
                rate = epoch_examples / epoch_time if epoch_time > 0 else 0.0
                figures = {"epoch": epoch + 1, "train_seconds": train_time,
                           "train_examples": train_examples, "final_loss": loss_v,
                           "wall_seconds": prior["wall_seconds"] + time.perf_counter() - wall0}
                sess.run(h["record_op"], {h["record_feeds"][k]: v for k, v in figures.items()})
                progress.epoch(epoch + 1, args.epochs, float(np.mean(losses)), accuracy, rate)
                if writer is not None:
                    writer.add_summary(sess.run(h["epoch_summaries"], {
                        h["acc_value"]: accuracy, h["rate_value"]: rate}), step)
                if args.checkpoint_dir:
                    h["saver"].save(sess, os.path.join(args.checkpoint_dir, "model.ckpt"),
                                    global_step=step)
        except KeyboardInterrupt:
            raise Interrupted(epoch + 1, step, args.checkpoint_dir,
                              _latest_checkpoint(args.checkpoint_dir)) from None
        finally:
            progress.close()
            if writer is not None:
                writer.close()
        if start_epoch >= args.epochs:
            accuracy = float(sess.run(h["accuracy"], {h["x"]: x_test, h["y"]: y_test}))
            wall_time = float(prior["wall_seconds"])
        else:
            wall_time = prior["wall_seconds"] + time.perf_counter() - wall0
        values = sess.run(h["trainable"])
        metrics = {
            "devices": tower_devices,
            "model": args.model,
            "optimizer": args.optimizer,
            "lr": args.lr,
            "batch_size": args.batch_size,
            "epochs": args.epochs,
            "global_step": int(sess.run(h["global_step"])),
            "parameters": int(sum(v.size for v in values)),
            "test_accuracy": accuracy,
            "test_examples": len(y_test),
            "final_loss": loss_v,
            "train_examples": train_examples,
            "train_seconds": train_time,
            "examples_per_sec": train_examples / train_time if train_time > 0 else 0.0,
            "wall_time_s": wall_time,
            "resumed_from": resumed_from,
            "variables": {v.op.name: val for v, val in zip(h["trainable"], values)},
        }
    print(report_block(metrics))
    return metrics


def cli(argv=None):
    """The command line: trains, and turns Ctrl-C into one line on stderr and status 130."""
    try:
        main(argv)
    except KeyboardInterrupt as e:
        message = str(e) if isinstance(e, Interrupted) else "interrupted"
        print(f"train_digits: {message}", file=sys.stderr, flush=True)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(cli())
