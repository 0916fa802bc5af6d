"""The brief's one message made one subscriber's, a thousand times fast.

`Personal(raw)` reads the brief's message.eml once: its headers, and its body cut where a
subscriber's unsubscribe token goes (`tokens.TOKEN_PLACEHOLDER`). A quoted-printable part is cut
at its hard line breaks, so only the lines that carry the link are encoded again for each
subscriber (the rest are the brief's bytes as they are, and stay within 76 characters a line);
a base64 part is encoded again whole; a 7bit or 8bit one takes the token as it is. The same
message and subscriber always give the same bytes, so a resend is the message sent before.
"""

from __future__ import annotations

import binascii
import hashlib
import re
from dataclasses import dataclass
from email.headerregistry import Address
from email.policy import SMTP
from email.utils import getaddresses

from pipeline.publish.tokens import TOKEN_PLACEHOLDER

_PLACEHOLDER = TOKEN_PLACEHOLDER.encode("ascii")
CRLF = b"\r\n"


@dataclass(frozen=True)
class _Slot:
    """A piece of the body that carries the placeholder: its decoded bytes and their encoding."""

    decoded: bytes
    encoding: str

    def fill(self, token: bytes) -> bytes:
        return _encode(self.decoded.replace(_PLACEHOLDER, token), self.encoding)


class Personal:
    """One message, ready to be made each subscriber's (`for_subscriber`)."""

    def __init__(self, raw: bytes) -> None:
        self.raw = raw
        head, self.sep, body = raw.partition(CRLF + CRLF)
        self.headers = logical_headers(head)
        self.given = {
            k.lower(): " ".join(v.split(b":", 1)[1].decode("utf-8", "replace").split())
            for k, v in self.headers
        }
        self.links = _PLACEHOLDER in head  # a message with links has them in List-Unsubscribe
        self.body: list[bytes | _Slot] = [body]
        if self.links:
            self.body = _cut(body, _boundary_of(self.given.get("content-type", "")))

    def for_subscriber(
        self, brief_id: str, address: str, name: str = "", token: str | None = None
    ) -> tuple[bytes, str]:
        """The message with `To` their address alone, the Message-ID theirs (as
        `mail.build_message` makes it for that one recipient) and their own unsubscribe `token`
        where the message has links; returns it with its Message-ID. A message already addressed
        to them alone keeps its To and Message-ID. Raises ValueError for a message with links
        and no token: the subscriber would get a link that cannot work."""
        old_id = self.given.get("message-id", "").strip()
        if self.links and not token:
            raise ValueError("the message carries unsubscribe links and no subscriber's token was given")
        own = (token or "").encode("ascii")
        body = b"".join(p if isinstance(p, bytes) else p.fill(own) for p in self.body)
        headers = [v.replace(_PLACEHOLDER, own) if self.links else v for _, v in self.headers]
        if getaddresses([self.given.get("to", "")])[0][1].lower() == address.lower():
            if not self.links:
                return self.raw, old_id
            return b"".join(headers).removesuffix(CRLF) + self.sep + body, old_id
        local, _, domain = old_id.strip("<>").partition("@")
        digest = hashlib.sha1((address + brief_id).encode()).hexdigest()[:12]
        prefix = f"brief.{brief_id}."
        if local.startswith(prefix) and len(local) >= len(prefix) + 12:
            local = prefix + digest + local[len(prefix) + 12 :]
        else:
            local = f"{local}.{digest}"
        message_id = f"<{local}@{domain or 'localhost'}>"
        to = str(Address(display_name=name, addr_spec=address)) if name else address
        out = []
        for (key, _), line in zip(self.headers, headers, strict=True):
            if key.lower() == "to":  # a name not in ASCII as RFC 2047 words: a header is ASCII
                line = SMTP.header_factory("To", to).fold(policy=SMTP).encode("ascii")
            elif key.lower() == "message-id":
                line = SMTP.fold("Message-ID", message_id).encode()
            out.append(line)
        return b"".join(out).removesuffix(CRLF) + self.sep + body, message_id


def logical_headers(head: bytes) -> list[tuple[str, bytes]]:
    """Each header of a header block with its folded lines, as (name, bytes with its CRLF)."""
    found: list[tuple[str, bytes]] = []
    for line in (head + CRLF).splitlines(keepends=True):
        if line[:1] in (b" ", b"\t") and found:
            found[-1] = (found[-1][0], found[-1][1] + line)
        else:
            found.append((line.split(b":", 1)[0].decode("ascii", "replace").strip(), line))
    return found


def _boundary_of(content_type: str) -> bytes:
    found = re.search(r'boundary="?([^";]+)"?', content_type, re.IGNORECASE)
    return found.group(1).encode("ascii") if found else b""


def _cut(body: bytes, boundary: bytes) -> list[bytes | _Slot]:
    """A multipart body as the brief's bytes and the pieces that carry the placeholder (a body
    that is not multipart: as it is)."""
    if not boundary:
        return [body]
    delimiter = b"--" + boundary
    segments = body.split(delimiter)  # the boundary is in no part: `mail._boundary` sees to it
    pieces: list[bytes | _Slot] = [segments[0]]
    for segment in segments[1:]:
        pieces.append(delimiter)
        head, sep, content = segment.partition(CRLF + CRLF)
        if segment.startswith(b"--") or not sep:
            pieces.append(segment)
            continue
        pieces.append(head + sep)
        ending = CRLF if content.endswith(CRLF) else b""  # the CRLF before the next delimiter
        pieces += _cut_content(content.removesuffix(ending), _cte(head))
        pieces.append(ending)
    return _merged(pieces)


def _cut_content(content: bytes, encoding: str) -> list[bytes | _Slot]:
    if encoding == "quoted-printable":
        # a logical line runs to a CRLF not after "=" (a soft break); the placeholder's
        # characters are all literal in quoted-printable, so a soft break is all that can cut it
        pieces: list[bytes | _Slot] = []
        lines = content.split(CRLF)
        start = 0
        for end, line in enumerate(lines):
            if line.endswith(b"=") and end + 1 < len(lines):
                continue
            logical = CRLF.join(lines[start : end + 1])
            if _PLACEHOLDER in logical.replace(b"=" + CRLF, b""):
                pieces.append(_Slot(binascii.a2b_qp(logical), encoding))
            else:
                pieces.append(logical)
            if end + 1 < len(lines):
                pieces.append(CRLF)
            start = end + 1
        return pieces
    if encoding == "base64":
        decoded = binascii.a2b_base64(content)
        return [_Slot(decoded, encoding)] if _PLACEHOLDER in decoded else [content]
    parts: list[bytes | _Slot] = []
    for i, text in enumerate(content.split(_PLACEHOLDER)):
        if i:
            parts.append(_Slot(_PLACEHOLDER, encoding))
        parts.append(text)
    return parts


def _merged(pieces: list[bytes | _Slot]) -> list[bytes | _Slot]:
    """Neighbouring bytes joined: fewer pieces to join for each subscriber."""
    out: list[bytes | _Slot] = []
    for piece in pieces:
        if isinstance(piece, bytes) and out and isinstance(out[-1], bytes):
            out[-1] += piece
        else:
            out.append(piece)
    return out


def _cte(part_head: bytes) -> str:
    found = re.search(rb"^content-transfer-encoding:\s*(\S+)", part_head, re.IGNORECASE | re.MULTILINE)
    return found.group(1).decode("ascii").lower() if found else "7bit"


def _encode(content: bytes, encoding: str) -> bytes:
    if encoding == "quoted-printable":
        # one logical line: a CRLF after it tells b2a_qp to break lines with CRLF too
        return binascii.b2a_qp(content + CRLF, istext=True).removesuffix(CRLF)
    if encoding == "base64":
        lines = (binascii.b2a_base64(content[i : i + 57], newline=False) for i in range(0, len(content), 57))
        return b"".join(line + CRLF for line in lines)
    return content
