"""The processes of the Ray tests (test_ray.py runs `driver` inside a loopback-only
network namespace; the driver starts the others as TF 1.x users start their tasks).

    driver        no Ray cluster given: flowexec starts one (127.0.0.1); starts `ps 0` and
                  `worker 0`, `worker 1` as their own processes (they join it through
                  RAY_ADDRESS; between-graph training), then checks the trained variables,
                  per-step deliveries, a traced step, functions (a loop, a cond, a
                  dataset) run in the ps process, a killed ps, MonitoredTrainingSession
                  recovering from a killed ps process through its checkpoint,
                  tf.Session.reset of a container in the ps process, and that
                  stopping its last server stops Ray with nothing left running; prints
                  one JSON line of findings
    ps 0          tf.train.Server(cluster, "ps", 0).join()
    worker <i>    its own graph (replica_device_setter), a Session on its own server; the
                  chief initializes, the other waits for it; prints one JSON line
"""

import json
import os
import subprocess
import sys
import time

import numpy as np

CLUSTER = {"ps": ["localhost:2222"], "worker": ["localhost:2223", "localhost:2224"]}
RNG = np.random.RandomState(7)
X = RNG.randn(64, 3).astype(np.float32)
W_TRUE = np.array([[1.5], [-2.0], [0.5]], np.float32)
Y = X @ W_TRUE + 0.25
STEPS = 60
DEADLINE_MS = 5000


def numpy_loss(w, b):
    return float(np.mean((X @ w + b - Y) ** 2))


def _variables(tf):
    w = tf.Variable(tf.zeros([3, 1]), name="w")
    b = tf.Variable(0.0, name="b")
    return w, b


def ps(index):
    import flowexec as tf
    server = tf.train.Server(tf.train.ClusterSpec(CLUSTER), job_name="ps", task_index=index)
    print(json.dumps({"backend": type(server.task).__name__}), flush=True)
    server.join()


def worker(index):
    import flowexec as tf
    cluster = tf.train.ClusterSpec(CLUSTER)
    server = tf.train.Server(cluster, job_name="worker", task_index=index)
    with tf.device(tf.train.replica_device_setter(
            cluster=cluster, worker_device=f"/job:worker/task:{index}")):
        w, b = _variables(tf)
        half = slice(index * 32, index * 32 + 32)   # each worker its own shard
        loss = tf.reduce_mean(tf.square(tf.matmul(tf.constant(X[half]), w) + b
                                        - tf.constant(Y[half])))
        train_op = tf.train.GradientDescentOptimizer(0.1).minimize(loss)
    config = tf.ConfigProto(operation_timeout_in_ms=60000, device_filters=[
        "/job:ps", f"/job:worker/task:{index}"])
    with tf.Session(server.target, config=config) as sess:
        if index == 0:
            sess.run(tf.global_variables_initializer())
        else:
            uninitialized = tf.report_uninitialized_variables()
            while sess.run(uninitialized).size:
                time.sleep(0.05)
        first = sess.run(loss)
        for _ in range(STEPS):
            sess.run(train_op)
        last = sess.run(loss)
    print(json.dumps({"worker": index, "first": float(first), "last": float(last),
                      "backend": type(server.task).__name__}), flush=True)
    server.stop()


def _start(*args):
    return subprocess.Popen([sys.executable, __file__, *args], stdout=subprocess.PIPE,
                            text=True)


def driver():
    os.environ.pop("RAY_ADDRESS", None)
    import flowexec as tf
    from flowexec.distributed import ray_backend

    ray = ray_backend.connect()     # what the first Ray server of a process does
    found = {"ray_address": os.environ["RAY_ADDRESS"].split(":")[0]}
    ps_proc = _start("ps", "0")
    try:
        found["ps"] = json.loads(ps_proc.stdout.readline())
        workers = [_start("worker", str(i)) for i in range(2)]
        found["workers"] = [json.loads(p.communicate(timeout=90)[0].strip().splitlines()[-1])
                            for p in workers]
        found["worker_exit"] = [p.returncode for p in workers]

        # the trained variables, read by a new client of the ps
        g = tf.Graph()
        with g.as_default():
            with tf.device("/job:ps/task:0"):
                w, b = _variables(tf)
            with tf.Session("grpc://localhost:2222", config=tf.ConfigProto(
                    device_filters=["/job:ps"], operation_timeout_in_ms=30000)) as sess:
                wv, bv = sess.run([w, b])
        found["w"], found["b"] = wv.ravel().tolist(), float(bv)
        found["final_loss"] = numpy_loss(wv, bv)

        # deliveries per step: one tensor each way between a new worker task and the ps
        # (the worker processes have exited: their addresses are free again)
        server = tf.train.Server(tf.train.ClusterSpec(CLUSTER), job_name="worker",
                                 task_index=0)
        ps_task = ray_backend.resolve("localhost:2222")
        g = tf.Graph()
        with g.as_default():
            with tf.device("/job:worker/task:0"):
                x = tf.Variable([1.0, 2.0], name="x")
            with tf.device("/job:ps/task:0"):
                z = x * 3.0 + 1.0
            with tf.device("/job:worker/task:0"):
                out = z * 2.0
            sess = tf.Session(server.target,
                              config=tf.ConfigProto(
                                  operation_timeout_in_ms=DEADLINE_MS,
                                  device_filters=["/job:ps", "/job:worker/task:0"]))
            sess.run(x.initializer)
            sess.run(out)
            before = [ps_task.delivery_counts(), server.task.proxy.delivery_counts()]
            values = [sess.run(out).tolist() for _ in range(5)]
            after = [ps_task.delivery_counts(), server.task.proxy.delivery_counts()]
            found["values"] = values
            found["delivery_deltas"] = [
                {k: a[k] - bef.get(k, 0) for k in a if a[k] != bef.get(k, 0)}
                for bef, a in zip(before, after)]

            # a traced step: the stats of both processes' tasks, one timeline
            meta = tf.RunMetadata()
            sess.run(out, options=tf.RunOptions(trace_level=tf.RunOptions.FULL_TRACE),
                     run_metadata=meta)
            found["traced"] = {ds.device: sorted(ns.timeline_label for ns in ds.node_stats)
                               for ds in meta.step_stats.dev_stats}
            from flowexec.timeline import Timeline
            events = json.loads(Timeline(meta.step_stats).generate_chrome_trace_format())
            found["trace_rows"] = sorted(e["args"]["name"] for e in events["traceEvents"]
                                         if e["name"] == "process_name")

            # functions shipped to the ps process with their part: a loop with a cond
            # reading this worker's variable, its gradient, a dataset iterator
            with tf.device("/job:ps/task:0"):
                _, y = tf.while_loop(
                    lambda i, y: i < 3,
                    lambda i, y: (i + 1, tf.cond(i > 0, lambda: y * x, lambda: y + 1.0)),
                    [tf.constant(0), tf.constant([1.0, 1.0])])
                dy_dx, = tf.gradients(tf.reduce_sum(y), x)
                it = tf.data.Dataset.range(6).map(lambda z: z * 3).filter(
                    lambda z: z > 2).batch(2).make_initializable_iterator()
                batch = it.get_next()
            found["loop"] = [a.tolist() for a in sess.run([y, dy_dx])]
            sess.run(it.initializer)
            found["batches"] = [sess.run(batch).tolist() for _ in range(3)]

            # the ps process's actor is killed: the step fails, typed, within the deadline
            ray.kill(ray.get_actor(ray_backend.actor_name("localhost:2222"),
                                   namespace="flowexec"), no_restart=True)
            start = time.monotonic()
            try:
                sess.run(out)
                found["after_kill"] = None
            except Exception as e:   # noqa: BLE001 - reported to the test
                found["after_kill"] = [type(e).__name__, str(e)]
            found["after_kill_s"] = time.monotonic() - start
            sess.close()
        ps_proc.kill()
        ps_proc.wait()
        ps_proc = _start("ps", "0")
        json.loads(ps_proc.stdout.readline())
        found["recovery"], ps_proc = _recover_from_a_killed_ps(tf, server, ps_proc)
        found["reset"] = _reset_a_container(tf, server)
        ps_proc.kill()
        ps_proc.wait()
        server.stop()   # this process's last Ray server: the Ray it started stops too
        found["ray_after_last_stop"] = ray.is_initialized()
        deadline = time.monotonic() + 15
        while _descendants(os.getpid()) and time.monotonic() < deadline:
            time.sleep(0.2)
        found["left_running"] = _descendants(os.getpid())
    finally:
        ps_proc.kill()
        ps_proc.wait()
    print("RESULT " + json.dumps(found), flush=True)


def _reset_a_container(tf, server):
    """tf.Session.reset(target, ["c1"]) reaches the ps process's actor: its variable in
    container "c1" is uninitialized again, its default-container one is not."""
    g = tf.Graph()
    with g.as_default(), tf.device("/job:ps/task:0"):
        kept = tf.Variable(1.0, name="reset_kept")
        with tf.container("c1"):
            dropped = tf.Variable(2.0, name="reset_dropped")
        uninit = tf.report_uninitialized_variables([kept, dropped])
    config = tf.ConfigProto(device_filters=["/job:ps"])   # the other workers have exited
    with tf.Session(server.target, graph=g, config=config) as sess:
        sess.run([kept.initializer, dropped.initializer])
    tf.Session.reset(server.target, ["c1"], config)
    with tf.Session(server.target, graph=g, config=config) as sess:
        return [n.decode() for n in sess.run(uninit)]


def _recover_from_a_killed_ps(tf, server, ps_proc):
    """MonitoredTrainingSession on `server` (worker 0) with checkpoints every 10 steps;
    at step 25 the ps process is killed and a new one started: the chief's session is
    recreated and restores the step-20 checkpoint. Returns (findings, the ps process)."""
    import shutil
    import tempfile

    checkpoint_dir = tempfile.mkdtemp(prefix="flowexec-ray-ckpt-")
    cluster = tf.train.ClusterSpec(CLUSTER)
    steps_seen, killed_at = [], None
    try:
        g = tf.Graph()
        with g.as_default():
            with tf.device(tf.train.replica_device_setter(
                    cluster=cluster, worker_device="/job:worker/task:0")):
                w, b = _variables(tf)
                global_step = tf.train.get_or_create_global_step()
                loss = tf.reduce_mean(tf.square(tf.matmul(tf.constant(X), w) + b
                                                - tf.constant(Y)))
                train_op = tf.train.GradientDescentOptimizer(0.1).minimize(
                    loss, global_step=global_step)
            config = tf.ConfigProto(operation_timeout_in_ms=30000, device_filters=[
                "/job:ps", "/job:worker/task:0"])
            with tf.train.MonitoredTrainingSession(
                    master=server.target, is_chief=True, checkpoint_dir=checkpoint_dir,
                    save_checkpoint_steps=10, save_summaries_steps=None,
                    log_step_count_steps=None, config=config,
                    hooks=[tf.train.StopAtStepHook(last_step=40)]) as sess:
                while not sess.should_stop():
                    _, step = sess.run([train_op, global_step])
                    steps_seen.append(int(step))
                    if step == 25 and killed_at is None:
                        ps_proc.kill()          # the ps process and its variables go
                        ps_proc.wait()
                        killed_at = time.monotonic()
                        ps_proc = _start("ps", "0")
            with tf.Session(server.target, config=config) as check:
                final_step, final_loss = check.run([global_step, loss])
        return {"steps": steps_seen, "final_step": int(final_step),
                "final_loss": float(final_loss)}, ps_proc
    finally:
        shutil.rmtree(checkpoint_dir, ignore_errors=True)


def _descendants(pid):
    """The command lines of the running descendants of process `pid` (from /proc)."""
    children = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
                if fields[0] != "Z":
                    children.setdefault(int(fields[1]), []).append(int(entry))
            except OSError:
                pass
    out, todo = [], list(children.get(pid, ()))
    while todo:
        child = todo.pop()
        try:
            with open(f"/proc/{child}/cmdline", "rb") as f:
                out.append(f.read().replace(b"\0", b" ").decode(errors="replace")[:80])
        except OSError:
            continue
        todo.extend(children.get(child, ()))
    return out


if __name__ == "__main__":
    role = sys.argv[1]
    if role == "driver":
        driver()

    elif role == "ps":
        ps(int(sys.argv[2]))
    else:
        worker(int(sys.argv[2]))
