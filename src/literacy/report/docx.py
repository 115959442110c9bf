"""The report as a Word document (python-docx) that an office edits into its
调查报告: the same content as the HTML, on A4, in the report language.

Word and LibreOffice pick the font of CJK characters from a run's East Asian
font (``w:eastAsia`` of ``w:rFonts``), not from its Latin one, so every run,
and the document defaults and styles, name a CJK font: Noto Sans CJK SC (the
font Debian's fonts-noto-cjk installs and the charts use), with 宋体 (SimSun)
as the font table's alternative for a Windows PC without Noto. Tables get
column widths from their contents that add up to the page's text width, so
none runs off the page and a place name is never broken per character."""

from __future__ import annotations

import datetime
import io
import re
from typing import IO, Any

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor

from literacy.report.charts import all_charts, chart_language
from literacy.report.data import ReportData, t
from literacy.report.tables import PeopleTable, body_tables, headline, report_methods

EAST_ASIAN_FONT = "Noto Sans CJK SC"
EAST_ASIAN_ALTERNATIVE = "宋体"  # SimSun: on every Chinese Windows
LATIN_FONT = "Arial"
# A4 portrait with 1.8 cm margins: the width a table may take.
PAGE_WIDTH_CM, PAGE_HEIGHT_CM, MARGIN_CM = 21.0, 29.7, 1.8
TEXT_WIDTH_CM = PAGE_WIDTH_CM - 2 * MARGIN_CM
CHART_DPI = 220  # print resolution: a 16 cm wide chart at ~220 dpi
_GREY = "EEEEEE"
_CJK = re.compile(r"[\u2e80-\u9fff\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef]")


def write_docx(data: ReportData, handle: IO[bytes], lang: str) -> None:
    """Write the report to ``handle`` as a .docx."""
    document = build_document(data, lang)
    document.save(handle)


def build_document(data: ReportData, lang: str) -> Any:
    document = Document()
    _set_up(document, lang)
    _paragraph(document, t("title", lang), style="Title")
    _paragraph(document, f"{t('date', lang)}: {datetime.date.today().isoformat()}", size=9, colour="555555")
    head = headline(data, lang)
    _paragraph(document, head.title, style="Heading 1")
    evidence = head.frame.columns[-1]
    table = PeopleTable(head.key, head.title, head.frame.drop(columns=[evidence]),
                        head.units.drop(columns=[evidence]), head.grey, head.colours, head.status_column)  # fmt: skip
    _table(document, table, nowrap_first=True)
    for note in head.notes:
        _paragraph(document, note, size=8, colour="555555")
    for place, sentence_ in zip(head.frame.iloc[:, 0], head.frame[evidence], strict=True):
        paragraph = _paragraph(document, "", style="List Bullet")
        _run(paragraph, f"{place}: ", bold=True, size=9)
        _run(paragraph, str(sentence_), size=9)
    charts = all_charts(data, chart_language(lang), dpi=CHART_DPI)
    _paragraph(document, t("charts", lang), style="Heading 1")
    for key, png in charts.items():
        document.add_picture(io.BytesIO(png), width=Cm(min(16.0, TEXT_WIDTH_CM)))
        document.paragraphs[-1].alignment = WD_ALIGN_PARAGRAPH.CENTER
        for run in document.paragraphs[-1].runs:  # the picture's run too: every run names its fonts
            _fonts(run._r.get_or_add_rPr(), hint=False)
        caption = _paragraph(document, t(key, lang), size=9, colour="555555")
        caption.alignment = WD_ALIGN_PARAGRAPH.CENTER
    for table in body_tables(data, lang, text=True):
        _paragraph(document, table.title, style="Heading 1")
        _table(document, table, nowrap_first=True)
        for note in table.notes:
            _paragraph(document, note, size=8, colour="555555")
    _paragraph(document, t("methods", lang), style="Heading 1")
    rows = report_methods(data, lang)
    import pandas as pd

    frame = pd.DataFrame(rows, columns=[" ", "  "])
    _table(document, PeopleTable("methods", "", frame, pd.DataFrame(None, index=frame.index, columns=frame.columns)),
           header=False, widths=[0.32, 0.68])  # fmt: skip
    return document


def _set_up(document: Any, lang: str) -> None:
    """A4 portrait, margins, page numbers in the footer, and the fonts of the
    document defaults and every style this report uses."""
    section = document.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Cm(PAGE_WIDTH_CM), Cm(PAGE_HEIGHT_CM)
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Cm(MARGIN_CM))
    footer = section.footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _page_field(footer, "PAGE")
    _run(footer, " / ", size=8)
    _page_field(footer, "NUMPAGES")
    document.core_properties.title = t("title", lang)
    document.core_properties.language = "zh-CN" if lang == "zh" else "en-GB"
    document.core_properties.author = "literacy"
    document.core_properties.comments = ""
    defaults = document.styles.element.find(qn("w:docDefaults"))
    if defaults is not None:
        run_defaults = defaults.find(qn("w:rPrDefault"))
        if run_defaults is not None:
            properties = run_defaults.find(qn("w:rPr"))
            if properties is not None:
                _fonts(properties)
                _language(properties, lang)
    for name in ("Normal", "Title", "Heading 1", "Heading 2", "List Bullet", "Table Grid", "Footer"):
        try:
            style = document.styles[name]
        except KeyError:
            continue
        _fonts(style.element.get_or_add_rPr())
    document.styles["Normal"].font.size = Pt(10)
    document.styles["Title"].font.size = Pt(20)
    document.styles["Heading 1"].font.size = Pt(14)
    _font_table(document)
    # The template's thumbnail shows python-docx's sample page, not this report.
    for rel_id, rel in list(document.part.package.rels.items()):
        if rel.reltype.endswith("/thumbnail"):
            document.part.package.rels.pop(rel_id)


def _fonts(properties: Any, *, hint: bool = True) -> None:
    """Name the Latin and East Asian fonts explicitly (no theme font, which
    Word resolves to a Latin-only face for some locales)."""
    fonts = properties.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        properties.insert(0, fonts)
    for attribute in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        if fonts.get(qn(attribute)) is not None:
            del fonts.attrib[qn(attribute)]
    fonts.set(qn("w:ascii"), LATIN_FONT)
    fonts.set(qn("w:hAnsi"), LATIN_FONT)
    fonts.set(qn("w:cs"), LATIN_FONT)
    fonts.set(qn("w:eastAsia"), EAST_ASIAN_FONT)
    if hint:  # shared characters (quotes, dashes) take the East Asian font; not in a run without CJK
        fonts.set(qn("w:hint"), "eastAsia")


def _language(properties: Any, lang: str) -> None:
    language = properties.find(qn("w:lang"))
    if language is None:
        language = OxmlElement("w:lang")
        properties.append(language)
    # w:val is the language of Latin text (numbers, English words) whatever the
    # report's language: as zh-CN, LibreOffice breaks "12.0%" inside the number.
    language.set(qn("w:val"), "en-GB")
    language.set(qn("w:eastAsia"), "zh-CN")


def _font_table(document: Any) -> None:
    """Declare the CJK font in the font table with 宋体 as its alternative
    name and the GB2312 character set, so Word on a PC without Noto takes a
    Chinese font for it rather than a Latin one."""
    part = next((p for p in document.part.package.iter_parts() if str(p.partname) == "/word/fontTable.xml"), None)
    if part is None or b"Noto Sans CJK SC" in part.blob:
        return
    entry = (
        f'<w:font w:name="{EAST_ASIAN_FONT}"><w:altName w:val="{EAST_ASIAN_ALTERNATIVE}"/>'
        '<w:charset w:val="86"/><w:family w:val="swiss"/><w:pitch w:val="variable"/></w:font>'
    ).encode()
    blob = part.blob
    end = blob.rfind(b"</w:fonts>")
    if end > 0:
        part._blob = blob[:end] + entry + blob[end:]


def _page_field(paragraph: Any, code: str) -> None:
    """A PAGE or NUMPAGES field (Word and LibreOffice fill them in)."""
    run = _run(paragraph, "", size=8)
    begin, text, end = OxmlElement("w:fldChar"), OxmlElement("w:instrText"), OxmlElement("w:fldChar")
    begin.set(qn("w:fldCharType"), "begin")
    text.set(qn("xml:space"), "preserve")
    text.text = f" {code} "
    end.set(qn("w:fldCharType"), "end")
    run._r.append(begin)
    run._r.append(text)
    run._r.append(end)


def _run(paragraph: Any, text: str, *, bold: bool = False, size: float | None = None,
         colour: str | None = None) -> Any:  # fmt: skip
    """A run with the East Asian font set on the run itself."""
    run = paragraph.add_run(_clean(text))
    run.bold = bold or None
    if size:
        run.font.size = Pt(size)
    if colour:
        run.font.color.rgb = RGBColor.from_string(colour)
    _fonts(run._r.get_or_add_rPr(), hint=bool(_CJK.search(text)))
    return run


def _clean(text: str) -> str:
    """XML 1.0 has no place for most control characters: a user value with
    one (a form feed, a NUL) would make python-docx fail; a space instead."""
    text = re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", " ", str(text))
    # A negative number's sign as the minus sign (U+2212): after a hyphen a
    # line may break, which split "-0.7" in two; not in "2021-2025" or "18-29".
    return re.sub(r"(?<!\w)-(?=\d)", "\u2212", text)


def _paragraph(document: Any, text: str, *, style: str | None = None, size: float | None = None,
               colour: str | None = None) -> Any:  # fmt: skip
    paragraph = document.add_paragraph(style=style)
    if text:
        _run(paragraph, text, size=size, colour=colour)
    return paragraph


def display_width(text: str) -> float:
    """Width in ems: a CJK character is one em, a Latin one about 0.6 (Arial's digits are 0.556)."""
    return sum(1.0 if _CJK.match(ch) else 0.62 for ch in text)


# Cell margins (left and right, each) set on every table, and the width a
# column needs besides its text: both margins and a little air.
CELL_MARGIN_CM = 0.1
PADDING_CM = 2 * CELL_MARGIN_CM + 0.08
# A column of CJK text keeps at least this many characters on a line (a header
# such as 标准误（百分点） breaks into lines of four, not of one or two).
CJK_MIN_CHARACTERS = 4.0
# The longest first-column text kept on one line: place names (鄂尔多斯市, Inner Mongolia).
PLACE_NAME_EMS = 12.0
# Bold header text is a little wider than the regular text it was measured as.
BOLD = 1.08
# The font sizes a wide table may step down to before any word would break.
FONT_SIZES = (8.0, 7.5, 7.0, 6.5)
_LATIN_RUN = re.compile(r"[^\s\u2e80-\u9fff\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef]+")


def _latin_words(text: str) -> list[str]:
    """The pieces a Latin cell may break into: the whole cell when short."""
    return [text] if len(text) <= 12 else text.split()


def _run_pieces(run: str) -> list[str]:
    """The pieces a long Latin run inside Chinese text (a file name, a URL)
    may break into: after a hyphen, slash, dot or comma, as Word and
    LibreOffice break it; a short run (a number, 2021-2025) stays whole."""
    return [run] if len(run) <= 12 else [p for p in re.split(r"(?<=[-/_.,])", run) if p]


def least_width(text: str, *, whole: bool = False) -> float:
    """The narrowest a cell's text may be set, in ems: the whole text when
    ``whole``; else its longest Latin word (Latin text breaks at spaces only,
    a short cell such as "12.0% (2025)" not at all), and CJK text at least
    :data:`CJK_MIN_CHARACTERS` characters wide (or all of it, if shorter)."""
    if whole:
        return display_width(text)
    if not _CJK.search(text):
        return max((display_width(w) for w in _latin_words(text)), default=0.0)
    latin = max((display_width(p) for run in _LATIN_RUN.findall(text) for p in _run_pieces(run)), default=0.0)
    return max(min(display_width(text), CJK_MIN_CHARACTERS), latin)


def header_width(text: str) -> float:
    """The narrowest a header may be, in ems: its longest word in English
    (never broken inside a word), about four characters in Chinese."""
    if not _CJK.search(text):
        return BOLD * max((display_width(w) for w in text.split()), default=0.0)
    return BOLD * least_width(text)


def minimum_widths(cells: list[list[str]], *, nowrap_first: bool, font_pt: float,
                   header: bool = True) -> list[float]:  # fmt: skip
    """Each column's least width in cm at ``font_pt``: its header's longest
    word and its cells' (the first column, place names, and columns of short
    cells such as 男 or 城镇: their longest cell, never broken)."""
    em_cm = font_pt * 0.03528  # 1 pt = 0.03528 cm
    least = []
    for index, column in enumerate(zip(*cells, strict=True) if cells else []):
        texts = [str(c) for c in column]
        body = texts[1:] if header and len(texts) > 1 else texts
        longest = max(display_width(c) for c in body)
        # A place name in the first column is never broken; a longer first column (a plan's title) may wrap.
        whole = (index == 0 and nowrap_first and longest <= PLACE_NAME_EMS) or longest <= 8
        word = max(least_width(c, whole=whole) for c in body)
        if header:
            word = max(word, header_width(texts[0]))
        least.append(word * em_cm + PADDING_CM)
    return least


def column_widths(cells: list[list[str]], *, nowrap_first: bool, font_pt: float, header: bool = True) -> list[float]:
    """Widths in cm adding up to the text width: each column gets at least
    its :func:`minimum_widths` (scaled down only if even those overflow the
    page, which :func:`table_font` avoids), the rest shared in proportion to
    the longer contents."""
    em_cm = font_pt * 0.03528
    least = minimum_widths(cells, nowrap_first=nowrap_first, font_pt=font_pt, header=header)
    columns = list(zip(*cells, strict=True)) if cells else []
    wants = []
    for column in columns:
        texts = [str(c) for c in column]
        body = texts[1:] if header and len(texts) > 1 else texts
        wants.append(min(max(display_width(c) for c in body), 40) * em_cm + PADDING_CM)  # headers may wrap
    total_least = sum(least)
    if total_least >= TEXT_WIDTH_CM:
        return [w * TEXT_WIDTH_CM / total_least for w in least]
    spare = TEXT_WIDTH_CM - total_least
    extra = [max(w - m, 0) for w, m in zip(wants, least, strict=True)]
    if sum(extra) <= spare:
        return [m + e + (spare - sum(extra)) / len(least) for m, e in zip(least, extra, strict=True)]
    return [m + spare * e / sum(extra) for m, e in zip(least, extra, strict=True)]


def table_font(cells: list[list[str]], *, nowrap_first: bool, header: bool = True) -> float:
    """The largest of :data:`FONT_SIZES` at which every column's least width
    fits the page (9 pt for a table of five columns or fewer that fits)."""
    sizes = ((9.0,) if len(cells[0]) <= 5 else ()) + FONT_SIZES if cells else FONT_SIZES
    for size in sizes:
        if sum(minimum_widths(cells, nowrap_first=nowrap_first, font_pt=size, header=header)) <= TEXT_WIDTH_CM:
            return size
    return FONT_SIZES[-1]


def _table(document: Any, table: PeopleTable, *, nowrap_first: bool = False, header: bool = True,
           widths: list[float] | None = None) -> Any:  # fmt: skip
    """A table that fits the page: 8 pt when it has many columns, widths from
    its contents, a repeated header row, grey unreliable rows and the status
    cells in their colour."""
    text = table.text()
    columns = [str(c) for c in text.columns]
    body = [[str(v) for v in row] for row in text.itertuples(index=False)]
    cells_for_width = ([columns] if header else []) + body
    if widths is not None:
        font_pt = 9.0
        width_cm = [w * TEXT_WIDTH_CM for w in widths]
    else:
        font_pt = table_font(cells_for_width, nowrap_first=nowrap_first, header=header)
        width_cm = column_widths(cells_for_width, nowrap_first=nowrap_first, font_pt=font_pt, header=header)
    numeric = [table.units.iloc[:, i].notna().any() for i in range(len(columns))]
    out = document.add_table(rows=len(body) + (1 if header else 0), cols=len(columns))
    out.style = document.styles["Table Grid"]
    out.alignment = WD_TABLE_ALIGNMENT.CENTER
    out.autofit = False
    _fixed_layout(out)
    _cell_margins(out)
    for index, width in enumerate(width_cm):
        out.columns[index].width = Cm(width)
    offset = 0
    if header:
        offset = 1
        row = out.rows[0]
        _repeat_header(row)
        for index, name in enumerate(columns):
            cell = row.cells[index]
            cell.width = Cm(width_cm[index])
            _shade(cell, "F3F3F3")
            _cell_text(cell, name, bold=True, size=font_pt)
    for r, values in enumerate(body):
        row = out.rows[r + offset]
        grey = r < len(table.grey) and table.grey[r]
        colour = table.colours[r] if r < len(table.colours) else None
        for index, value in enumerate(values):
            cell = row.cells[index]
            cell.width = Cm(width_cm[index])
            if columns[index] == table.status_column and colour:
                _shade(cell, colour.lstrip("#").upper())
                _cell_text(cell, value, bold=True, size=font_pt, colour="FFFFFF")
                continue
            if grey:
                _shade(cell, _GREY)
            paragraph = _cell_text(cell, value, size=font_pt, colour="777777" if grey else None)
            if numeric[index]:
                paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    return out


def _cell_text(cell: Any, text: str, *, bold: bool = False, size: float = 9, colour: str | None = None) -> Any:
    paragraph = cell.paragraphs[0]
    paragraph.paragraph_format.space_after = Pt(0)
    _run(paragraph, text, bold=bold, size=size, colour=colour)
    return paragraph


def _shade(cell: Any, fill: str) -> None:
    properties = cell._tc.get_or_add_tcPr()
    shading = OxmlElement("w:shd")
    shading.set(qn("w:val"), "clear")
    shading.set(qn("w:color"), "auto")
    shading.set(qn("w:fill"), fill)
    properties.append(shading)


def _repeat_header(row: Any) -> None:
    """Repeat the header row on every page a long table runs over."""
    properties = row._tr.get_or_add_trPr()
    repeat = OxmlElement("w:tblHeader")
    repeat.set(qn("w:val"), "true")
    properties.append(repeat)


def _cell_margins(table: Any) -> None:
    """Left and right cell margins of :data:`CELL_MARGIN_CM` (the widths count them)."""
    margins = OxmlElement("w:tblCellMar")
    for side in ("left", "right"):
        margin = OxmlElement(f"w:{side}")
        margin.set(qn("w:w"), str(round(CELL_MARGIN_CM * 567)))  # twips
        margin.set(qn("w:type"), "dxa")
        margins.append(margin)
    _table_property(table, margins)


def _table_property(table: Any, element: Any) -> None:
    """Add ``element`` to the table's properties in the schema's order (Word
    checks it): tblLayout and tblCellMar come before tblLook."""
    properties = table._tbl.tblPr
    look = properties.find(qn("w:tblLook"))
    if look is not None:
        look.addprevious(element)
    else:
        properties.append(element)


def _fixed_layout(table: Any) -> None:
    """Fixed layout: Word and LibreOffice keep the widths given, rather than
    widening a column to its longest line past the page edge."""
    layout = OxmlElement("w:tblLayout")
    layout.set(qn("w:type"), "fixed")
    _table_property(table, layout)
