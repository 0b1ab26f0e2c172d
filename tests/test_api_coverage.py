"""scripts/api_coverage.py: the per-namespace table is consistent with the committed name list."""

import importlib.util
import json
import os
import types

import pytest

import flowexec

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCRIPT = os.path.join(ROOT, "scripts", "api_coverage.py")


@pytest.fixture(scope="module")
def cov():
    spec = importlib.util.spec_from_file_location("api_coverage", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_committed_list_has_every_namespace_with_kinds(cov):
    namespaces, version = cov.load_names()
    assert version.startswith(("1.", "2."))
    for ns in ("tf", "tf.nn", "tf.losses", "tf.metrics", "tf.nn.rnn_cell", "tf.linalg"):
        assert namespaces[ns], ns
    kinds = {k for names in namespaces.values() for k in names.values()}
    assert kinds <= {"function", "class", "module", "constant"}
    assert namespaces["tf"]["constant"] == "function"
    assert namespaces["tf"]["Graph"] == "class"
    assert namespaces["tf"]["nn"] == "module"
    assert namespaces["tf"]["float32"] == "constant"


def test_rows_partition_each_namespace(cov):
    namespaces, _ = cov.load_names()
    rows = cov.coverage(flowexec, namespaces)
    assert rows[0]["namespace"] == "tf"
    assert {r["namespace"] for r in rows} == set(namespaces)
    for row in rows:
        names = set(namespaces[row["namespace"]])
        assert set(row["present"]) | set(row["missing"]) == names
        assert not set(row["present"]) & set(row["missing"])
        assert row["total"] == len(names)
    tf_row = rows[0]
    for name in ("constant", "Session", "float32", "nn", "train"):
        assert name in tf_row["present"], name


def test_kinds_and_missing_namespaces_on_a_fake_module(cov):
    fake = types.SimpleNamespace(
        f=lambda: None, C=type("C", (), {}), sub=types.SimpleNamespace(g=print), k=3, notf=3)
    namespaces = {"tf": {"f": "function", "C": "class", "sub": "module", "k": "constant",
                         "notf": "function", "absent": "function"},
                  "tf.sub": {"g": "function", "h": "function"},
                  "tf.nothere": {"x": "function"}}
    rows = {r["namespace"]: r for r in cov.coverage(fake, namespaces)}
    assert rows["tf"]["present"] == ["C", "f", "k", "sub"]
    assert rows["tf"]["missing"] == ["absent", "notf"]
    assert rows["tf.sub"]["present"] == ["g"]
    assert rows["tf.nothere"]["missing"] == ["x"]
    table = cov.format_table(list(rows.values()), "1.15").splitlines()
    assert "| `tf` | 4 | 6 | 67% |" in table
    assert table[-1] == "| **all** | 5 | 9 | 56% |"


def test_main_prints_table_and_json(cov, capsys):
    assert cov.main(["--missing", "tf.app"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("| namespace |")
    assert "| **all** |" in out
    assert cov.main(["--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    namespaces, _ = cov.load_names()
    assert sum(r["total"] for r in data["rows"]) == sum(len(v) for v in namespaces.values())
