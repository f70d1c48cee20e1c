"""The organisation's PowerPoint template (grafisk profil): uploaded once as .pptx or .potx,
checked, stored in the store and used by every pack; without one, a clean default built from
python-pptx's blank presentation (16:9, Arial, the app's palette, titles left-aligned).

``open_template`` gives a python-pptx Presentation with the template's slides removed, and
``Look`` what the writers need from it: the layouts to use, the content area, the theme's
accent colours and fonts.
"""

from __future__ import annotations

import hashlib
import io
import re
import zipfile
from dataclasses import dataclass
from functools import lru_cache

from lxml import etree

from .. import access, store
from ..constants import PALETTE as APP_PALETTE
from ..errors import TemplateError

MAX_TEMPLATE_BYTES = 60 * 1024 * 1024
PALETTE = APP_PALETTE[:6]      # a theme has six accents
_A = "http://schemas.openxmlformats.org/drawingml/2006/main"
_PPTX_MAIN = "application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml"
_POTX_MAIN = "application/vnd.openxmlformats-officedocument.presentationml.template.main+xml"
_POTM_MAIN = "application/vnd.ms-powerpoint.template.macroEnabled.main+xml"


def series_colours(base: list[str], n: int) -> list[str]:
    """``n`` distinct colours for chart series: the theme's accents, then the same accents mixed
    half with white, so a chart with more series than accents never repeats a colour."""
    out = list(base)
    k = 0
    while len(out) < n:
        c = base[k % len(base)]
        rgb = [int(c[i:i + 2], 16) for i in (0, 2, 4)]
        shade = 0.5 if k < len(base) else 0.75
        out.append("".join(f"{round(v + (255 - v) * shade):02X}" for v in rgb))
        k += 1
    return out[:max(n, len(base))]


def _as_presentation_package(data: bytes, name: str) -> bytes:
    """The file's bytes as a .pptx package (a .potx differs only in its main content type)."""
    if len(data) > MAX_TEMPLATE_BYTES:
        raise TemplateError("template_too_large", f"'{name}' is larger than 60 MB; a template is usually under 10 MB.",
                            file=name)
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        types = zf.read("[Content_Types].xml").decode("utf-8")
    except (zipfile.BadZipFile, KeyError, UnicodeDecodeError, ValueError) as exc:
        raise TemplateError("template_not_pptx", f"'{name}' is not a PowerPoint file (.pptx or .potx): {exc}",
                            file=name) from None
    if _PPTX_MAIN in types:
        return data
    if _POTX_MAIN not in types and _POTM_MAIN not in types:
        raise TemplateError("template_not_pptx", f"'{name}' is not a PowerPoint presentation or template.", file=name)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in zf.infolist():
            blob = zf.read(item.filename)
            if item.filename == "[Content_Types].xml":
                blob = types.replace(_POTX_MAIN, _PPTX_MAIN).replace(_POTM_MAIN, _PPTX_MAIN).encode("utf-8")
            dst.writestr(item, blob)
    return out.getvalue()


def open_template(data: bytes | None, name: str = "mall.pptx"):
    """(Presentation, Look) from the template (its own slides removed), or the default look;
    TemplateError for a file the pack cannot use."""
    from pptx import Presentation

    if data is None:
        prs = Presentation(io.BytesIO(default_template()))
        return prs, look(prs, name)
    try:
        prs = Presentation(io.BytesIO(_as_presentation_package(data, name)))
    except TemplateError:
        raise
    except Exception as exc:  # noqa: BLE001  (python-pptx raises many kinds on a damaged package)
        raise TemplateError("template_not_pptx", f"'{name}' could not be opened as PowerPoint: {exc}", file=name) from None
    ids = prs.slides._sldIdLst
    for sld in list(ids):                        # example slides in the template are not part of the pack
        prs.part.drop_rel(sld.rId)
        ids.remove(sld)
    return prs, look(prs, name)                  # look refuses a template without the layouts the pack needs


@dataclass
class Look:
    title_layout: object
    content_layout: object
    content: tuple[int, int, int, int]          # left, top, width, height (EMU) below the title
    title_box: tuple[int, int, int, int]
    colours: list[str]                          # the theme's accent colours, hex
    font: str                                   # the theme's body font
    title_size: float                           # the title's font size in the template (points)


def _placeholder_types(layout) -> dict[str, object]:
    out = {}
    for ph in layout.placeholders:
        out.setdefault(str(ph.placeholder_format.type).split(".")[-1].split(" ")[0], ph)
    return out


def _theme(prs) -> tuple[list[str], str]:
    from pptx.opc.constants import RELATIONSHIP_TYPE as RT
    try:
        blob = prs.slide_master.part.part_related_by(RT.THEME).blob
        root = etree.fromstring(blob)
    except Exception:  # noqa: BLE001  (no readable theme: the default colours and font)
        return list(PALETTE), "Arial"
    colours = []
    for i in range(1, 7):
        node = root.find(f".//{{{_A}}}clrScheme/{{{_A}}}accent{i}")
        if node is None or not len(node):
            continue
        c = node[0]
        colours.append((c.get("val") if c.tag.endswith("srgbClr") else c.get("lastClr")) or PALETTE[i - 1])
    latin = root.find(f".//{{{_A}}}minorFont/{{{_A}}}latin")
    font = latin.get("typeface") if latin is not None and latin.get("typeface") else "Arial"
    return [c.upper() for c in colours] or list(PALETTE), font


def _title_size(prs) -> float:
    node = prs.slide_master.element.find(
        ".//{http://schemas.openxmlformats.org/presentationml/2006/main}titleStyle/"
        f"{{{_A}}}lvl1pPr/{{{_A}}}defRPr")
    try:
        return int(node.get("sz")) / 100 if node is not None and node.get("sz") else 32.0
    except ValueError:
        return 32.0


def look(prs, name: str = "mall.pptx") -> Look:
    """The layouts and geometry the pack uses from ``prs``: a title layout (centred title and
    subtitle), a content layout (a title and one content placeholder, else a title only)."""
    W, H = prs.slide_width, prs.slide_height
    with_title = [lay for lay in prs.slide_layouts if {"TITLE", "CENTER_TITLE"} & set(_placeholder_types(lay))]
    if not with_title:
        raise TemplateError("template_no_title_layout",
                            f"'{name}' has no slide layout with a title placeholder; add one in the slide master.",
                            file=name)
    title_layout = next((lay for lay in with_title if "CENTER_TITLE" in _placeholder_types(lay)), with_title[0])

    def body_of(lay):
        kinds = _placeholder_types(lay)
        bodies = [ph for ph in lay.placeholders
                  if str(ph.placeholder_format.type).split(".")[-1].split(" ")[0] in ("OBJECT", "BODY")]
        return kinds.get("TITLE"), bodies
    content_layout, content, title_box = None, None, None
    for lay in with_title:                      # title and one content area, the largest such area
        title, bodies = body_of(lay)
        if title is None or len(bodies) != 1:
            continue
        b = bodies[0]
        if b.width and b.height and (content is None or b.width * b.height > content[2] * content[3]):
            content_layout, content = lay, (b.left, b.top, b.width, b.height)
            title_box = (title.left, title.top, title.width, title.height)
    if content_layout is None:                  # a title-only layout: the area below the title
        lay = next((la for la in with_title if body_of(la)[0] is not None and not body_of(la)[1]), None) \
            or next(la for la in with_title if body_of(la)[0] is not None or la is title_layout)
        title = body_of(lay)[0] or _placeholder_types(lay).get("CENTER_TITLE")
        content_layout = lay
        title_box = (title.left, title.top, title.width, title.height)
        top = title.top + title.height + int(H * 0.02)
        content = (title.left, top, title.width, int(H * 0.92) - top)
    left, top, width, height = (int(v) for v in content)
    # keep the area on the slide whatever the template says
    left, top = max(0, left), max(0, top)
    width, height = min(width, W - left), min(height, H - top)
    colours, font = _theme(prs)
    return Look(title_layout, content_layout, (left, top, width, height), tuple(int(v) for v in title_box),
                colours, font, _title_size(prs))


# ------------------------------------------------------------------ the default look

@lru_cache(maxsize=1)
def default_template() -> bytes:
    """python-pptx's blank presentation made 16:9, with Arial, the app's palette in the theme
    and left-aligned titles in a dark accent colour."""
    from pptx import Presentation
    from pptx.opc.constants import RELATIONSHIP_TYPE as RT

    prs = Presentation()
    ratio = 12192000 / prs.slide_width
    prs.slide_width, prs.slide_height = 12192000, 6858000
    master = prs.slide_master

    def scale(shapes):
        for sh in shapes:
            if sh._element.find(f".//{{{_A}}}xfrm") is not None:
                sh.left, sh.width = int(sh.left * ratio), int(sh.width * ratio)
    scale(master.shapes)
    for lay in prs.slide_layouts:
        scale(lay.shapes)
    P = "http://schemas.openxmlformats.org/presentationml/2006/main"
    lvl1 = master.element.find(f".//{{{P}}}titleStyle/{{{_A}}}lvl1pPr")
    if lvl1 is not None:
        lvl1.set("algn", "l")
        rpr = lvl1.find(f"{{{_A}}}defRPr")
        if rpr is not None:
            rpr.set("sz", "3000")
            rpr.set("b", "1")
            for fill in rpr.findall(f"{{{_A}}}solidFill"):
                rpr.remove(fill)
            fill = etree.SubElement(rpr, f"{{{_A}}}solidFill")
            etree.SubElement(fill, f"{{{_A}}}schemeClr", val="accent1")
            rpr.insert(0, fill)
    # the title slide: a large title and the subtitle left-aligned under it
    title_slide = prs.slide_layouts[0]
    heading = next(ph for ph in title_slide.placeholders if ph.placeholder_format.idx == 0)
    for ph in title_slide.placeholders:
        if ph.placeholder_format.idx != 0:
            ph.left, ph.width = heading.left, heading.width
        body = ph.text_frame._txBody
        lst = body.find(f"{{{_A}}}lstStyle")
        if lst is None:
            lst = etree.SubElement(body, f"{{{_A}}}lstStyle")
            body.remove(lst)
            body.insert(1, lst)
        for old in list(lst):
            lst.remove(old)
        lvl = etree.SubElement(lst, f"{{{_A}}}lvl1pPr", marL="0", indent="0", algn="l")
        etree.SubElement(lvl, f"{{{_A}}}buNone")
        big = ph.placeholder_format.idx == 0
        rpr = etree.SubElement(lvl, f"{{{_A}}}defRPr", sz="4000" if big else "2000", b="1" if big else "0")
        fill = etree.SubElement(rpr, f"{{{_A}}}solidFill")
        etree.SubElement(fill, f"{{{_A}}}schemeClr", val="accent1" if big else "tx1")
    theme = master.part.part_related_by(RT.THEME)
    xml = theme.blob.decode("utf-8")
    for i, colour in enumerate(PALETTE, start=1):
        xml = re.sub(rf"(<a:accent{i}>)(.*?)(</a:accent{i}>)", rf'\g<1><a:srgbClr val="{colour}"/>\g<3>', xml, flags=re.DOTALL)
    xml = re.sub(r'(<a:(?:major|minor)Font>\s*<a:latin typeface=")[^"]*(")', r"\g<1>Arial\g<2>", xml)
    theme._blob = xml.encode("utf-8")
    buf = io.BytesIO()
    prs.save(buf)
    return buf.getvalue()


# ------------------------------------------------------------------ the stored template

def stored_template(con) -> dict | None:
    """The template in use: {name, content, at, by, sha256}, or None."""
    row = con.execute("""SELECT file_name, content, uploaded_at, uploaded_by, sha256 FROM report_templates
                         WHERE active ORDER BY template_id DESC LIMIT 1""").fetchall()
    if not row:
        return None
    name, content, at, by, sha = row[0]
    return {"name": name, "content": bytes(content), "at": at, "by": by, "sha256": sha}


def save_template(con, name: str, data: bytes, actor: str | None = None) -> dict:
    """Check the file (it must open and have a layout with a title) and store it as the
    template in use, in one audited transaction; the one before stays in the history."""
    access.require(access.SETTINGS)
    open_template(data, name)                                   # refuses what cannot be used
    sha = hashlib.sha256(data).hexdigest()
    with store.transaction(con):
        con.execute("UPDATE report_templates SET active = false WHERE active")
        con.execute("""INSERT INTO report_templates (template_id, file_name, content, sha256, uploaded_at, uploaded_by, active)
                       SELECT coalesce(max(template_id), 0) + 1, ?, ?, ?, now()::TIMESTAMP, ?, true FROM report_templates""",
                    [name, data, sha, actor or store.current_user()])
        store.audit(con, "report_template", name, {"sha256": sha, "bytes": len(data)}, actor)
    return stored_template(con)


def remove_template(con, actor: str | None = None) -> bool:
    """Stop using the stored template (it stays in the history); False when there was none."""
    access.require(access.SETTINGS)
    current = stored_template(con)
    if current is None:
        return False
    with store.transaction(con):
        con.execute("UPDATE report_templates SET active = false WHERE active")
        store.audit(con, "report_template_removed", current["name"], {"sha256": current["sha256"]}, actor)
    return True
