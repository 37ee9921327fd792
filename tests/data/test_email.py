"""The raw-email parser: MIME structure, transfer encodings, charsets, HTML, headers."""

from __future__ import annotations

import base64

import pytest
from hypothesis import given
from hypothesis import strategies as st

from seqlab.data.email import decode_header, html_to_text, parse_email


def _msg(headers: str, body: bytes | str) -> bytes:
    body_b = body.encode("utf-8") if isinstance(body, str) else body
    return headers.replace("\n", "\r\n").encode("ascii") + b"\r\n\r\n" + body_b


def test_plain_message_subject_and_body() -> None:
    raw = _msg("From me@example.org  Thu Aug 22 12:36:23 2002\nFrom: a@b.c\nSubject: Hello there",
               "Line one.  \r\n\r\n\r\n\r\nLine two.\r\n")
    assert parse_email(raw) == "Hello there\n\nLine one.\n\nLine two."


def test_headers_kept_on_request_and_unfolded() -> None:
    raw = _msg("From: Ann <a@b.c>\nTo: x@y.z\nSubject: a long\n  folded subject", "body")
    out = parse_email(raw, headers=True)
    assert out.splitlines()[:3] == ["From: Ann <a@b.c>", "To: x@y.z", "Subject: a long folded subject"]
    assert out.endswith("\n\nbody")
    assert "From: Ann" not in parse_email(raw)


def test_quoted_printable_with_charset() -> None:
    raw = _msg("Subject: =?iso-8859-1?q?Caf=E9_cr=E8me?=\nContent-Type: text/plain; charset=iso-8859-1\n"
               "Content-Transfer-Encoding: quoted-printable", b"Na=EFve soft=\r\nbreak =3D ok")
    assert parse_email(raw) == "Café crème\n\nNaïve softbreak = ok"


def test_base64_utf8_body() -> None:
    text = "Grüße aus Köln — ☃"
    raw = _msg("Subject: =?utf-8?b?" + base64.b64encode("Grüße".encode()).decode() + "?=\n"
               "Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: base64",
               base64.b64encode(text.encode("utf-8")))
    assert parse_email(raw) == f"Grüße\n\n{text}"


def test_html_part_reduced_to_text() -> None:
    html = ("<html><head><title>T</title><style>p {color: red}</style></head><body>"
            "<p>Buy&nbsp;<b>now</b> &amp; save!</p><script>alert(1)</script><!-- hidden -->"
            "<table><tr><td>a</td><td>b</td></tr></table></body></html>")
    raw = _msg("Subject: Offer\nContent-Type: text/html; charset=us-ascii", html)
    out = parse_email(raw)
    assert out.splitlines() == ["Offer", "", "Buy now & save!", "", "a b"]
    assert "alert" not in out and "color" not in out and "hidden" not in out and "<" not in out


def test_multipart_alternative_prefers_plain_and_skips_attachments() -> None:
    boundary = "XYZ"
    inner = "ALT"
    body = (f"--{boundary}\r\nContent-Type: multipart/alternative; boundary={inner}\r\n\r\n"
            f"--{inner}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nplain version\r\n"
            f"--{inner}\r\nContent-Type: text/html\r\n\r\n<p>html version</p>\r\n--{inner}--\r\n"
            f"--{boundary}\r\nContent-Type: image/png\r\nContent-Transfer-Encoding: base64\r\n\r\n"
            f"{base64.b64encode(b'PNGDATA').decode()}\r\n"
            f"--{boundary}\r\nContent-Type: text/plain\r\n\r\nsecond text part\r\n--{boundary}--\r\n")
    raw = _msg(f"Subject: Multi\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary={boundary}", body)
    out = parse_email(raw)
    assert out == "Multi\n\nplain version\n\nsecond text part"


def test_multipart_alternative_html_only() -> None:
    body = ("--B\r\nContent-Type: text/html\r\n\r\n<div>only html</div>\r\n--B--\r\n")
    raw = _msg("Subject: S\nContent-Type: multipart/alternative; boundary=B", body)
    assert parse_email(raw) == "S\n\nonly html"


@pytest.mark.parametrize("charset", ["x-no-such-charset", "us-ascii", "utf-8"])
def test_bad_or_wrong_charset_never_fails(charset: str) -> None:
    raw = _msg(f"Subject: x\nContent-Type: text/plain; charset={charset}", "déjà vu".encode("latin-1"))
    out = parse_email(raw)
    assert out == "x\n\ndéjà vu"  # falls back to cp1252/latin-1, which decode these bytes exactly


def test_undeclared_utf8_and_8bit_subject() -> None:
    raw = b"Subject: caf\xc3\xa9 8bit\r\n\r\n\xe2\x98\x83 snow"
    assert parse_email(raw) == "café 8bit\n\n☃ snow"
    assert parse_email(raw.decode("utf-8")) == "café 8bit\n\n☃ snow"


def test_decode_header_bad_encoded_word_charset() -> None:
    assert decode_header("=?x-unknown?q?abc?=") == "abc"
    assert decode_header("") == ""


def test_html_to_text_entities_and_blocks() -> None:
    assert html_to_text("a<br>b<BR/>c &lt;d&gt; &#169;") == "a\nb\nc <d> ©"


def test_no_subject_and_empty_body() -> None:
    assert parse_email(b"From: a@b\r\n\r\n") == ""
    assert parse_email("Subject: only\n\n") == "only"


@given(st.binary(max_size=400))
def test_arbitrary_bytes_never_raise(raw: bytes) -> None:
    out = parse_email(raw)
    assert isinstance(out, str) and "\r" not in out and "\n\n\n" not in out


@given(st.sampled_from(["utf-8", "latin-1", "cp1252", "koi8-r", "bogus-charset", ""]),
       st.sampled_from(["7bit", "8bit", "quoted-printable", "base64", "x-unknown"]),
       st.text(max_size=80))
def test_any_header_combination_never_raises(charset: str, cte: str, text: str) -> None:
    body = text.encode("utf-8", "surrogatepass")
    raw = _msg(f"Subject: s\nContent-Type: text/plain; charset={charset}\nContent-Transfer-Encoding: {cte}", body)
    out = parse_email(raw)
    assert out.startswith("s")


@given(st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp")), min_size=1, max_size=60))
def test_utf8_base64_round_trip(text: str) -> None:
    raw = _msg("Subject: t\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: base64",
               base64.b64encode(text.encode("utf-8")))
    assert parse_email(raw) == ("t\n\n" + text.rstrip()).rstrip("\n")  # one line: only trailing space goes
