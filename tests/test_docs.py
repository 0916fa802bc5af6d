"""The README is the user's manual: it must name every command and every setting there is."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from pipeline.cli import cli
from pipeline.config import SECTIONS, SMTP_ENV

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


def test_every_command_is_in_the_readme_with_its_options() -> None:
    runner = CliRunner()
    assert len(cli.commands) >= 5
    for name, command in cli.commands.items():
        assert f"`brief {name}" in README, f"brief {name} is not documented"
        help_text = runner.invoke(cli, [name, "--help"]).output
        assert "Example:" in help_text, f"brief {name} --help has no example"
        for param in command.params:
            for option in getattr(param, "opts", []):
                if option.startswith("--") and option != "--help":
                    assert option in README, f"{option} of brief {name} is not in the README"


def test_every_setting_is_in_the_readme() -> None:
    assert SECTIONS and all(SECTIONS.values())
    for section, keys in SECTIONS.items():
        for key in keys:
            assert f"`{section}.{key}`" in README, f"{section}.{key} is not documented"


def test_every_smtp_variable_is_in_the_readme() -> None:
    for variable in SMTP_ENV:
        assert variable in README, variable
