"""sources.yaml: what loads, and how a mistake is reported (key, line, what is allowed)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import time
from pathlib import Path

import pytest
from conftest import ROOT

from pipeline.config import load_config, smtp_from_env
from pipeline.errors import ConfigError
from pipeline.settings import SECTIONS, Key

FEEDS = "feeds:\n  - url: https://news.example/feed.xml\n"


def write(tmp_path: Path, text: str, name: str = "sources.yaml") -> Path:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def config_error(tmp_path: Path, text: str) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        load_config(write(tmp_path, text))
    return info.value


def test_the_shipped_sources_yaml_loads_with_its_two_threads_and_the_default_schedule() -> None:
    config = load_config(ROOT / "sources.yaml")

    assert [t.id for t in config.threads] == ["meta-closed-pivot", "lecun-exit"]
    assert config.schedule == (time(15, 0), time(21, 0))
    assert len(config.feeds) == 7
    assert all(f.url.startswith("https://") and f.name for f in config.feeds)
    assert config.output_dir == ROOT / "output"
    assert config.state_dir == ROOT / ".state"
    lecun = config.threads[1]
    assert "LeCun" in lecun.keywords
    assert "\n" not in lecun.description  # the folded description is one line of text


def test_a_minimal_config_gets_the_documented_defaults(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, FEEDS))

    assert config.schedule == (time(15, 0), time(21, 0))
    assert config.title == "Daily Brief"
    assert config.feeds[0].name == "news.example"  # the host stands in for a missing name
    assert config.threads == ()
    assert config.mail_to == ()


# where a key's value lands in a Config, when that is not a field of the key's own name
FIELD = {
    "brief.output": "output_dir",
    "brief.state": "state_dir",
    "delivery.to": "mail_to",
    "delivery.from": "mail_from",
    "network.allow": "network_allow",
    "web.public_url": "web_url",
    "web.host": "web_host",
    "web.port": "web_port",
}


def test_every_key_left_out_gets_the_default_its_table_declares(tmp_path: Path) -> None:
    path = write(tmp_path, FEEDS + "threads:\n  - id: port-strike\n    title: Port strike\n")
    config = load_config(path)
    (feed,), (thread,) = config.feeds, config.threads

    for section, keys in SECTIONS.items():
        for name, key in keys.items():
            dotted, default = f"{section}.{name}", key.default
            if key.required:
                assert default is None, dotted
            elif section == "feeds[]":
                assert (name, default, feed.name) == ("name", "", "news.example"), "the host stands in"
            elif section == "threads[]":
                # entities and keywords are read into one tuple of keywords
                loaded = thread.keywords if name in ("keywords", "entities") else getattr(thread, name)
                assert loaded == default, dotted
            elif section == "editions[]":  # left out, an edition's key is the file's own
                text = path.read_text() + "editions:\n  - id: one\n"
                edition = load_config(write(tmp_path, text, "editions.yaml")).editions[0]
                top = {"title": config.title, "audience": config.audience, "schedule": config.schedule}
                top |= {"feeds": config.feeds, "threads": config.threads, "to": (), "muted": config.muted}
                field = {"to": "mail_to", "id": "edition"}.get(name, name)
                assert default in ((), ""), dotted
                assert name == "id" or getattr(edition, field) == top[name], dotted
            elif dotted == "brief.schedule":
                assert config.schedule == tuple(time.fromisoformat(t) for t in default)
            elif dotted in ("brief.output", "brief.state"):
                assert getattr(config, FIELD[dotted]) == (tmp_path / default).resolve(), dotted
            else:
                assert getattr(config, FIELD.get(dotted, name)) == default, dotted


INTEGER_KEYS = [
    (section, name, key)
    for section, keys in SECTIONS.items()
    for name, key in keys.items()
    if key.kind == "integer"
]


@pytest.mark.parametrize(
    ("section", "name", "key"), INTEGER_KEYS, ids=[f"{s}.{n}" for s, n, _ in INTEGER_KEYS]
)
def test_a_number_out_of_its_range_is_refused_with_the_range_named(
    tmp_path: Path, section: str, name: str, key: Key
) -> None:
    assert key.min is not None and key.max is not None
    for value in (key.min - 1, key.max + 1):
        error = config_error(tmp_path, f"{section}:\n  {name}: {value}\n" + FEEDS)

        assert error.line == 2
        assert f"{section}.{name} must be between {key.min} and {key.max}, got {value}" in str(error)
    for value in (key.min, key.max):
        assert (
            getattr(
                load_config(write(tmp_path, f"{section}:\n  {name}: {value}\n" + FEEDS)),
                FIELD.get(f"{section}.{name}", name),
            )
            == value
        )


def test_a_choice_outside_its_allowed_values_names_them(tmp_path: Path) -> None:
    error = config_error(tmp_path, "brief:\n  unchanged_threads: hide\n" + FEEDS)

    assert error.line == 2
    assert "brief.unchanged_threads must be one of line, drop, got 'hide'" in str(error)


@pytest.mark.parametrize(
    "key",
    [
        lambda: Key("integer", 0, "A count.", min=1, max=8),
        lambda: Key("integer", 1, "A count without a range."),
        lambda: Key("choice", "hide", "A choice.", choices=("line", "drop")),
        lambda: Key("list", [], "A list others could change."),
    ],
)
def test_a_key_declared_against_itself_fails_at_import_not_at_a_run(key: Callable[[], Key]) -> None:
    with pytest.raises(ValueError):
        key()


def test_an_unknown_key_is_refused_with_its_line_and_the_keys_allowed_there(tmp_path: Path) -> None:
    error = config_error(tmp_path, 'brief:\n  title: "Morning"\n  titel: "typo"\n' + FEEDS)

    assert error.line == 3
    assert "sources.yaml:3:" in str(error)
    assert "'brief.titel'" in str(error)
    assert error.hint is not None
    assert "title, audience, schedule, output, state, max_threads" in error.hint


def test_an_unknown_key_inside_a_feed_names_the_feed_keys(tmp_path: Path) -> None:
    error = config_error(tmp_path, "feeds:\n  - url: https://a.example/rss\n    nmae: A\n")

    assert error.line == 3
    assert "feeds[0].nmae" in str(error)
    assert error.hint == "allowed here: url, name"


def test_a_bad_schedule_time_names_the_key_and_its_line(tmp_path: Path) -> None:
    error = config_error(tmp_path, 'brief:\n  schedule:\n    - "15:00"\n    - "25:00"\n' + FEEDS)

    assert error.line == 4
    assert "brief.schedule[1]" in str(error)
    assert "'25:00'" in str(error)


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://files.example/feed.xml", "news.example/rss"])
def test_a_feed_url_that_is_not_http_is_refused(tmp_path: Path, url: str) -> None:
    error = config_error(tmp_path, f"feeds:\n  - url: https://ok.example/rss\n  - url: {url}\n")

    assert error.line == 3
    assert "feeds[1].url" in str(error)
    assert "not an http(s) URL" in str(error)


def test_the_same_thread_id_twice_is_refused_at_the_second(tmp_path: Path) -> None:
    text = FEEDS + (
        "threads:\n"
        "  - id: port-strike\n    title: Port strike\n"
        "  - id: port-strike\n    title: Port strike again\n"
    )
    error = config_error(tmp_path, text)

    assert error.line == 6
    assert "'port-strike' is used twice" in str(error)


def test_a_thread_id_with_capitals_or_spaces_is_refused(tmp_path: Path) -> None:
    error = config_error(tmp_path, FEEDS + "threads:\n  - id: Port Strike\n    title: Port strike\n")

    assert error.line == 4
    assert "not a valid id" in str(error)


def test_the_same_feed_twice_is_refused(tmp_path: Path) -> None:
    error = config_error(tmp_path, FEEDS + "  - url: https://news.example/feed.xml\n")

    assert error.line == 3
    assert "repeats a feed" in str(error)


@pytest.mark.parametrize(
    ("output", "state"), [("archive", "archive/state"), ("archive", "archive"), (".", ".state")]
)
def test_a_state_folder_inside_the_output_folder_is_refused(tmp_path: Path, output: str, state: str) -> None:
    error = config_error(tmp_path, f"brief:\n  output: {output}\n  state: {state}\n" + FEEDS)

    assert "brief.state must be outside brief.output" in str(error)
    assert error.line == 3


@pytest.mark.parametrize("text", ["", "\n\n", "# only a comment\n"])
def test_an_empty_file_says_it_is_empty(tmp_path: Path, text: str) -> None:
    error = config_error(tmp_path, text)

    assert "the file is empty" in str(error)


def test_a_config_without_feeds_is_refused(tmp_path: Path) -> None:
    error = config_error(tmp_path, "feeds: []\n")

    assert "no feeds configured" in str(error)


def test_invalid_yaml_reports_the_line_of_the_problem(tmp_path: Path) -> None:
    error = config_error(tmp_path, "brief:\n  title: a\n   audience: b\n" + FEEDS)

    assert "not valid YAML" in str(error)
    assert error.line == 3
    assert "sources.yaml:3:" in str(error)


def test_a_missing_config_file_says_so_and_how_to_point_at_one(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path / "nowhere.yaml")

    assert "config file not found" in str(info.value)
    assert info.value.hint is not None
    assert "--config" in info.value.hint


def test_relative_folders_are_resolved_against_the_config_files_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(tmp_path / "conf", "brief:\n  output: site\n  state: ../var/brief\n" + FEEDS)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)

    config = load_config(Path("..") / "conf" / "sources.yaml")

    assert config.output_dir == (tmp_path / "conf" / "site").resolve()
    assert config.state_dir == (tmp_path / "var" / "brief").resolve()
    assert config.path == path.resolve()


def test_the_schedule_is_sorted_and_duplicates_dropped(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, 'brief:\n  schedule: ["21:00", "7:30", "21:00"]\n' + FEEDS))

    assert config.schedule == (time(7, 30), time(21, 0))


def test_a_recipient_without_an_at_sign_is_refused(tmp_path: Path) -> None:
    error = config_error(tmp_path, "delivery:\n  to: [me@example.com, nobody]\n" + FEEDS)

    assert "delivery.to[1]" in str(error)
    assert "not an email address" in str(error)


def test_a_threads_entities_and_keywords_both_signal_it(tmp_path: Path) -> None:
    text = FEEDS + (
        "threads:\n"
        "  - id: port-strike\n"
        "    title: Port strike\n"
        "    entities: [Dockers Union, Ines Okafor]\n"
        "    keywords: [walkout, Dockers Union]\n"
    )

    (thread,) = load_config(write(tmp_path, text)).threads

    assert thread.keywords == ("Dockers Union", "Ines Okafor", "walkout")


def test_private_feed_servers_can_be_allowed_by_host_and_port(tmp_path: Path) -> None:
    text = 'network:\n  allow: ["127.0.0.1:8080", "[::1]:9000", "Feeds.LAN:80"]\n' + FEEDS

    config = load_config(write(tmp_path, text))

    assert config.network_allow == ("127.0.0.1:8080", "[::1]:9000", "feeds.lan:80")


def test_an_allowed_server_without_a_port_is_refused(tmp_path: Path) -> None:
    error = config_error(tmp_path, "network:\n  allow:\n    - 192.168.1.20\n" + FEEDS)

    assert error.line == 3
    assert "network.allow[0] '192.168.1.20' must be \"host:port\"" in str(error)


# -- SMTP settings come from the environment only ------------------------------------------------


def test_no_smtp_host_means_no_smtp_settings() -> None:
    assert smtp_from_env({}) is None
    assert smtp_from_env({"BRIEF_SMTP_HOST": "  ", "BRIEF_SMTP_USER": "me"}) is None


@pytest.mark.parametrize(
    ("tls", "port"), [("ssl", 465), ("starttls", 587), ("none", 25), ("", 587), ("SSL", 465)]
)
def test_the_default_port_follows_the_tls_mode(tls: str, port: int) -> None:
    settings = smtp_from_env({"BRIEF_SMTP_HOST": "mail.example", "BRIEF_SMTP_TLS": tls})

    assert settings is not None
    assert settings.port == port
    assert settings.tls == (tls.lower() or "starttls")


def test_an_explicit_smtp_port_wins_over_the_default() -> None:
    settings = smtp_from_env({"BRIEF_SMTP_HOST": "mail.example", "BRIEF_SMTP_PORT": "2525"})

    assert settings is not None
    assert settings.port == 2525


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"BRIEF_SMTP_TLS": "tls"}, "BRIEF_SMTP_TLS='tls' is not one of ssl, starttls, none"),
        ({"BRIEF_SMTP_PORT": "smtp"}, "BRIEF_SMTP_PORT='smtp' is not a port number"),
        ({"BRIEF_SMTP_PORT": "70000"}, "BRIEF_SMTP_PORT=70000 is out of range"),
    ],
)
def test_bad_smtp_settings_are_refused_by_name(env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(message)):
        smtp_from_env({"BRIEF_SMTP_HOST": "mail.example", **env})


def test_the_smtp_password_never_shows_in_the_settings_repr() -> None:
    settings = smtp_from_env(
        {
            "BRIEF_SMTP_HOST": "mail.example",
            "BRIEF_SMTP_USER": "brief-bot",
            "BRIEF_SMTP_PASSWORD": "hunter2-correct-horse",
        }
    )

    assert settings is not None
    assert settings.password == "hunter2-correct-horse"
    assert "hunter2-correct-horse" not in repr(settings)
    assert "brief-bot" in repr(settings)


def test_the_archive_address_is_an_http_folder(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, "brief:\n  archive_url: https://news.example/brief\n" + FEEDS))
    assert config.archive_url == "https://news.example/brief/"
    assert load_config(write(tmp_path, FEEDS)).archive_url == ""

    error = config_error(tmp_path, "brief:\n  archive_url: file:///srv/brief/\n" + FEEDS)
    assert error.line == 2 and "brief.archive_url" in str(error) and "not an http(s) URL" in str(error)
    error = config_error(tmp_path, "brief:\n  archive_url: https://news.example/brief?x=1\n" + FEEDS)
    assert "query or a fragment" in str(error)


def test_a_configured_thread_may_not_take_an_emerging_storys_id(tmp_path: Path) -> None:
    error = config_error(tmp_path, FEEDS + "threads:\n  - id: story-ports\n    title: Ports\n")
    assert "story-" in str(error) and error.hint == "choose another id, e.g. ports"


def test_the_web_address_is_the_root_of_a_site_and_nothing_else(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, FEEDS + "web:\n  public_url: https://news.example\n"))
    assert (config.web_url, config.web_host, config.web_port) == (
        "https://news.example/",
        "127.0.0.1",
        8080,
    )
    with pytest.raises(ConfigError, match=r"web.public_url .* has a query"):
        load_config(write(tmp_path, FEEDS + "web:\n  public_url: https://news.example/?x=1\n"))
    with pytest.raises(ConfigError, match=r"web\.public_url"):
        load_config(write(tmp_path, FEEDS + "web:\n  public_url: ftp://news.example/\n"))
    for under_a_path in ("https://example.org/brief/", "https://example.org/brief"):
        error = config_error(tmp_path, FEEDS + f"web:\n  public_url: {under_a_path}\n")
        assert "web.public_url 'https://example.org/brief/' has a path (/brief/)" in str(error)
        assert "root of its host name only" in str(error) and error.line is not None
        assert error.hint and "https://brief.example.org/" in error.hint
