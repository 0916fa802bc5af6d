"""`brief serve`: the app under uvicorn on `web.host:web.port`, and with `schedule` the
scheduler of `brief schedule` in threads beside it, one process for both jobs.

uvicorn reads X-Forwarded-For and X-Forwarded-Proto from the proxies of `forwarded_allow_ips`
only (loopback by default: a TLS proxy on the same machine), so the rate limits count the real
client and the session cookie knows it is behind https. SIGTERM stops the server gracefully;
a Run now or a scheduled run in flight then stops after its stage, as `brief run` does.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping

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
    import uvicorn

    from pipeline.service import BackgroundService

    app = create_app(config, smtp=smtp, env=env)
    service = BackgroundService(config, smtp) if schedule else None
    if service is not None:
        service.start()
    try:
        uvicorn.run(
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
        )
    finally:
        app.state.web.runs.stop()
        if service is not None:
            service.stop()
