"""scripts/train_digits.py: data-parallel training, run in-process with tiny settings."""

import importlib.util
import json
import os
import queue
import re
import signal
import subprocess
import sys
import threading

import numpy as np
import pytest

pytest.importorskip("sklearn")
pytest.importorskip("tqdm")

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCRIPT = os.path.join(ROOT, "scripts", "train_digits.py")


@pytest.fixture(scope="module")
def td():
    spec = importlib.util.spec_from_file_location("train_digits", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


TINY = ["--no-progress", "--batch-size", "256", "--hidden", "32", "--lr", "0.02"]


def _same_variables(a, b, **tol):
    assert a.keys() == b.keys()
    for name in a:
        np.testing.assert_allclose(a[name], b[name], err_msg=name, **tol)


def test_one_epoch_on_two_logical_cpus_returns_metrics(td, capsys):
    m = td.main(TINY + ["--epochs", "1", "--logical-cpus", "2"])
    assert m["devices"] == ["/device:CPU:0", "/device:CPU:1"]
    assert m["global_step"] == 6  # 1437 training examples in batches of 256 (last: 157)
    assert 0.5 < m["test_accuracy"] <= 1.0
    assert m["test_examples"] == 360
    assert m["examples_per_sec"] > 0 and np.isfinite(m["final_loss"])
    out = capsys.readouterr().out
    assert "epoch   1/1" in out and "examples/s" in out and "/device:CPU:1" in out


def test_one_device_and_three_devices_train_the_same_model(td):
    one = td.main(TINY + ["--epochs", "1", "--model", "deep", "--optimizer", "momentum"])
    three = td.main(TINY + ["--epochs", "1", "--model", "deep", "--optimizer", "momentum",
                            "--logical-cpus", "3"])
    assert one["devices"] == ["/device:CPU:0"] and len(three["devices"]) == 3
    assert abs(one["test_accuracy"] - three["test_accuracy"]) <= 2 / 360
    _same_variables(one["variables"], three["variables"], rtol=1e-3, atol=1e-5)


def test_resume_continues_exactly_like_an_uninterrupted_run(td, tmp_path):
    pytest.importorskip("flowexec.train.saver")
    args = TINY + ["--logical-cpus", "2"]
    straight = td.main(args + ["--epochs", "2"])
    ckpt = str(tmp_path / "ckpt")
    first = td.main(args + ["--epochs", "1", "--checkpoint-dir", ckpt])
    assert first["global_step"] == 6
    assert any(name.startswith("model.ckpt-6") for name in os.listdir(ckpt))
    resumed = td.main(args + ["--epochs", "2", "--checkpoint-dir", ckpt, "--resume"])
    assert resumed["global_step"] == straight["global_step"] == 12
    assert resumed["test_accuracy"] == straight["test_accuracy"]
    _same_variables(resumed["variables"], straight["variables"], rtol=0, atol=0)
    # The figures cover the whole run: both sessions' timed steps (each skips its first).
    assert resumed["train_examples"] == straight["train_examples"] - 256 == 2 * (1437 - 256)
    assert resumed["train_seconds"] > first["train_seconds"]
    assert resumed["wall_time_s"] > first["wall_time_s"]
    assert resumed["resumed_from"].endswith("model.ckpt-6")


def test_resumed_runs_keep_at_most_three_checkpoints_in_all(td, tmp_path):
    args = TINY + ["--checkpoint-dir", str(tmp_path)]
    td.main(args + ["--epochs", "2"])
    td.main(args + ["--epochs", "4", "--resume"])
    kept = sorted(p.name for p in tmp_path.iterdir() if p.name.endswith(".index"))
    assert kept == ["model.ckpt-12.index", "model.ckpt-18.index", "model.ckpt-24.index"]


def test_resuming_a_finished_run_reports_its_recorded_figures(td, tmp_path, capsys):
    pytest.importorskip("flowexec.train.saver")
    args = TINY + ["--epochs", "1", "--checkpoint-dir", str(tmp_path)]
    done = td.main(args)
    capsys.readouterr()
    again = td.main(args + ["--resume"])
    out = capsys.readouterr().out
    assert "already finished epoch 1 of 1" in out
    assert again["examples_per_sec"] == done["examples_per_sec"] > 0
    for key in ("train_examples", "train_seconds", "final_loss", "test_accuracy",
                "global_step"):
        assert again[key] == done[key], key
    # recorded with the last checkpoint, so without that save and the report after it (a
    # share of the run that load may make large), but with all the training before it
    assert again["train_seconds"] < again["wall_time_s"] < done["wall_time_s"]
    assert re.search(r"throughput\s+[1-9][0-9,]* examples/s", out), out


def test_without_logdir_no_summary_is_built_and_tensorboard_is_not_needed(td, monkeypatch):
    from flowexec.summary import protos

    monkeypatch.setattr(protos._Protos, "_loaded", None)  # forget a tensorboard loaded before
    for name in [m for m in sys.modules if m.split(".")[0] == "tensorboard"] + ["tensorboard"]:
        monkeypatch.setitem(sys.modules, name, None)  # and make it unimportable
    args = td.parse_args(TINY + ["--epochs", "1"])
    h = td.build_graph(args, args.tower_devices)
    assert not [op for op in h["graph"].get_operations() if op.type.endswith("Summary")]
    m = td.main(TINY + ["--epochs", "1"])
    assert m["global_step"] == 6 and m["test_accuracy"] > 0.5


def test_missing_device_is_a_one_line_argument_error(td, capsys):
    with pytest.raises(SystemExit) as exc:
        td.main(TINY + ["--devices", "/GPU:99"])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    assert re.fullmatch(r"\S+: error: --devices: no /GPU:99 on this machine; devices found: "
                        r"/device:CPU:0(, /device:GPU:\d+)*\n", err), err


def test_logdir_has_the_graph_and_scalar_curves(td, tmp_path):
    accumulator = pytest.importorskip(
        "tensorboard.backend.event_processing.event_accumulator")
    logdir = str(tmp_path / "logs")
    td.main(TINY + ["--epochs", "2", "--logical-cpus", "2", "--logdir", logdir])
    ea = accumulator.EventAccumulator(logdir)
    ea.Reload()
    tags = ea.Tags()
    assert tags["graph"] is True
    assert {"loss", "accuracy", "throughput"} <= set(tags["scalars"])
    assert [e.step for e in ea.Scalars("accuracy")] == [6, 12]
    assert all(e.value > 0 for e in ea.Scalars("throughput"))
    assert len(ea.Scalars("loss")) >= 1


def test_trace_writes_a_chrome_trace_of_one_step(td, tmp_path):
    pytest.importorskip("flowexec.timeline")
    path = tmp_path / "step.json"
    td.main(TINY + ["--epochs", "1", "--logical-cpus", "2", "--trace", str(path)])
    events = json.loads(path.read_text())["traceEvents"]
    names = {e.get("name") for e in events}
    assert any(n and "ApplyAdam" in n for n in names)
    assert any("CPU:1" in json.dumps(e) for e in events if e.get("ph") == "M")


def test_bad_flags_are_rejected(td):
    with pytest.raises(SystemExit):
        td.main(["--resume"])
    with pytest.raises(SystemExit):
        td.main(["--optimizer", "lbfgs"])


def test_ctrl_c_exits_130_with_one_line_naming_the_last_checkpoint(tmp_path):
    pytest.importorskip("flowexec.train.saver")
    ckpt = tmp_path / "ckpt"
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.Popen(
        [sys.executable, "-u", SCRIPT, "--no-progress", "--epochs", "10000", "--batch-size",
         "256", "--hidden", "32", "--checkpoint-dir", str(ckpt)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path, env=env)
    lines = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in proc.stdout],
                     daemon=True).start()
    try:
        while not lines.get(timeout=120).startswith("epoch   2/"):
            pass  # epoch 1's checkpoint is saved before epoch 2 starts
        proc.send_signal(signal.SIGINT)
        rc = proc.wait(timeout=60)
    finally:
        proc.kill()
    err = proc.stderr.read()
    assert rc == 130, err
    assert "Traceback" not in err and err.count("\n") == 1, err
    m = re.fullmatch(r"train_digits: interrupted in epoch \d+, after step \d+; last checkpoint "
                     r"(\S+) \(continue with --resume --checkpoint-dir (\S+)\)\n", err)
    assert m, err
    assert os.path.exists(m.group(1) + ".index") and m.group(2) == str(ckpt)


def test_ctrl_c_without_checkpoints_says_none_is_kept(td, monkeypatch, capsys):
    def interrupt(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(td.Progress, "start_epoch", interrupt)
    assert td.cli(TINY + ["--epochs", "1"]) == 130
    err = capsys.readouterr().err
    assert err == ("train_digits: interrupted in epoch 1, after step 0; no checkpoint kept "
                   "(--checkpoint-dir DIR keeps one per epoch)\n")


def test_cli_with_defaults_reaches_95_percent(tmp_path):
    proc = subprocess.run([sys.executable, SCRIPT], capture_output=True, text=True,
                          cwd=tmp_path, timeout=300)
    assert proc.returncode == 0, proc.stderr
    acc = float(re.search(r"^\s+accuracy\s+([0-9.]+) on", proc.stdout, re.M).group(1))
    assert acc >= 0.95, proc.stdout
    assert "examples/s" in proc.stdout
