"""The README is the user's manual: it must name every command and every setting there is."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from pipeline import docs
from pipeline.cli import cli
from pipeline.settings import SECTIONS, SMTP_ENV

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


def test_the_readmes_settings_table_is_the_one_generated_from_settings() -> None:
    assert docs.refresh(README) == README, "the README's settings table is stale: run make docs"


def test_a_drifted_row_fails_the_check_and_names_the_command_that_refreshes_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    row = "| `fetch.per_host` | `2` |"
    assert row in README
    readme = tmp_path / "README.md"
    drifted = README.replace(row, "| `fetch.per_host` | `4` |")
    readme.write_text(drifted, encoding="utf-8")

    assert docs.main(["--check", str(readme)]) == 1
    err = capsys.readouterr().err
    assert "-| `fetch.per_host` | `4` |" in err and "+| `fetch.per_host` | `2` |" in err
    assert "run `make docs` to refresh it" in err
    assert readme.read_text(encoding="utf-8") == drifted  # a check changes nothing

    assert docs.main([str(readme)]) == 0
    assert readme.read_text(encoding="utf-8") == README
    assert docs.main(["--check", str(readme)]) == 0


def test_a_readme_without_the_markers_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    readme = tmp_path / "README.md"
    readme.write_text(README.replace(docs.END, ""), encoding="utf-8")

    assert docs.main(["--check", str(readme)]) == 2
    assert "settings:end" in capsys.readouterr().err
