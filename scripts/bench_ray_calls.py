#!/usr/bin/env python3
"""Latency of one Ray actor call like a task actor's, with and without Ray's task events
(measured, never asserted).

The task actors of `flowexec.distributed.ray_backend` are made with
`enable_task_events=False`. This script measures what that saves: two actors of the
task actor's kind (`num_cpus=0`, `max_concurrency=MAX_CONCURRENCY`), one with task
events as Ray makes them by default and one without. Each is called two ways:
    small    a call with no tensors (Ray's floor)
    talk     a call carrying the digits CNN's variables (train_digits --model cnn: 8
             float32 arrays) as (key, value) items, answered with them, as a ps part
             answers a worker's start_talk
Each row is the median of --calls calls per round, over --rounds rounds, with the range
of the rounds. The rows take turns within each round, so that load which comes and goes
touches all of them.

The script makes its own Ray cluster (`ray_backend.connect`: 127.0.0.1, no dashboard,
usage statistics off) inside a network namespace with only loopback (`unshare --net`),
as bench_dist_train.py does.

Usage: PYTHONPATH=$PWD python scripts/bench_ray_calls.py [--calls 300] [--rounds 5]
"""

import argparse
import os
import statistics
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from bench_dist_train import rerun_in_loopback_namespace  # noqa: E402

# the digits CNN's variables (train_digits.build_model("cnn", 128))
SHAPES = [(5, 5, 1, 32), (32,), (5, 5, 32, 64), (64,), (576, 48), (48,), (48, 10), (10,)]


class _Echo:
    def talk(self, step, items):
        return True, ("more", items, None)

    def small(self, step):
        return step


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    env = dict(os.environ, RAY_USAGE_STATS_ENABLED="0")
    env.pop("RAY_ADDRESS", None)
    rerun_in_loopback_namespace("bench_ray_calls", __file__, 600, env)
    os.environ.pop("RAY_ADDRESS", None)

    import ray
    from flowexec.distributed import ray_backend

    ray_backend.connect()
    actors = {events: ray.remote(num_cpus=0, max_concurrency=ray_backend.MAX_CONCURRENCY,
                                 enable_task_events=events)(_Echo).remote()
              for events in (True, False)}
    rng = np.random.default_rng(0)
    items = [(f"edge_{i}", rng.standard_normal(s).astype(np.float32))
             for i, s in enumerate(SHAPES)]
    calls = {}
    for events, actor in actors.items():
        label = "with task events" if events else "without (flowexec)"
        calls[f"small, {label}"] = lambda i, a=actor: ray.get(a.small.remote(i))
        calls[f"talk, {label}"] = lambda i, a=actor: ray.get(a.talk.remote(i, items))
    for call in calls.values():     # warm up: the actors' processes, connections
        for i in range(20):
            call(i)
    medians = {name: [] for name in calls}
    for _ in range(args.rounds):
        for name, call in calls.items():
            times = []
            for i in range(args.calls):
                t0 = time.perf_counter()
                call(i)
                times.append(time.perf_counter() - t0)
            medians[name].append(statistics.median(times) * 1e3)
    size = sum(v.nbytes for _, v in items)
    print(f"one Ray actor call (a talk: {len(items)} arrays, {size / 1024:.0f} KB each way); "
          f"ms, median of {args.rounds} rounds of {args.calls} calls [range of the rounds]")
    for name, ms in medians.items():
        print(f"  {name:28s} {statistics.median(ms):6.3f}  [{min(ms):.3f}, {max(ms):.3f}]")
    ray.shutdown()


if __name__ == "__main__":
    main()
