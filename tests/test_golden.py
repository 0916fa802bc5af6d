"""Golden files: the demo's last brief (Fri 10 Apr 2026, 15:00 UTC) as the email a reader
receives and as its archive page, compared with the files in tests/data/golden/.

`brief demo`'s three runs are made (`run_demo`), then the message the SMTP sink received and the
brief's index.html are masked by `mask` and compared with the committed files. A change to a
template, a stage or the demo corpus that changes what a reader sees fails here with a diff.
When the change is wanted, refresh the files and review their diff before committing:

    .venv/bin/pytest tests/test_golden.py --update-golden

What `mask` hides, and why:

- the loopback port of the corpus server (a free port, new on every run): `127.0.0.1:PORT`;
- the MIME boundary (random on every run);
- the Message-ID's hash and the Date header: an id and a clock reading, not content;
- NOT DETERMINISTIC YET (issue 17, "the same brief every time"; not this test's): the ids of the
  articles are hashes of their URLs, which hold the port, and the pipeline uses those ids to
  break ties. So from one run to the next (the same Python, any PYTHONHASHSEED; the same port
  always gives the same brief) these change:
  * which sentence stands for a dated event, which events are merged and how many are shown
    (`understand/fields.py`'s `_timeline`: events in (date, article id) order, greedy merge):
    every timeline is replaced by a placeholder;
  * the category in the kicker of a thread (its dominant event kind, from that timeline):
    replaced by `<category>`;
  * the ids of emerging stories (`story-<id of its earliest article>`): `story-<id>`.
  Everything else in the brief is compared as it is. When the pipeline is deterministic,
  delete `_UNSTABLE` and refresh the files.
"""

from __future__ import annotations

import difflib
import email
import email.policy
import re
from email.message import EmailMessage
from pathlib import Path

import pytest

from pipeline.demo import run_demo

GOLDEN = Path(__file__).resolve().parent / "data" / "golden"
BRIEF = "2026/04/10/1500"  # the demo's last brief: new since the one before, an emerging story

# Differences between two runs of the same demo that are not the brief's content.
_VOLATILE = [
    (re.compile(r"127\.0\.0\.1:\d+"), "127.0.0.1:PORT"),
    (re.compile(r"={15}\d+=="), "===============BOUNDARY=="),
    (re.compile(r"^(Message-ID: <brief\.[^.]+)\.[0-9a-f]+@", re.M), r"\1.<hash>@"),
    (re.compile(r"^Date: .*$", re.M), "Date: <date>"),
]
# Parts of the brief that the pipeline does not yet give the same way on every run (see above).
_UNSTABLE = [
    (re.compile(r"^TIMELINE\n(?:  - .*\n)+", re.M), "TIMELINE\n  <timeline: not deterministic yet>\n"),
    (
        re.compile(r'(<ol class="timeline"[^>]*>).*?(</ol>)', re.S),
        r"\1<!-- timeline: not deterministic yet -->\2",
    ),
    (
        re.compile(r'(<p class="kicker"[^>]*>[^<·]+) · [a-z][a-z ]* · (\d+ new article)'),
        r"\1 · <category> · \2",
    ),
    (re.compile(r"story-[0-9a-f]{12}"), "story-<id>"),
]


def mask(text: str) -> str:
    """`text` with what differs between two runs of the demo replaced by placeholders."""
    for pattern, placeholder in [*_VOLATILE, *_UNSTABLE]:
        text = pattern.sub(placeholder, text)
    return text


def _email_files(raw: bytes) -> dict[str, str]:
    """The headers, the plain text and the HTML of a received message, each as a file."""
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    text, html = message.get_body(("plain",)), message.get_body(("html",))
    assert text is not None and html is not None, message.get_content_type()
    headers = "".join(f"{name}: {value}\n" for name, value in message.items())
    return {  # lines end as in the files of the archive, not as on the wire (CRLF)
        "email-headers.txt": headers,
        "email.txt": text.get_content().replace("\r\n", "\n"),
        "email.html": html.get_content().replace("\r\n", "\n"),
    }


@pytest.fixture(scope="module")
def brief_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The demo's last brief as the golden files hold it, masked."""
    folder = tmp_path_factory.mktemp("golden")
    result = run_demo(folder)
    output = folder / "output"
    (received,) = [p for p in result.received if p.parent == output / BRIEF]
    files = _email_files(received.read_bytes())
    files["page.html"] = (output / BRIEF / "index.html").read_text(encoding="utf-8")
    return {name: mask(content) for name, content in files.items()}


@pytest.mark.parametrize("name", ["email-headers.txt", "email.txt", "email.html", "page.html"])
def test_the_demo_brief_matches_its_golden_file(
    brief_files: dict[str, str], name: str, request: pytest.FixtureRequest
) -> None:
    actual, path = brief_files[name], GOLDEN / name
    if request.config.getoption("--update-golden"):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(actual.encode("utf-8"))
        print(f"wrote {path}")
    assert path.is_file(), f"{path} is missing: make it with pytest tests/test_golden.py --update-golden"
    expected = path.read_bytes().decode("utf-8")
    if actual != expected:
        diff = difflib.unified_diff(
            expected.splitlines(keepends=True),
            actual.splitlines(keepends=True),
            f"tests/data/golden/{name}",
            "this run",
        )
        pytest.fail(
            f"the demo brief's {name} differs from its golden file; if the change is wanted, run "
            "`pytest tests/test_golden.py --update-golden` and review the diff\n" + "".join(list(diff)[:80]),
            pytrace=False,
        )


def test_the_mask_hides_only_what_varies() -> None:
    """Each placeholder stands for one kind of thing; the text around it is kept."""
    text = (
        "Date: Fri, 10 Apr 2026 15:02:00 +0000\n"
        "Message-ID: <brief.2026-04-10T1500Z.5c73cfcc23b3@dailybrief.invalid>\n"
        "--===============0859509966934658468==\n"
        "TIMELINE\n  - 9 April 2026 (legal): A sentence. [1]\n  - 2025 (financial): Another. [2]\n\n"
        "PEOPLE AND ORGANIZATIONS\n  - Alexandr Wang, chief AI officer [3]\n"
        '<p class="kicker">Emerging story · legal · 1 new article · 1 min read</p>\n'
        '<ol class="timeline">\n<li>9 April 2026 · legal: A sentence.</li>\n</ol>\n'
        '<a href="threads/story-07b5ac5a7a13.html">http://127.0.0.1:34755/a?b=c</a>\n'
    )
    assert mask(text) == (
        "Date: <date>\n"
        "Message-ID: <brief.2026-04-10T1500Z.<hash>@dailybrief.invalid>\n"
        "--===============BOUNDARY==\n"
        "TIMELINE\n  <timeline: not deterministic yet>\n\n"
        "PEOPLE AND ORGANIZATIONS\n  - Alexandr Wang, chief AI officer [3]\n"
        '<p class="kicker">Emerging story · <category> · 1 new article · 1 min read</p>\n'
        '<ol class="timeline"><!-- timeline: not deterministic yet --></ol>\n'
        '<a href="threads/story-<id>.html">http://127.0.0.1:PORT/a?b=c</a>\n'
    )
