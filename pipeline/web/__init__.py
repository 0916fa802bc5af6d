"""`brief serve`: the web app (Starlette, served by uvicorn).

app.py          create_app: the routes of the modules below, the middlewares, the context
security.py     what every page goes through: admin login, CSRF, rate limits, render
guards.py       the secrets, the password's hash, the admin's sessions, the rate window, next=
middleware.py   the bound on request bodies, the security headers
context.py      what a request can reach (config, clock, mailer, secrets, runs)
live.py         the pipeline's live state, as `brief status` says it
runner.py       Run now: a run in a background thread, its progress recorded
serve.py        uvicorn (and the scheduler beside it with --schedule)
archive.py      the archive, served from output/ read-only
status.py, login.py, runs.py, subscribers.py: the pages
"""

from pipeline.web.app import create_app

__all__ = ["create_app"]
