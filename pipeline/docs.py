"""The README's generated part: its settings table, made from the declarations in settings.py.

python -m pipeline.docs README.md            rewrite the table between its two markers
python -m pipeline.docs --check README.md    say what differs and exit 1 (run by make lint)
"""

from __future__ import annotations

import argparse
import difflib
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from pipeline.settings import SECTIONS, Key

START = "<!-- settings:start -->"
END = "<!-- settings:end -->"
REFRESH = "make docs"  # the command a failed check names


def settings_table() -> str:
    """The Markdown table of every sources.yaml key: its default and what it means."""
    rows = ["| key | default | meaning |", "|---|---|---|"]
    for section, keys in SECTIONS.items():
        rows += [f"| `{section}.{name}` | {_default(key)} | {_meaning(key)} |" for name, key in keys.items()]
    return "\n".join(rows) + "\n"


def refresh(readme: str) -> str:
    """`readme` with what stands between the settings markers replaced by `settings_table()`."""
    before, start, rest = readme.partition(START)
    _, end, after = rest.partition(END)
    if not start or not end:
        raise ValueError(f"no {START} … {END} block to fill")
    return f"{before}{START}\n\n{settings_table()}\n{END}{after}"


def _default(key: Key) -> str:
    if key.required:
        return "required"
    if key.shown is not None:
        return key.shown
    if isinstance(key.default, tuple):
        return f"`{json.dumps(list(key.default))}`"
    return f"`{key.default}`" if key.default != "" else '`""`'


def _meaning(key: Key) -> str:
    text = key.help
    if key.kind == "integer":
        text += f" From {key.min:,} to {key.max:,}."
    return text.replace("|", "\\|")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pipeline.docs", description=__doc__.splitlines()[0])
    parser.add_argument("readme", type=Path, help="the README to fill, e.g. README.md")
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 when it differs")
    args = parser.parse_args(argv)
    path: Path = args.readme
    text = path.read_text(encoding="utf-8")
    try:
        wanted = refresh(text)
    except ValueError as exc:
        print(f"{path}: {exc}", file=sys.stderr)
        return 2
    if wanted == text:
        return 0
    if not args.check:
        path.write_text(wanted, encoding="utf-8")
        print(f"{path}: settings table refreshed")
        return 0
    diff = difflib.unified_diff(
        text.splitlines(), wanted.splitlines(), str(path), "as config.py declares it", lineterm="", n=0
    )
    print("\n".join(diff), file=sys.stderr)
    print(
        f"{path}: the settings table differs from the keys declared in pipeline/settings.py; "
        f"run `{REFRESH}` to refresh it",
        file=sys.stderr,
    )
    return 1


if __name__ == "__main__":
    sys.exit(main())
