"""`brief subscribers list|add|remove|export` and what `brief check` says of subscribing, as an
admin sees them on the command line (`brief_cli` runs `main` in this process)."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import SmtpServer, brief_cli, write_sources

from pipeline.config import load_config
from pipeline.store import Store
from pipeline.store.records import SubscriberStatus

pytestmark = pytest.mark.usefixtures("on_each_backend")  # with SQLite, and with PostgreSQL

SECRET = "s" * 32
PUBLIC = "https://news.example/"


def sources(
    tmp_path: Path, *, to: tuple[str, ...] = ("ana@readers.example",), public_url: str = PUBLIC
) -> str:
    tmp_path.mkdir(parents=True, exist_ok=True)
    # a feed on a closed loopback port: `brief check` fails it at once, with no network
    path = write_sources(tmp_path, ["http://127.0.0.1:9/feed.xml"], ["127.0.0.1:9"], to=to)
    if public_url:
        path.write_text(path.read_text() + f'web:\n  public_url: "{public_url}"\n', encoding="utf-8")
    return str(path)


def status_of(config: str, address: str) -> SubscriberStatus | None:
    loaded = load_config(config)
    store = Store(loaded.state_dir, loaded.database)
    try:
        found = store.subscriber(address)
        return found.status if found is not None else None
    finally:
        store.close()


def test_add_list_remove_and_export(tmp_path: Path) -> None:
    config = sources(tmp_path)

    added = brief_cli("subscribers", "add", "ben@harbour.example", "--name", "Ben Ode", "--config", config)
    assert added.code == 0 and "added ben@harbour.example: active" in added.out
    again = brief_cli("subscribers", "add", "Ben@Harbour.example", "--config", config)
    assert again.code == 0 and "subscribed already" in again.out

    listed = brief_cli("subscribers", "list", "--config", config)
    assert listed.code == 0
    assert re.search(r"ana@readers\.example\s+active\s+since \d{4}-\d\d-\d\d", listed.out), (
        "delivery.to seeds"
    )
    assert re.search(r"ben@harbour\.example\s+active\s+since .*Ben Ode", listed.out)
    assert listed.out.strip().endswith("2 active")

    removed = brief_cli("subscribers", "remove", "ana@readers.example", "--config", config)
    assert removed.code == 0 and "unsubscribed ana@readers.example (was active)" in removed.out
    assert "delivery.to still lists ana@readers.example" in removed.out
    # delivery.to never brings her back, nor does an admin's add
    assert status_of(config, "ana@readers.example") == SubscriberStatus.UNSUBSCRIBED
    back = brief_cli("subscribers", "add", "ana@readers.example", "--config", config)
    assert back.code == 1 and "ana@readers.example is unsubscribed: only they can come back" in back.err
    assert status_of(config, "ana@readers.example") == SubscriberStatus.UNSUBSCRIBED
    only = brief_cli("subscribers", "list", "--status", "unsubscribed", "--config", config)
    assert "ana@readers.example" in only.out and "ben@" not in only.out

    exported = brief_cli("subscribers", "export", "--config", config)
    rows = list(csv.DictReader(io.StringIO(exported.out)))
    assert [(r["address"], r["name"], r["status"]) for r in rows] == [
        ("ana@readers.example", "", "unsubscribed"),
        ("ben@harbour.example", "Ben Ode", "active"),
    ]


def test_an_invalid_or_unknown_address_is_said_clearly(tmp_path: Path) -> None:
    config = sources(tmp_path)
    bad = brief_cli("subscribers", "add", "not-an-address", "--config", config)
    assert bad.code == 1 and "'not-an-address' is not an email address" in bad.err
    unknown = brief_cli("subscribers", "remove", "zed@quay.example", "--config", config)
    assert unknown.code == 1 and "zed@quay.example is not a subscriber" in unknown.err
    assert status_of(config, "zed@quay.example") is None


def test_a_name_that_is_a_formula_is_exported_as_text(tmp_path: Path) -> None:
    config = sources(tmp_path, to=())
    brief_cli(
        "subscribers",
        "add",
        "eve@quay.example",
        "--name",
        '=HYPERLINK("https://evil.example")',
        "--config",
        config,
    )
    rows = list(csv.DictReader(io.StringIO(brief_cli("subscribers", "export", "--config", config).out)))
    assert rows[0]["name"] == '\'=HYPERLINK("https://evil.example")'


def test_an_address_that_is_a_formula_is_exported_as_text(tmp_path: Path) -> None:
    config = sources(tmp_path, to=())
    for address in ("=cmd|'/Ccalc'!A0@evil.example", "+sum@evil.example", "-x@evil.example"):
        added = brief_cli("subscribers", "add", "--config", config, "--", address)
        assert added.code == 0, added.err  # each is a valid address
    rows = list(csv.DictReader(io.StringIO(brief_cli("subscribers", "export", "--config", config).out)))
    assert [r["address"] for r in rows] == [
        "'=cmd|'/Ccalc'!A0@evil.example",
        "'+sum@evil.example",
        "'-x@evil.example",
    ]
    assert all(r["status"] == "active" and r["added_at"][:1].isdigit() for r in rows)


def test_add_with_confirm_mails_a_link_and_waits_for_it(
    tmp_path: Path, make_smtp: Callable[..., SmtpServer], monkeypatch: pytest.MonkeyPatch
) -> None:
    smtp = make_smtp()
    for name, value in {**smtp.env(), "BRIEF_SECRET": SECRET}.items():
        monkeypatch.setenv(name, value)
    config = sources(tmp_path, to=())
    asked = brief_cli("subscribers", "add", "carla@quay.example", "--confirm", "--config", config)
    assert asked.code == 0 and "sent carla@quay.example a confirmation link" in asked.out
    assert smtp.mailbox.envelopes == [["carla@quay.example"]]
    assert b"https://news.example/confirm?token=" in smtp.mailbox.accepted[0]
    assert status_of(config, "carla@quay.example") == SubscriberStatus.PENDING
    twice = brief_cli("subscribers", "add", "carla@quay.example", "--confirm", "--config", config)
    assert "not mailed" in twice.out and len(smtp.mailbox.accepted) == 1


# three installations side by side, each with subscribers of its own: on SQLite only, where each
# folder is a state of its own (this test's one PostgreSQL database would be shared by all three)
@pytest.mark.parametrize("database", [None], ids=["sqlite"])
def test_check_says_who_receives_the_brief_and_what_subscribing_lacks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("BRIEF_SECRET", raising=False)
    monkeypatch.delenv("BRIEF_SMTP_HOST", raising=False)
    bare = sources(tmp_path / "bare", to=("ana@readers.example", "ben@harbour.example"), public_url="")
    brief_cli("subscribers", "remove", "ben@harbour.example", "--config", bare)

    out = brief_cli("check", "--config", bare).out
    # counted from the subscribers table: Ben left, though delivery.to lists him
    assert "subscribers ok: 1 active; 1 unsubscribed" in out
    assert (
        "web       web.public_url is not set in sources.yaml and BRIEF_SECRET is not set: subscribers cannot "
        "unsubscribe in one click (each email says to write to the sender instead), and nobody can subscribe"
    ) in out

    monkeypatch.setenv("BRIEF_SECRET", "too short")
    short = brief_cli("check", "--config", bare)
    assert "secret    FAILED: BRIEF_SECRET is 9 bytes long; it must be at least 32" in short.out

    monkeypatch.setenv("BRIEF_SECRET", SECRET)
    web = sources(tmp_path / "web", to=())
    out = brief_cli("check", "--config", web).out
    assert "subscribers none active: nobody receives the brief" in out
    assert "one-click unsubscribe links ok; nobody can subscribe: there is no SMTP server" in out


def test_remove_forget_deletes_everything_kept_of_them_but_not_while_delivery_to_lists_them(
    tmp_path: Path, database: str | None
) -> None:
    config = sources(tmp_path, to=("ana@readers.example",))
    brief_cli("subscribers", "add", "ben@harbour.example", "--name", "Ben Ode", "--config", config)
    listed = brief_cli("subscribers", "remove", "ana@readers.example", "--forget", "--config", config)
    assert (
        listed.code == 1
        and "delivery.to lists ana@readers.example: remove it from sources.yaml" in listed.err
    )
    assert status_of(config, "ana@readers.example") == SubscriberStatus.ACTIVE

    forgot = brief_cli("subscribers", "remove", "ben@harbour.example", "--forget", "--config", config)
    assert forgot.code == 0 and "forgot ben@harbour.example" in forgot.out
    assert status_of(config, "ben@harbour.example") is None
    if database is None:  # not only unlinked: the bytes are gone from the database file and its WAL
        state = load_config(config).state_dir
        assert not any(b"harbour" in f.read_bytes() or b"Ben Ode" in f.read_bytes() for f in state.iterdir())
    else:  # PostgreSQL keeps no row of them, in either table (the server's disk is its own)
        store = Store(tmp_path, database)
        try:
            rows = store.db.execute(
                "SELECT (SELECT count(*) FROM subscribers WHERE key = ?) + "
                "(SELECT count(*) FROM recipients WHERE key = ?)",
                ("ben@harbour.example", "ben@harbour.example"),
            ).fetchone()[0]
        finally:
            store.close()
        assert rows == 0
    exported = brief_cli("subscribers", "export", "--config", config).out
    assert "ben@harbour.example" not in exported and "Ben Ode" not in exported
    again = brief_cli("subscribers", "remove", "ben@harbour.example", "--forget", "--config", config)
    assert again.code == 1 and "ben@harbour.example is not known" in again.err
