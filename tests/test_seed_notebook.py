"""The seed lecture (shared/seed/000_557d569462b18155.txt), run cell by cell.

Each code cell is kept verbatim, in order, in one notebook namespace and one default graph,
with the two substitutions the project promises: `import flowexec as tf` for TensorFlow and
`devices.list_local_devices()` for `device_lib.list_local_devices()`. The `sys.executable`
and `!pip install` cells are left out; sklearn's import is dropped when sklearn is missing
(the cells never use it). A cell's last expression is its displayed value, as in Jupyter.

Each test runs the cells before its own that have not run yet, so any test can run alone.
The lecture was recorded with numpy 1.x, whose scalars print as `2`, not `np.int32(2)`:
cells run under numpy's 1.25 print options so `print([...])` shows what the lecture shows.
"""

import ast
import contextlib
import glob
import importlib.util
import io
import os
import re

import numpy as np
import pytest

import flowexec as tf
import flowexec.summary  # binds tf.summary until flowexec/__init__ imports it

HAS_SKLEARN = importlib.util.find_spec("sklearn") is not None
HAS_TENSORBOARD = importlib.util.find_spec("tensorboard") is not None

# (lecture's "In [n]" number, source); In [2] (sys.executable) and In [5] (!pip) are left out.
CELLS = [
    (3, """\
import flowexec as tf
from sklearn.model_selection import train_test_split
import numpy as np
"""),
    (7, """\
import devices
print(devices.list_local_devices())
"""),
    (8, """\
a = tf.constant(2)  # Создаем узлы графа c константами
b = tf.constant(2)
c = a + b  # Складываем значения - создаем новый узел

print(a)
print(b)
print(c)
"""),
    (9, """\
print(a)
print(b)
print(c)
"""),
    (10, """\
tf.get_default_graph()
"""),
    (11, """\
with tf.Session() as sess:
    writer = tf.summary.FileWriter('logs', sess.graph)  # logs - имя директории, \
где будут храниться результаты
    print(sess.run(a))  # Получаем результат вычислений в сессии
    writer.close()
"""),
    (12, """\
with tf.Session() as sess:
    writer = tf.summary.FileWriter('logs', sess.graph)  # logs - имя директории, \
где будут храниться результаты
    print(sess.run([a, b, c]))  # Получаем результат вычислений в сессии
    writer.close()
"""),
    (14, """\
sess.run([a, b, c])
"""),
    (21, """\
a = tf.constant(1)
b = tf.constant(2)
c = a + b

sess = tf.Session()
sess.run(c)
"""),
    (22, """\
sess.close()

try:
    print(sess.run(c))
except RuntimeError:
    print("Session is closed")
"""),
    (23, """\
sess.run(c)
"""),
]

# Cells whose recorded output is an exception.
EXPECTED_ERRORS = {14: RuntimeError, 23: RuntimeError}
TENSORS_OF_CELL_8 = ('Tensor("Const:0", shape=(), dtype=int32)\n'
                     'Tensor("Const_1:0", shape=(), dtype=int32)\n'
                     'Tensor("add:0", shape=(), dtype=int32)\n')


class CellResult:
    """What a notebook shows under a cell: printed text, displayed value, or an error."""

    def __init__(self, stdout, value, error):
        self.stdout = stdout
        self.value = value
        self.error = error


class Notebook:
    """One kernel: a namespace, a default graph and a working directory shared by cells."""

    def __init__(self, workdir):
        self.workdir = workdir
        self.graph = tf.Graph()  # the kernel's default graph (conftest resets the global one)
        self.namespace = {"__name__": "__main__"}
        self.results = {}

    def source(self, number):
        src = dict(CELLS)[number]
        if not HAS_SKLEARN:
            src = src.replace("from sklearn.model_selection import train_test_split\n", "")
        return src

    def run_through(self, number):
        """Runs every cell up to `number` not run yet; returns cell `number`'s result."""
        for n, _ in CELLS:
            if n not in self.results:
                self.results[n] = self._run(n)
                err = self.results[n].error
                if n != number and err is not None and not isinstance(
                        err, EXPECTED_ERRORS.get(n, ())) and not (
                        isinstance(err, ImportError) and not HAS_TENSORBOARD):
                    raise AssertionError(f"cell In [{n}] failed") from err
            if n == number:
                return self.results[n]
        raise KeyError(number)

    def _run(self, number):
        tree = ast.parse(self.source(number), filename=f"<In [{number}]>")
        last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
        out = io.StringIO()
        value = error = None
        print_options = {"legacy": "1.25"} if np.lib.NumpyVersion(np.__version__) >= "2.0.0" \
            else {}
        with pytest.MonkeyPatch.context() as mp, contextlib.redirect_stdout(out), \
                np.printoptions(**print_options), self.graph.as_default():
            mp.chdir(self.workdir)
            try:
                exec(compile(tree, f"<In [{number}]>", "exec"), self.namespace)  # noqa: S102
                if last is not None:
                    expr = ast.Expression(last.value)
                    value = eval(compile(expr, f"<In [{number}]>", "eval"), self.namespace)
            except Exception as e:  # noqa: BLE001 - a notebook shows any error under its cell
                error = e
        return CellResult(out.getvalue(), value, error)


@pytest.fixture(scope="module")
def notebook(tmp_path_factory):
    nb = Notebook(tmp_path_factory.mktemp("seed_notebook"))
    yield nb
    sess = nb.namespace.get("sess")
    if sess is not None:
        sess.close()


def test_cell_3_imports(notebook):
    cell = notebook.run_through(3)
    assert cell.error is None and cell.stdout == ""
    assert notebook.namespace["tf"] is tf
    assert notebook.namespace["np"] is np
    if HAS_SKLEARN:
        assert callable(notebook.namespace["train_test_split"])


def test_cell_7_lists_local_devices_in_tf_text_form(notebook):
    cell = notebook.run_through(7)
    assert cell.error is None
    text = cell.stdout
    assert text.startswith("[") and text.endswith("]\n")
    cpu = re.match(r'\[name: "/device:CPU:0"\ndevice_type: "CPU"\nmemory_limit: (\d+)\n'
                   r'locality \{\n\}\nincarnation: (\d+)\n', text)
    assert cpu, text
    assert int(cpu.group(1)) > 0 and int(cpu.group(2)) > 0
    entries = text[1:-2].split("\n, ")
    assert all(e.startswith('name: "/device:') and "\ndevice_type: " in e and
               "\nlocality {" in e and "\nincarnation: " in e for e in entries), text


def test_cells_8_and_9_print_the_tensors(notebook):
    cell8 = notebook.run_through(8)
    assert cell8.error is None
    assert cell8.stdout == TENSORS_OF_CELL_8
    cell9 = notebook.run_through(9)
    assert cell9.error is None
    assert cell9.stdout == TENSORS_OF_CELL_8


def test_cell_10_shows_the_default_graph(notebook):
    cell = notebook.run_through(10)
    assert cell.error is None
    assert isinstance(cell.value, tf.Graph)
    assert cell.value is notebook.graph
    assert [op.name for op in cell.value.get_operations()] == ["Const", "Const_1", "add"]


@pytest.mark.skipif(not HAS_TENSORBOARD, reason="tf.summary.FileWriter needs tensorboard")
def test_cell_11_runs_a_and_writes_logs(notebook):
    cell = notebook.run_through(11)
    assert cell.error is None
    assert cell.stdout == "2\n"
    files = glob.glob(os.path.join(notebook.workdir, "logs", "events.out.tfevents.*"))
    assert len(files) >= 1

    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    acc = EventAccumulator(files[0])
    acc.Reload()
    nodes = {n.name: n for n in acc.Graph().node}
    assert sorted(nodes) == ["Const", "Const_1", "add"]
    assert nodes["add"].op in ("Add", "AddV2")
    assert list(nodes["add"].input) == ["Const", "Const_1"]


@pytest.mark.skipif(not HAS_TENSORBOARD, reason="tf.summary.FileWriter needs tensorboard")
def test_cell_12_fetches_a_list(notebook):
    cell = notebook.run_through(12)
    assert cell.error is None
    assert cell.stdout == "[2, 2, 4]\n"
    files = glob.glob(os.path.join(notebook.workdir, "logs", "events.out.tfevents.*"))
    assert len(files) == 2  # one per FileWriter, as TF writes them


def test_cell_14_closed_session_raises(notebook):
    cell = notebook.run_through(14)
    assert isinstance(cell.error, RuntimeError)
    assert str(cell.error) == "Attempted to use a closed Session."


def test_cell_21_new_constants_in_the_same_graph(notebook):
    cell = notebook.run_through(21)
    assert cell.error is None
    assert cell.value == 3
    ns = notebook.namespace
    assert (ns["a"].name, ns["b"].name, ns["c"].name) == ("Const_2:0", "Const_3:0", "add_1:0")
    assert str(ns["c"]) == 'Tensor("add_1:0", shape=(), dtype=int32)'
    assert ns["c"].graph is notebook.graph


def test_cells_22_and_23_use_a_closed_session(notebook):
    cell22 = notebook.run_through(22)
    assert cell22.error is None
    assert cell22.stdout == "Session is closed\n"
    cell23 = notebook.run_through(23)
    assert isinstance(cell23.error, RuntimeError)
    assert str(cell23.error) == "Attempted to use a closed Session."
