"""`brief serve`: the app under uvicorn on `web.host:web.port`, and with `schedule` the
scheduler of `brief schedule` in threads beside it, one process for both jobs.

uvicorn reads X-Forwarded-For and X-Forwarded-Proto from the proxies of `forwarded_allow_ips`
only (loopback by default: a TLS proxy on the same machine), so the rate limits count the real
client and the session cookie knows it is behind https. SIGTERM stops the server gracefully;
a Run now or a scheduled run in flight then stops after its stage, as `brief run` does.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
from collections.abc import Callable, Iterator, Mapping
from types import FrameType

import uvicorn

from pipeline.config import Config, SmtpSettings
from pipeline.web.app import create_app

log = logging.getLogger(__name__)


def serve_web(
    config: Config,
    smtp: SmtpSettings | None,
    *,
    host: str,
    port: int,
    schedule: bool = False,
    forwarded_allow_ips: str = "127.0.0.1",
    env: Mapping[str, str] = os.environ,
) -> None:
    """Serve until SIGTERM or SIGINT. ConfigError before listening when a secret is missing,
    BusyError when `schedule` and another scheduler runs on the same state."""
    from pipeline.service import BackgroundService

    app = create_app(config, smtp=smtp, env=env)
    runs = app.state.web.runs
    service = BackgroundService(config, smtp) if schedule else None

    def stopping() -> None:  # at the signal: no new run starts, the ones in flight end their stage
        runs.stopping()
        if service is not None:
            service.stopping()

    server = _Server(
        uvicorn.Config(
            app,
            host=host,
            port=port,
            proxy_headers=True,
            forwarded_allow_ips=forwarded_allow_ips,
            server_header=False,
            limit_concurrency=200,
            timeout_keep_alive=5,
            timeout_graceful_shutdown=30,
            lifespan="off",
        ),
        on_signal=stopping,
    )
    if service is not None:
        service.start()
    try:
        server.run()
    finally:
        runs.stop()
        if service is not None:
            service.stop()


class _Server(uvicorn.Server):
    """uvicorn's server, but a signal also tells our runs to stop after their stage, and is not
    raised again once the server has stopped (uvicorn does, which would end the process before
    the scheduler and Run now had stopped and said so)."""

    def __init__(self, config: uvicorn.Config, on_signal: Callable[[], None]) -> None:
        super().__init__(config)
        self._on_signal = on_signal

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        def handle(sig: int, frame: FrameType | None) -> None:
            log.warning(
                "stopping: the server ends its requests, a run its stage (%s)", signal.Signals(sig).name
            )
            self._on_signal()
            self.handle_exit(sig, frame)

        before = {sig: signal.signal(sig, handle) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            yield
        finally:
            for sig, handler in before.items():
                signal.signal(sig, handler)
