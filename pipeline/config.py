"""sources.yaml → a validated, typed `Config`.

Every key is declared once below, with its default and its help text; an unknown key is an
error that names its line and the keys allowed there. Relative paths are resolved against the
folder of the config file. SMTP settings and secrets are read from the environment only.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from .errors import ConfigError
from .models import ThreadSpec

DEFAULT_SCHEDULE = ("15:00", "21:00")


@dataclass(frozen=True)
class Key:
    """One setting: its default (None = required) and the help shown in errors and docs."""

    help: str
    default: Any = None
    required: bool = False


BRIEF_KEYS: dict[str, Key] = {
    "title": Key("Title of the brief, shown in the subject and the page header.", "Daily Brief"),
    "audience": Key("Who reads the brief; named in it.", "readers"),
    "schedule": Key('Times of day (UTC, "HH:MM") a brief is made.', list(DEFAULT_SCHEDULE)),
    "output": Key("Folder of the archive of briefs.", "output"),
    "state": Key("Folder of the state database; must be outside the output folder.", ".state"),
    "max_threads": Key("Most threads shown in one brief.", 8),
    "unchanged_threads": Key('A thread with nothing new: "line" (one line, linked) or "drop".', "line"),
    "archive_url": Key(
        "Public address where the output folder is served (e.g. https://news.example/brief/), so "
        "emails link to the brief's page and thread pages; unset, they link to articles only.",
        "",
    ),
}
DELIVERY_KEYS: dict[str, Key] = {
    "to": Key("Recipient address, or a list of them.", []),
    "from": Key('Sender, e.g. "dailybrief <brief@example.com>".', "dailybrief <brief@localhost>"),
}
NETWORK_KEYS: dict[str, Key] = {
    "allow": Key('Private "host:port" pairs that may be fetched (e.g. a local feed server).', []),
}
FETCH_KEYS: dict[str, Key] = {
    "user_agent": Key("User-Agent sent with every request (never a browser's).", None),
    "max_entries_per_feed": Key("Newest entries read from one feed per run.", 200),
    "concurrency": Key("Pages fetched at once, in total.", 8),
    "per_host": Key("Pages fetched at once from one host.", 2),
    "extract_workers": Key(
        "Processes that extract pages beside the run's own (at most one per core beyond the first); "
        "0 extracts in the run's process only.",
        1,
    ),
}
FEED_KEYS: dict[str, Key] = {
    "url": Key("Feed URL (http or https).", required=True),
    "name": Key("Display name of the feed; defaults to the host.", ""),
}
THREAD_KEYS: dict[str, Key] = {
    "id": Key("Short identifier, lower-case letters, digits and dashes.", required=True),
    "title": Key("Title shown in the brief.", required=True),
    "description": Key("A sentence or two on what the thread is about.", ""),
    "keywords": Key("Words and phrases that signal the thread.", []),
    "entities": Key("People, organisations and products at the heart of the thread.", []),
}
TOP_KEYS: dict[str, Key] = {
    "brief": Key("The brief: title, audience, schedule, folders."),
    "delivery": Key("Where the brief is sent."),
    "network": Key("Exceptions to the private-address guard."),
    "fetch": Key("How feeds and pages are fetched."),
    "feeds": Key("The feeds to read.", required=True),
    "threads": Key("The story threads you follow.", []),
}

SECTIONS: dict[str, dict[str, Key]] = {
    "brief": BRIEF_KEYS,
    "delivery": DELIVERY_KEYS,
    "network": NETWORK_KEYS,
    "fetch": FETCH_KEYS,
    "feeds[]": FEED_KEYS,
    "threads[]": THREAD_KEYS,
}

SMTP_ENV = (
    "BRIEF_SMTP_HOST",
    "BRIEF_SMTP_PORT",
    "BRIEF_SMTP_USER",
    "BRIEF_SMTP_PASSWORD",
    "BRIEF_SMTP_TLS",
    "BRIEF_SMTP_CA_FILE",
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
    path: Path
    title: str
    audience: str
    schedule: tuple[time, ...]
    output_dir: Path
    state_dir: Path
    max_threads: int
    mail_to: tuple[str, ...]
    mail_from: str
    feeds: tuple[FeedSource, ...]
    threads: tuple[ThreadSpec, ...]
    network_allow: tuple[str, ...] = ()
    user_agent: str | None = None
    max_entries_per_feed: int = 200
    unchanged_threads: str = "line"
    archive_url: str = ""  # ends with "/" when set

    @property
    def templates_dir(self) -> Path:
        """A `templates/` folder beside sources.yaml overrides the built-in templates."""
        return self.path.parent / "templates"

    concurrency: int = 8
    per_host: int = 2
    extract_workers: int = 1


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

    brief = v.mapping(top["brief"], BRIEF_KEYS, "brief") if "brief" in top else {}
    delivery = v.mapping(top["delivery"], DELIVERY_KEYS, "delivery") if "delivery" in top else {}
    network = v.mapping(top["network"], NETWORK_KEYS, "network") if "network" in top else {}
    fetch = v.mapping(top["fetch"], FETCH_KEYS, "fetch") if "fetch" in top else {}

    schedule = (
        tuple(
            v.clock(n, f"brief.schedule[{i}]")
            for i, n in enumerate(v.seq(brief.get("schedule"), "brief.schedule"))
        )
        if "schedule" in brief
        else tuple(_parse_clock(s) for s in DEFAULT_SCHEDULE)
    )
    if not schedule:
        raise ConfigError(
            "brief.schedule is empty",
            path=str(path),
            line=_line(brief["schedule"]),
            hint='e.g. schedule: ["15:00", "21:00"]',
        )

    output_dir = (
        base / v.string(brief.get("output"), "brief.output", BRIEF_KEYS["output"].default)
    ).resolve()
    state_dir = (base / v.string(brief.get("state"), "brief.state", BRIEF_KEYS["state"].default)).resolve()
    if state_dir == output_dir or output_dir in state_dir.parents:
        raise ConfigError(
            "brief.state must be outside brief.output",
            path=str(path),
            line=_line(brief.get("state")),
            hint="the archive is for reading; keep state beside it, e.g. state: .state",
        )

    feeds_node = top.get("feeds")
    feeds: list[FeedSource] = []
    seen_urls: set[str] = set()
    for i, node in enumerate(v.seq(feeds_node, "feeds")):
        where = f"feeds[{i}]"
        # a bare URL is accepted as a shorthand for {url: ...}
        item = {"url": node} if isinstance(node, yaml.ScalarNode) else v.mapping(node, FEED_KEYS, where)
        url = v.url(item.get("url"), f"{where}.url")
        if url in seen_urls:
            raise ConfigError(
                f"{where}.url repeats a feed listed above", path=str(path), line=_line(item["url"])
            )
        seen_urls.add(url)
        name = v.string(item.get("name"), f"{where}.name", "") or (urlsplit(url).hostname or url)
        feeds.append(FeedSource(url=url, name=name))
    if not feeds:
        raise ConfigError(
            "no feeds configured",
            path=str(path),
            line=_line(feeds_node),
            hint="add at least one entry under feeds: with a url:",
        )

    threads: list[ThreadSpec] = []
    seen_ids: set[str] = set()
    for i, node in enumerate(v.seq(top.get("threads"), "threads")):
        where = f"threads[{i}]"
        item = v.mapping(node, THREAD_KEYS, where)
        tid = v.string(item.get("id"), f"{where}.id")
        if not re.fullmatch(r"[a-z0-9][a-z0-9-]{0,62}", tid):
            raise ConfigError(
                f"{where}.id {tid!r} is not a valid id",
                path=str(path),
                line=_line(item["id"]),
                hint="use lower-case letters, digits and dashes, e.g. meta-closed-pivot",
            )
        if tid.startswith("story-"):
            raise ConfigError(
                f"{where}.id {tid!r} starts with story-, which names emerging stories",
                path=str(path),
                line=_line(item["id"]),
                hint="choose another id, e.g. " + tid.removeprefix("story-"),
            )
        if tid in seen_ids:
            raise ConfigError(f"{where}.id {tid!r} is used twice", path=str(path), line=_line(item["id"]))
        seen_ids.add(tid)
        # entities and keywords score alike; they are two keys so the file reads naturally
        keywords = tuple(
            dict.fromkeys(
                v.string(n, f"{where}.{key}[{j}]")
                for key in ("entities", "keywords")
                for j, n in enumerate(v.seq(item.get(key), f"{where}.{key}"))
            )
        )
        threads.append(
            ThreadSpec(
                id=tid,
                title=v.string(item.get("title"), f"{where}.title"),
                description=" ".join(v.string(item.get("description"), f"{where}.description", "").split()),
                keywords=keywords,
            )
        )

    to_node = delivery.get("to")
    mail_to: tuple[str, ...]
    if isinstance(to_node, yaml.ScalarNode):
        mail_to = (v.address(to_node, "delivery.to"),)
    else:
        mail_to = tuple(
            v.address(n, f"delivery.to[{i}]") for i, n in enumerate(v.seq(to_node, "delivery.to"))
        )
    mail_from = v.address(delivery.get("from"), "delivery.from", DELIVERY_KEYS["from"].default)

    allow = tuple(
        v.host_port(n, f"network.allow[{i}]")
        for i, n in enumerate(v.seq(network.get("allow"), "network.allow"))
    )
    return Config(
        path=path.resolve(),
        title=v.string(brief.get("title"), "brief.title", BRIEF_KEYS["title"].default),
        audience=v.string(brief.get("audience"), "brief.audience", BRIEF_KEYS["audience"].default),
        schedule=tuple(sorted(set(schedule))),
        output_dir=output_dir,
        state_dir=state_dir,
        unchanged_threads=v.choice(
            brief.get("unchanged_threads"), "brief.unchanged_threads", ("line", "drop"), "line"
        ),
        archive_url=_folder_url(v, brief.get("archive_url")),
        max_threads=v.integer(
            brief.get("max_threads"), "brief.max_threads", BRIEF_KEYS["max_threads"].default, 1, 100
        ),
        mail_to=mail_to,
        mail_from=mail_from,
        feeds=tuple(feeds),
        threads=tuple(threads),
        network_allow=allow,
        user_agent=v.string(fetch.get("user_agent"), "fetch.user_agent", "") or None,
        max_entries_per_feed=v.integer(
            fetch.get("max_entries_per_feed"), "fetch.max_entries_per_feed", 200, 1, 10_000
        ),
        concurrency=v.integer(fetch.get("concurrency"), "fetch.concurrency", 8, 1, 64),
        per_host=v.integer(fetch.get("per_host"), "fetch.per_host", 2, 1, 8),
        extract_workers=v.integer(fetch.get("extract_workers"), "fetch.extract_workers", 1, 0, 16),
    )


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


def _folder_url(v: _Validator, node: yaml.Node | None) -> str:
    """brief.archive_url as a folder address ("" when unset): http(s), ending with "/"."""
    if node is None or (isinstance(node, yaml.ScalarNode) and node.value in ("", "~", "null")):
        return ""
    url = v.url(node, "brief.archive_url", hint="the address readers open the archive at")
    if urlsplit(url).query or urlsplit(url).fragment:
        raise v.fail(
            node, f"brief.archive_url {url!r} has a query or a fragment", hint="give the folder's address"
        )
    return url if url.endswith("/") else url + "/"


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
