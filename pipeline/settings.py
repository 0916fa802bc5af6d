"""Every setting of sources.yaml, declared once: its kind, default, range (or allowed values)
and the help a user reads, in one table per section. The parser (`pipeline/config.py`), the
stages' defaults and the README's settings table (`make docs`) all read these tables."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

# what a key holds; each kind is read by its own method of _Section, which checks the two agree
Kind = Literal["text", "integer", "choice", "list", "mapping", "flag"]


@dataclass(frozen=True)
class Key:
    """One setting of sources.yaml: what it holds, its default, its range and its help.

    This is the only place a default is written: the parser, the stages' own defaults and the
    README's settings table (`python -m pipeline.docs`) all read it. `shown` is the default as a
    reader should see it, when the value alone would mislead (`""` meaning "the feed's host").
    """

    kind: Kind
    default: Any
    help: str
    required: bool = False
    min: int | None = None
    max: int | None = None
    choices: tuple[str, ...] = ()
    shown: str | None = None

    def __post_init__(self) -> None:
        # a mistake in this table is the programmer's: fail at import, not at a user's run
        if self.kind == "integer" and not (
            self.min is not None and self.max is not None and self.min <= self.default <= self.max
        ):
            raise ValueError(f"an integer key needs min <= default <= max: {self}")
        if self.kind == "choice" and self.default not in self.choices:
            raise ValueError(f"a choice key's default must be one of its choices: {self}")
        if self.kind == "flag" and not isinstance(self.default, bool):
            raise ValueError(f"a flag key's default is true or false: {self}")
        if isinstance(self.default, list):
            raise ValueError(f"a list default is a tuple, so no one can change it: {self}")


BRIEF_KEYS: dict[str, Key] = {
    "title": Key("text", "Daily Brief", "Title of the brief, shown in the subject and the page header."),
    "audience": Key("text", "readers", "Who reads the brief; named in it."),
    "schedule": Key("list", ("15:00", "21:00"), 'Times of day (UTC, `"HH:MM"`) a brief is made.'),
    "output": Key("text", "output", "Folder of the archive of briefs."),
    "state": Key("text", ".state", "Folder of the state database; must be outside the output folder."),
    "max_threads": Key("integer", 8, "Most threads shown in one brief.", min=1, max=100),
    "min_free_mb": Key(
        "integer",
        50,
        "Free space (MB) a run needs in the output folder and in the state folder before it starts; "
        "with less it stops at once and says which folder. `0` turns the check off.",
        min=0,
        max=1_000_000,
    ),
    "unchanged_threads": Key(
        "choice",
        "line",
        "A thread whose new articles bring nothing not already sent: `line` (one line, "
        '"no new developments", linked to the thread page) or `drop`.',
        choices=("line", "drop"),
    ),
    "archive_url": Key(
        "text",
        "",
        "The public address where you serve the `output/` folder (e.g. `https://news.example/brief/`). "
        'The email then links "Read this brief in the archive" and, for a quiet thread, its thread '
        "page. Unset, the email links articles only.",
        shown="none",
    ),
    "muted": Key(
        "list",
        (),
        "Emerging stories (their ids, `story-…`, as `brief threads list` shows them) the brief does not "
        "show: their articles are still filed under them, so unmuting brings the story back with its "
        "history. `brief threads mute ID` adds one. A configured thread is muted by its own `muted`.",
    ),
    "database": Key(
        "text",
        "",
        "A PostgreSQL database to keep the state in instead of SQLite in `state`, as "
        "`postgresql://user@host:5432/name` (no password here: libpq reads `PGPASSWORD` or "
        "`~/.pgpass`; `BRIEF_DATABASE_URL`, when set, replaces this key, password included). "
        "Empty: SQLite.",
        shown='""',
    ),
    "queue": Key(
        "flag",
        False,
        "Fetch feeds, fetch and extract pages, and send the brief as tasks of a queue in the "
        "PostgreSQL `database` (Procrastinate), run by `brief worker` processes on any machine that "
        "reaches it; needs `database`. Off: the run does it all itself, as on one machine.",
    ),
    "queue_wait": Key(
        "integer",
        1800,
        "Seconds a run in queue mode (`queue`) waits for the workers to fetch its feeds, again to "
        "read its pages, and again to send its brief. Then it goes on with what was read and names "
        "the feeds and pages not read: the next run reads them; a brief not sent to everyone by then "
        "is deferred, and the workers still sending go on (`brief schedule` sends the rest).",
        min=1,
        max=86_400,
    ),
}
DELIVERY_KEYS: dict[str, Key] = {
    "to": Key(
        "list",
        (),
        "Subscriber address, or a list of them: seeds the subscribers kept in the state database "
        "(each run adds the new ones; one who unsubscribed stays so). See Subscribers.",
        shown="none",
    ),
    "from": Key("text", "dailybrief <brief@localhost>", 'Sender, e.g. `"dailybrief <brief@example.com>"`.'),
    "smtp_timeout": Key(
        "integer",
        300,
        "Seconds to wait for the SMTP server's greeting and for each of its replies before the end of "
        "the message (RFC 5321 gives them 5 minutes).",
        min=1,
        max=3600,
    ),
    "smtp_data_timeout": Key(
        "integer",
        600,
        "Seconds to wait for the server's reply to the end of the message (RFC 5321 gives it 10 "
        "minutes): a client that gives up sooner turns a slow server into a duplicate.",
        min=1,
        max=3600,
    ),
    "retry_pause": Key(
        "integer",
        30,
        "Seconds before the second try after a temporary SMTP failure (a 4xx reply, a dropped "
        "connection); the third and fourth tries wait 4 and 10 times as long.",
        min=0,
        max=3600,
    ),
    "pace": Key(
        "integer",
        10,
        "Messages handed to the SMTP server per second, one subscriber each, over one connection "
        "(0: as fast as it takes them). Many providers limit how fast an account may send.",
        min=0,
        max=10_000,
    ),
    "retry_after": Key(
        "integer",
        600,
        "Seconds after which `brief schedule` tries again a message still refused after those tries "
        "(the slot is `deferred`), until it is delivered or the next slot's brief takes its news in.",
        min=1,
        max=86_400,
    ),
}
NETWORK_KEYS: dict[str, Key] = {
    "allow": Key(
        "list", (), 'Private `"host:port"` pairs that may be fetched (e.g. a feed server on your LAN).'
    ),
}
FETCH_KEYS: dict[str, Key] = {
    "user_agent": Key(
        "text",
        None,  # None: the fetcher's own, which carries the version
        "User-Agent sent with every request; never a browser's.",
        shown="`dailybrief/<version> (+project URL)`",
    ),
    "max_entries_per_feed": Key(
        "integer", 200, "Newest entries read from one feed per run.", min=1, max=10_000
    ),
    "concurrency": Key("integer", 8, "Pages fetched at once, in total.", min=1, max=64),
    "per_host": Key("integer", 2, "Pages fetched at once from one host.", min=1, max=8),
    "extract_workers": Key(
        "integer",
        16,
        "Processes that extract pages, at most one per usable core (the run's own process fetches "
        "and feeds them), and that read the facts of the articles shown beside the run's own, at "
        "most one per core beyond the first; none on a single core, and `0` does it all in the "
        "run's process. A worker "
        "that crashes on a page costs that page its full text (the feed summary stands in), never "
        "the run.",
        min=0,
        max=16,
        shown="`16`: every core",
    ),
}
FEED_KEYS: dict[str, Key] = {
    "url": Key(
        "text", None, "Feed URL, http or https. A bare URL is accepted as a list item too.", required=True
    ),
    "name": Key("text", "", "Display name of the feed.", shown="the host"),
}
THREAD_KEYS: dict[str, Key] = {
    "id": Key("text", None, "Short identifier: lower-case letters, digits and dashes.", required=True),
    "title": Key("text", None, "Title shown in the brief.", required=True),
    "description": Key("text", "", "A sentence or two on what the thread is about."),
    "keywords": Key("list", (), "Words and phrases that signal the thread."),
    "entities": Key("list", (), "People, organisations and products at the heart of the thread."),
    "muted": Key(
        "flag",
        False,
        "`true`: the brief does not show the thread; its articles are still filed under it, so "
        "unmuting keeps its history (`brief threads mute ID`, `unmute ID`).",
        shown="`false`",
    ),
    "story": Key(
        "text",
        "",
        "The emerging story (`story-…`) this thread was followed from (`brief threads follow`): the "
        "story's articles are the thread's first members, so its next articles are filed here.",
        shown="none",
    ),
}
EDITION_KEYS: dict[str, Key] = {
    "id": Key(
        "text",
        None,
        "Short identifier (lower-case letters, digits and dashes): the edition's folder "
        "`output/<id>/` and its `--edition ID`.",
        required=True,
    ),
    "title": Key("text", "", "Title of this edition's brief.", shown="`brief.title`"),
    "audience": Key("text", "", "Who this edition is for.", shown="`brief.audience`"),
    "schedule": Key("list", (), "Times of day (UTC) this edition is made.", shown="`brief.schedule`"),
    "feeds": Key(
        "list",
        (),
        "The feeds it reads, each by its `name` or `url` in `feeds:`; a feed read by several "
        "editions is fetched once per slot.",
        shown="every feed",
    ),
    "threads": Key(
        "list",
        (),
        "Its story threads, as under `threads:`; its own (ids, history), never shared with another edition. "
        "`brief threads ... --edition ID` and its Threads page change them here (one without threads of its "
        "own is given its own copy of `threads:` first).",
        shown="a copy of `threads:`",
    ),
    "to": Key(
        "list",
        (),
        "Its subscribers (as `delivery.to`): each edition keeps its own list and sends only its own brief.",
    ),
    "muted": Key(
        "list",
        (),
        "The emerging stories it does not show (as `brief.muted`), its own: `brief threads mute ID "
        "--edition ID` and its Threads page change them here (one without a list of its own is given a "
        "copy of `brief.muted` first; `[]`: none muted).",
        shown="`brief.muted`",
    ),
}
WEB_KEYS: dict[str, Key] = {
    "public_url": Key(
        "text",
        "",
        "The public address of `brief serve` (e.g. `https://news.example/`), behind your TLS proxy: "
        "the root of a host name of its own (an address with a path, such as `https://example.org/brief/`, "
        "is refused: the app's pages and links are at `/`). "
        "Subscribe, confirmation and one-click unsubscribe links point there; unset, the email offers "
        "unsubscribing by a mail to the sender only, and `brief check` says so.",
        shown="none",
    ),
    "host": Key("text", "127.0.0.1", "Address `brief serve` listens on: loopback unless you mean it."),
    "port": Key("integer", 8080, "Port `brief serve` listens on.", min=1, max=65_535),
}
TOP_KEYS: dict[str, Key] = {
    "brief": Key("mapping", None, "The brief: title, audience, schedule, folders."),
    "delivery": Key("mapping", None, "Where the brief is sent."),
    "network": Key("mapping", None, "Exceptions to the private-address guard."),
    "fetch": Key("mapping", None, "How feeds and pages are fetched."),
    "web": Key("mapping", None, "The web app (`brief serve`): where it listens, its public address."),
    "feeds": Key("list", None, "The feeds to read.", required=True),
    "threads": Key("list", (), "The story threads you follow."),
    "editions": Key(
        "list",
        (),
        "Several briefs from one installation, each with its own title, schedule, feeds, threads "
        "and subscribers (see Editions); absent, the file is one brief.",
    ),
}

SECTIONS: dict[str, dict[str, Key]] = {
    "brief": BRIEF_KEYS,
    "delivery": DELIVERY_KEYS,
    "network": NETWORK_KEYS,
    "fetch": FETCH_KEYS,
    "web": WEB_KEYS,
    "feeds[]": FEED_KEYS,
    "threads[]": THREAD_KEYS,
    "editions[]": EDITION_KEYS,
}

# the web app's secrets, from the environment only: the key that signs subscribe and unsubscribe
# links and the session cookie, and the admin's password (or a hash of it, see README "Web app")
WEB_ENV = ("BRIEF_SECRET", "BRIEF_ADMIN_PASSWORD")

SMTP_ENV = (
    "BRIEF_SMTP_HOST",
    "BRIEF_SMTP_PORT",
    "BRIEF_SMTP_USER",
    "BRIEF_SMTP_PASSWORD",
    "BRIEF_SMTP_TLS",
    "BRIEF_SMTP_CA_FILE",
)
