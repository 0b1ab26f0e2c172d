"""The command line, run for real in a subprocess (``python -m devices``) and in-process."""

import json
import os
import re
import subprocess
import sys

import pytest

from devices.__main__ import format_table, main
from devices.logical import local_devices

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
INCARNATION = re.compile(r"incarnation: \d+")

# One CPU record of TensorFlow's text form, with its figures left open.
CPU_RECORD = (r'name: "/device:CPU:(\d+)"\ndevice_type: "CPU"\nmemory_limit: \d+\n'
              r"locality \{\n\}\nincarnation: \d+\n")

JSON_KEYS = ["name", "full_name", "device_type", "memory_limit", "locality", "incarnation",
             "physical_device_desc", "physical_device_id", "properties"]


def run_cli(*args, code=None):
    env = dict(os.environ, PYTHONPATH=ROOT, CUDA_VISIBLE_DEVICES="")
    command = [sys.executable, "-c", code] if code else [sys.executable, "-m", "devices", *args]
    return subprocess.run(command, capture_output=True, text=True, cwd=ROOT, env=env,
                          timeout=60, check=False)


def test_default_output_is_exactly_what_print_list_local_devices_shows():
    cli = run_cli()
    printed = run_cli(code="import devices; print(devices.list_local_devices())")
    assert cli.returncode == 0 and cli.stderr == ""
    assert INCARNATION.sub("incarnation: N", cli.stdout) == \
        INCARNATION.sub("incarnation: N", printed.stdout)
    assert re.fullmatch(r"\[" + CPU_RECORD + r"\]\n", cli.stdout)


def test_logical_cpus_in_the_text_form():
    result = run_cli("--logical-cpus", "3")
    assert result.returncode == 0
    assert re.fullmatch(r"\[" + CPU_RECORD + r"(, " + CPU_RECORD + r"){2}\]\n", result.stdout)
    assert re.findall(r'name: "/device:CPU:(\d)"', result.stdout) == ["0", "1", "2"]


def test_table_format_has_aligned_columns_and_human_memory():
    result = run_cli("--format", "table", "--logical-cpus", "2")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 3
    assert lines[0].split() == ["NAME", "TYPE", "MEMORY", "DESCRIPTION"]
    assert [line.split()[0] for line in lines[1:]] == ["/device:CPU:0", "/device:CPU:1"]
    type_column = {line.index("CPU  ") if i else line.index("TYPE")
                   for i, line in enumerate(lines)}
    assert len(type_column) == 1
    assert all(re.search(r"\d+(\.\d)? (B|KiB|MiB|GiB|TiB)\s", line) for line in lines[1:])
    assert "1 of 2 logical devices" in lines[1]


def test_json_format_lists_dicts_with_stable_keys_and_bytes():
    result = run_cli("--json")
    assert result.returncode == 0, result.stderr
    listed = json.loads(result.stdout)
    assert [list(entry) for entry in listed] == [JSON_KEYS]
    assert listed[0]["name"] == "/device:CPU:0"
    assert isinstance(listed[0]["memory_limit"], int) and listed[0]["memory_limit"] > 0
    assert listed[0]["properties"]["cores"] >= 1
    assert json.loads(run_cli("--format", "json", "--type", "GPU").stdout) == []


@pytest.mark.parametrize("args, message", [
    (["--logical-cpus", "0"], "--logical-cpus: expected a whole number >= 1, got '0'"),
    (["--logical-cpus", "x"], "--logical-cpus: expected a whole number >= 1, got 'x'"),
    (["--type", "TPU"], "--type: expected CPU or GPU, got 'TPU'"),
    (["--format", "yaml"], "--format: invalid choice"),
    (["--bogus"], "unrecognized arguments: --bogus"),
    (["--json", "--format", "table"], "--json contradicts --format table"),
])
def test_bad_arguments_exit_2_with_one_line(args, message):
    result = run_cli(*args)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1 and message in result.stderr
    assert result.stderr.startswith("python -m devices: error: ")


def test_help_exits_0():
    result = run_cli("--help")
    assert result.returncode == 0
    assert "--logical-cpus N" in result.stdout and "--type CPU|GPU" in result.stdout


def test_main_in_process_filters_by_type(capsys, no_gpu_env):
    assert main(["--type", "cpu", "--logical-cpus", "2", "--json"]) == 0
    assert [d["name"] for d in json.loads(capsys.readouterr().out)] == [
        "/device:CPU:0", "/device:CPU:1"]
    assert main(["--type", "GPU"]) == 0
    assert capsys.readouterr().out == "[]\n"


def test_format_table_without_devices_prints_the_header(no_gpu_env):
    assert format_table([]) == "NAME  TYPE  MEMORY  DESCRIPTION"
    assert format_table(local_devices()).splitlines()[1].startswith("/device:CPU:0  CPU  ")
