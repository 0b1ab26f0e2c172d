"""The Ray backend, honestly on one machine: every test here runs Ray inside a network
namespace that has only loopback (`unshare --net`), with usage statistics off, no
dashboard, the node on 127.0.0.1, an 80 MB object store (the Ray flowexec starts when none
is given) and a time limit. One
driver (ray_processes.py) starts the ps and the two workers as their own processes, as
TF 1.x users start their tasks, and reports what it found; the tests check its findings.
Skipped with a reason when Ray is not installed (`pip install flowexec[ray]`) or a network
namespace cannot be made here."""

import json
import os
import pathlib
import shutil
import subprocess
import sys

import numpy as np
import pytest

from tests.distributed import ray_processes

pytestmark = pytest.mark.ray
TIME_LIMIT_S = 150


def _skip_reason():
    try:
        import ray  # noqa: F401
    except ImportError:
        return "Ray is not installed (pip install 'flowexec[ray]')"
    if shutil.which("unshare") is None or shutil.which("ip") is None:
        return "unshare/ip are not available: cannot isolate Ray in a network namespace"
    probe = subprocess.run(["unshare", "--net", "sh", "-c", "ip link set lo up"],
                           capture_output=True)
    if probe.returncode != 0:
        return ("cannot make a network namespace here (unshare --net: "
                f"{probe.stderr.decode(errors='replace').strip()[:120]})")
    return None


@pytest.fixture(scope="module")
def found():
    reason = _skip_reason()
    if reason:
        pytest.skip(reason)
    root = pathlib.Path(__file__).resolve().parents[2]
    env = dict(os.environ, RAY_USAGE_STATS_ENABLED="0",
               PYTHONPATH=os.pathsep.join([str(root), os.environ.get("PYTHONPATH", "")]))
    env.pop("RAY_ADDRESS", None)
    script = pathlib.Path(ray_processes.__file__)
    command = f"ip link set lo up && exec {sys.executable} {script} driver"
    done = subprocess.run(["unshare", "--net", "sh", "-c", command], env=env, cwd=root,
                          capture_output=True, text=True, timeout=TIME_LIMIT_S)
    lines = [ln for ln in done.stdout.splitlines() if ln.startswith("RESULT ")]
    assert done.returncode == 0 and lines, done.stdout[-3000:] + done.stderr[-3000:]
    return json.loads(lines[-1][len("RESULT "):])


def test_every_task_is_a_ray_actor(found):
    assert found["ps"]["backend"] == "RayServerTask"
    assert [w["backend"] for w in found["workers"]] == ["RayServerTask"] * 2
    assert found["worker_exit"] == [0, 0]


def test_between_graph_training_with_one_ps_and_two_worker_processes_converges(found):
    # The workers share the ps's variables: a worker that starts late may find the model
    # already trained, so only the first loss of some worker is required to be high.
    assert all(w["last"] < 1e-3 for w in found["workers"])
    assert max(w["first"] for w in found["workers"]) > 1e-3
    np.testing.assert_allclose(found["w"], ray_processes.W_TRUE.ravel(), atol=1e-3)
    assert abs(found["b"] - 0.25) < 1e-3
    assert found["final_loss"] < 1e-5


def test_each_cross_task_tensor_is_delivered_once_per_step(found):
    assert found["values"] == [[8.0, 14.0]] * 5      # (x * 3 + 1) * 2, x = [1, 2]
    to_ps, to_worker = found["delivery_deltas"]
    for deltas, sender in ((to_ps, "/job:worker/"), (to_worker, "/job:ps/")):
        assert len(deltas) == 1, deltas
        (key, count), = deltas.items()
        assert key.startswith(sender) and count == 5


def test_a_traced_step_has_the_stats_of_the_ps_and_worker_processes(found):
    ps, worker = ("/job:ps/replica:0/task:0/device:CPU:0",
                  "/job:worker/replica:0/task:0/device:CPU:0")
    assert sorted(found["traced"]) == [ps, worker]
    assert found["trace_rows"] == [ps + " Compute", worker + " Compute"]
    labels = {d: [lb.split(" = ")[1] for lb in labels]
              for d, labels in found["traced"].items()}
    assert any(lb.startswith("Mul(") for lb in labels[ps])     # z = x * 3 + 1 on the ps
    # each _Recv names the _Send of the other process
    recvs = [lb for lbs in labels.values() for lb in lbs if lb.startswith("_Recv(")]
    assert len(recvs) == 2 and all("/_send_edge_" in lb for lb in recvs)


def test_functions_are_shipped_with_their_part_and_run_in_the_ps_process(found):
    # y = 2 x^2 after (y + 1, y * x, y * x) from ones; x = [1, 2] lives on the worker
    assert found["loop"] == [[2.0, 8.0], [4.0, 8.0]]
    assert found["batches"] == [[3, 6], [9, 12], [15]]


def test_a_killed_ps_fails_the_step_with_unavailable_within_the_deadline(found):
    name, message = found["after_kill"]
    assert name == "UnavailableError"
    assert "/job:ps/replica:0/task:0" in message and "localhost:2222" in message
    assert found["after_kill_s"] < ray_processes.DEADLINE_MS / 1000


def test_monitored_training_session_recovers_from_a_killed_ps_process(found):
    steps = found["recovery"]["steps"]
    i = steps.index(25)
    # the session was recreated and restored the step-20 checkpoint: not 26
    assert 19 <= steps[i + 1] <= 22, steps
    assert steps[-1] in (39, 40)
    assert found["recovery"]["final_step"] == 40
    assert found["recovery"]["final_loss"] < 0.05


def test_session_reset_drops_a_container_in_the_ps_process(found):
    assert found["reset"] == ["reset_dropped"]


def test_the_ray_flowexec_started_stops_with_its_last_server_leaving_nothing(found):
    assert found["ray_address"] == "127.0.0.1"
    assert found["ray_after_last_stop"] is False
    assert found["left_running"] == []
