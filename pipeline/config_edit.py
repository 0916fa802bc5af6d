"""Changes to sources.yaml made for the user (`brief feeds`, `brief threads`, the web app's pages),
written back to the one file they edit, as they wrote it.

One rule, for every change:

1. the file is read, and its bytes are the version the change starts from (a web form carries
   it, see `version`); a file that is not valid now is refused, with its own error;
2. the change is made on a round-trip load (`ruamel.yaml`): comments, key order, quoting and
   flow style stay; a stretch that ruamel.yaml would only lay out anew (a long flow list it joins
   or wraps) keeps the user's own lines; removing a list item deletes its lines, and the comment
   just above it, from the text itself (ruamel.yaml files the comment above an item under the
   item before it, so a removal through it would take the next item's comment away);
3. the new text is validated by `parse_config`, exactly as a run reads the file; an invalid
   result is refused and the file left as it was;
4. the file is replaced atomically (a temporary file in its folder, fsync, rename), unless it
   changed on disk since step 1 (someone edited it by hand meanwhile): then nothing is written
   and `ConfigChangedError` says to try again.
"""

from __future__ import annotations

import difflib
import fcntl
import hashlib
import io
import os
import tempfile
import textwrap
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError
from ruamel.yaml.scalarstring import DoubleQuotedScalarString, FoldedScalarString

from pipeline.config import Config, FeedSource, parse_config
from pipeline.errors import ConfigError
from pipeline.models import ThreadSpec

__all__ = [
    "ConfigChangedError",
    "EditError",
    "Edited",
    "add_feeds",
    "add_thread",
    "edit_thread",
    "remove_feed",
    "same_feed",
    "set_muted",
    "unwritable",
    "version",
]

WRAP = 96  # a new long description is folded at this width, as the shipped file's are


class ConfigChangedError(ConfigError):
    """sources.yaml changed on disk since it was read: nothing was written."""

    def __init__(self, path: Path) -> None:
        super().__init__(
            "the file changed since it was read (edited by hand meanwhile?): nothing was written",
            path=str(path),
            hint="look at it again and redo the change",
        )


class EditError(ConfigError):
    """The change asked for does not apply to sources.yaml as it is (no such feed or thread...)."""


@dataclass(frozen=True)
class Edited:
    """A change written to sources.yaml: the config as it now reads, and what was done."""

    config: Config
    said: str
    version: str


def version(path: str | Path) -> str:
    """The version of sources.yaml as it is on disk: a change made `expect`ing it is refused once
    the file has changed."""
    return _version(_read(Path(path)))


def unwritable(path: str | Path) -> str:
    """Why a change could not be written to sources.yaml at `path` here ("" when it can): the
    file or its folder read-only for this user (`brief check` and `brief serve` say it first)."""
    target = Path(path).resolve()
    for where, what in ((target.parent, "its folder"), (target, "the file")):
        if not os.access(where, os.W_OK):
            return (
                f"{target}: {what} cannot be written by this user, so changes from the web app and "
                "`brief feeds`/`brief threads` are refused (edit it by hand, or make the folder writable)"
            )
    return ""


def add_feeds(path: str | Path, feeds: Sequence[FeedSource], *, expect: str | None = None) -> Edited:
    """Add the `feeds` not listed yet (by `same_feed`) at the end of `feeds:`; an empty `name`
    is left out (the feed's host stands in)."""

    def change(doc: _Document) -> str:
        listed = doc.get(("feeds",))
        items = listed if isinstance(listed, CommentedSeq) else []
        known = [_feed_url(item) for item in items]
        names = [item.get("name") for item in items if isinstance(item, CommentedMap)]
        added: list[str] = []
        new_items: list[CommentedMap] = []
        for feed in feeds:
            if any(same_feed(feed.url, url) for url in known):
                continue
            item = CommentedMap()
            item["url"] = feed.url
            if feed.name:
                item["name"] = _styled_like(names, " ".join(feed.name.split()))
            new_items.append(item)
            known.append(feed.url)
            added.append(feed.url)
        if not added:
            raise EditError("every feed given is listed already", path=str(doc.path))
        doc.append_items(("feeds",), new_items)  # one change for all: an OPML of 500 feeds is one write
        return f"added {len(added)} feed{'s' if len(added) != 1 else ''}: {', '.join(added)}"

    return _edit(Path(path), change, expect)


def remove_feed(path: str | Path, url: str, *, expect: str | None = None) -> Edited:
    """Remove the feed listed at `url` (its lines and the comment just above them)."""

    def change(doc: _Document) -> str:
        listed = doc.get(("feeds",))
        items = listed if isinstance(listed, CommentedSeq) else []
        index = next((i for i, item in enumerate(items) if same_feed(url, _feed_url(item))), None)
        if index is None:
            raise EditError(f"no feed {url!r} is listed", path=str(doc.path), hint="`brief feeds list`")
        removed = _feed_url(items[index])
        doc.remove_item("feeds", index)
        return f"removed feed {removed}"

    return _edit(Path(path), change, expect)


def add_thread(
    path: str | Path, spec: ThreadSpec, *, edition: str | None = None, expect: str | None = None
) -> Edited:
    """Add a configured thread at the end of `threads:` (its id must be new); with `edition`, at
    the end of that edition's own threads (see `_threads_of`)."""

    def change(doc: _Document) -> str:
        where, copied = _threads_of(doc, edition)
        listed = doc.get(where)
        if any(_get(t, "id") == spec.id for t in (listed if isinstance(listed, CommentedSeq) else [])):
            raise EditError(f"a thread {spec.id!r} is configured already", path=str(doc.path))
        item = CommentedMap()
        item["id"] = spec.id
        item["title"] = spec.title
        indent = 6 if edition is None else 10  # where its lines start under `editions:`
        if spec.description:
            item["description"] = _folded(spec.description, indent)
        if spec.entities:
            item["entities"] = _flow(spec.entities)
        if spec.story:
            item["story"] = spec.story
        doc.append_items(where, [item])
        return f"added thread {spec.id}" + _in(edition, copied)

    return _edit(Path(path), change, expect)


def edit_thread(
    path: str | Path,
    thread_id: str,
    *,
    title: str | None = None,
    description: str | None = None,
    entities: Sequence[str] | None = None,
    edition: str | None = None,
    expect: str | None = None,
) -> Edited:
    """Change a configured thread's title, description or entities (None: left as it is; an
    empty description or list removes the key); with `edition`, one of that edition's threads."""

    def change(doc: _Document) -> str:
        if title is None and description is None and entities is None:
            raise EditError("nothing to change: give a title, a description or entities")
        listed, copied = _threads_of(doc, edition)
        where = (*listed, _thread_index(doc, listed, thread_id))
        indent = 6 if edition is None else 10
        changed = []
        if title is not None:
            doc.set_key(where, "title", _styled_like([doc.get(where).get("title")], " ".join(title.split())))
            changed.append("title")
        if description is not None:
            text = " ".join(description.split())
            if not text:
                doc.delete_key(where, "description")
            elif isinstance(doc.get(where).get("description"), FoldedScalarString) or len(text) > WRAP:
                doc.set_key(where, "description", _folded(text, indent))
            else:
                doc.set_key(where, "description", text)
            changed.append("description")
        if entities is not None:
            names = list(dict.fromkeys(n for n in (" ".join(e.split()) for e in entities) if n))
            if names:
                doc.set_key(where, "entities", _flow(names))
            else:
                doc.delete_key(where, "entities")
            changed.append("entities")
        return f"thread {thread_id}: {', '.join(changed)} changed" + _in(edition, copied)

    return _edit(Path(path), change, expect)


def set_muted(
    path: str | Path, thread_id: str, muted: bool, *, edition: str | None = None, expect: str | None = None
) -> Edited:
    """Mute (or unmute) a configured thread (its `muted: true`; with `edition`, one of that
    edition's threads) or an emerging story (its id in `brief.muted`; with `edition`, in that
    edition's own `muted:`, which it is given as a copy of `brief.muted` when it has none: two
    editions reading the same articles name a story alike, and muting it in one leaves the other)."""

    def change(doc: _Document) -> str:
        word = "muted" if muted else "unmuted"
        if thread_id.startswith("story-"):
            # `brief.muted`, or the edition's own `muted:` (given a copy of `brief.muted` first)
            where: Where = ("brief",) if edition is None else ("editions", _edition_index(doc, edition))
            brief = doc.get(("brief",))
            own = doc.get(where)
            listed = own.get("muted") if isinstance(own, CommentedMap) else None
            copied = edition is not None and listed is None
            if copied:
                listed = brief.get("muted") if isinstance(brief, CommentedMap) else None
            ids = [str(i) for i in listed] if isinstance(listed, CommentedSeq) else []
            if (thread_id in ids) == muted:
                raise EditError(f"story {thread_id} is {word} already", path=str(doc.path))
            ids = [*ids, thread_id] if muted else [i for i in ids if i != thread_id]
            if ids or edition is not None:  # an edition's `[]` says none: without it, brief.muted's
                doc.set_key(where, "muted", _flow(ids))
            else:
                doc.delete_key(where, "muted")
            if edition is None:
                return f"story {thread_id} {word}"
            if copied:
                return (
                    f"story {thread_id} {word} in edition {edition}, which now has muted stories of its "
                    "own (a copy of brief.muted, changed): the other editions are unchanged"
                )
            return f"story {thread_id} {word} in edition {edition}"
        listed, copied = _threads_of(doc, edition)
        where = (*listed, _thread_index(doc, listed, thread_id))
        if bool(doc.get(where).get("muted", False)) == muted:
            raise EditError(f"thread {thread_id} is {word} already", path=str(doc.path))
        if muted:
            doc.set_key(where, "muted", True)
        else:
            doc.delete_key(where, "muted")
        return f"thread {thread_id} {word}" + _in(edition, copied)

    return _edit(Path(path), change, expect)


def same_feed(a: str, b: str) -> bool:
    """Two addresses of one feed: equal but for the case of scheme and host and a final "/"."""

    def key(url: str) -> tuple[str, str, str, str]:
        parts = urlsplit(url.strip())
        return (parts.scheme.lower(), parts.netloc.lower(), parts.path.rstrip("/") or "/", parts.query)

    return key(a) == key(b)


# --- the one way a change is made -------------------------------------------------------------

Where = tuple[str | int, ...]  # keys and list indexes from the top: ("editions", 1, "threads", 0)


class _Unsure(Exception):
    """A splice of the text cannot be sure of its place: the change goes through ruamel.yaml."""


class _Document:
    """sources.yaml during one change: its text, and that text loaded round-trip. Each change
    is made on a fresh load of the data, to know what the file must say after it; the text is
    then spliced (an item or a key added or removed: its lines, see the module's docstring) or,
    for a value changed in place, dumped by ruamel.yaml with the user's own layout kept. Either
    way the new text must load to what the changed data says, or the plain dump is taken."""

    def __init__(self, path: Path, text: str) -> None:
        self.path = path
        self.text = text
        self.data: Any = self._load(text)

    def _load(self, text: str) -> Any:
        data = _yaml().load(text)
        if not isinstance(data, CommentedMap):
            raise ConfigError("the top level must be a mapping of keys", path=str(self.path))
        return data

    def get(self, where: Where) -> Any:
        return _at(self.data, where)

    def _apply(self, mutate: Callable[[CommentedMap], None], splice: Callable[[], str] | None) -> None:
        data = self._load(self.text)
        layout = _layout(data, self.text.splitlines())
        mutate(data)
        dumped = self._dump_with(data, layout)
        expected = yaml.safe_load(dumped)
        if splice is not None:
            try:
                spliced = splice()
                if yaml.safe_load(spliced) == expected:
                    self._take(spliced)
                    return
            except (_Unsure, yaml.YAMLError, IndexError, KeyError):
                pass
        kept = _keep_layout(self.text, dumped)
        self._take(kept if yaml.safe_load(kept) == expected else dumped)

    def _dump_with(self, data: CommentedMap, layout: dict[str, int]) -> str:
        writer = _yaml()
        writer.indent(**layout)
        out = io.StringIO()
        writer.dump(data, out)
        return out.getvalue()

    def _take(self, text: str) -> None:
        self.text = text
        self.data = self._load(text)

    # the changes

    def append_items(self, where: Where, items: Sequence[object]) -> None:
        """Add `items` at the end of the list at `where` (made when absent, in a mapping there)."""
        *outer, key = where

        def mutate(data: CommentedMap) -> None:
            parent = _at(data, tuple(outer))
            listed = parent.get(key)
            if isinstance(listed, CommentedSeq):
                listed.extend(items)
            else:
                parent[key] = CommentedSeq(items)

        def splice() -> str:
            listed = self.get(where)
            if not isinstance(listed, CommentedSeq) or not listed or listed.fa.flow_style():
                raise _Unsure
            lines = self.text.splitlines(keepends=True)
            line, column = listed.lc.item(0)
            dash = lines[line].rfind("-", 0, column)
            if dash < 0:
                raise _Unsure
            layout = _layout(self.data, self.text.splitlines())
            piece = self._dump_with(
                CommentedMap({key: CommentedSeq(items)}),
                {"mapping": layout["mapping"], "sequence": column - dash, "offset": 0},
            ).splitlines(keepends=True)[1:]
            at = _last_content(lines, line, self._end(where, len(lines)))
            return _insert(lines, at, [" " * dash + p for p in piece])

        self._apply(mutate, splice)

    def remove_item(self, key: str, index: int) -> None:
        """Remove item `index` of the top-level list `key`: its lines and the comment just above."""

        def mutate(data: CommentedMap) -> None:
            del data[key][index]

        def splice() -> str:
            listed = self.data[key]
            if listed.fa.flow_style():
                raise _Unsure
            lines = self.text.splitlines(keepends=True)
            start = listed.lc.item(index)[0]
            end = listed.lc.item(index + 1)[0] if index + 1 < len(listed) else self._end((key,), len(lines))
            return _cut(lines, start, end)

        self._apply(mutate, splice)

    def set_key(self, where: Where, key: str, value: object) -> None:
        """Give the mapping at `where` (made when absent) `key: value`: a new key is added as its
        last line, a key there already takes the value where it stands."""
        present = isinstance(self.get(where), CommentedMap) and key in self.get(where)

        def mutate(data: CommentedMap) -> None:
            if len(where) == 1 and not isinstance(data.get(where[0]), CommentedMap):
                data[where[0]] = CommentedMap()
            target = _at(data, where)
            target[key] = value
            if present:
                _realign(target, key, value)

        def splice() -> str:
            mapping = self.get(where)
            if not isinstance(mapping, CommentedMap) or not mapping or mapping.fa.flow_style():
                raise _Unsure
            lines = self.text.splitlines(keepends=True)
            first = next(iter(mapping))
            line, column = mapping.lc.key(first)
            layout = _layout(self.data, self.text.splitlines())
            piece = self._dump_with(CommentedMap({key: value}), layout).splitlines(keepends=True)
            at = _last_content(lines, line, self._end(where, len(lines)))
            return _insert(lines, at, [" " * column + p for p in piece])

        self._apply(mutate, None if present else splice)

    def delete_key(self, where: Where, key: str) -> None:
        """Remove `key` from the mapping at `where`: its lines and the comment just above."""
        mapping = self.get(where)
        if not isinstance(mapping, CommentedMap) or key not in mapping:
            return

        def mutate(data: CommentedMap) -> None:
            del _at(data, where)[key]

        def splice() -> str:
            if mapping.fa.flow_style():
                raise _Unsure
            lines = self.text.splitlines(keepends=True)
            keys = list(mapping)
            position = keys.index(key)
            start = mapping.lc.key(key)[0]
            if position + 1 < len(keys):
                end = mapping.lc.key(keys[position + 1])[0]
            else:
                end = self._end(where, len(lines))
            return _cut(lines, start, end)

        self._apply(mutate, splice)

    def _end(self, where: Where, total: int) -> int:
        """The line where what follows the container at `where` starts: its next sibling's,
        or (the last of its parent) the one after its parent, up to the end of the file."""
        for depth in range(len(where), 0, -1):
            parent, step = _at(self.data, where[: depth - 1]), where[depth - 1]
            if isinstance(parent, CommentedSeq) and isinstance(step, int) and step + 1 < len(parent):
                return int(parent.lc.item(step + 1)[0])
            if isinstance(parent, CommentedMap):
                keys = list(parent)
                following = keys.index(step) + 1
                if following < len(keys):
                    return int(parent.lc.key(keys[following])[0])
        return total


def _at(data: Any, where: Where) -> Any:
    """What stands at `where` in `data`; None when a step is not there."""
    for step in where:
        if isinstance(step, int) and isinstance(data, CommentedSeq) and 0 <= step < len(data):
            data = data[step]
        elif isinstance(step, str) and isinstance(data, CommentedMap):
            data = data.get(step)
        else:
            return None
    return data


def _realign(mapping: CommentedMap, key: str, value: object) -> None:
    """Put the end-of-line comment of a key given a new value three spaces after that value,
    where the old value's end put it (a two-line list's comment would stand far to the right)."""
    token = (mapping.ca.items.get(key) or [None, None, None])[2]
    if token is None or token.start_mark is None:
        return
    shown = "[" + ", ".join(map(str, value)) + "]" if isinstance(value, CommentedSeq) else str(value)
    if isinstance(value, DoubleQuotedScalarString):
        shown = f'"{shown}"'  # written with its quotes: the comment after them
    token.start_mark.column = mapping.lc.key(key)[1] + len(key) + 2 + len(shown) + 3


def _yaml() -> YAML:
    reader = YAML()
    reader.preserve_quotes = True
    reader.width = 4096  # never wrap: `_keep_layout` puts the user's own line breaks back
    return reader


def _edit(path: Path, change: Callable[[_Document], str], expect: str | None) -> Edited:
    path = path.resolve()  # a symlinked sources.yaml: its target is replaced, the link kept
    with _editing(path):
        return _edit_locked(path, change, expect)


@contextmanager
def _editing(path: Path) -> Iterator[None]:
    """One change at a time to `path`, across the threads of the web app and every process
    (`brief feeds` while the app writes): an exclusive `flock` on the folder that holds it (no
    lock file left beside it), held from reading the file to replacing it. A hand edit takes no
    lock; `_replace` sees it."""
    with _THREADS:
        try:
            fd = os.open(path.parent, os.O_RDONLY)
        except OSError as exc:
            raise ConfigError(f"cannot read config: {exc.strerror or exc}", path=str(path)) from exc
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
            except OSError as exc:  # a file system that cannot lock a folder opened to read (NFS)
                raise _not_writable(path, exc) from exc
            yield
        finally:
            os.close(fd)  # the lock goes with it


_THREADS = threading.Lock()  # the app's threads queue here; the flock keeps other processes out


def _not_writable(path: Path, exc: OSError) -> ConfigError:
    return ConfigError(
        f"cannot write config: {exc.strerror or exc}",
        path=str(path),
        hint="changes from `brief feeds`, `brief threads` and the web app are written to sources.yaml "
        "and a temporary file beside it: the folder holding it must be writable by this user "
        '(with Docker, mount the folder, not the file alone; see the README\'s "Running it as a service")',
    )


def _edit_locked(path: Path, change: Callable[[_Document], str], expect: str | None) -> Edited:
    original = _read(path)
    if expect is not None and _version(original) != expect:
        raise ConfigChangedError(path)
    try:
        text = original.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"cannot read config: {exc}", path=str(path)) from exc
    parse_config(text, path)  # a file that is wrong now says so itself, before any change
    try:
        doc = _Document(path, text)
    except YAMLError as exc:
        raise ConfigError(f"not valid YAML: {exc}", path=str(path)) from exc
    said = change(doc)
    try:
        config = parse_config(doc.text, path)
    except ConfigError as exc:
        raise ConfigError(
            f"not changed: the change would make it invalid: {exc}", path=str(path), hint=exc.hint
        ) from exc
    new = doc.text.encode("utf-8")
    _replace(path, new, original)
    return Edited(config, said, _version(new))


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(
            "config file not found", path=str(path), hint="pass --config PATH to a sources.yaml"
        ) from None
    except OSError as exc:
        raise ConfigError(f"cannot read config: {exc}", path=str(path)) from exc


def _version(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:16]


def _replace(path: Path, data: bytes, original: bytes) -> None:
    """Write `data` over `path` atomically, unless the file no longer holds `original`."""
    try:
        fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise _not_writable(path, exc) from exc
    temporary = Path(name)
    try:
        with open(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temporary, path.stat().st_mode & 0o7777)
        if _read(path) != original:
            raise ConfigChangedError(path)
        os.replace(temporary, path)
        folder = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(folder)
        finally:
            os.close(folder)
    except OSError as exc:  # full disk, a file bind-mounted alone (EBUSY), a read-only mount
        raise _not_writable(path, exc) from exc
    finally:
        temporary.unlink(missing_ok=True)


def _layout(data: CommentedMap, lines: Sequence[str]) -> dict[str, int]:
    """The indentation the file uses (ruamel.yaml writes one for the whole file): that of the
    first nested mapping, and of the first block list's dash and items; the shipped file's
    (2, 4, 2) where it has none."""
    mapping, sequence, offset = 2, 4, 2
    found_map = found_seq = False
    for value in data.values():
        if isinstance(value, CommentedMap) and value and not found_map and not value.fa.flow_style():
            mapping = value.lc.key(next(iter(value)))[1]
            found_map = True
        if isinstance(value, CommentedSeq) and value and not found_seq and not value.fa.flow_style():
            line, column = value.lc.item(0)
            dash = lines[line].rfind("-", 0, column) if line < len(lines) else -1
            if dash >= 0:
                sequence, offset = column, dash
                found_seq = True
    return {"mapping": max(mapping, 1), "sequence": max(sequence, offset + 2), "offset": offset}


def _keep_layout(old: str, new: str) -> str:
    """`new` with the user's own lines where ruamel.yaml changed only how they are laid out
    (spaces and line breaks, as in a long flow list it joined)."""
    before, after = old.splitlines(keepends=True), new.splitlines(keepends=True)
    out: list[str] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, before, after, autojunk=False).get_opcodes():
        if op == "replace" and "".join(before[i1:i2]).split() == "".join(after[j1:j2]).split():
            out += before[i1:i2]
        else:
            out += after[j1:j2] if op != "equal" else before[i1:i2]
    return "".join(out)


def _last_content(lines: Sequence[str], start: int, end: int) -> int:
    """The line after the last one of `start..end` that is not blank or a comment: comments
    and blank lines after it belong to what follows."""
    while end > start + 1 and _blank_or_comment(lines[end - 1]):
        end -= 1
    return end


def _insert(lines: list[str], at: int, piece: Sequence[str]) -> str:
    if at > 0 and not lines[at - 1].endswith("\n"):
        lines[at - 1] += "\n"
    return "".join([*lines[:at], *piece, *lines[at:]])


def _cut(lines: list[str], start: int, end: int) -> str:
    """The text without lines `start..end` (less the comments and blank lines ending them,
    which belong to what follows) and the comment block just above them."""
    end = _last_content(lines, start, end)
    column = len(lines[start]) - len(lines[start].lstrip())
    while start > 0 and lines[start - 1].strip().startswith("#") and _indent(lines[start - 1]) >= column:
        start -= 1
    return "".join([*lines[:start], *lines[end:]])


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def _blank_or_comment(line: str) -> bool:
    stripped = line.strip()
    return not stripped or stripped.startswith("#")


def _threads_of(doc: _Document, edition: str | None) -> tuple[Where, bool]:
    """Where the threads a change is made to are listed: `threads:` (no edition), or the
    edition's own `threads:`. An edition with none reads a copy of `threads:`: it is given that
    copy as its own list first (and True is returned), so the change is its alone."""
    if edition is None:
        return ("threads",), False
    where: Where = ("editions", _edition_index(doc, edition), "threads")
    listed = doc.get(where)
    if isinstance(listed, CommentedSeq) and listed:
        return where, False
    top = doc.get(("threads",))
    doc.set_key(
        where[:2], "threads", CommentedSeq(_plain(t) for t in (top if isinstance(top, CommentedSeq) else []))
    )
    return where, True


def _edition_index(doc: _Document, edition: str) -> int:
    listed = doc.get(("editions",))
    items = listed if isinstance(listed, CommentedSeq) else []
    for index, item in enumerate(items):
        if _get(item, "id") == edition:
            return index
    ids = ", ".join(_get(item, "id") for item in items)
    raise EditError(
        f"no edition {edition!r} in {doc.path.name}",
        path=str(doc.path),
        hint=f"its editions: {ids}" if ids else "it has no editions: leave the edition out",
    )


def _in(edition: str | None, copied: bool) -> str:
    """The end of a thread change's `said`: which edition, and whether it took a copy."""
    if edition is None:
        return ""
    if copied:
        return (
            f" in edition {edition}, which now has threads of its own (a copy of threads:, "
            "changed): the other editions are unchanged"
        )
    return f" in edition {edition}"


def _plain(node: Any) -> Any:
    """A copy of `node` without its comments (they stay where they are written), its flow lists
    kept flow: a thread of `threads:` copied under an edition."""
    if isinstance(node, CommentedMap):
        return CommentedMap((k, _plain(v)) for k, v in node.items())
    if isinstance(node, FoldedScalarString):
        return _folded(str(node), 10)  # folded anew where it now starts: `- ` and 4 spaces deeper
    if isinstance(node, CommentedSeq):
        copy = CommentedSeq(_plain(v) for v in node)
        if node.fa.flow_style():
            copy.fa.set_flow_style()
        return copy
    return node


def _thread_index(doc: _Document, where: Where, thread_id: str) -> int:
    listed = doc.get(where)
    for index, item in enumerate(listed if isinstance(listed, CommentedSeq) else []):
        if _get(item, "id") == thread_id:
            return index
    raise EditError(
        f"no configured thread {thread_id!r}",
        path=str(doc.path),
        hint="`brief threads list` shows them; an emerging story is followed first (`brief threads follow`)",
    )


def _get(item: object, key: str) -> str:
    return str(item.get(key, "")) if isinstance(item, CommentedMap) else ""


def _feed_url(item: object) -> str:
    return _get(item, "url") if isinstance(item, CommentedMap) else str(item)


def _styled_like(existing: Sequence[object], text: str) -> str:
    """`text` double-quoted when the values it stands beside are."""
    if any(isinstance(value, DoubleQuotedScalarString) for value in existing):
        quoted: str = DoubleQuotedScalarString(text)
        return quoted
    return text


def _folded(text: str, indent: int) -> str:
    """A long text as a folded block (`>`) whose lines, `indent` in, end by column `WRAP`."""
    lines = textwrap.wrap(" ".join(text.split()), width=max(40, WRAP - indent))
    if len(lines) < 2:
        return text
    # ruamel.yaml folds at the positions given: where each line break stands in the one line
    folded = FoldedScalarString(" ".join(lines) + "\n")
    positions, at = [], 0
    for line in lines[:-1]:
        at += len(line)
        positions.append(at)
        at += 1
    folded.fold_pos = positions
    written: str = folded
    return written


def _flow(items: Sequence[str]) -> CommentedSeq:
    listed = CommentedSeq(items)
    listed.fa.set_flow_style()
    return listed
