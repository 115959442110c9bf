"""Import an office's own questionnaire: an item table (题号, 维度, 题型, 题干,
选项A…, 答案, 分值) in ``.xlsx``/``.xls``/``.csv``, or an XLSForm with
``literacy::key``, ``literacy::dimension`` and ``literacy::points`` columns,
turned into an instrument YAML that :func:`literacy.load_instrument` reads.

Why: the national item bank is not public, so offices score their own
questionnaires; what they keep is a spreadsheet of items, not YAML. Every
problem of the sheet is listed at once with its sheet row, and nothing is
written until the whole instrument passes the same checks as
``literacy questionnaire check``.

Coding follows the shipped instruments: options are coded by their letter
(选项A = 1, 选项B = 2, ..., wherever the column stands); 判断 items use the
true/false set (对 = 1, 错 = 2); don't know 8, refused 9, not asked 7, so an
option reading 不知道 is refused. Items are ordered by 题号 (numbers as
numbers), so the order of the sheet's rows changes nothing; dimensions come in
the order of their first item. What Excel's formatting hides is not taken on
trust: a cell Excel made a date is refused, a formatted number is read as Excel
shows it (29%), hidden rows are left out with a warning.
"""

from __future__ import annotations

import csv
import datetime
import decimal
import hashlib
import io
import re
import unicodedata
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from literacy.errors import LiteracyError, spell
from literacy.instrument import (
    ITEM_TYPES,
    MISSING_LABELS,
    RULES,
    Instrument,
    list_instruments,
    parse_instrument,
)
from literacy.io.platforms import normalise_text
from literacy.io.tables import write_text

TABLE_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".csv")
MAX_TABLE_ROWS = 20_000
"""No questionnaire has this many items; a bigger sheet is the wrong file."""
MAX_CSV_BYTES = 20 * 2**20
MAX_OPTIONS = 6
"""选项A…选项F: codes 1-6 stay clear of the missing codes 7, 8 and 9."""
DEFAULT_MISSING = {"dont_know": 8, "refused": 9, "not_asked": 7}
TRUE_FALSE_SET = [
    {"code": 1, "label": {"zh": "对", "en": "True"}},
    {"code": 2, "label": {"zh": "错", "en": "False"}},
]
_HEADER_SEARCH_ROWS = 20

# Column headers as offices write them (compared after _norm_header).
COLUMNS: dict[str, tuple[str, ...]] = {
    "id": ("题号", "编号", "序号", "题目编号", "id", "item", "itemid", "item_id", "no"),
    "dimension": ("维度", "维度名称", "dimension", "domain"),
    "dimension_en": ("维度英文", "英文维度", "dimension_en", "dimensionen", "dimension(en)"),
    "type": ("题型", "类型", "type", "itemtype", "item_type"),
    "text": ("题干", "题目", "题干中文", "text", "question", "stem", "text_zh"),
    "text_en": ("英文题干", "题干英文", "text_en", "texten", "text(en)", "english", "englishtext", "english_text"),
    "key": ("答案", "正确答案", "标准答案", "key", "answer", "answerkey", "answer_key"),
    "points": ("分值", "分数", "points", "point", "score"),
    "note": ("备注", "说明", "note", "notes"),
}
_HEADER_NAMES = {alias: field for field, aliases in COLUMNS.items() for alias in aliases}
_OPTION_HEADER = re.compile(r"^(?:选项|option_?)([a-f1-6])(_?en|英文|\(en\))?$")
REQUIRED = ("id", "dimension", "type", "text", "key")
SHOWN = {"id": "题号", "dimension": "维度", "type": "题型", "text": "题干", "key": "答案", "points": "分值"}

TYPE_WORDS: dict[str, str] = {
    **dict.fromkeys(("判断", "判断题", "是非", "是非题", "true_false", "truefalse", "tf"), "true_false"),
    **dict.fromkeys(
        ("单选", "单选题", "单项选择", "单项选择题", "single_choice", "single", "singlechoice"), "single_choice"
    ),
    **dict.fromkeys(
        ("多选", "多选题", "多项选择", "多项选择题", "multiple_choice", "multiple", "multiplechoice"), "multiple_choice"
    ),
    **dict.fromkeys(("编码", "编码题", "开放题", "开放编码", "coded_open", "codedopen"), "coded_open"),
}
TRUE_WORDS = frozenset({"对", "√", "✓", "✔", "正确", "t", "true"})
FALSE_WORDS = frozenset({"错", "×", "✗", "✘", "x", "错误", "f", "false"})
_KEY_SEPARATORS = re.compile(r"[\s,;、/|]+")
STANDARD_SHEETS = ("standard", "标准", "评分标准", "判定标准")
STANDARD_COLUMNS: dict[str, tuple[str, ...]] = {
    "setting": ("setting", "设置", "项目"),
    "target": ("target", "对象", "维度或等级"),
    "value": ("value", "值", "取值"),
    "label": ("label", "名称", "标签"),
    "label_en": ("label_en", "英文名称", "英文标签"),
}
_STANDARD_NAMES = {alias: field for field, aliases in STANDARD_COLUMNS.items() for alias in aliases}
STANDARD_SETTINGS = (
    "rule",
    "inclusive",
    "max_missing_share",
    "cut_share",
    "scale",
    "weight",
    "min_share",
    "min_points",
    "grade",
    "literate_grades",
    "note",
)
_ID_PATTERN = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]*$")
_AGE_CONSTRAINT = re.compile(r"\.\s*>=\s*(\d+)\s+and\s+\.\s*<=\s*(\d+)")


class QuestionnaireImportWarning(UserWarning):
    """Something in the source that is deliberately not part of the instrument
    (an XLSForm question without ``literacy::key``), said rather than dropped."""


@dataclass(frozen=True)
class StandardFlags:
    """The standard as given on the command line (``--standard`` and its flags)."""

    rule: str | None = None
    cut_share: float | None = None
    min_share: float | Mapping[str, float] | None = None
    min_points: Mapping[str, float] | None = None
    weights: Mapping[str, float] | None = None
    grades: Mapping[str, float | None] | None = None
    literate_grades: Sequence[str] | None = None
    scale: float | None = None
    inclusive: bool | None = None
    max_missing_share: float | None = None

    def given(self) -> list[str]:
        return [name for name, value in vars(self).items() if value is not None and name != "rule"]


def import_instrument(
    source: str | Path,
    output: str | Path | None = None,
    *,
    instrument_id: str,
    title: str | None = None,
    version: str | None = None,
    sheet: str | None = None,
    standard: str | None = None,
    cut_share: float | None = None,
    min_share: float | Mapping[str, float] | None = None,
    min_points: Mapping[str, float] | None = None,
    weights: Mapping[str, float] | None = None,
    grades: Mapping[str, float | None] | None = None,
    literate_grades: Sequence[str] | None = None,
    scale: float | None = None,
    inclusive: bool | None = None,
    max_missing_share: float | None = None,
    force: bool = False,
) -> Instrument:
    """Read an item table or XLSForm, check it whole, write the instrument
    YAML to ``output`` (when given) and return the loaded :class:`Instrument`.

    The standard comes from ``standard=`` and its settings (``cut_share``,
    ``min_share``/``min_points``, ``weights``/``grades``/``literate_grades``)
    or, when ``standard`` is not given, from a sheet named ``standard`` in the
    workbook. Dimensions in ``min_share``, ``weights`` etc. are named by
    their text in the sheet or their id.
    """
    flags = StandardFlags(
        standard,
        cut_share,
        min_share,
        min_points,
        weights,
        grades,
        literate_grades,
        scale,
        inclusive,
        max_missing_share,
    )
    if output is not None and Path(output).suffix.lower() not in (".yaml", ".yml"):
        raise LiteracyError(
            f"{output} does not end in .yaml, but the instrument is written as YAML; name it e.g. "
            f"{Path(output).with_suffix('.yaml').name}. Nothing was written."
        )
    raw = instrument_dict(source, instrument_id=instrument_id, title=title, version=version, sheet=sheet, flags=flags)
    instrument = _parse(raw, Path(source))
    if output is None:
        return instrument
    output = Path(output)
    if output.exists() and output.resolve() == Path(source).resolve():
        raise LiteracyError(f"{output} is the table being imported; write the instrument to another file.")
    text = instrument_yaml(raw, Path(source).name)
    write_text(output, text, force=force)
    return parse_instrument(raw, source=str(output), path=output)


def _parse(raw: dict[str, Any], path: Path) -> Instrument:
    """The instrument, or the checks' problems in the import's own words
    (the table cannot be imported; nothing was written)."""
    source = f"<{path.name}>"
    try:
        return parse_instrument(raw, source=source)
    except LiteracyError as error:
        details = [line.removeprefix(f"{source}: ") for line in error.details] or [error.message]
        count = len(details)
        raise LiteracyError(
            f"{path} cannot be imported ({count} problem{'s' if count != 1 else ''}); nothing was written:",
            details=details,
        ) from None


def instrument_dict(
    source: str | Path,
    *,
    instrument_id: str,
    title: str | None = None,
    version: str | None = None,
    sheet: str | None = None,
    flags: StandardFlags = StandardFlags(),
) -> dict[str, Any]:
    """The instrument as the YAML mapping (what :func:`import_instrument`
    writes), or one :class:`LiteracyError` listing every problem by row."""
    path = Path(source)
    if not path.is_file():
        raise LiteracyError(f"{path} does not exist; check the path.")
    suffix = path.suffix.lower()
    if suffix not in TABLE_SUFFIXES:
        raise LiteracyError(
            f"{path} is not an item table; give an .xlsx, .xls or .csv file (an XLSForm is an .xlsx workbook)."
        )
    book = _read_sheets(path)
    sheets = book.sheets
    problems: list[str] = []
    names = {name.strip().casefold(): name for name in sheets}
    if "survey" in names and "choices" in names:
        if sheet is not None:
            problems.append(f"{spell('--sheet', 'sheet=')} does not apply to an XLSForm (its survey sheet is read).")
        body = _from_xlsform(book, names, problems)
        standard_name = next((names[n] for n in STANDARD_SHEETS if n in names), None)
    else:
        item_name = _pick_sheet(path, sheets, sheet)
        body = _from_table(
            sheets[item_name],
            problems,
            dates=book.dates.get(item_name, {}),
            shown=book.shown.get(item_name, {}),
            hidden=book.hidden.get(item_name, set()),
            no_header=lambda: _no_header(path, item_name, sheets, chosen=sheet is not None),
        )
        standard_name = next(
            (name for name in sheets if name.strip().casefold() in STANDARD_SHEETS and name != item_name), None
        )
    if not _ID_PATTERN.match(instrument_id or ""):
        problems.append(
            f"the instrument id {instrument_id!r} must start with a letter or _ and hold only letters, digits, _, - "
            "and . (e.g. wuhai-2025)."
        )
    dimensions = body["dimensions"]
    points: dict[str, float] = {}
    for item in body["items"]:
        points[item["dimension"]] = points.get(item["dimension"], 0) + item.get("points", 1)
    standard: dict[str, Any] = {}
    if not dimensions and problems:
        pass  # no items were read: a standard naming dimensions can only add noise
    elif flags.rule is not None:
        standard = _standard_from_flags(flags, dimensions, points, problems)
        if standard_name is not None:
            warnings.warn(
                f"{path.name} has a sheet {standard_name}, but the standard comes from "
                f"{spell('--standard and its flags', 'standard= and its settings')}; the sheet is not read.",
                QuestionnaireImportWarning,
                stacklevel=3,
            )
    elif flags.given():
        given = ", ".join(spell(f"--{name.replace('_', '-')}", f"{name}=") for name in flags.given())
        problems.append(f"{given} given without {spell('--standard RULE', 'standard=RULE')}; name the rule too.")
    elif standard_name is not None:
        standard = _standard_from_sheet(sheets[standard_name], dimensions, points, problems)
    else:
        problems.append(f"{path.name} states no standard. {_standard_help()}")
    if problems:
        count = len(problems)
        raise LiteracyError(
            f"{path} cannot be imported ({count} problem{'s' if count != 1 else ''}); nothing was written:",
            details=problems,
        )
    settings_title = body.pop("title", None)
    text = title or settings_title or path.stem
    raw: dict[str, Any] = {
        "id": instrument_id,
        "version": version or body.pop("version", None) or "1.0",
        "title": {"zh": text, "en": text},
        "source": f"Imported from {path.name} by literacy questionnaire import.",
        "population": body["population"],
        "missing_codes": body["missing_codes"],
    }
    if any(item.get("options") == "true_false" for item in body["items"]):
        raw["option_sets"] = {"true_false": TRUE_FALSE_SET}
    raw["dimensions"] = [dict(d) for d in dimensions]
    for dimension in raw["dimensions"]:
        if dimension["id"] in standard.get("_weights", {}):
            dimension["weight"] = standard["_weights"][dimension["id"]]
    standard.pop("_weights", None)
    raw["items"] = body["items"]
    raw["standard"] = standard
    return raw


def _standard_help() -> str:
    """What to give for the standard, as flags on the command line and as
    arguments in Python."""
    rules = spell(
        "--standard total_score_cut --cut-share 0.6; --standard all_dimensions_pass --min-share 0.6; "
        "or --standard weighted_grades --weights 科学知识=40,... --grades 优秀=85,合格=60,不合格 "
        "--literate-grades 优秀,合格",
        'standard="total_score_cut", cut_share=0.6; standard="all_dimensions_pass", min_share=0.6; '
        'or standard="weighted_grades", weights={"科学知识": 40, ...}, '
        'grades={"优秀": 85, "合格": 60, "不合格": None}, literate_grades=["优秀", "合格"]',
    )
    return f"Give the rule: {rules}; or add a sheet named standard (setting, target, value, label)."


def instrument_yaml(raw: Mapping[str, Any], source_name: str) -> str:
    """The instrument as YAML text: no anchors (``read_yaml`` refuses them),
    Chinese written as is."""
    body = yaml.dump(dict(raw), Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=120)
    return f"# Imported from {source_name} by `literacy questionnaire import`; check it, then edit freely.\n{body}"


class _Dumper(yaml.SafeDumper):
    def ignore_aliases(self, data: Any) -> bool:
        return True


# --------------------------------------------------------------------------
# Reading the file: every sheet as rows of text with their sheet row numbers
# --------------------------------------------------------------------------

Rows = list[tuple[int, list[str]]]
Cells = dict[tuple[int, int], str]
"""(sheet row, column index) -> text, for the cells that need it."""


@dataclass
class _Book:
    """A workbook's sheets as text, with what Excel's formatting hides: the
    cells Excel holds as dates (refused: the text typed is lost), the text
    Excel shows for a formatted number (29% rather than 0.29) and the hidden
    rows."""

    sheets: dict[str, Rows]
    dates: dict[str, Cells] = field(default_factory=dict)
    shown: dict[str, Cells] = field(default_factory=dict)
    hidden: dict[str, set[int]] = field(default_factory=dict)


def _read_sheets(path: Path) -> _Book:
    if path.suffix.lower() == ".csv":
        return _Book({path.stem: _csv_rows(path)})
    from python_calamine import CalamineWorkbook

    from literacy.io.spreadsheets import check_spreadsheet

    check_spreadsheet(path)
    book = _Book({})
    try:
        workbook = CalamineWorkbook.from_path(str(path))
        for name in workbook.sheet_names:
            data = workbook.get_sheet_by_name(name).to_python(skip_empty_area=False)
            if len(data) > MAX_TABLE_ROWS:
                raise LiteracyError(
                    f"{path} sheet {name} has {len(data):,} rows, more than the {MAX_TABLE_ROWS:,} an item table may "
                    "have; check that it is the right file."
                )
            rows: Rows = []
            dates: Cells = {}
            for number, row in enumerate(data, start=1):
                for index, value in enumerate(row):
                    if isinstance(value, (datetime.date, datetime.time, datetime.timedelta)):
                        dates[(number, index)] = _cell(value)
                rows.append((number, [_cell(v) for v in row]))
            book.sheets[name] = rows
            book.dates[name] = dates
    except LiteracyError:
        raise
    except Exception as exc:  # calamine raises its own types for a damaged workbook
        raise LiteracyError(
            f"{path} could not be read as a workbook ({exc}); save it again from Excel or WPS."
        ) from None
    _read_formatting(path, book)
    return book


def _read_formatting(path: Path, book: _Book) -> None:
    """Hidden rows and the text of formatted numbers, from openpyxl (.xlsx)
    or xlrd (.xls); calamine, which reads the values, gives neither. A file
    these cannot read keeps its values as calamine read them."""
    try:
        if path.suffix.lower() == ".xls":
            import xlrd

            workbook = xlrd.open_workbook(str(path), formatting_info=True)
            for sheet in workbook.sheets():
                book.hidden[sheet.name] = {r + 1 for r, info in sheet.rowinfo_map.items() if info.hidden}
                shown: Cells = {}
                for r in range(sheet.nrows):
                    for c in range(sheet.ncols):
                        if sheet.cell_type(r, c) == xlrd.XL_CELL_NUMBER:
                            xf = workbook.xf_list[sheet.cell_xf_index(r, c)]
                            text = _formatted(sheet.cell_value(r, c), workbook.format_map[xf.format_key].format_str)
                            if text is not None:
                                shown[(r + 1, c)] = text
                book.shown[sheet.name] = shown
            return
        import openpyxl

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # openpyxl's notes on data validation and extensions
            workbook = openpyxl.load_workbook(path, data_only=True)
        for worksheet in workbook.worksheets:
            book.hidden[worksheet.title] = {r for r, dim in worksheet.row_dimensions.items() if dim.hidden}
            shown = {}
            for row in worksheet.iter_rows():
                for cell in row:
                    value = cell.value
                    if isinstance(value, (int, float)) and not isinstance(value, bool):
                        text = _formatted(value, cell.number_format)
                        if text is not None:
                            shown[(cell.row, cell.column - 1)] = text
            book.shown[worksheet.title] = shown
    except Exception:  # the values are read; only the formatting is missing
        return


_NUMBER_FORMAT = re.compile(r"^[#0,]*0(?:\.(0+))?(%?)$")


def _formatted(value: float, number_format: str) -> str | None:
    """The text Excel shows for ``value`` under a plain number format
    (``0%``, ``0.0%``, ``#,##0``, ``0.00``), or None when the value's own text
    is what Excel shows (General) or the format is not a plain one."""
    section = re.sub(r"\[[^\]]*\]|_.|\*.", "", number_format.split(";")[0]).strip()
    match = _NUMBER_FORMAT.match(section)
    if match is None:
        return None
    decimals, percent = len(match.group(1) or ""), match.group(2)
    number = decimal.Decimal(repr(float(value))) * (100 if percent else 1)
    rounded = number.quantize(decimal.Decimal(1).scaleb(-decimals), rounding=decimal.ROUND_HALF_UP)
    text = f"{rounded:,}" if "," in section else f"{rounded}"
    return text + percent


def _csv_rows(path: Path) -> Rows:
    size = path.stat().st_size
    if size > MAX_CSV_BYTES:
        raise LiteracyError(f"{path} is {size / 2**20:,.0f} MiB, too big for an item table; check the file.")
    data = path.read_bytes()
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # pragma: no cover - gb18030 decodes every byte string
        raise LiteracyError(f"{path} is neither UTF-8 nor GB18030 text; save it as UTF-8 CSV.")
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
        delimiter = dialect.delimiter
    except csv.Error:
        delimiter = ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    return [(number, [value.strip() for value in row]) for number, row in enumerate(reader, start=1)]


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _pick_sheet(path: Path, sheets: dict[str, Rows], sheet: str | None) -> str:
    if sheet is None:
        return next(iter(sheets))
    if sheet in sheets:
        return sheet
    raise LiteracyError(f"{path} has no sheet {sheet!r}; its sheets are {', '.join(sheets)}.")


def _norm_header(text: str) -> str:
    folded = unicodedata.normalize("NFKC", text).casefold()
    return re.sub(r"[\s:：*]+", "", folded).replace("-", "_")


def _norm(text: str) -> str:
    """Codes, ids and words compared with a list (full-width Ａ and ， as A and ,)."""
    return unicodedata.normalize("NFKC", text).strip()


def _clean(text: str) -> str:
    """Text kept as written (full-width punctuation stays)."""
    return text.strip()


def _column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


# --------------------------------------------------------------------------
# The item table
# --------------------------------------------------------------------------


_LABEL_FIELDS = ("dimension", "dimension_en", "text", "text_en", "note")


def _from_table(
    rows: Rows,
    problems: list[str],
    *,
    dates: Cells | None = None,
    shown: Cells | None = None,
    hidden: set[int] | None = None,
    no_header: Callable[[], str] | None = None,
) -> dict[str, Any]:
    """The items of an item table. ``dates``: cells Excel holds as dates
    (refused); ``shown``: the text Excel shows for formatted numbers (used in
    the label columns: options, 题干, 维度, 备注); ``hidden``: hidden rows
    (left out, with a warning)."""
    dates, shown, hidden = dates or {}, shown or {}, hidden or set()
    header_at, columns, options, options_en = _header(rows, problems, no_header)
    empty = {"dimensions": [], "items": [], "population": {}, "missing_codes": dict(DEFAULT_MISSING)}
    if header_at is None:
        return empty
    header = dict(rows)[header_at]
    label_columns = {columns[f] for f in _LABEL_FIELDS if f in columns} | set(options)
    label_columns |= {i for i in options_en if i is not None}
    items: list[tuple[str, dict[str, Any]]] = []  # (dimension text, item)
    dimension_en: dict[str, str] = {}
    dimension_rows: dict[str, int] = {}
    first_row: dict[str, tuple[int, str]] = {}  # canonical id -> (row, 题号 as written)
    skipped_hidden: list[int] = []
    headings: list[tuple[int, str]] = []
    one_answer: list[str] = []
    for number, raw_cells in rows:
        if number <= header_at or not any(raw_cells):
            continue
        if number in hidden:
            skipped_hidden.append(number)
            continue
        filled = [cell for cell in raw_cells if cell]
        if len(filled) == 1:
            headings.append((number, filled[0]))  # 一、科学知识: a section heading, not an item
            continue
        where = f"row {number}"
        before = len(problems)
        for (row, index), value in sorted(dates.items()):
            if row == number and index < len(header):
                name = header[index] or f"column {_column_letter(index)}"
                problems.append(
                    f"{where}: {name} holds a date ({value}), which Excel made of what was typed; format the column "
                    "as text (Format Cells > Text, 设置单元格格式 > 文本), type the cell again and import again."
                )
        cells = [shown.get((number, i), cell) if i in label_columns else cell for i, cell in enumerate(raw_cells)]

        def get(field: str, cells: list[str] = cells) -> str:
            index = columns.get(field)
            return cells[index] if index is not None and index < len(cells) else ""

        item_id = _item_id(get("id"), where, problems)
        key = _id_key(item_id)
        if item_id and key in first_row:
            row, written = first_row[key]
            if _item_id(written, where, []) == item_id:
                also = "" if _norm(written) == _norm(get("id")) else f' (as "{written}")'
                problems.append(f'{where}: 题号 "{get("id")}" is also on row {row}{also}; 题号 must be unique.')
            else:
                problems.append(
                    f'{where}: 题号 "{get("id")}" and "{written}" on row {row} differ only in case, which data '
                    "columns cannot tell apart; give one of them another 题号."
                )
        elif item_id:
            first_row[key] = (number, get("id"))
        dimension = _clean(get("dimension"))
        if not dimension:
            problems.append(f"{where}: 维度 is empty; name the item's dimension (e.g. 科学知识).")
        elif get("dimension_en"):
            dimension_en.setdefault(dimension, _clean(get("dimension_en")))
        type_text = _norm(get("type"))
        item_type = TYPE_WORDS.get(_norm_header(type_text))
        if item_type is None:
            problems.append(
                f'{where}: 题型 "{type_text}" is unknown; use 判断, 单选 or 多选 (or true_false, single_choice, '
                "multiple_choice)."
                if type_text
                else f"{where}: 题型 is empty; use 判断, 单选 or 多选."
            )
        text = _clean(get("text"))
        if not text:
            problems.append(f"{where}: 题干 is empty; give the question's text.")
        text_en = _clean(get("text_en")) or text
        labels = [_clean(cells[i]) if i < len(cells) else "" for i in options]
        labels_en = [_clean(cells[i]) if i is not None and i < len(cells) else "" for i in options_en]
        item: dict[str, Any] = {
            "id": item_id,
            "dimension": dimension,
            "type": item_type,
            "text": {"zh": text, "en": text_en},
        }
        if item_type is not None:
            _options_and_key(item, labels, labels_en, get("key"), where, problems)
        points = _points(get("points"), where, problems)
        if points != 1:
            item["points"] = points
        if get("note"):
            item["note"] = get("note")
        if len(problems) == before:
            items.append((dimension, item))
            dimension_rows.setdefault(dimension, number)
            if item_type == "multiple_choice" and len(item["key"]) == 1:
                one_answer.append(f"row {number} ({item_id})")
    if header_at is not None and not items and not problems:
        problems.append(f"the table has no item rows below its header (row {header_at}).")
    items.sort(key=lambda pair: _natural(pair[1]["id"]))
    dimensions = _table_dimensions([d for d, _ in items], dimension_en, dimension_rows, problems)
    by_text = {d["label"]["zh"]: d["id"] for d in dimensions}
    for dimension, item in items:
        item["dimension"] = by_text.get(dimension, "")
    for message in _table_notes(skipped_hidden, headings, one_answer):
        warnings.warn(message, QuestionnaireImportWarning, stacklevel=4)
    return {
        "dimensions": dimensions,
        "items": [item for _, item in items],
        "population": {"min_age": 18, "max_age": 69},
        "missing_codes": dict(DEFAULT_MISSING),
    }


def _table_notes(hidden: list[int], headings: list[tuple[int, str]], one_answer: list[str]) -> list[str]:
    """What the import did that the table does not show: said, not done silently."""
    notes = []
    if hidden:
        notes.append(
            f"{_rows_text(hidden)} {'is' if len(hidden) == 1 else 'are'} hidden in the sheet and not imported; "
            f"unhide {'it' if len(hidden) == 1 else 'them'} (or clear the filter) to import "
            f"{'it' if len(hidden) == 1 else 'them'}, or delete {'it' if len(hidden) == 1 else 'them'}."
        )
    if headings:
        shown = ", ".join(f'row {n} ("{text}")' for n, text in headings[:5])
        notes.append(f"{shown}{' ...' if len(headings) > 5 else ''}: one filled cell, read as a heading, not an item.")
    if one_answer:
        notes.append(
            f"{', '.join(one_answer[:10])}{' ...' if len(one_answer) > 10 else ''}: a 多选 item with one correct "
            "option (counted right only when just that option is ticked); check 答案, or make it 单选."
        )
    return notes


def _rows_text(numbers: list[int]) -> str:
    listed = ", ".join(map(str, numbers[:10])) + (" ..." if len(numbers) > 10 else "")
    return f"row {listed}" if len(numbers) == 1 else f"rows {listed}"


def _find_header(rows: Rows) -> int | None:
    """The header row: the first of the top rows naming three or more item
    columns (title rows above it are allowed)."""
    for number, cells in rows[:_HEADER_SEARCH_ROWS]:
        keys = [_norm_header(cell) for cell in cells]
        if sum(1 for key in keys if key in _HEADER_NAMES or _OPTION_HEADER.match(key)) >= 3:
            return number
    return None


def _no_header(path: Path, name: str, sheets: Mapping[str, Rows], *, chosen: bool) -> str:
    """Why no header row was found, and where the items may be instead."""
    columns = (
        "name the columns 题号, 维度, 题型, 题干, 选项A…, 答案, 分值 (or id, dimension, type, text, option_1…, key, "
        "points)"
    )
    if path.suffix.lower() == ".csv":
        found = f"{path.name} has no header row in its first {_HEADER_SEARCH_ROWS} rows"
        if _big5_header(path):
            return (
                f"{found} read as UTF-8 or GB18030 text: it looks like Big5 (traditional Chinese); save it as CSV "
                "UTF-8, with the headers in simplified Chinese (题号, 维度, 题型, 题干, 选项A…, 答案, 分值) or English."
            )
        return (
            f"{found}; {columns}. If its Chinese reads as garbage, the file is neither UTF-8 nor GB18030: save it as "
            "CSV UTF-8."
        )
    found = f"sheet {name} has no header row in its first {_HEADER_SEARCH_ROWS} rows"
    elsewhere = [other for other, rows in sheets.items() if other != name and _find_header(rows) is not None]
    if elsewhere:
        flag = spell("--sheet", "sheet=")
        return f"{found}; the items look to be on sheet {elsewhere[0]}: add {flag} {elsewhere[0]}."
    if len(sheets) > 1 and not chosen:
        return (
            f"{found}; {columns}, or give the sheet holding the items with {spell('--sheet', 'sheet=')} "
            f"(sheets: {', '.join(sheets)})."
        )
    return f"{found}; {columns}."


_BIG5_HEADERS = ("題號", "維度", "題型", "題幹", "選項", "答案")


def _big5_header(path: Path) -> bool:
    """True when the CSV reads whole as Big5 and then holds the (traditional)
    headers of an item table: a Big5 file, which GB18030 reads as garbage."""
    data = path.read_bytes()[: 64 * 1024]
    for cut in range(4):  # the 64 KiB may end inside a character
        try:
            text = data[: len(data) - cut].decode("big5")
            break
        except UnicodeDecodeError:
            continue
    else:
        return False
    return sum(word in text[:4096] for word in _BIG5_HEADERS) >= 3


def _header(
    rows: Rows, problems: list[str], no_header: Callable[[], str] | None = None
) -> tuple[int | None, dict[str, int], list[int], list[int | None]]:
    """The header row, its columns and its option columns."""
    number = _find_header(rows)
    if number is None:
        problems.append(
            no_header()
            if no_header
            else "no header row found in the first rows of the sheet; name the columns 题号, 维度, 题型, 题干, 选项A…, "
            "答案, 分值 (or id, dimension, type, text, option_1…, key, points)."
        )
        return None, {}, [], []
    cells = dict(rows)[number]
    keys = [_norm_header(cell) for cell in cells]
    columns: dict[str, int] = {}
    option_at: dict[int, int] = {}
    option_en_at: dict[int, int] = {}
    for index, (cell, key) in enumerate(zip(cells, keys, strict=True)):
        letter = _column_letter(index)
        if not key:
            has_values = any(index < len(row) and row[index] for n, row in rows if n > number)
            if has_values:
                problems.append(f"row {number}: column {letter} has values but no header; name it or delete it.")
            continue
        match = _OPTION_HEADER.match(key)
        field_name = _HEADER_NAMES.get(key)
        if match:
            position = "abcdef".index(match.group(1)) + 1 if match.group(1).isalpha() else int(match.group(1))
            target = option_en_at if match.group(2) else option_at
            if position in target:
                first = target[position]
                problems.append(
                    f'row {number}: columns {_column_letter(first)} "{cells[first]}" and {letter} "{cell}" are both '
                    f"option {'ABCDEF'[position - 1]}{' (English)' if match.group(2) else ''}; keep one."
                )
                continue
            target[position] = index
        elif field_name is not None:
            if field_name in columns:
                problems.append(
                    f'row {number}: "{cell}" and column {_column_letter(columns[field_name])} are the same column.'
                )
            columns[field_name] = index
        else:
            problems.append(
                f'row {number}: column {letter} "{cell}" is not an item-table column (题号, 维度, 题型, 题干, '
                "英文题干, 选项A…选项F, 答案, 分值, 备注); rename it (备注 keeps it as the item's note) or delete it."
            )
    missing = [SHOWN[f] for f in REQUIRED if f not in columns]
    if missing:
        problems.append(f"row {number}: the header has no {', '.join(missing)} column; add it.")
    positions = sorted(option_at)
    if positions != list(range(1, len(positions) + 1)):
        problems.append(f"row {number}: the option columns must run 选项A, 选项B, ... without gaps.")
    options = [option_at[p] for p in positions]
    options_en = [option_en_at.get(p) for p in positions]
    return number, columns, options, options_en


def _id_key(item_id: str) -> str:
    """Item ids that the data cannot tell apart (score matches columns without
    case or edge punctuation) have the same key."""
    return normalise_text(item_id)


def _item_id(value: str, where: str, problems: list[str]) -> str:
    text = _norm(value)
    if not text:
        problems.append(f"{where}: 题号 is empty; number every item.")
        return ""
    if re.fullmatch(r"\d+", text):
        return f"q{int(text)}"  # 01 and 1 are one item, as in Excel, which shows 1 as 01 when told to
    if re.fullmatch(r"\d+(\.\d+)+", text):
        return f"q{text}"
    if _ID_PATTERN.match(text):
        return text
    problems.append(
        f'{where}: 题号 "{value}" cannot name a data column; use a number (1, 2, ...) or letters and digits (K01).'
    )
    return ""


def _options_and_key(
    item: dict[str, Any], labels: list[str], labels_en: list[str], key: str, where: str, problems: list[str]
) -> None:
    filled = [i for i, label in enumerate(labels) if label]
    count = filled[-1] + 1 if filled else 0
    gaps = [i for i in range(count) if not labels[i]]
    if gaps:
        problems.append(
            f"{where}: 选项{'ABCDEF'[gaps[0]]} is empty but a later option is filled; "
            "fill the options from A without gaps."
        )
        return
    key_text = _norm(key)
    missing = [i for i in range(count) if _missing_answer(labels[i])]
    if missing:
        letter, label = "ABCDEF"[missing[0]], labels[missing[0]]
        kind = _missing_answer(label) or "dont_know"
        code, text = DEFAULT_MISSING[kind], MISSING_LABELS[kind]
        answer = {"dont_know": "don't-know", "refused": "refused", "not_asked": "not-asked"}[kind]
        problems.append(
            f'{where}: 选项{letter} "{label}" is the {answer} answer, which every item has as code {code} '
            f"({text.zh}) and which is never an option to score; delete it from the 选项 (answers of {letter} "
            f"collected before are then to be coded {code})."
        )
        return
    if item["type"] == "true_false":
        if count and not (count == 2 and labels[0].casefold() in TRUE_WORDS and labels[1].casefold() in FALSE_WORDS):
            written = ", ".join(f"选项{'ABCDEF'[i]} {labels[i]}" for i in range(count))
            problems.append(
                f"{where}: a 判断 item uses the options 对 (1), 错 (2); leave its 选项 empty, or make it 单选 "
                f"with its options as they stand ({written}) and 答案 as a letter."
            )
            return
        item["options"] = "true_false"
        word = key_text.casefold()
        if word in TRUE_WORDS:
            item["key"] = 1
        elif word in FALSE_WORDS:
            item["key"] = 2
        else:
            problems.append(
                f'{where}: 答案 "{key}" is not true or false for a 判断 item; write 对/错, √/×, 正确/错误 or T/F.'
                if key_text
                else f"{where}: 答案 is empty; give the correct answer."
            )
        return
    if count < 2:
        problems.append(f"{where}: a {_TYPE_ZH[item['type']]} item needs at least two options (选项A, 选项B, ...).")
        return
    if count > MAX_OPTIONS:
        problems.append(f"{where}: at most {MAX_OPTIONS} options (A-F); codes 7-9 are the missing-value codes.")
        return
    english = [labels_en[i] if i < len(labels_en) and labels_en[i] else labels[i] for i in range(count)]
    item["options"] = [{"code": i + 1, "label": {"zh": labels[i], "en": english[i]}} for i in range(count)]
    letters = _key_letters(key_text, where, key, problems)
    if letters is None:
        return
    last = "ABCDEF"[count - 1]
    outside = [letter for letter in letters if letter not in "ABCDEF"[:count]]
    if outside:
        problems.append(f'{where}: 答案 "{key}" but the item has options A-{last}.')
        return
    codes = sorted("ABCDEF".index(letter) + 1 for letter in letters)
    if item["type"] == "multiple_choice":
        item["key"] = codes
    elif len(codes) != 1:
        problems.append(
            f'{where}: 答案 "{key}" holds {len(codes)} letters but a {_TYPE_ZH[item["type"]]} item has one; '
            "make it 多选 or fix the answer."
        )
    else:
        item["key"] = codes[0]


_MISSING_ANSWERS = {
    "dont_know": ("不知道", "不清楚", "说不清", "说不清楚", "不知道/不清楚", "不知道不清楚", "不了解", "don't know",
                  "do not know", "dont know"),
    "refused": ("拒绝回答", "拒答", "不愿回答", "refused", "refuse to answer"),
    "not_asked": ("未询问", "not asked"),
}  # fmt: skip


def _missing_answer(label: str) -> str | None:
    """The missing-value kind an option's text names (不知道 -> dont_know), else None."""
    word = re.sub(r"[\W_]+", "", unicodedata.normalize("NFKC", label).casefold())
    for kind, phrases in _MISSING_ANSWERS.items():
        if word in {re.sub(r"[\W_]+", "", phrase) for phrase in phrases}:
            return kind
    return None


_TYPE_ZH = {"single_choice": "单选", "multiple_choice": "多选", "coded_open": "编码", "true_false": "判断"}


def _key_letters(key_text: str, where: str, key: str, problems: list[str]) -> list[str] | None:
    if not key_text:
        problems.append(f"{where}: 答案 is empty; give the correct option letter(s).")
        return None
    joined = _KEY_SEPARATORS.sub("", key_text.upper())
    if not joined or not joined.isascii() or not joined.isalpha():
        problems.append(f'{where}: 答案 "{key}" is not option letters; write e.g. B, or ABD, A,B,D, A B D or A、B、D.')
        return None
    if len(set(joined)) != len(joined):
        problems.append(f'{where}: 答案 "{key}" names an option twice.')
        return None
    return list(joined)


def _points(value: str, where: str, problems: list[str]) -> float | int:
    text = _norm(value)
    if not text:
        return 1
    try:
        number = float(text)
    except ValueError:
        number = float("nan")
    if not number > 0 or number == float("inf"):
        problems.append(f'{where}: 分值 "{value}" is not a positive number; write e.g. 1 or 2.5 (empty means 1).')
        return 1
    return int(number) if number.is_integer() else number


def _natural(text: str) -> tuple:
    """Sort key putting q2 before q10 (numbers compared as numbers)."""
    parts = tuple((0, int(p), "") if p.isdigit() else (1, 0, p.casefold()) for p in re.split(r"(\d+)", text) if p)
    return parts, text


def _table_dimensions(
    texts: list[str], english: Mapping[str, str], rows: Mapping[str, int], problems: list[str]
) -> list[dict[str, Any]]:
    """The dimensions in the order of their first item. A dimension's id
    depends on its name alone, so two names that would get the same id (科学知识
    and Knowledge) are refused, not told apart by suffixes that would change
    with the other rows."""
    ordered = list(dict.fromkeys(texts))
    ids = {text: dimension_id(text, english.get(text)) for text in ordered}
    dimensions = []
    first: dict[str, str] = {}
    for text in sorted(ordered, key=lambda t: rows.get(t, 0)):
        dim_id = ids[text]
        if dim_id in first:
            other = first[dim_id]
            problems.append(
                f'rows {rows.get(other)} and {rows.get(text)}: 维度 "{other}" and "{text}" would both get the id '
                f"{dim_id}; write one dimension one way, or rename one of them."
            )
        else:
            first[dim_id] = text
    for text in ordered:
        dimensions.append({"id": ids[text], "label": {"zh": text, "en": english.get(text) or text}})
    return dimensions


def dimension_id(text: str, english: str | None = None) -> str:
    """A stable ASCII id for a dimension named ``text``: the shipped
    instruments' id for the same label (科学知识 -> knowledge), else the English
    name or ASCII text as a slug, else ``dim_`` and a digest of the text, so
    that the same sheet always gives the same id, whatever its row order."""
    known = _shipped_dimension_ids()
    for candidate in (text, english):
        if candidate and candidate.casefold() in known:
            return known[candidate.casefold()]
    for candidate in (english, text):
        slug = re.sub(r"[^a-z0-9]+", "_", (candidate or "").casefold()).strip("_")
        if slug and candidate and candidate.isascii():
            return slug if slug[0].isalpha() else f"d_{slug}"
    return f"dim_{_digest(text)[:8]}"


def _digest(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


_KNOWN_DIMENSIONS: dict[str, str] | None = None


def _shipped_dimension_ids() -> dict[str, str]:
    """Dimension label (zh or en, case-folded) -> id, where the shipped
    instruments agree on the id."""
    global _KNOWN_DIMENSIONS
    if _KNOWN_DIMENSIONS is None:
        seen: dict[str, set[str]] = {}
        for instrument in list_instruments():
            for dimension in instrument.dimensions:
                for label in (dimension.label.zh, dimension.label.en):
                    seen.setdefault(label.casefold(), set()).add(dimension.id)
        _KNOWN_DIMENSIONS = {label: next(iter(ids)) for label, ids in seen.items() if len(ids) == 1}
    return _KNOWN_DIMENSIONS


# --------------------------------------------------------------------------
# XLSForm
# --------------------------------------------------------------------------


def _from_xlsform(book: _Book, names: Mapping[str, str], problems: list[str]) -> dict[str, Any]:
    survey = _records(_form_sheet(book, names["survey"], "survey", problems))
    choices = _records(_form_sheet(book, names["choices"], "choices", problems))
    settings = _records(book.sheets[names["settings"]]) if "settings" in names else []
    options_of: dict[str, list[dict[str, Any]]] = {}  # list name -> options (each list's problems said once)
    lists: dict[str, list[tuple[int, dict[str, str]]]] = {}
    for number, row in choices:
        lists.setdefault(row.get("list_name", "") or row.get("list name", ""), []).append((number, row))
    missing = _missing_from_choices(lists, problems)
    groups: list[tuple[str, dict[str, str]]] = []
    group_labels: dict[str, dict[str, str]] = {}
    dimensions: list[dict[str, Any]] = []
    items: list[dict[str, Any]] = []
    population = {"min_age": 18, "max_age": 69}
    skipped: list[str] = []
    seen_ids: dict[str, tuple[int, str]] = {}
    for number, row in survey:
        kind = _norm(row.get("type", ""))
        words = re.sub(r"^(begin|end)[ _](group|repeat)", r"\1_\2", kind, flags=re.IGNORECASE).split()
        words[:1] = [word.casefold() for word in words[:1]]  # the list name keeps its case
        name = _norm(row.get("name", ""))
        where = f"survey row {number}"
        if words[:1] in (["begin_group"], ["begin_repeat"]):
            groups.append((name, _labels(row)))
            group_labels[name] = _labels(row)
            continue
        if words[:1] in (["end_group"], ["end_repeat"]):
            if groups:
                groups.pop()
            continue
        if name == "age" and row.get("constraint"):
            ages = _AGE_CONSTRAINT.search(row["constraint"])
            if ages:
                population = {"min_age": int(ages.group(1)), "max_age": int(ages.group(2))}
        key = _norm(row.get("literacy::key", ""))
        dimension = _norm(row.get("literacy::dimension", ""))
        if not key:
            if dimension or row.get("literacy::points"):
                problems.append(f"{where}: {name} has literacy::dimension or literacy::points but no literacy::key.")
            elif words[:1] in (["select_one"], ["select_multiple"]) and not any(g == "respondent" for g, _ in groups):
                skipped.append(name)
            continue
        if words[:1] not in (["select_one"], ["select_multiple"]) or len(words) < 2:
            problems.append(
                f"{where}: {name} ({kind}) has a literacy::key but only select_one and select_multiple "
                "questions can be scored."
            )
            continue
        if not _ID_PATTERN.match(name):
            problems.append(f"{where}: name {name!r} cannot be an item id.")
            continue
        if _id_key(name) in seen_ids:
            other_row, other = seen_ids[_id_key(name)]
            same = "" if other == name else f" as {other} (names differing only in case are one data column)"
            problems.append(f"{where}: {name} is also on survey row {other_row}{same}.")
            continue
        seen_ids[_id_key(name)] = (number, name)
        if not dimension:
            dimension = next((g for g, _ in reversed(groups) if g != "respondent"), "")
        if not dimension:
            problems.append(f"{where}: {name} has no literacy::dimension and is in no group; give literacy::dimension.")
            continue
        label = group_labels.get(dimension) or {"zh": dimension, "en": dimension}
        if not _ID_PATTERN.match(dimension):  # a name such as 科学方法: its id as in an item table
            dimension = dimension_id(dimension)
        if dimension not in [d["id"] for d in dimensions]:
            dimensions.append({"id": dimension, "label": label})
        if words[1] not in lists:
            problems.append(f"{where}: {name} uses choice list {words[1]!r}, which the choices sheet does not have.")
            continue
        if words[1] not in options_of:
            options_of[words[1]] = _choice_options(lists[words[1]], missing, words[1], problems)
        options = options_of[words[1]]
        item_type = _norm(row.get("literacy::type", "")) or _guess_type(words[0], options)
        if item_type not in ITEM_TYPES:
            problems.append(f"{where}: literacy::type {item_type!r} is unknown; use one of {', '.join(ITEM_TYPES)}.")
            continue
        if (item_type == "multiple_choice") != (words[0] == "select_multiple"):
            problems.append(f"{where}: {name} is {words[0]} but literacy::type says {item_type}.")
            continue
        known = [o["code"] for o in options]
        parts = [part for part in _KEY_SEPARATORS.split(key) if part]
        codes = [int(part) for part in parts if re.fullmatch(r"-?\d+", part)]
        if len(codes) != len(parts) or any(c not in known for c in codes):
            several = " (several separated by spaces)" if words[0] == "select_multiple" else ""
            problems.append(
                f'{where}: literacy::key "{key}" of {name} is not a choice name of list {words[1]} '
                f"({', '.join(map(str, known))}); write the name{several} of the correct choice, not its letter or "
                "label."
            )
            continue
        if not codes:
            continue
        item: dict[str, Any] = {"id": name, "dimension": dimension, "type": item_type, "text": _labels(row)}
        item["options"] = "true_false" if item_type == "true_false" and options == TRUE_FALSE_SET else options
        item["key"] = sorted(codes) if item_type == "multiple_choice" else (codes[0] if len(codes) == 1 else codes)
        points = _points(row.get("literacy::points", ""), where, problems)
        if points != 1:
            item["points"] = points
        items.append(item)
    if not items and not problems:
        problems.append(
            "the XLSForm has no question with a literacy::key; add literacy::key, literacy::dimension and "
            "literacy::points columns to its survey sheet."
        )
    if skipped:
        warnings.warn(
            f"{len(skipped)} select question(s) have no literacy::key and are not scored: {', '.join(skipped[:10])}"
            f"{' ...' if len(skipped) > 10 else ''}.",
            QuestionnaireImportWarning,
            stacklevel=4,
        )
    body: dict[str, Any] = {
        "dimensions": dimensions,
        "items": items,
        "population": population,
        "missing_codes": missing,
    }
    if settings:
        first = settings[0][1]
        if first.get("form_title"):
            body["title"] = first["form_title"]
        if first.get("version"):
            body["version"] = first["version"]
    return body


def _form_sheet(book: _Book, name: str, shown_as: str, problems: list[str]) -> Rows:
    """An XLSForm sheet with the text Excel shows in its label columns (29%,
    not 0.29); a date in a name, label or literacy:: column is refused."""
    rows = book.sheets[name]
    nonblank = [(n, cells) for n, cells in rows if any(cells)]
    if not nonblank:
        return rows
    header_at, header = nonblank[0]
    columns = {i for i, h in enumerate(header) if h.strip().startswith(("label", "name", "literacy::"))}
    for (row, index), value in sorted(book.dates.get(name, {}).items()):
        if row > header_at and index in columns:
            problems.append(
                f"{shown_as} row {row}: {header[index]} holds a date ({value}), which Excel made of what was typed; "
                "format the column as text (Format Cells > Text, 设置单元格格式 > 文本), type the cell again and "
                "import again."
            )
    shown = book.shown.get(name, {})
    labels = {i for i in columns if header[i].strip().startswith("label")}
    return [
        (n, [shown.get((n, i), cell) if n > header_at and i in labels else cell for i, cell in enumerate(cells)])
        for n, cells in rows
    ]


def _records(rows: Rows) -> list[tuple[int, dict[str, str]]]:
    """Rows of an XLSForm sheet as ``{header: value}``, header row first."""
    nonblank = [(n, cells) for n, cells in rows if any(cells)]
    if not nonblank:
        return []
    header = [cell.strip() for cell in nonblank[0][1]]
    return [(n, {h: v for h, v in zip(header, cells, strict=False) if h}) for n, cells in nonblank[1:]]


def _labels(row: Mapping[str, str], column: str = "label") -> dict[str, str]:
    """zh and en text from ``label::Chinese (zh)``/``label::English (en)``
    (or a plain ``label``); one language stands for both."""
    found: dict[str, str] = {}
    for header, value in row.items():
        if not value or not (header == column or header.startswith(f"{column}::")):
            continue
        language = header.partition("::")[2].casefold()
        if re.search(r"\(zh|chinese|中文", language):
            found.setdefault("zh", _clean(value))
        elif re.search(r"\(en|english|英文", language):
            found.setdefault("en", _clean(value))
        else:
            found.setdefault("any", _clean(value))
    zh = found.get("zh") or found.get("any") or found.get("en") or ""
    en = found.get("en") or found.get("any") or found.get("zh") or ""
    return {"zh": zh, "en": en}


def _missing_from_choices(lists: Mapping[str, list[tuple[int, dict[str, str]]]], problems: list[str]) -> dict[str, int]:
    """Don't know and refused codes as the choice lists label them (the
    export adds them to every item's list); not asked is never a choice."""
    found: dict[str, set[int]] = {}
    for rows in lists.values():
        for _, row in rows:
            labels = _labels(row)
            for kind, text in MISSING_LABELS.items():
                named = labels["zh"] == text.zh or labels["en"].casefold() == text.en.casefold()
                if named and re.fullmatch(r"-?\d+", row.get("name", "")):
                    found.setdefault(kind, set()).add(int(row["name"]))
    missing = dict(DEFAULT_MISSING)
    for kind, codes in found.items():
        if len(codes) > 1:
            problems.append(
                f"choices: {MISSING_LABELS[kind].en} has different codes ({', '.join(map(str, sorted(codes)))}) "
                "in different lists; use one code."
            )
        else:
            missing[kind] = next(iter(codes))
    return missing


def _choice_options(
    rows: list[tuple[int, dict[str, str]]],
    missing: Mapping[str, int],
    list_name: str,
    problems: list[str],
) -> list[dict[str, Any]]:
    options = []
    for number, row in rows:
        code = row.get("name", "")
        if not re.fullmatch(r"-?\d+", code):
            problems.append(
                f"choices row {number}: choice {code!r} of list {list_name} is not a whole-number code; scored "
                "choices are named 1, 2, 3, ..."
            )
            continue
        labels = _labels(row)
        is_missing = any(
            int(code) == missing.get(kind) and (labels["zh"] == text.zh or labels["en"] == text.en)
            for kind, text in MISSING_LABELS.items()
        )
        if not is_missing:
            options.append({"code": int(code), "label": labels})
    return options


def _guess_type(select: str, options: list[dict[str, Any]]) -> str:
    """Without ``literacy::type``: a select_one whose options are 对/错 is a
    true/false item."""
    if select == "select_multiple":
        return "multiple_choice"
    if len(options) == 2 and [o["label"]["zh"] for o in options] == ["对", "错"]:
        return "true_false"
    return "single_choice"


# --------------------------------------------------------------------------
# The standard: flags or a sheet named "standard"
# --------------------------------------------------------------------------


class _Dimensions:
    """Find a dimension by id or by its text (zh or en)."""

    def __init__(self, dimensions: list[dict[str, Any]]) -> None:
        self.ids = [d["id"] for d in dimensions]
        self.lookup: dict[str, str] = {}
        for d in dimensions:
            for name in (d["id"], d["label"]["zh"], d["label"]["en"]):
                self.lookup.setdefault(_clean(str(name)).casefold(), d["id"])

    def find(self, name: str, where: str, problems: list[str]) -> str | None:
        found = self.lookup.get(_clean(str(name)).casefold())
        if found is None:
            problems.append(f"{where}: dimension {name!r} is not in the table (dimensions: {', '.join(self.ids)}).")
        return found


_RULE_SETTINGS = {
    "total_score_cut": {"cut_share", "inclusive", "max_missing_share"},
    "all_dimensions_pass": {"min_share", "min_points", "inclusive", "max_missing_share"},
    "weighted_grades": {"weights", "grades", "literate_grades", "scale", "inclusive", "max_missing_share"},
}
"""The settings each rule uses (as flags; the sheet's weight is weights, grade grades)."""


def _share_problem(value: float, name: str) -> str | None:
    """A share outside (0, 1] said with the flag or row that gave it."""
    if 0 < value <= 1:
        return None
    hint = f" ({value / 100:g} for {value:g}%)" if 1 < value <= 100 and value.is_integer() else ""
    return f"{name} {value:g} is not a share; give it above 0 and at most 1{hint}."


def _points_problem(value: float, dim_id: str, name: str, points: Mapping[str, float]) -> str | None:
    """A pass mark above the dimension's points, which nobody could reach."""
    total = points.get(dim_id)
    if total is None or value <= total:
        return None
    return (
        f"{name} asks for {value:g} points, but dimension {dim_id} has {total:g} in all, so nobody could pass; "
        f"give at most {total:g}."
    )


def _standard_from_flags(
    flags: StandardFlags, dimensions: list[dict[str, Any]], points: Mapping[str, float], problems: list[str]
) -> dict[str, Any]:
    rule = flags.rule
    where = spell("--standard", "standard")
    if rule not in RULES:
        problems.append(f"{where} {rule!r} is unknown; use one of {', '.join(RULES)}.")
        return {}
    dims = _Dimensions(dimensions)
    standard: dict[str, Any] = {"rule": rule}
    if flags.inclusive is not None:
        standard["inclusive"] = bool(flags.inclusive)
    if flags.max_missing_share is not None:
        standard["max_missing_share"] = float(flags.max_missing_share)
    allowed = _RULE_SETTINGS[rule]
    extra = [name for name in flags.given() if name not in allowed]
    if extra:
        problems.append(
            f"{', '.join(spell('--' + e.replace('_', '-'), e + '=') for e in extra)} do(es) not apply to {rule}."
        )
    if rule == "total_score_cut":
        if flags.cut_share is None:
            problems.append(f"{rule} needs {spell('--cut-share', 'cut_share=')} (e.g. 0.6: 60% of the points).")
        else:
            standard["cut_share"] = float(flags.cut_share)
            wrong = _share_problem(float(flags.cut_share), spell("--cut-share", "cut_share"))
            if wrong:
                problems.append(wrong)
    elif rule == "all_dimensions_pass":
        thresholds: dict[str, dict[str, float]] = {}
        share = flags.min_share
        shares = {None: share} if isinstance(share, (int, float)) else dict(share or {})
        for name, value in shares.items():
            label = spell("--min-share", "min_share") + ("" if name is None else f" {name}")
            wrong = _share_problem(float(value), label)
            if wrong:
                problems.append(wrong)
            if name is None:
                thresholds = {dim_id: {"min_share": float(value)} for dim_id in dims.ids}
                continue
            dim_id = dims.find(name, spell("--min-share", "min_share"), problems)
            if dim_id:
                thresholds[dim_id] = {"min_share": float(value)}
        for name, value in (flags.min_points or {}).items():
            dim_id = dims.find(name, spell("--min-points", "min_points"), problems)
            if dim_id:
                thresholds[dim_id] = {"min_points": float(value)}
                label = spell(f"--min-points {name}={value:g}", f"min_points[{name!r}]")
                wrong = _points_problem(float(value), dim_id, label, points)
                if wrong:
                    problems.append(wrong)
        absent = [d for d in dims.ids if d not in thresholds]
        if absent:
            problems.append(
                f"{rule} needs a pass mark for every dimension; none for {', '.join(absent)}: give "
                f"{spell('--min-share 0.6', 'min_share=0.6')} (all dimensions) or DIMENSION=SHARE pairs."
            )
        standard["thresholds"] = {d: thresholds[d] for d in dims.ids if d in thresholds}
    else:
        weights: dict[str, float] = {}
        for name, value in (flags.weights or {}).items():
            dim_id = dims.find(name, spell("--weights", "weights"), problems)
            if dim_id:
                weights[dim_id] = float(value)
        absent = [d for d in dims.ids if d not in weights]
        if absent:
            problems.append(
                f"{rule} needs {spell('--weights', 'weights=')} for every dimension; none for "
                f"{', '.join(absent)} (e.g. 科学知识=40,科学方法=20)."
            )
        standard["_weights"] = weights
        if flags.scale is not None:
            standard["scale"] = float(flags.scale)
        grades = list((flags.grades or {}).items())
        if len(grades) < 2:
            problems.append(
                f"{rule} needs {spell('--grades', 'grades=')}: two or more grades, highest first, as "
                "NAME=MIN with the lowest grade without MIN (e.g. 优秀=85,合格=60,不合格)."
            )
        standard["grades"], ids = _grade_list(grades)
        literate = [ids.get(_clean(str(name)).casefold()) for name in flags.literate_grades or []]
        if not flags.literate_grades:
            problems.append(
                f"{rule} needs {spell('--literate-grades', 'literate_grades=')}: the grades that count as literate."
            )
        elif None in literate:
            unknown = [n for n, found in zip(flags.literate_grades, literate, strict=True) if found is None]
            problems.append(
                f"{spell('--literate-grades', 'literate_grades')} names {', '.join(unknown)}, which "
                "is not among the grades."
            )
        standard["literate_grades"] = [g for g in literate if g]
    return standard


def _grade_list(grades: list[tuple[str, float | None]]) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """Grades as the YAML lists them; the id is the name when it is one
    (``literate``), else ``grade_1``, ``grade_2`` ... from the highest."""
    out, ids = [], {}
    for position, (name, minimum) in enumerate(grades, start=1):
        text = _clean(str(name))
        grade_id = text if _ID_PATTERN.match(text) else f"grade_{position}"
        entry: dict[str, Any] = {"id": grade_id, "label": {"zh": text, "en": text}}
        if minimum is not None:
            entry["min"] = float(minimum)
        out.append(entry)
        ids[text.casefold()] = grade_id
        ids[grade_id.casefold()] = grade_id
    return out, ids


_SHEET_SETTINGS = {"weight": "weights", "grade": "grades"}
"""A sheet setting's name among a rule's settings (_RULE_SETTINGS) where it differs."""


def _standard_from_sheet(
    rows: Rows, dimensions: list[dict[str, Any]], points: Mapping[str, float], problems: list[str]
) -> dict[str, Any]:
    """A sheet named ``standard``: one setting a row (setting, target, value,
    label, label_en): rule, inclusive, max_missing_share, cut_share, scale,
    weight / min_share / min_points (target: a dimension), grade (target: its
    id, value: its minimum, empty for the lowest; label), literate_grades, note."""
    records = [(n, cells) for n, cells in rows if any(cells)]
    if not records:
        problems.append(f"the standard sheet is empty. {_standard_help()}")
        return {}
    header_at, header = records[0]
    columns = {}
    for index, cell in enumerate(header):
        key = _STANDARD_NAMES.get(_norm_header(cell))
        if key:
            columns[key] = index
        elif cell:
            problems.append(
                f'standard row {header_at}: column "{cell}" is not setting, target, value, label or label_en.'
            )
    if "setting" not in columns or "value" not in columns:
        problems.append(f"standard row {header_at}: the standard sheet needs setting and value columns.")
        return {}
    dims = _Dimensions(dimensions)
    standard: dict[str, Any] = {}
    min_share: dict[str, float] = {}
    min_points: dict[str, float] = {}
    weights: dict[str, float] = {}
    grades: list[dict[str, Any]] = []
    threshold_notes: dict[str, str] = {}
    notes: list[str] = []
    seen: dict[tuple[str, str], int] = {}  # (setting, dimension or grade) -> row
    rule = None  # read first: whether a row applies depends on the rule, which may come last
    for _, cells in records[1:]:
        if (
            len(cells) > max(columns["setting"], columns["value"])
            and _norm(cells[columns["setting"]]).casefold() == "rule"
        ):
            rule = _norm(cells[columns["value"]])
    allowed = _RULE_SETTINGS.get(rule or "", set()) | {"note"}
    if rule == "all_dimensions_pass":
        allowed.add("note_target")
    for number, cells in records[1:]:

        def get(field: str, cells: list[str] = cells) -> str:
            index = columns.get(field)
            return _clean(cells[index]) if index is not None and index < len(cells) else ""

        where = f"standard row {number}"
        setting, target, value = _norm(get("setting")).casefold(), get("target"), _norm(get("value"))
        if setting not in STANDARD_SETTINGS:
            problems.append(
                f"{where}: setting {get('setting')!r} is unknown; use one of {', '.join(STANDARD_SETTINGS)}."
            )
            continue
        if setting not in ("note", "weight", "min_share", "min_points", "grade"):
            if (setting, "") in seen:
                problems.append(f"{where}: {setting} is also on row {seen[(setting, '')]}; keep one.")
            seen[(setting, "")] = number
        name = "note_target" if setting == "note" and target else _SHEET_SETTINGS.get(setting, setting)
        if rule in _RULE_SETTINGS and setting != "rule" and name not in allowed:
            problems.append(
                f"{where}: a note with a dimension as target belongs to that dimension's pass mark, which {rule} does "
                "not have; empty the target to make it a note of the standard."
                if name == "note_target"
                else f"{where}: {setting} does not apply to {rule}; delete the row or change the rule."
            )
            continue
        if setting == "rule":
            standard["rule"] = value
        elif setting == "inclusive":
            flag = {"true": True, "false": False, "是": True, "否": False, "1": True, "0": False}.get(value.casefold())
            if flag is None:
                problems.append(f'{where}: inclusive must be true or false, not "{value}".')
            standard["inclusive"] = bool(flag)
        elif setting in ("max_missing_share", "cut_share", "scale"):
            number_value = _sheet_number(value, where, setting, problems)
            if number_value is not None:
                standard[setting] = number_value
                wrong = _share_problem(number_value, f"{where}: cut_share") if setting == "cut_share" else None
                if wrong:
                    problems.append(wrong)
        elif setting in ("weight", "min_share", "min_points"):
            dim_id = dims.find(target, where, problems)
            number_value = _sheet_number(value, where, setting, problems)
            if dim_id and (setting, dim_id) in seen:
                problems.append(f"{where}: {setting} for {target} is also on row {seen[(setting, dim_id)]}; keep one.")
            if dim_id:
                seen[(setting, dim_id)] = number
            if dim_id and number_value is not None:
                {"weight": weights, "min_share": min_share, "min_points": min_points}[setting][dim_id] = number_value
                wrong = (
                    _share_problem(number_value, f"{where}: min_share")
                    if setting == "min_share"
                    else _points_problem(number_value, dim_id, f"{where}: min_points", points)
                    if setting == "min_points"
                    else None
                )
                if wrong:
                    problems.append(wrong)
        elif setting == "grade":
            if not _ID_PATTERN.match(target):
                problems.append(f"{where}: grade id {target!r} must be letters, digits and _ (e.g. literate).")
                continue
            entry: dict[str, Any] = {
                "id": target,
                "label": {"zh": get("label") or target, "en": get("label_en") or get("label") or target},
            }
            if value:
                minimum = _sheet_number(value, where, "grade min", problems)
                if minimum is not None:
                    entry["min"] = minimum
            grades.append(entry)
        elif setting == "literate_grades":
            standard["literate_grades"] = [g for g in _KEY_SEPARATORS.split(value) if g]
        elif target:
            dim_id = dims.find(target, where, problems)
            if dim_id:
                threshold_notes[dim_id] = get("value")
        else:
            notes.append(get("value"))
    if "rule" not in standard:
        problems.append(f"the standard sheet has no rule row; add: rule | | {' or '.join(RULES)}.")
    thresholds = {}
    for dim_id in dims.ids:
        if dim_id in min_share or dim_id in min_points:
            spec: dict[str, Any] = {"min_share": min_share[dim_id]} if dim_id in min_share else {}
            if dim_id in min_points:
                spec["min_points"] = min_points[dim_id]
            if dim_id in threshold_notes:
                spec["note"] = threshold_notes[dim_id]
            thresholds[dim_id] = spec
    if thresholds:
        standard["thresholds"] = thresholds
    if grades:
        standard["grades"] = grades
    if notes:
        standard["notes"] = notes
    standard["_weights"] = weights
    return standard


def _sheet_number(value: str, where: str, name: str, problems: list[str]) -> float | None:
    try:
        number = float(value)
    except ValueError:
        problems.append(f'{where}: {name} must be a number, not "{value}".')
        return None
    return int(number) if number.is_integer() and name in ("scale", "weight", "min_points", "grade min") else number


def standard_sheet(instrument: Instrument) -> list[dict[str, Any]]:
    """An instrument's standard as the rows of a ``standard`` sheet (the
    layout :func:`import_instrument` reads): a template for offices, and what
    makes a standard round-trip through a workbook with its notes."""
    std = instrument.standard
    rows: list[dict[str, Any]] = [
        {"setting": "rule", "value": std.rule},
        {"setting": "inclusive", "value": "true" if std.inclusive else "false"},
        {"setting": "max_missing_share", "value": f"{std.max_missing_share:g}"},
    ]
    if std.rule == "total_score_cut":
        rows.append({"setting": "cut_share", "value": f"{std.cut_share:g}"})
    for dim_id, threshold in std.thresholds.items():
        if threshold.min_share is not None:
            rows.append({"setting": "min_share", "target": dim_id, "value": f"{threshold.min_share:g}"})
        else:
            rows.append({"setting": "min_points", "target": dim_id, "value": f"{threshold.min_points:g}"})
        if threshold.note:
            rows.append({"setting": "note", "target": dim_id, "value": threshold.note})
    if std.rule == "weighted_grades":
        rows.append({"setting": "scale", "value": f"{std.scale:g}"})
        rows += [{"setting": "weight", "target": d.id, "value": f"{d.weight:g}"} for d in instrument.dimensions]
        for grade in std.grades:
            minimum = "" if grade.min_score is None else f"{grade.min_score:g}"
            rows.append(
                {
                    "setting": "grade",
                    "target": grade.id,
                    "value": minimum,
                    "label": grade.label.zh,
                    "label_en": grade.label.en,
                }
            )
        literate = [g.id for g in std.grades if g.id in std.literate_grades]
        rows.append({"setting": "literate_grades", "value": " ".join(literate)})
    rows += [{"setting": "note", "value": note} for note in std.notes]
    return [{column: row.get(column, "") for column in STANDARD_COLUMNS} for row in rows]
