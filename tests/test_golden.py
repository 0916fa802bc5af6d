"""Golden files: the demo's last brief (Fri 10 Apr 2026, 15:00 UTC) as the email a reader
receives and as its archive page, compared with the files in tests/data/golden/.

`brief demo`'s three runs are made (`run_demo`), then the message the SMTP sink received and the
brief's index.html are masked by `mask` and compared with the committed files. A change to a
template, a stage or the demo corpus that changes what a reader sees fails here with a diff.
When the change is wanted, refresh the files and review their diff before committing:

    .venv/bin/pytest tests/test_golden.py --update-golden

What `mask` hides, and why: only the loopback port of the corpus server (a free port, new on
every run), as `127.0.0.1:PORT`. Everything else is compared as it is: the brief is the same
on every run (`tests/test_determinism.py`), its MIME boundary comes from its Message-ID, and
the demo's clock is simulated, so the Date header is the same too. (The articles' ids, which
hash an address and so its port, are in brief.json, not in these files.)
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

# The one difference between two runs of the demo: the port its corpus server got.
_PORT = re.compile(r"127\.0\.0\.1:\d+")


def mask(text: str) -> str:
    """`text` with the corpus server's loopback port replaced by PORT."""
    return _PORT.sub("127.0.0.1:PORT", text)


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
    """The port is the placeholder's; the text around it, ids and dates included, is kept."""
    text = (
        "Date: Fri, 10 Apr 2026 15:02:00 +0000\n"
        "Message-ID: <brief.2026-04-10T1500Z.5c73cfcc23b3@dailybrief.invalid>\n"
        '<a href="threads/story-07b5ac5a7a13.html">http://127.0.0.1:34755/a?b=c</a>\n'
    )
    assert mask(text) == text.replace(":34755/", ":PORT/")
