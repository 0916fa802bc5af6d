"""`brief serve` as an operator starts it: a child process on a free loopback port, its
secrets from the environment, stopped with SIGTERM."""

from __future__ import annotations

import signal
import time
from pathlib import Path

import httpx
from conftest import brief_cli, brief_process, free_port
from web_app import ENV, PASSWORD, write_config

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
        page = _first_answer(f"http://127.0.0.1:{port}/status", child)
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


def _first_answer(url: str, child: object, seconds: float = 60) -> httpx.Response:
    """The server's first answer: it listens once Python and uvicorn have started."""
    import subprocess

    assert isinstance(child, subprocess.Popen)
    deadline = time.monotonic() + seconds
    while True:
        try:
            return httpx.get(url, timeout=5)
        except httpx.TransportError:
            if child.poll() is not None:
                raise AssertionError(f"brief serve exited: {child.communicate()}") from None
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)
