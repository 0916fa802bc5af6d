"""`brief serve` as an operator starts it: a child process on a free loopback port, its
secrets from the environment, stopped with SIGTERM."""

from __future__ import annotations

import os
import signal
from pathlib import Path

from conftest import LoopbackSite, brief_cli, brief_process, free_port, rss_feed
from web_app import ENV, PASSWORD, first_answer, write_config

from pipeline.config import Config
from pipeline.operate.lock import ServiceLock
from pipeline.store import Store
from pipeline.web.guards import AdminPassword


def test_serve_refuses_to_start_without_its_secret_and_says_how_to_make_one(
    tmp_path: Path, monkeypatch: object
) -> None:
    import pytest

    assert isinstance(monkeypatch, pytest.MonkeyPatch)
    config = write_config(tmp_path / "site")
    monkeypatch.delenv("BRIEF_SECRET", raising=False)
    said = brief_cli("serve", "--config", str(config.path), "--port", str(free_port()))
    assert said.code == 1
    assert "Error: BRIEF_SECRET is not set" in said.err
    assert "python -c 'import secrets; print(secrets.token_urlsafe(32))'" in said.err


def test_hash_password_prints_a_hash_that_logs_in(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from pipeline.cli import cli

    printed = CliRunner().invoke(cli, ["serve", "--hash-password"], input=f"{PASSWORD}\n{PASSWORD}\n")
    assert printed.exit_code == 0, printed.output
    hashed = printed.output.strip().splitlines()[-1]
    assert hashed.startswith("scrypt:") and PASSWORD not in hashed
    assert AdminPassword.from_env(hashed).verify(PASSWORD)


def test_serve_with_schedule_is_the_scheduler_too_and_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    config = write_config(tmp_path / "site")
    port = free_port()
    child = brief_process(
        "serve", "--config", str(config.path), "--port", str(port), "--schedule", env=dict(ENV)
    )
    try:
        page = first_answer(f"http://127.0.0.1:{port}/status", child)
        assert page.status_code == 200
        assert page.headers["x-frame-options"] == "DENY"
        assert ServiceLock.held(config.state_dir)  # `brief status` says the scheduler runs
        assert "Pipeline Stopped" not in page.text  # Active, or Failing once its tick failed
        child.send_signal(signal.SIGTERM)
        _, err = child.communicate(timeout=60)
    finally:
        if child.poll() is None:
            child.kill()
            child.communicate()
    assert child.returncode == 0, err
    assert not ServiceLock.held(config.state_dir)
    store = Store(config.state_dir)
    try:
        assert store.service("heartbeat") == ""  # stopped cleanly: `brief status` knows at once
        assert [s.slot for s in store.recent_slots()]  # its tick at start ran a slot
    finally:
        store.close()


def test_with_schedule_each_tick_runs_with_sources_yaml_as_it_is_then(
    tmp_path: Path, site: LoopbackSite
) -> None:
    from pipeline.service import BackgroundService
    from pipeline.web import create_app

    site.serve("/feed.xml", rss_feed())
    feeds = f"network:\n  allow: [{site.allow()!r}]\nfeeds:\n  - url: {site.url('/feed.xml')}\n"
    # asks for a terabyte free: the tick stops before any work, and no slot is made
    config = write_config(tmp_path / "site", feeds=feeds, brief="  min_free_mb: 1000000\n")
    web = create_app(config, env=ENV).state.web

    def current() -> Config:
        web.refresh()
        found: Config = web.config
        return found

    service = BackgroundService(config, None, current)
    service.tick()
    assert _slots(config) == [] and site.hits("/feed.xml") == 0
    # sources.yaml changed, as a page of the app would save it: the next tick runs with it
    write_config(tmp_path / "site", feeds=feeds, brief="  min_free_mb: 0\n")
    os.utime(config.path, ns=(1, 10**18))
    service.tick()
    assert site.hits("/feed.xml") == 1
    assert [state for state, _ in _slots(config)] in (["built"], ["delivered"]), _slots(config)


def _slots(config: Config) -> list[tuple[str, str]]:
    store = Store(config.state_dir)
    try:
        return [(s.state, s.error or "") for s in store.recent_slots()]
    finally:
        store.close()
