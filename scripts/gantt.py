#!/usr/bin/env python3
"""Render one traced flowexec step as a PNG Gantt chart: one row per device lane, one bar per op.

    python scripts/gantt.py                          # demo graph on 2 logical CPUs
    python scripts/gantt.py --logical-cpus 4 --chains 8 --depth 4 --out step.png
    python scripts/gantt.py --trace step.json        # a chrome trace written by Timeline

Without --trace the script builds its own graph: --chains independent chains of --depth
256x256 float32 matmuls (tanh between them), chain i under `tf.device(f"/cpu:{i % N}")`, all
summed at the end; it runs the step once to warm up, once with FULL_TRACE, and writes the chrome
trace (--trace-out, open it in Perfetto or chrome://tracing) and the chart (--out). Without
--out / --trace-out the files go to a new temporary directory, never the working directory;
the script prints where each file went.

Bars are coloured by device, labelled with the op name where the label fits, and the x axis is
milliseconds from the first op's start; thin grey arrows are the cross-lane data flows. The
summary line gives the overlap factor: the sum of op durations over the traced span (first op
start to last op end); 1.0 means nothing overlapped.

BLAS is pinned to one thread unless OPENBLAS_NUM_THREADS/OMP_NUM_THREADS/MKL_NUM_THREADS are
set, so the overlap shown is flowexec's concurrency, not BLAS threads inside one matmul.

matplotlib is an optional dependency: without it the script says so and exits with status 2.
"""

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

_MISSING_MPL = ("scripts/gantt.py needs matplotlib to draw the chart: pip install matplotlib\n"
                "(the chrome trace alone: flowexec.timeline.Timeline(run_metadata.step_stats)"
                ".generate_chrome_trace_format())")


def _import_pyplot():
    """Returns matplotlib.pyplot on the Agg backend, or None when matplotlib is missing."""
    try:
        import matplotlib
    except ImportError:
        return None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def build_demo_trace(logical_cpus, chains, depth, seed=0):
    """Builds and runs the demo graph; returns the chrome trace (a JSON string) of one step."""
    import numpy as np

    import flowexec as tf
    from flowexec.timeline import Timeline

    rng = np.random.RandomState(seed)
    graph = tf.Graph()
    with graph.as_default():
        outs = []
        for i in range(chains):
            with tf.device(f"/cpu:{i % logical_cpus}"), tf.name_scope(f"chain{i}"):
                # fed, so the graph optimizer cannot fold the chain into one constant
                h = tf.placeholder(tf.float32, (256, 256), name="x")
                for d in range(depth):
                    w = tf.constant((rng.standard_normal((256, 256)) / 16).astype(np.float32),
                                    name=f"w{d}")
                    h = tf.matmul(h, w, name=f"matmul{d}")
                    if d + 1 < depth:
                        h = tf.tanh(h, name=f"tanh{d}")
            outs.append(h)
        total = tf.add_n(outs, name="sum")
        feed = {op.outputs[0]: rng.standard_normal((256, 256)).astype(np.float32)
                for op in graph.get_operations() if op.type == "Placeholder"}
    config = tf.ConfigProto(device_count={"CPU": logical_cpus})
    with tf.Session(graph=graph, config=config) as sess:
        sess.run(total, feed)  # warm up: plan building, caches
        run_metadata = tf.RunMetadata()
        options = tf.RunOptions(trace_level=tf.RunOptions.FULL_TRACE)
        sess.run(total, feed, options=options, run_metadata=run_metadata)
    return Timeline(run_metadata.step_stats, graph=graph).generate_chrome_trace_format()


def parse_trace(trace):
    """Reads a chrome trace dict into rows for the chart.

    Returns:
        (rows, ops, flows): rows is a sorted list of (pid, tid, label, device); ops is a list
        of dicts (row, name, type, start, dur) in µs; flows is a list of
        ((row, ts), (row, ts)) pairs, producer end first.
    """
    process, thread = {}, {}
    ops, starts, ends = [], {}, {}
    for ev in trace.get("traceEvents", []):
        ph = ev.get("ph")
        if ph == "M" and ev.get("name") == "process_name":
            process[ev["pid"]] = ev["args"]["name"]
        elif ph == "M" and ev.get("name") == "thread_name":
            thread[(ev["pid"], ev["tid"])] = ev["args"]["name"]
        elif ph == "X":
            args = ev.get("args", {})
            ops.append({"row": (ev["pid"], ev["tid"]), "name": args.get("name", ev["name"]),
                        "type": ev["name"], "start": ev["ts"], "dur": ev.get("dur", 0)})
        elif ph == "s":
            starts[ev["id"]] = ((ev["pid"], ev["tid"]), ev["ts"])
        elif ph in ("t", "f"):
            ends[ev["id"]] = ((ev["pid"], ev["tid"]), ev["ts"])
    rows = []
    for pid, tid in sorted({op["row"] for op in ops}):
        device = process.get(pid, f"process {pid}").removesuffix(" Compute")
        short = device.rsplit("/device:", 1)[-1]
        rows.append((pid, tid, f"{short} {thread.get((pid, tid), f'thread {tid}')}", device))
    flows = [(starts[i], ends[i]) for i in sorted(starts) if i in ends]
    return rows, ops, flows


def overlap_factor(ops):
    """The sum of op durations over the traced span (first op start to last op end); 1.0
    means nothing overlapped (also for no ops or a zero span)."""
    if not ops:
        return 1.0
    t0 = min(op["start"] for op in ops)
    span = max(op["start"] + op["dur"] for op in ops) - t0
    return sum(op["dur"] for op in ops) / span if span else 1.0


def summarize(rows, ops):
    """One line: ops, devices, lanes, traced span, and the overlap factor."""
    if not ops:
        return "0 ops traced"
    t0 = min(op["start"] for op in ops)
    span = max(op["start"] + op["dur"] for op in ops) - t0
    busy = sum(op["dur"] for op in ops)
    devices = len({device for _, _, _, device in rows})
    return (f"{len(ops)} ops on {devices} device(s), {len(rows)} lane(s); step {span / 1e3:.2f} "
            f"ms; sum of op times {busy / 1e3:.2f} ms; overlap {overlap_factor(ops):.2f}x")


def draw(plt, rows, ops, flows, title, path):
    """Draws the Gantt chart into `path` (PNG)."""
    t0 = min(op["start"] for op in ops)
    span_ms = max((op["start"] + op["dur"] - t0) / 1e3 for op in ops) or 1e-3
    index = {(pid, tid): i for i, (pid, tid, _, _) in enumerate(rows)}
    pids = sorted({pid for pid, _, _, _ in rows})
    cmap = plt.get_cmap("tab10")
    color = {pid: cmap(i % 10) for i, pid in enumerate(pids)}

    width_in, dpi, fontsize = 16.0, 110, 7
    fig, ax = plt.subplots(figsize=(width_in, 1.6 + 0.45 * len(rows)), dpi=dpi)
    axes_px = width_in * dpi * 0.75
    px_per_ms = axes_px / span_ms
    char_px = fontsize * 0.62 * dpi / 72
    for op in ops:
        y = index[op["row"]]
        x, w = (op["start"] - t0) / 1e3, op["dur"] / 1e3
        ax.broken_barh([(x, max(w, span_ms * 1e-4))], (y - 0.38, 0.76),
                       facecolors=color[op["row"][0]], edgecolors="black", linewidths=0.3)
        for label in (op["name"], op["type"]):
            if len(label) * char_px + 4 <= w * px_per_ms:
                ax.text(x + w / 2, y, label, ha="center", va="center", fontsize=fontsize,
                        clip_on=True)
                break
    for (src_row, src_ts), (dst_row, dst_ts) in flows:
        if src_row in index and dst_row in index:
            ax.annotate("", xy=((dst_ts - t0) / 1e3, index[dst_row]),
                        xytext=((src_ts - t0) / 1e3, index[src_row]),
                        arrowprops={"arrowstyle": "->", "color": "0.45", "lw": 0.6,
                                    "alpha": 0.7})
    ax.set_yticks(range(len(rows)))
    ax.set_yticklabels([label for _, _, label, _ in rows], fontsize=9)
    ax.set_ylim(len(rows) - 0.5, -0.5)
    ax.set_xlim(0, span_ms * 1.01)
    ax.set_xlabel("time since the step's first op (ms)")
    ax.grid(axis="x", linestyle=":", linewidth=0.5)
    handles = [plt.Rectangle((0, 0), 1, 1, color=color[pid]) for pid in pids]
    devices = {pid: device.rsplit("/device:", 1)[-1] for pid, _, _, device in rows}
    ax.legend(handles, [devices[pid] for pid in pids], fontsize=8, loc="upper left",
              bbox_to_anchor=(1.005, 1.0), title="device", title_fontsize=8)
    ax.set_title(title, fontsize=10)
    fig.savefig(path, bbox_inches="tight")
    plt.close(fig)


def main(argv=None):
    """Command-line entry point; returns the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--trace", help="a chrome trace JSON written by flowexec's Timeline; "
                        "without it, the demo graph is built and traced")
    parser.add_argument("--logical-cpus", type=int, default=2)
    parser.add_argument("--chains", type=int, default=8)
    parser.add_argument("--depth", type=int, default=4)
    parser.add_argument("--out", help="the PNG to write (default: step.png in a new "
                        "temporary directory)")
    parser.add_argument("--trace-out", help="where the demo's chrome trace goes (default: "
                        "step.json beside the chart's default; ignored with --trace)")
    args = parser.parse_args(argv)
    for name in ("logical_cpus", "chains", "depth"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")

    plt = _import_pyplot()
    if plt is None:
        print(_MISSING_MPL, file=sys.stderr)
        return 2
    if args.out is None or (args.trace_out is None and not args.trace):
        outdir = tempfile.mkdtemp(prefix="flowexec-gantt-")
        args.out = args.out or os.path.join(outdir, "step.png")
        args.trace_out = args.trace_out or os.path.join(outdir, "step.json")
    if args.trace:
        with open(args.trace) as f:
            text = f.read()
        source = args.trace
    else:
        text = build_demo_trace(args.logical_cpus, args.chains, args.depth)
        with open(args.trace_out, "w") as f:
            f.write(text)
        print(f"trace: {args.trace_out}")
        source = (f"{args.chains} chains x {args.depth} matmuls (256x256 float32) on "
                  f"{args.logical_cpus} logical CPU(s)")
    rows, ops, flows = parse_trace(json.loads(text))
    if not ops:
        print(f"no ops in {source}: nothing to draw", file=sys.stderr)
        return 1
    summary = summarize(rows, ops)
    draw(plt, rows, ops, flows, f"{source}\n{summary}", args.out)
    print(f"chart: {args.out}")
    print(summary)
    return 0


if __name__ == "__main__":
    sys.exit(main())
