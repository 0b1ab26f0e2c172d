"""scripts/gantt.py: the demo step drawn as a chart, its outputs never in the working tree."""

import importlib.util
import json
import os
import re

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCRIPT = os.path.join(ROOT, "scripts", "gantt.py")


@pytest.fixture(scope="module")
def gantt():
    spec = importlib.util.spec_from_file_location("gantt", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_default_outputs_go_to_a_temporary_directory_and_are_named(gantt, tmp_path,
                                                                     monkeypatch, capsys):
    pytest.importorskip("matplotlib")
    monkeypatch.chdir(tmp_path)
    assert gantt.main(["--chains", "2", "--depth", "1"]) == 0
    out = capsys.readouterr().out
    assert list(tmp_path.iterdir()) == []  # nothing written where it ran
    chart = re.search(r"^chart: (\S+)$", out, re.MULTILINE).group(1)
    trace = re.search(r"^trace: (\S+)$", out, re.MULTILINE).group(1)
    assert os.path.dirname(chart) == os.path.dirname(trace) != str(tmp_path)
    with open(chart, "rb") as f:
        assert f.read(8) == b"\x89PNG\r\n\x1a\n"
    with open(trace) as f:
        assert any(e.get("ph") == "X" for e in json.load(f)["traceEvents"])
    assert re.search(r"overlap \d+\.\d\dx", out)


def test_explicit_paths_are_used(gantt, tmp_path, capsys):
    pytest.importorskip("matplotlib")
    chart, trace = tmp_path / "c.png", tmp_path / "t.json"
    assert gantt.main(["--chains", "2", "--depth", "1", "--out", str(chart),
                       "--trace-out", str(trace)]) == 0
    assert chart.exists() and trace.exists()
    assert f"chart: {chart}" in capsys.readouterr().out
    assert gantt.main(["--trace", str(trace), "--out", str(tmp_path / "again.png")]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["again.png", "c.png", "t.json"]
