"""sources.yaml → a validated, typed `Config`.

Every key is declared once, in `pipeline/settings.py`: its kind, default, range and help. The
parser reads each key through its declaration, and the README's settings table is generated
from the same tables (`make docs`). An unknown key is an error that names its line and the keys
allowed there; a number out of its range names the range. Relative paths are resolved against the
folder of the config file. SMTP settings and secrets are read from the environment only.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import time
from pathlib import Path
from urllib.parse import urlsplit

import yaml

from pipeline.errors import ConfigError
from pipeline.models import ThreadSpec
from pipeline.settings import (
    BRIEF_KEYS,
    DELIVERY_KEYS,
    EDITION_KEYS,
    FEED_KEYS,
    FETCH_KEYS,
    NETWORK_KEYS,
    THREAD_KEYS,
    TOP_KEYS,
    WEB_KEYS,
    Key,
    Kind,
)


@dataclass(frozen=True)
class FeedSource:
    url: str
    name: str


@dataclass(frozen=True)
class SmtpSettings:
    """SMTP connection settings, from the environment only."""

    host: str
    port: int
    user: str | None
    password: str | None = field(repr=False)
    tls: str  # "ssl" | "starttls" | "none"
    ca_file: str | None = None  # a private CA to trust, besides the system's


@dataclass(frozen=True)
class Config:
    """A validated sources.yaml. Built by `parse_config` only, so it has no defaults of its own:
    a key left out gets the default declared in `pipeline/settings.py`."""

    path: Path
    title: str
    audience: str
    schedule: tuple[time, ...]
    output_dir: Path
    state_dir: Path
    database: str = field(repr=False)  # "" for SQLite in state_dir; may hold a password (env)
    queue: bool  # pages read by `brief worker` processes (needs `database`)
    queue_wait: int  # seconds a run waits for the workers to read its pages
    max_threads: int
    min_free_mb: int
    mail_to: tuple[str, ...]
    mail_from: str
    smtp_timeout: int  # seconds: the greeting and each reply before the end of DATA
    smtp_data_timeout: int  # seconds: the reply to the end of DATA
    retry_pause: int  # seconds before the second try; then 4 and 10 times as long
    retry_after: int  # seconds before the scheduler tries a deferred message again
    pace: int  # messages per second handed to the SMTP server (0: no pause)
    feeds: tuple[FeedSource, ...]
    threads: tuple[ThreadSpec, ...]
    network_allow: tuple[str, ...]
    user_agent: str | None  # None: the fetcher's own
    max_entries_per_feed: int
    unchanged_threads: str
    archive_url: str  # ends with "/" when set
    concurrency: int
    per_host: int
    extract_workers: int
    muted: tuple[str, ...]  # brief.muted: emerging stories not shown (their ids)
    web_url: str  # brief serve's public address, ending with "/" when set
    web_host: str
    web_port: int
    edition: str = ""  # this edition's id; "" for the brief of a file without editions
    editions: tuple[Config, ...] = ()  # the file's editions (each a whole Config); () without
    reading_dir: Path | None = None  # an edition's: the state folder of the reading all editions share

    @property
    def shared_state(self) -> tuple[Path, str]:
        """The state folder and database of the reading (feeds, entries, articles, hosts): the
        file's own, which its editions share."""
        if self.reading_dir is None:
            return self.state_dir, self.database
        return self.reading_dir, re.sub(r"[?&]options=-csearch_path%3Dedition_[a-z0-9_]+$", "", self.database)

    @property
    def several(self) -> bool:
        """Whether the file has editions: then runs, state and archive are per edition."""
        return bool(self.editions)

    def for_edition(self, edition_id: str | None) -> Config:
        """The Config of one edition: `None` is the only one (the file itself without editions,
        or its one edition); raises ConfigError naming the ids there are."""
        if not self.editions:
            if edition_id not in (None, ""):
                raise ConfigError(f"{self.path.name} has no editions, so no edition {edition_id!r}")
            return self
        if edition_id is None and len(self.editions) == 1:
            return self.editions[0]
        ids = ", ".join(e.edition for e in self.editions)
        if edition_id is None:
            raise ConfigError(f"{self.path.name} has several editions: say which with --edition ({ids})")
        for e in self.editions:
            if e.edition == edition_id:
                return e
        raise ConfigError(f"no edition {edition_id!r} in {self.path.name}", hint=f"its editions: {ids}")

    @property
    def templates_dir(self) -> Path:
        """A `templates/` folder beside sources.yaml overrides the built-in templates."""
        return self.path.parent / "templates"


def load_config(path: str | Path) -> Config:
    """Read and validate a sources.yaml; raise ConfigError naming the key and line."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            "config file not found", path=str(path), hint="pass --config PATH to a sources.yaml"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read config: {exc}", path=str(path)) from exc
    return parse_config(text, path)


def parse_config(text: str, path: Path) -> Config:
    """Validate the YAML text of a config; `path` locates it (for errors and relative paths)."""
    v = _Validator(str(path))
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        raise ConfigError(
            f"not valid YAML: {getattr(exc, 'problem', exc)}", path=str(path), line=line
        ) from exc
    if root is None:
        raise ConfigError(
            "the file is empty", path=str(path), hint="start from the sources.yaml shipped with dailybrief"
        )
    top = v.mapping(root, TOP_KEYS, "")
    base = path.parent.resolve()

    brief = v.section(top.get("brief"), BRIEF_KEYS, "brief")
    delivery = v.section(top.get("delivery"), DELIVERY_KEYS, "delivery")
    network = v.section(top.get("network"), NETWORK_KEYS, "network")
    fetch = v.section(top.get("fetch"), FETCH_KEYS, "fetch")
    web = v.section(top.get("web"), WEB_KEYS, "web")

    schedule = brief.clocks("schedule")
    if not schedule:
        raise ConfigError(
            "brief.schedule is empty",
            path=str(path),
            line=_line(brief.node("schedule")),
            hint='e.g. schedule: ["15:00", "21:00"]',
        )

    output_dir = (base / brief.text("output")).resolve()
    state_dir = (base / brief.text("state")).resolve()
    if state_dir == output_dir or output_dir in state_dir.parents:
        raise ConfigError(
            "brief.state must be outside brief.output",
            path=str(path),
            line=_line(brief.node("state")),
            hint="the archive is for reading; keep state beside it, e.g. state: .state",
        )

    feeds_node = top.get("feeds")
    feeds: list[FeedSource] = []
    seen_urls: set[str] = set()
    for i, node in enumerate(v.seq(feeds_node, "feeds")):
        where = f"feeds[{i}]"
        # a bare URL is accepted as a shorthand for {url: ...}
        feed = (
            _Section(v, {"url": node}, FEED_KEYS, where)
            if isinstance(node, yaml.ScalarNode)
            else v.section(node, FEED_KEYS, where)
        )
        url = v.url(feed.node("url"), f"{where}.url")
        if url in seen_urls:
            raise ConfigError(
                f"{where}.url repeats a feed listed above", path=str(path), line=_line(feed.node("url"))
            )
        seen_urls.add(url)
        name = feed.text("name") or (urlsplit(url).hostname or url)
        feeds.append(FeedSource(url=url, name=name))
    if not feeds:
        raise ConfigError(
            "no feeds configured",
            path=str(path),
            line=_line(feeds_node),
            hint="add at least one entry under feeds: with a url:",
        )

    threads = _threads(v, top.get("threads"), "threads")
    muted = _muted(v, brief, "brief.muted")

    mail_to = delivery.addresses("to")
    mail_from = delivery.address("from")
    allow = network.host_ports("allow")
    database = _database(brief)
    queue = brief.flag("queue")
    if queue and not database:
        raise brief.v.fail(
            brief.node("queue"),
            "brief.queue needs a PostgreSQL database: the queue's tasks are kept in it",
            hint="set brief.database (or BRIEF_DATABASE_URL), or remove brief.queue to read pages here",
        )
    config = Config(
        path=path.resolve(),
        title=brief.text("title"),
        audience=brief.text("audience"),
        schedule=tuple(sorted(set(schedule))),
        output_dir=output_dir,
        state_dir=state_dir,
        database=database,
        queue=queue,
        queue_wait=brief.integer("queue_wait"),
        unchanged_threads=brief.choice("unchanged_threads"),
        archive_url=_folder_url(brief, "archive_url", "the address readers open the archive at"),
        max_threads=brief.integer("max_threads"),
        min_free_mb=brief.integer("min_free_mb"),
        mail_to=mail_to,
        mail_from=mail_from,
        smtp_timeout=delivery.integer("smtp_timeout"),
        smtp_data_timeout=delivery.integer("smtp_data_timeout"),
        retry_pause=delivery.integer("retry_pause"),
        retry_after=delivery.integer("retry_after"),
        pace=delivery.integer("pace"),
        feeds=tuple(feeds),
        threads=tuple(threads),
        network_allow=allow,
        user_agent=fetch.optional_text("user_agent"),
        max_entries_per_feed=fetch.integer("max_entries_per_feed"),
        concurrency=fetch.integer("concurrency"),
        per_host=fetch.integer("per_host"),
        extract_workers=fetch.integer("extract_workers"),
        muted=muted,
        web_url=_site_root(web, "public_url", "the address readers reach brief serve at"),
        web_host=web.text("host"),
        web_port=web.integer("port"),
    )
    editions = _editions(v, top.get("editions"), config)
    if not editions:
        return config
    # the file's times are every edition's: the scheduler wakes at each, for the editions due
    times = tuple(sorted({t for e in editions for t in e.schedule}))
    return replace(config, editions=editions, schedule=times)


def _editions(v: _Validator, node: yaml.Node | None, top: Config) -> tuple[Config, ...]:
    """The file's editions, each a Config of its own: its folders `output/<id>/` and
    `<state>/<id>/` (with PostgreSQL, a schema of its own), its feeds, threads and subscribers."""
    by_key = {f.name: f for f in top.feeds} | {f.url: f for f in top.feeds}
    out: list[Config] = []
    for i, item in enumerate(v.seq(node, "editions")):
        where = f"editions[{i}]"
        section = v.section(item, EDITION_KEYS, where)
        eid = section.text("id")
        id_line = _line(section.node("id"))
        if not re.fullmatch(r"[a-z0-9][a-z0-9-]{0,39}", eid) or eid in ("threads", "static"):
            raise ConfigError(
                f"{where}.id {eid!r} is not a valid edition id",
                path=v.path,
                line=id_line,
                hint="use lower-case letters, digits and dashes (e.g. markets), and not threads or static",
            )
        if any(e.edition == eid for e in out):
            raise ConfigError(f"{where}.id {eid!r} is used twice", path=v.path, line=id_line)
        feeds: list[FeedSource] = []
        for j, f in enumerate(v.seq(section.node("feeds"), f"{where}.feeds")):
            key = v.string(f, f"{where}.feeds[{j}]")
            if key not in by_key:
                raise v.fail(
                    f,
                    f"{where}.feeds[{j}] {key!r} is not a feed of feeds:",
                    hint="name a feed by its name or url, e.g. " + top.feeds[0].name,
                )
            if by_key[key] not in feeds:
                feeds.append(by_key[key])
        schedule = section.clocks("schedule")
        out.append(
            replace(
                top,
                title=section.text("title") or top.title,
                audience=section.text("audience") or top.audience,
                schedule=tuple(sorted(set(schedule))) or top.schedule,
                output_dir=top.output_dir / eid,
                state_dir=top.state_dir / eid,
                database=_edition_database(top.database, eid),
                feeds=tuple(feeds) or top.feeds,
                # its own threads; none listed: a copy of `threads:`, still its own (ids, history)
                threads=_threads(v, section.node("threads"), f"{where}.threads") or top.threads,
                mail_to=section.addresses("to"),
                # its own muted stories; none listed: those of `brief.muted` (`[]`: none)
                muted=top.muted if section.node("muted") is None else _muted(v, section, f"{where}.muted"),
                # its briefs are in output/<id>/: so are they at the address the archive is served
                archive_url=f"{top.archive_url}{eid}/" if top.archive_url else "",
                edition=eid,
                reading_dir=top.state_dir,
            )
        )
    return tuple(out)


def _edition_database(database: str, edition: str) -> str:
    """An edition's PostgreSQL database: the same one, in a schema of its own (made on first
    use, `store/postgres.py`), so its tables and ids are its alone; "" (SQLite) stays ""."""
    if not database:
        return ""
    schema = "edition_" + edition.replace("-", "_")
    joiner = "&" if "?" in database else "?"
    return f"{database}{joiner}options=-csearch_path%3D{schema}"


def _threads(v: _Validator, node: yaml.Node | None, label: str) -> tuple[ThreadSpec, ...]:
    """The story threads listed at `node` (`threads`, or an edition's)."""
    path = v.path
    threads: list[ThreadSpec] = []
    seen_ids: set[str] = set()
    for i, item in enumerate(v.seq(node, label)):
        where = f"{label}[{i}]"
        thread = v.section(item, THREAD_KEYS, where)
        tid = thread.text("id")
        id_line = _line(thread.node("id"))
        if not re.fullmatch(r"[a-z0-9][a-z0-9-]{0,62}", tid):
            raise ConfigError(
                f"{where}.id {tid!r} is not a valid id",
                path=str(path),
                line=id_line,
                hint="use lower-case letters, digits and dashes, e.g. meta-closed-pivot",
            )
        if tid.startswith("story-"):
            raise ConfigError(
                f"{where}.id {tid!r} starts with story-, which names emerging stories",
                path=str(path),
                line=id_line,
                hint="choose another id, e.g. " + tid.removeprefix("story-"),
            )
        if tid in seen_ids:
            raise ConfigError(f"{where}.id {tid!r} is used twice", path=str(path), line=id_line)
        seen_ids.add(tid)
        # entities and keywords both signal the subject; the entities also tell the story apart
        # from another of the same subject (`understand/configured.py`)
        entities = tuple(dict.fromkeys(thread.texts("entities")))
        keywords = tuple(dict.fromkeys(entities + thread.texts("keywords")))
        story = thread.text("story")
        if story:
            _story_id(v, thread.node("story"), f"{where}.story", story)
        threads.append(
            ThreadSpec(
                id=tid,
                title=thread.text("title"),
                description=" ".join(thread.text("description").split()),
                keywords=keywords,
                entities=entities,
                muted=thread.flag("muted"),
                story=story,
            )
        )
    return tuple(threads)


def smtp_from_env(env: Mapping[str, str] = os.environ) -> SmtpSettings | None:
    """SMTP settings from BRIEF_SMTP_*; None when BRIEF_SMTP_HOST is not set."""
    host = env.get("BRIEF_SMTP_HOST", "").strip()
    if not host:
        return None
    tls = env.get("BRIEF_SMTP_TLS", "starttls").strip().lower() or "starttls"
    if tls not in ("ssl", "starttls", "none"):
        raise ConfigError(f"BRIEF_SMTP_TLS={tls!r} is not one of ssl, starttls, none")
    default_port = {"ssl": 465, "starttls": 587, "none": 25}[tls]
    port_text = env.get("BRIEF_SMTP_PORT", "").strip()
    try:
        port = int(port_text) if port_text else default_port
    except ValueError:
        raise ConfigError(f"BRIEF_SMTP_PORT={port_text!r} is not a port number") from None
    if not 0 < port < 65536:
        raise ConfigError(f"BRIEF_SMTP_PORT={port} is out of range")
    return SmtpSettings(
        host=host,
        port=port,
        user=env.get("BRIEF_SMTP_USER") or None,
        password=env.get("BRIEF_SMTP_PASSWORD") or None,
        tls=tls,
        ca_file=env.get("BRIEF_SMTP_CA_FILE") or None,
    )


def _folder_url(section: _Section, key: str, what: str) -> str:
    """A section's address key as a folder address ("" when unset): http(s), ending with "/"."""
    node = section.node(key)
    if node is None or (isinstance(node, yaml.ScalarNode) and node.value in ("", "~", "null")):
        return ""
    v = section.v
    name = f"{section.where}.{key}"
    url = v.url(node, name, hint=what)
    if urlsplit(url).query or urlsplit(url).fragment:
        raise v.fail(node, f"{name} {url!r} has a query or a fragment", hint="give the folder's address")
    return url if url.endswith("/") else url + "/"


def _site_root(section: _Section, key: str, what: str) -> str:
    """A section's address key as the root of a site ("" when unset): `brief serve` answers at
    `/` (its redirects, its pages' links and the archive's links to it are root paths), so an
    address with a path would send every reader to pages that are not there."""
    url = _folder_url(section, key, what)
    path = urlsplit(url).path
    if path not in ("", "/"):
        host = urlsplit(url).hostname or "example.org"
        raise section.v.fail(
            section.node(key),
            f"{section.where}.{key} {url!r} has a path ({path}): brief serve answers at the root of its "
            "host name only",
            hint=f"serve it at the root of a host name of its own, e.g. public_url: https://brief.{host}/ "
            "(a sub-domain your TLS proxy sends to brief serve)",
        )
    return url


DATABASE_ENV = "BRIEF_DATABASE_URL"  # the whole address, password included: for containers


def _database(section: _Section, env: Mapping[str, str] = os.environ) -> str:
    """brief.database, or BRIEF_DATABASE_URL in its place: a PostgreSQL address ("" for SQLite).
    A password is refused in the file: sources.yaml is shared, edited from the web app and shown."""
    if env.get(DATABASE_ENV):
        url = env[DATABASE_ENV]
        if not url.startswith(("postgresql://", "postgres://")):
            raise ConfigError(
                f"{DATABASE_ENV} is not a PostgreSQL address",
                hint="e.g. postgresql://brief:PASSWORD@db.example:5432/brief, or unset it for SQLite",
            )
        return url
    node = section.node("database")
    url = section.text("database").strip()
    if not url:
        return ""
    if not url.startswith(("postgresql://", "postgres://")):
        raise section.v.fail(
            node,
            f"brief.database {url!r} is not a PostgreSQL address",
            hint="e.g. postgresql://brief@db.example:5432/brief; leave it out to keep SQLite in brief.state",
        )
    if urlsplit(url).password is not None or "password=" in urlsplit(url).query:
        raise section.v.fail(
            node,
            "brief.database holds a password, and sources.yaml is no place for one",
            hint=f"remove it; set PGPASSWORD (or ~/.pgpass), or {DATABASE_ENV} with the whole address",
        )
    return url


def _muted(v: _Validator, section: _Section, where: str) -> tuple[str, ...]:
    """The story ids of the `muted` list of `section` (`brief`, or an edition), each checked."""
    muted = section.texts("muted")
    for i, node in enumerate(v.seq(section.node("muted"), where)):
        _story_id(v, node, f"{where}[{i}]", muted[i])
    return tuple(dict.fromkeys(muted))


def _story_id(v: _Validator, node: yaml.Node | None, where: str, text: str) -> None:
    """An emerging story's id, as the brief names it: "story-" and twelve hex digits."""
    if not re.fullmatch(r"story-[0-9a-f]{12}", text):
        raise v.fail(
            node,
            f"{where} {text!r} is not an emerging story's id",
            hint="story ids look like story-98cbc67ee635: `brief threads list` shows them",
        )


def _parse_clock(text: str) -> time:
    m = re.fullmatch(r"([01]?\d|2[0-3]):([0-5]\d)", text.strip())
    if not m:
        raise ValueError(text)
    return time(int(m.group(1)), int(m.group(2)))


def _line(node: yaml.Node | None) -> int | None:
    return node.start_mark.line + 1 if node is not None else None


class _Validator:
    """Turns YAML nodes into values, raising ConfigError with the node's line."""

    def __init__(self, path: str) -> None:
        self.path = path

    def fail(self, node: yaml.Node | None, message: str, hint: str | None = None) -> ConfigError:
        return ConfigError(message, path=self.path, line=_line(node), hint=hint)

    def mapping(self, node: yaml.Node | None, keys: dict[str, Key], where: str) -> dict[str, yaml.Node]:
        label = where or "the top level"
        if not isinstance(node, yaml.MappingNode):
            raise self.fail(node, f"{label} must be a mapping of keys")
        out: dict[str, yaml.Node] = {}
        for k, val in node.value:
            name = k.value if isinstance(k, yaml.ScalarNode) else None
            if name not in keys:
                dotted = f"{where}.{name}" if where else str(name)
                raise self.fail(k, f"unknown key {dotted!r}", hint=f"allowed here: {', '.join(keys)}")
            if name in out:
                raise self.fail(k, f"key {name!r} appears twice")
            out[name] = val
        for name, key in keys.items():
            if key.required and name not in out:
                raise self.fail(node, f"{(where + '.') if where else ''}{name} is required", hint=key.help)
        return out

    def section(self, node: yaml.Node | None, keys: dict[str, Key], where: str) -> _Section:
        """The keys given in one mapping; an absent one (None) gives none, so all take defaults."""
        return _Section(self, {} if node is None else self.mapping(node, keys, where), keys, where)

    def seq(self, node: yaml.Node | None, where: str) -> list[yaml.Node]:
        if node is None or (isinstance(node, yaml.ScalarNode) and node.value in ("", "~", "null")):
            return []
        if not isinstance(node, yaml.SequenceNode):
            raise self.fail(node, f"{where} must be a list")
        return list(node.value)

    def string(self, node: yaml.Node | None, where: str, default: str | None = None) -> str:
        if node is None:
            if default is None:
                raise ConfigError(f"{where} is required", path=self.path)
            return default
        if not isinstance(node, yaml.ScalarNode) or node.tag.endswith(":null"):
            raise self.fail(node, f"{where} must be text")
        return str(node.value).strip()

    def flag(self, node: yaml.Node | None, where: str, default: bool) -> bool:
        if node is None:
            return default
        if not isinstance(node, yaml.ScalarNode) or not node.tag.endswith(":bool"):
            raise self.fail(node, f"{where} must be true or false")
        return node.value.lower() in ("true", "yes", "on")

    def choice(self, node: yaml.Node | None, where: str, allowed: tuple[str, ...], default: str) -> str:
        text = self.string(node, where, default)
        if text not in allowed:
            raise self.fail(node, f"{where} must be one of {', '.join(allowed)}, got {text!r}")
        return text

    def integer(self, node: yaml.Node | None, where: str, default: int, lo: int, hi: int) -> int:
        if node is None:
            return default
        text = self.string(node, where)
        try:
            value = int(text)
        except ValueError:
            raise self.fail(node, f"{where} must be a whole number, got {text!r}") from None
        if not lo <= value <= hi:
            raise self.fail(node, f"{where} must be between {lo} and {hi}, got {value}")
        return value

    def clock(self, node: yaml.Node, where: str) -> time:
        text = self.string(node, where)
        try:
            return _parse_clock(text)
        except ValueError:
            raise self.fail(
                node, f'{where} {text!r} is not a UTC time "HH:MM"', hint='e.g. "15:00"'
            ) from None

    def url(
        self, node: yaml.Node | None, where: str, hint: str = "feeds are fetched over http or https only"
    ) -> str:
        text = self.string(node, where)
        try:
            parts = urlsplit(text)
            parts.port  # noqa: B018 - raises ValueError on a port that is not a number
        except ValueError:
            raise self.fail(node, f"{where} {text!r} is not a valid URL") from None
        if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
            raise self.fail(
                node,
                f"{where} {text!r} is not an http(s) URL",
                hint=hint,
            )
        return text

    def address(self, node: yaml.Node | None, where: str, default: str | None = None) -> str:
        text = self.string(node, where, default)
        if "@" not in text or any(c in text for c in "\r\n"):
            raise self.fail(node, f"{where} {text!r} is not an email address")
        return text

    def host_port(self, node: yaml.Node, where: str) -> str:
        text = self.string(node, where)
        if not re.fullmatch(r"\[?[A-Za-z0-9.:-]+\]?:\d{1,5}", text):
            raise self.fail(node, f'{where} {text!r} must be "host:port"', hint='e.g. "127.0.0.1:8080"')
        return text.lower()


class _Section:
    """One mapping of the file, read key by key through its declaration: a key left out gets
    the declared default, a key given is checked against the declared kind and range."""

    def __init__(self, v: _Validator, nodes: dict[str, yaml.Node], keys: dict[str, Key], where: str) -> None:
        self.v = v
        self.nodes = nodes
        self.keys = keys
        self.where = where

    def node(self, name: str) -> yaml.Node | None:
        return self.nodes.get(name)

    def _key(self, name: str, kind: Kind) -> tuple[Key, yaml.Node | None, str]:
        key = self.keys[name]
        assert key.kind == kind, f"{self.where}.{name} is declared {key.kind}, read as {kind}"
        return key, self.nodes.get(name), f"{self.where}.{name}" if self.where else name

    def text(self, name: str) -> str:
        key, node, where = self._key(name, "text")
        return self.v.string(node, where, key.default)

    def optional_text(self, name: str) -> str | None:
        """A text key whose absence (or emptiness) leaves the choice to the code that uses it."""
        key, node, where = self._key(name, "text")
        assert key.default is None
        return (self.v.string(node, where) or None) if node is not None else None

    def address(self, name: str) -> str:
        key, node, where = self._key(name, "text")
        return self.v.address(node, where, key.default)

    def integer(self, name: str) -> int:
        key, node, where = self._key(name, "integer")
        assert key.min is not None and key.max is not None  # Key.__post_init__ makes sure
        return self.v.integer(node, where, key.default, key.min, key.max)

    def flag(self, name: str) -> bool:
        key, node, where = self._key(name, "flag")
        return self.v.flag(node, where, key.default)

    def choice(self, name: str) -> str:
        key, node, where = self._key(name, "choice")
        return self.v.choice(node, where, key.choices, key.default)

    def _items(self, name: str) -> tuple[list[yaml.Node], str]:
        key, node, where = self._key(name, "list")
        assert key.default == (), f"{where}: absent, this reads as empty, so its default must be ()"
        return self.v.seq(node, where), where

    def texts(self, name: str) -> tuple[str, ...]:
        items, where = self._items(name)
        return tuple(self.v.string(n, f"{where}[{i}]") for i, n in enumerate(items))

    def host_ports(self, name: str) -> tuple[str, ...]:
        items, where = self._items(name)
        return tuple(self.v.host_port(n, f"{where}[{i}]") for i, n in enumerate(items))

    def addresses(self, name: str) -> tuple[str, ...]:
        """A list of addresses, or one address alone."""
        _, node, where = self._key(name, "list")
        if isinstance(node, yaml.ScalarNode):
            return (self.v.address(node, where),)
        items, where = self._items(name)
        return tuple(self.v.address(n, f"{where}[{i}]") for i, n in enumerate(items))

    def clocks(self, name: str) -> tuple[time, ...]:
        key, node, where = self._key(name, "list")
        if node is None:
            return tuple(_parse_clock(text) for text in key.default)
        return tuple(self.v.clock(n, f"{where}[{i}]") for i, n in enumerate(self.v.seq(node, where)))
