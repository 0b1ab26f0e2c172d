""".ci/readme_commands.py: CI runs exactly README.md's two commands, or fails saying why."""

import importlib.util
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCRIPT = os.path.join(ROOT, ".ci", "readme_commands.py")


@pytest.fixture(scope="module")
def rc():
    spec = importlib.util.spec_from_file_location("readme_commands", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_readme_has_the_two_commands(rc):
    with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as f:
        main_job, tests = rc.readme_commands(f.read())
    assert main_job.startswith("pip install -e '.[train]' && ")
    assert main_job.endswith("python scripts/train_digits.py")
    assert tests.startswith("pip install -e '.[test]' && ") and "pytest" in tests


def _readme(*blocks, heading="## The two commands"):
    body = "".join(f"text\n\n```bash\n{b}\n```\n\n" for b in blocks)
    return f"# x\n\n{heading}\n\n{body}## Next\n\n```bash\nnot this one\n```\n"


def test_exactly_two_one_line_blocks_of_that_section(rc):
    assert rc.readme_commands(_readme("a && b", "c && d")) == ["a && b", "c && d"]
    with pytest.raises(ValueError, match="found 3 block"):
        rc.readme_commands(_readme("a", "b", "c"))
    with pytest.raises(ValueError, match="found 1 block"):
        rc.readme_commands(_readme("a"))
    with pytest.raises(ValueError, match="exactly two fenced one-line"):
        rc.readme_commands(_readme("a", "b\nc"))
    with pytest.raises(ValueError, match="no '## The two commands' section"):
        rc.readme_commands(_readme("a", "b", heading="## Two commands"))


def test_the_command_line_fails_loudly(tmp_path):
    bad = tmp_path / "README.md"
    bad.write_text(_readme("only one"))
    proc = subprocess.run([sys.executable, SCRIPT, str(bad)], capture_output=True, text=True,
                          timeout=60, check=False)
    assert proc.returncode == 1 and proc.stdout == ""
    assert proc.stderr.startswith(".ci/run: README.md's '## The two commands' must hold")
    good = tmp_path / "GOOD.md"
    good.write_text(_readme("x", "y"))
    proc = subprocess.run([sys.executable, SCRIPT, str(good)], capture_output=True, text=True,
                          timeout=60, check=False)
    assert (proc.returncode, proc.stdout) == (0, "x\ny\n")
