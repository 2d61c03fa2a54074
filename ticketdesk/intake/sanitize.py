"""Make hostile e-mail content safe to show: HTML through nh3 (ammonia), HTML to plain text, file names.

E-mail HTML is attacker-controlled. The sanitiser keeps what a message needs to be readable (basic
formatting, tables, links, images) and nothing that runs, submits, loads from elsewhere or escapes its
box: no scripts, styles sheets, event handlers, forms, frames, ``id``/``class`` (they would reach our own
page's CSS and DOM), no relative URLs (they would resolve against our own origin). Remote images are
blocked by default: their URL moves to ``data-blocked-src`` so the UI can offer to load them.
"""

from __future__ import annotations

import html as html_lib
import mimetypes
import re
import unicodedata
from collections.abc import Mapping
from html.parser import HTMLParser
from urllib.parse import unquote

import nh3

_TAGS = {
    "a", "abbr", "acronym", "address", "b", "bdi", "bdo", "big", "blockquote", "br", "caption", "center",
    "cite", "code", "col", "colgroup", "dd", "del", "dfn", "div", "dl", "dt", "em", "figcaption", "figure",
    "font", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "ins", "kbd", "li", "mark", "ol", "p",
    "pre", "q", "s", "samp", "small", "span", "strike", "strong", "sub", "sup", "table", "tbody", "td",
    "tfoot", "th", "thead", "tr", "tt", "u", "ul", "var", "wbr",
}  # fmt: skip
_DROP_WITH_CONTENT = {
    "script", "style", "head", "title", "template", "noscript", "iframe", "frame", "frameset", "object",
    "embed", "applet", "svg", "math", "textarea", "select", "option", "button", "audio", "video", "canvas",
    "xml",
}  # fmt: skip
_CELL = {"colspan", "rowspan", "width", "height", "valign", "bgcolor", "nowrap"}
_ATTRIBUTES: dict[str, set[str]] = {
    "*": {"title", "dir", "lang", "align", "style"},
    "a": {"href"},
    "img": {"src", "alt", "width", "height"},
    "table": {"width", "border", "cellpadding", "cellspacing", "bgcolor", "summary"},
    "td": _CELL,
    "th": _CELL,
    "tr": {"valign", "bgcolor"},
    "col": {"span", "width"},
    "colgroup": {"span", "width"},
    "ol": {"start", "type"},
    "ul": {"type"},
    "li": {"value"},
    "font": {"color", "face", "size"},
    "blockquote": {"type"},
}
_STYLE_PROPERTIES = {
    "color", "background-color", "font-weight", "font-style", "font-size", "font-family", "font-variant",
    "text-decoration", "text-align", "text-indent", "text-transform", "vertical-align", "white-space",
    "line-height", "letter-spacing", "word-spacing", "width", "max-width", "min-width", "height",
    "border", "border-top", "border-right", "border-bottom", "border-left", "border-color",
    "border-style", "border-width", "border-collapse", "border-spacing", "border-radius",
    "padding", "padding-top", "padding-right", "padding-bottom", "padding-left",
    "margin", "margin-top", "margin-right", "margin-bottom", "margin-left",
    "list-style-type", "direction", "unicode-bidi", "table-layout",
}  # fmt: skip
_RASTER_DATA = re.compile(r"^data:image/(?:png|gif|jpe?g|webp|bmp);base64,[A-Za-z0-9+/=\s]*$", re.I)
_IMG_TAG = re.compile(r"<img\b([^>]*)>")
_SRC_ATTR = re.compile(r'\ssrc="([^"]*)"')


_CSS_DANGER = re.compile(r"expression|url|javascript|vbscript|behavior|binding|@import|\\", re.I)
_CSS_COMMENT = re.compile(r"/\*.*?(?:\*/|$)", re.S)


def _safe_style(value: str) -> str | None:
    """Inline style minus declarations that could load, run or escape (url(), expression(), escapes)."""
    kept = [
        d.strip() for d in _CSS_COMMENT.sub("", value).split(";") if d.strip() and not _CSS_DANGER.search(d)
    ]
    return ";".join(kept) or None


def _attribute_filter(tag: str, attr: str, value: str) -> str | None:
    if attr == "style":
        return _safe_style(value)
    if attr in ("href", "src"):
        scheme = value.split(":", 1)[0].strip().lower() if ":" in value else ""
        if scheme == "data":
            return value if tag == "img" and attr == "src" and _RASTER_DATA.match(value) else None
        if scheme == "cid" and not (tag == "img" and attr == "src"):
            return None
    return value


_CLEANER = nh3.Cleaner(
    tags=_TAGS,
    clean_content_tags=_DROP_WITH_CONTENT,
    attributes=_ATTRIBUTES,
    attribute_filter=_attribute_filter,
    strip_comments=True,
    link_rel="noopener noreferrer nofollow",
    set_tag_attribute_values={"a": {"target": "_blank"}},
    url_schemes={"http", "https", "mailto", "tel", "cid", "data"},
    url_relative="deny",
    filter_style_properties=_STYLE_PROPERTIES,
)


def sanitize_html(
    html: str, *, allow_remote_images: bool = False, cid_map: Mapping[str, str] | None = None
) -> str:
    """Sanitised HTML fragment for display inside our pages.

    ``cid_map`` maps a Content-ID (without angle brackets) to the URL where that inline part is served;
    ``cid:`` images not in it lose their ``src``. Remote (http/https) images keep their URL only in
    ``data-blocked-src`` unless ``allow_remote_images``.
    """
    if not html:
        return ""
    cleaned = _CLEANER.clean(html).strip()
    if "<img" not in cleaned:
        return cleaned
    lowered = {k.lower(): v for k, v in (cid_map or {}).items()}

    def fix_img(m: re.Match[str]) -> str:
        attrs = m.group(1)
        src_match = _SRC_ATTR.search(attrs)
        if not src_match:
            return m.group(0)
        url = html_lib.unescape(src_match.group(1))
        rest = attrs[: src_match.start()] + attrs[src_match.end() :]
        scheme = url.split(":", 1)[0].lower()
        if scheme == "cid":
            cid = unquote(url[4:]).strip().strip("<>")
            target = (cid_map or {}).get(cid) or lowered.get(cid.lower())
            if target is None:
                return f"<img{rest}>"
            return f'<img src="{html_lib.escape(target)}"{rest}>'
        if scheme in ("http", "https") and not allow_remote_images:
            return f'<img data-blocked-src="{src_match.group(1)}"{rest}>'
        return m.group(0)

    return _IMG_TAG.sub(fix_img, cleaned)


# --- HTML to text ---------------------------------------------------------------------------------

_BLOCK = {
    "div", "tr", "li", "dt", "dd", "section", "article", "header", "footer", "address", "center", "form",
    "fieldset", "figure", "figcaption", "caption", "main", "nav", "aside", "dl", "tbody", "thead", "tfoot",
    "details", "summary", "hgroup",
}  # fmt: skip
_PARAGRAPH = {"p", "h1", "h2", "h3", "h4", "h5", "h6", "table", "ul", "ol", "pre", "blockquote"}
_SKIP = _DROP_WITH_CONTENT
_INVISIBLE = re.compile("[\u200b\u2060\ufeff\u034f\u00ad]")
_SPACES = re.compile(r"\s+")


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[tuple[int, str]] = []
        self.cur: list[str] = []
        self.depth = 0
        self.skip = 0
        self.pre = 0
        self.lists: list[int | None] = []
        self.link: tuple[str, list[str]] | None = None

    def _finish(self, *, force: bool = False, blank: bool = False) -> None:
        text = "".join(self.cur)
        if not self.pre:
            text = text.strip(" ")
        if text or force:
            self.lines.append((self.depth, text.rstrip()))
        self.cur = []
        if blank:
            self.lines.append((self.depth, ""))

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP:
            self.skip += 1
            return
        if self.skip:
            return
        if tag == "br":
            self._finish(force=True)
        elif tag == "hr":
            self._finish()
            self.lines.append((self.depth, "---"))
        elif tag == "img":
            alt = _SPACES.sub(" ", dict(attrs).get("alt") or "").strip()
            if alt:
                self.cur.append(f"[{alt}]")
        elif tag in _PARAGRAPH:
            self._finish(blank=True)
            if tag == "blockquote":
                self.depth += 1
            elif tag == "pre":
                self.pre += 1
            elif tag in ("ul", "ol"):
                self.lists.append(0 if tag == "ol" else None)
        elif tag in _BLOCK:
            self._finish()
            if tag == "li":
                if self.lists and self.lists[-1] is not None:
                    self.lists[-1] = (self.lists[-1] or 0) + 1
                    self.cur.append(f"{'  ' * (len(self.lists) - 1)}{self.lists[-1]}. ")
                else:
                    self.cur.append(f"{'  ' * max(len(self.lists) - 1, 0)}- ")
        elif tag in ("td", "th"):
            if self.cur and "".join(self.cur).strip():
                self.cur.append("  ")
        elif tag == "a":
            self.link = (dict(attrs).get("href") or "", [])

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP:
            return
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP:
            self.skip = max(0, self.skip - 1)
            return
        if self.skip:
            return
        if tag in _PARAGRAPH:
            self._finish(blank=True)
            if tag == "blockquote":
                self.depth = max(0, self.depth - 1)
            elif tag == "pre":
                self.pre = max(0, self.pre - 1)
            elif tag in ("ul", "ol") and self.lists:
                self.lists.pop()
        elif tag in _BLOCK:
            self._finish()
        elif tag == "a" and self.link is not None:
            href, parts = self.link
            self.link = None
            shown = "".join(parts).strip()
            if href.lower().startswith(("http://", "https://")) and href not in shown:
                self.cur.append(f" <{href}>")

    def handle_data(self, data: str) -> None:
        if self.skip:
            return
        data = _INVISIBLE.sub("", data)
        if self.pre:
            first, *rest = data.split("\n")
            self.cur.append(first)
            for line in rest:
                self._finish(force=True)
                self.cur.append(line)
        else:
            data = _SPACES.sub(" ", data)
            if not self.cur or "".join(self.cur).endswith(" "):
                data = data.lstrip(" ")
            self.cur.append(data)
        if self.link is not None:
            self.link[1].append(data)


def html_to_text(html: str) -> str:
    """Readable plain text of an HTML document: block elements on their own lines, list items with
    bullets, blockquotes as ``> `` lines, links as ``text <url>``, no tags, entities decoded."""
    if not html:
        return ""
    parser = _TextExtractor()
    try:
        parser.feed(html)
        parser.close()
        parser._finish()
    except Exception:  # html.parser asserts on some broken markup  # noqa: BLE001
        text = html_lib.unescape(re.sub(r"<[^>]*>", " ", html))
        return "\n".join(line.strip() for line in text.splitlines() if line.strip())
    return _render_lines(parser.lines)


def _render_lines(lines: list[tuple[int, str]]) -> str:
    kept: list[tuple[int, str]] = []
    for depth, text in lines:
        if not text:
            if not kept or not kept[-1][1]:
                continue
        elif kept and not kept[-1][1]:
            kept[-1] = (min(kept[-1][0], depth), "")
        kept.append((depth, text))
    while kept and not kept[-1][1]:
        kept.pop()
    return "\n".join(("> " * depth + text).rstrip() for depth, text in kept)


def text_to_html(text: str) -> str:
    """Plain text as an HTML fragment that keeps its line breaks (for mail mixing text and HTML parts)."""
    return f'<div style="white-space:pre-wrap">{html_lib.escape(text, quote=False)}</div>' if text else ""


# --- Calendar invitations -----------------------------------------------------------------------------

_ICS_FIELDS = ("SUMMARY", "DTSTART", "DTEND", "LOCATION", "ORGANIZER", "DESCRIPTION")


def calendar_to_text(ics: str) -> str:
    """A short readable summary of the first event of an iCalendar invitation ("" when none)."""
    lines = re.sub(r"\r?\n[ \t]", "", ics.replace("\r\n", "\n")).split("\n")
    method, in_event = "", False
    event: dict[str, tuple[str, str]] = {}
    for line in lines[:5000]:
        name, _, value = line.partition(":")
        key, _, params = name.partition(";")
        key = key.strip().upper()
        if key == "METHOD":
            method = value.strip().upper()
        elif key == "BEGIN" and value.strip().upper() == "VEVENT":
            in_event = True
        elif key == "END" and value.strip().upper() == "VEVENT":
            break
        elif in_event and key in _ICS_FIELDS and key not in event:
            event[key] = (_ics_unescape(value), params)
    if not event:
        return ""
    title = {"CANCEL": "Cancelled event", "REPLY": "Event reply"}.get(method, "Calendar invitation")
    out = [f"{title}: {event.get('SUMMARY', ('(no title)', ''))[0]}"]
    if "DTSTART" in event:
        when = _ics_time(*event["DTSTART"])
        if "DTEND" in event:
            when += " – " + _ics_time(*event["DTEND"])
        out.append(f"When: {when}")
    if event.get("LOCATION", ("", ""))[0]:
        out.append(f"Where: {event['LOCATION'][0]}")
    if "ORGANIZER" in event:
        addr, params = event["ORGANIZER"]
        cn = re.search(r'CN="?([^";:]+)"?', params, re.I)
        addr = re.sub(r"^mailto:", "", addr, flags=re.I)
        out.append(f"Organizer: {cn.group(1).strip() + ' <' + addr + '>' if cn else addr}")
    if event.get("DESCRIPTION", ("", ""))[0]:
        out.append("")
        out.append(event["DESCRIPTION"][0][:2000])
    return "\n".join(out)


def _ics_unescape(value: str) -> str:
    return re.sub(r"\\([nN,;\\])", lambda m: "\n" if m.group(1) in "nN" else m.group(1), value).strip()


def _ics_time(value: str, params: str) -> str:
    m = re.fullmatch(r"(\d{4})(\d{2})(\d{2})(?:T(\d{2})(\d{2})\d{2}(Z)?)?", value.strip())
    if not m:
        return value
    text = f"{m.group(1)}-{m.group(2)}-{m.group(3)}"
    if m.group(4):
        text += f" {m.group(4)}:{m.group(5)}"
        tz = re.search(r"TZID=\"?([^\";:]+)", params, re.I)
        text += " UTC" if m.group(6) else (f" ({tz.group(1)})" if tz else "")
    return text


# --- File names -------------------------------------------------------------------------------------

_COMMON_EXT = {
    "text/plain": ".txt", "text/html": ".html", "text/calendar": ".ics", "application/ics": ".ics",
    "message/rfc822": ".eml", "message/global": ".eml", "text/rfc822-headers": ".txt",
    "message/delivery-status": ".txt", "application/pdf": ".pdf", "image/jpeg": ".jpg", "image/png": ".png",
    "image/gif": ".gif", "image/webp": ".webp", "application/zip": ".zip", "application/ms-tnef": ".dat",
    "application/vnd.ms-tnef": ".dat", "application/octet-stream": ".bin", "text/csv": ".csv",
    "application/pgp-signature": ".asc", "application/pkcs7-signature": ".p7s",
    "application/x-pkcs7-signature": ".p7s", "text/vcard": ".vcf", "text/x-vcard": ".vcf",
}  # fmt: skip
_MIME = mimetypes.MimeTypes(filenames=())
_UNSAFE_CHARS = re.compile(r'[\\/:*?"<>|]')
_WINDOWS_RESERVED = re.compile(r"^(?:con|prn|aux|nul|com\d|lpt\d)(?:\.|$)", re.I)


def extension_for(content_type: str) -> str:
    """A file extension for a MIME type (``.bin`` when unknown); independent of the host's mime.types."""
    ctype = content_type.lower()
    return _COMMON_EXT.get(ctype) or _MIME.guess_extension(ctype) or ".bin"


def safe_filename(name: str | None, *, content_type: str, index: int, max_length: int = 150) -> str:
    """A file name that is safe to store and offer for download.

    Only the last path component is kept; control, formatting (bidi overrides) and reserved characters
    are removed; leading dots go; the length is limited keeping the extension. Without a usable name:
    ``attachment-<index><ext>`` with the extension of ``content_type``.
    """
    cleaned = ""
    if name:
        base = re.split(r"[\\/]", name.replace("\x00", ""))[-1]
        chars = (c for c in base if unicodedata.category(c) not in ("Cc", "Cf", "Cs", "Co", "Zl", "Zp"))
        cleaned = _UNSAFE_CHARS.sub("_", " ".join("".join(chars).split())).strip(" .")
        if _WINDOWS_RESERVED.match(cleaned):
            cleaned = "_" + cleaned
        if len(cleaned) > max_length:
            stem, dot, ext = cleaned.rpartition(".")
            if dot and 0 < len(ext) <= 16 and stem:
                cleaned = stem[: max_length - len(ext) - 1].rstrip(" .") + "." + ext
            else:
                cleaned = cleaned[:max_length].rstrip(" .")
    if not cleaned.strip("._ "):
        return f"attachment-{index}{extension_for(content_type)}"
    return cleaned
