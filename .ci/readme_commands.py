"""Print the commands of README.md's "## The two commands" section, one per line.

The section must hold exactly two fenced blocks of one line each (install + main job,
install + tests); anything else exits with status 1 and says what it found, so `.ci/run`
fails loudly instead of running something other than what the README promises.

    python3 .ci/readme_commands.py README.md
"""

import re
import sys

SECTION = "## The two commands"


def readme_commands(text):
    """The two commands of `text`'s section, or raises ValueError saying what is wrong."""
    match = re.search(rf"^{re.escape(SECTION)}\n(.*?)(?=^## |\Z)", text, re.DOTALL | re.MULTILINE)
    if match is None:
        raise ValueError(f"README.md has no '{SECTION}' section")
    blocks = re.findall(r"^```[\w-]*\n(.*?)^```", match.group(1), re.DOTALL | re.MULTILINE)
    commands = [b.strip() for b in blocks]
    if len(commands) != 2 or any(not c or "\n" in c for c in commands):
        raise ValueError(f"README.md's '{SECTION}' must hold exactly two fenced one-line "
                         f"commands; found {len(commands)} block(s): {commands!r}")
    return commands


def main(argv):
    with open(argv[1], encoding="utf-8") as f:
        text = f.read()
    try:
        commands = readme_commands(text)
    except ValueError as e:
        print(f".ci/run: {e}", file=sys.stderr)
        return 1
    print("\n".join(commands))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
