#!/usr/bin/env python3
"""Data-parallel `train_digits --model cnn` on Ray: examples/s of two worker processes
against one (measured, never asserted; issue 14's target is >= 1.6x on two cores).

Between-graph replication as TF 1.x trains: one ps process (`tf.train.Server(...).join()`)
holds the variables; each worker is its own process with its own graph
(`replica_device_setter`: the variables and Adam's slots on the ps, the model on the
worker), its own Server and a Session on it, and runs asynchronous Adam steps on the shared
variables (`minimize` pulls the variables, computes the gradients of its batch, the ps
applies them). The model is train_digits.py's `--model cnn` (its `build_model`,
`load_data`, `make_optimizer`); each worker trains on its half of the training set.

A round runs `--steps` timed steps on every worker of the configuration at once (after
`--warmup` steps); its examples/s counts the steps every worker finished while all of
them were running (the window from the last start to the first end). Rounds alternate
one worker and two workers, so load that comes and goes touches both; the figures are
medians over `--repeats` rounds with their range, and the machine's load average
(`os.getloadavg()`) before and after.

Ray runs only inside a network namespace with nothing but loopback: the script re-runs
itself under `unshare --net` (`ip link set lo up`) unless it is already in one, with Ray's
usage statistics off and no dashboard (the Ray cluster flowexec starts on 127.0.0.1), and
every wait bounded (`--time-limit`).

`--cpu` adds the CPU time per step of each process of the run (the worker and ps
actors, the worker clients, Ray's raylet and GCS), read from /proc around each round.

Usage: PYTHONPATH=$PWD python scripts/bench_dist_train.py [--steps 40] [--repeats 5]
       [--batch-size 128] [--warmup 5] [--time-limit 600] [--cpu] [--json]
"""

import argparse
import json
import os
import select
import shutil
import statistics
import subprocess
import sys
import time

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"      # one BLAS thread per process: the processes are the cores

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

CLUSTER = {"ps": ["localhost:2222"], "worker": ["localhost:2223", "localhost:2224"]}
HIDDEN = 128
SEED = 0


_INSIDE = "FLOWEXEC_BENCH_NETNS"   # set for the one re-run under `unshare --net`


def _only_loopback():
    """Whether this process's network namespace has no interface but `lo` (asked of the
    kernel for this process's namespace: /sys/class/net still shows the host's)."""
    import socket
    return {name for _, name in socket.if_nameindex()} <= {"lo"}


# ----- worker process ---------------------------------------------------------------------
def build_worker_graph(tf, index, batch_size):
    """Worker `index`'s graph: train_digits's cnn under replica_device_setter, Adam."""
    import train_digits

    cluster = tf.train.ClusterSpec(CLUSTER)
    g = tf.Graph()
    with g.as_default(), tf.device(tf.train.replica_device_setter(
            cluster=cluster, worker_device=f"/job:worker/task:{index}")):
        tf.set_random_seed(SEED)
        x = tf.placeholder(tf.float32, [batch_size, train_digits.NUM_FEATURES], name="x")
        y = tf.placeholder(tf.int64, [batch_size], name="y")
        logits = train_digits.build_model("cnn", HIDDEN)(x)
        loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(
            labels=y, logits=logits))
        global_step = tf.train.get_or_create_global_step()
        opt = train_digits.make_optimizer("adam", train_digits.DEFAULT_LR["adam"])
        train_op = opt.minimize(loss, global_step=global_step)
        init = tf.global_variables_initializer()
        uninitialized = tf.report_uninitialized_variables()
    return g, x, y, loss, train_op, init, uninitialized


def get_ready(sess, index, init, uninitialized, train_op, feeds, warmup):
    """Worker `index`'s start: the chief (0) initializes the variables, the others wait
    until they are; `warmup` training steps; then it says "ready"."""
    if index == 0:
        sess.run(init)
    else:
        while sess.run(uninitialized).size:
            time.sleep(0.05)
    for i in range(warmup):
        sess.run(train_op, feeds[i % len(feeds)])
    print(json.dumps({"ready": index}), flush=True)


def worker(index, batch_size, warmup):
    """Serves rounds: reads "go <steps>" lines, answers one JSON line per round."""
    import flowexec as tf
    import train_digits

    server = tf.train.Server(tf.train.ClusterSpec(CLUSTER), job_name="worker",
                             task_index=index)
    g, x, y, loss, train_op, init, uninitialized = build_worker_graph(tf, index, batch_size)
    x_train, y_train, _, _ = train_digits.load_data(SEED)
    half = len(x_train) // 2
    x_mine, y_mine = x_train[index * half:(index + 1) * half], y_train[index * half:
                                                                      (index + 1) * half]
    config = tf.ConfigProto(operation_timeout_in_ms=60000, device_filters=[
        "/job:ps", f"/job:worker/task:{index}"])
    batches = []
    for epoch in range(100):
        batches += [b for b in train_digits.epoch_batches(half, batch_size, SEED, epoch,
                                                          batch_size)
                    if len(b) == batch_size]
    feeds = [{x: x_mine[b], y: y_mine[b]} for b in batches[:64]]
    with g.as_default(), tf.Session(server.target, config=config) as sess:
        get_ready(sess, index, init, uninitialized, train_op, feeds, warmup)
        for line in sys.stdin:
            words = line.split()
            if not words or words[0] != "go":
                break
            steps = int(words[1])
            first = sess.run(loss, feeds[0])
            ends = []
            start = time.monotonic()
            for i in range(steps):
                sess.run(train_op, feeds[i % len(feeds)])
                ends.append(time.monotonic())
            print(json.dumps({"worker": index, "start": start, "ends": ends,
                              "loss": float(first)}), flush=True)
    server.stop()


def ps():
    import flowexec as tf
    server = tf.train.Server(tf.train.ClusterSpec(CLUSTER), job_name="ps", task_index=0)
    print(json.dumps({"ready": "ps", "backend": type(server.task).__name__}), flush=True)
    server.join()


# ----- driver -----------------------------------------------------------------------------
def _start(*args):
    return subprocess.Popen([sys.executable, os.path.abspath(__file__), *args],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)


def _read_json(proc, deadline):
    """The next JSON line of `proc`'s output, waiting at most until `deadline`."""
    while True:
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([proc.stdout], [], [], left)[0]:
            raise TimeoutError(f"no answer from {proc.args[2:]} in time")
        line = proc.stdout.readline()
        if not line:
            raise RuntimeError(f"{proc.args[2:]} exited ({proc.wait()})")
        if line.startswith("{"):
            return json.loads(line)


def tell(procs, line):
    """Writes `line` to each process's standard input."""
    for p in procs:
        p.stdin.write(line + "\n")
        p.stdin.flush()


def stop(procs):
    """Kills and reaps `procs` (those already gone too)."""
    for p in procs:
        p.kill()
        p.wait()


def print_rates(title, rates):
    """Prints {workers: [examples/s of each round]}: medians, ranges, the 2-vs-1 ratio."""
    med = {n: statistics.median(v) for n, v in rates.items()}
    print(title)
    for n in (1, 2):
        print(f"  {n} worker{'s' if n > 1 else ' '}  {med[n]:8,.0f}  "
              f"[{min(rates[n]):,.0f}, {max(rates[n]):,.0f}]")
    ratios = [b / a for a, b in zip(rates[1], rates[2])]
    print(f"  2 vs 1     {med[2] / med[1]:.2f}x  (per round: "
          f"{', '.join(f'{r:.2f}' for r in ratios)})")


def rerun_in_loopback_namespace(name, path, time_limit, env):
    """Unless this process's network namespace has only loopback: re-runs `path` with this
    process's arguments under `unshare --net` (`ip link set lo up`) with `env`, and exits
    with its status."""
    if _only_loopback():
        return
    if os.environ.get(_INSIDE):
        sys.exit(f"{name}: the namespace `unshare --net` made has other interfaces than "
                 f"loopback; not starting")
    if shutil.which("unshare") is None:
        sys.exit(f"{name}: needs `unshare` to run in a loopback-only network namespace")
    inner = " ".join([sys.executable, os.path.abspath(path), *map(_quote, sys.argv[1:])])
    done = subprocess.run(["unshare", "--net", "sh", "-c", f"ip link set lo up && exec {inner}"],
                          env=dict(env, **{_INSIDE: "1"}), timeout=time_limit + 60)
    sys.exit(done.returncode)


def examples_per_s(results, batch_size):
    """Examples/s of one round: the steps every worker finished in the window from the
    last worker's start to the first worker's last step, over the window."""
    start = max(r["start"] for r in results)
    end = min(r["ends"][-1] for r in results)
    steps = sum(sum(1 for t in r["ends"] if start < t <= end) for r in results)
    return steps * batch_size / (end - start)


def _cpu_by_process():
    """{(pid, short command): CPU seconds so far} of this process's descendants."""
    ticks = os.sysconf("SC_CLK_TCK")
    children, stat = {}, {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
                children.setdefault(int(fields[1]), []).append(int(entry))
                stat[int(entry)] = (int(fields[11]) + int(fields[12])) / ticks
            except (OSError, IndexError, ValueError):
                pass
    out, todo = {}, list(children.get(os.getpid(), ()))
    while todo:
        pid = todo.pop()
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                words = f.read().split(b"\0")
        except OSError:
            continue
        name = os.path.basename(words[0].decode(errors="replace"))
        if name.startswith("python") and len(words) > 2:
            name = " ".join(w.decode() for w in words[2:4] if w)
        out[(pid, name[:40])] = stat.get(pid, 0.0)
        todo.extend(children.get(pid, ()))
    return out


def _cpu_delta(before, after, steps):
    """{short command: CPU ms per step} between two `_cpu_by_process` readings."""
    per = {}
    for key, t in after.items():
        used = t - before.get(key, 0.0)
        if used > 0:
            per[key[1]] = per.get(key[1], 0.0) + used * 1000 / steps
    return dict(sorted(per.items(), key=lambda kv: -kv[1]))


def driver(args):
    from flowexec.distributed import ray_backend

    ray_backend.connect()   # the Ray flowexec starts: 127.0.0.1, no dashboard; children join
    deadline = time.monotonic() + args.time_limit
    procs = [_start("ps")]
    try:
        found = {"ps": _read_json(procs[0], deadline)}
        for i in range(2):
            procs.append(_start("worker", str(i), str(args.batch_size), str(args.warmup)))
            _read_json(procs[-1], deadline)     # worker 0 initializes before 1 waits
        load_before = os.getloadavg()
        rates = {1: [], 2: []}
        cpu = {1: [], 2: []}
        for _ in range(args.repeats):
            for n in (1, 2):
                before = _cpu_by_process()
                tell(procs[1:1 + n], f"go {args.steps}")
                results = [_read_json(p, deadline) for p in procs[1:1 + n]]
                cpu[n].append(_cpu_delta(before, _cpu_by_process(), n * args.steps))
                rates[n].append(examples_per_s(results, args.batch_size))
        load_after = os.getloadavg()
        tell(procs[1:], "quit")
        for p in procs[1:]:
            p.wait(timeout=max(deadline - time.monotonic(), 1))
    finally:
        stop(procs)
    found.update(rates={str(k): v for k, v in rates.items()},
                 cpu_ms_per_step={str(k): v for k, v in cpu.items()}, load_before=load_before,
                 load_after=load_after)
    print("RESULT " + json.dumps(found), flush=True)


def report(found, args):
    print_rates(f"train_digits --model cnn, between-graph on Ray (1 ps + n worker "
                f"processes), Adam, batch {args.batch_size} per worker; examples/s over "
                f"{args.steps} steps, median [min, max] of {args.repeats} rounds",
                {int(k): v for k, v in found["rates"].items()})
    if args.cpu:
        for n in (1, 2):
            rounds = found["cpu_ms_per_step"][str(n)]
            names = sorted({k for r in rounds for k in r}, key=lambda k: -rounds[0].get(k, 0))
            print(f"  CPU ms per step, {n} worker{'s' if n > 1 else ''} (median of rounds): "
                  + ", ".join(f"{k} {statistics.median(r.get(k, 0) for r in rounds):.1f}"
                              for k in names[:8]))
    print(f"  load average before {found['load_before'][0]:.2f}, after "
          f"{found['load_after'][0]:.2f} ({os.cpu_count()} cores)")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=40)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=128, help="per worker")
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--time-limit", type=float, default=600, help="seconds, in all")
    parser.add_argument("--json", action="store_true", help="print the raw figures too")
    parser.add_argument("--cpu", action="store_true",
                        help="CPU ms per step of each process (where the time goes)")
    args = parser.parse_args()
    env = dict(os.environ, RAY_USAGE_STATS_ENABLED="0")
    env.pop("RAY_ADDRESS", None)
    rerun_in_loopback_namespace("bench_dist_train", __file__, args.time_limit, env)
    os.environ["RAY_USAGE_STATS_ENABLED"] = "0"
    os.environ.pop("RAY_ADDRESS", None)
    out = subprocess.run([sys.executable, os.path.abspath(__file__), "driver",
                          *map(str, (args.steps, args.repeats, args.batch_size, args.warmup,
                                     args.time_limit))],
                         capture_output=True, text=True, timeout=args.time_limit + 30)
    lines = [ln for ln in out.stdout.splitlines() if ln.startswith("RESULT ")]
    if out.returncode != 0 or not lines:
        sys.exit(f"bench_dist_train: the driver failed ({out.returncode}):\n"
                 f"{out.stdout[-3000:]}{out.stderr[-3000:]}")
    found = json.loads(lines[-1][len("RESULT "):])
    report(found, args)
    if args.json:
        print(json.dumps(found))


def _quote(word):
    import shlex
    return shlex.quote(word)


if __name__ == "__main__":
    role = sys.argv[1] if len(sys.argv) > 1 else None
    if role == "ps":
        ps()
    elif role == "worker":
        worker(int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]))
    elif role == "driver":
        steps, repeats, batch, warmup, limit = sys.argv[2:7]
        driver(argparse.Namespace(steps=int(steps), repeats=int(repeats),
                                  batch_size=int(batch), warmup=int(warmup),
                                  time_limit=float(limit)))
    else:
        main()
