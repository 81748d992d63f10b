"""Reading an uploaded CSV table: its encoding, its header row (with aliases) and its rows,
each problem reported with the line a spreadsheet would show."""

from __future__ import annotations

import codecs
import csv
import io
from dataclasses import dataclass, field
from typing import Generic, Protocol, TypeVar

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext

from circles.languages import number

UTF8_HELP = _l("Save it as “CSV UTF-8” (in Excel: File › Save As › CSV UTF-8) and upload it "
                "again.")


class Row(Protocol):
    line: int
    problems: list[str]


R = TypeVar("R", bound=Row)


@dataclass
class Report(Generic[R]):
    """A file's text, its rows, and the problems of the file as a whole."""

    text: str = ""
    rows: list[R] = field(default_factory=list)
    file_problems: list[str] = field(default_factory=list)

    @property
    def problems(self) -> list[str]:
        return [*self.file_problems, *(problem for row in self.rows for problem in row.problems)]

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def ok_count(self) -> int:
        return sum(not row.problems for row in self.rows)


@dataclass
class Table:
    """Where each known column is, as the header row named it, and the data rows."""

    columns: dict[str, int] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    rows: list[tuple[int, list[str]]] = field(default_factory=list)

    def flag(self, row: Row, column: str | None, message: str) -> None:
        """Record a problem as "line 7, email: …", naming the column as the file does."""
        row.problems.append(
            _("line %(line)s, %(column)s: %(problem)s", line=row.line,
              column=self.headers.get(column, column), problem=message) if column
            else _("line %(line)s: %(problem)s", line=row.line, problem=message))

    def flag_stray(self, row: Row, cells: list[str]) -> None:
        """A value in a column the header row does not name would be lost silently."""
        for index, cell in enumerate(cells):
            if cell.strip() and index not in self.columns.values():
                self.flag(row, None, _("column %(number)s holds '%(value)s' but the header "
                                       "row gives that column no name", number=index + 1,
                                       value=cell.strip()))
                return


def decode(data: str | bytes) -> tuple[str, str | None]:
    """The text of an upload (UTF-8, with or without BOM), or why it cannot be read."""
    if isinstance(data, str):
        return data.removeprefix("\ufeff"), None
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "", _("The file is UTF-16 text, not UTF-8. %(help)s", help=UTF8_HELP)
    try:
        return data.decode("utf-8-sig"), None
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        return "", _("The file is not UTF-8 text: line %(line)s holds the byte 0x%(byte)s, "
                     "which UTF-8 does not allow. %(help)s", line=line,
                     byte=f"{data[exc.start]:02X}", help=UTF8_HELP)


def header_key(raw: str) -> str:
    """'E-Mail_Address ' → 'e mail address': case, spacing, '-' and '_' do not matter."""
    return " ".join(raw.replace("_", " ").replace("-", " ").casefold().split())


def _delimiter(text: str) -> str:
    """Comma, or the semicolon or tab some spreadsheets write in its place."""
    first = next((line for line in text.splitlines() if line.strip()), "")
    return max((",", ";", "\t"), key=first.count)


def _records(text: str) -> list[tuple[int, list[str]]]:
    """Non-blank records, each with the line it starts on (quoted cells may span lines)."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text))
    records, last = [], 0
    try:
        for cells in reader:
            if any(cell.strip() for cell in cells):
                records.append((last + 1, cells))
            last = reader.line_num
    except csv.Error as exc:
        raise ValueError(_("line %(line)s: the file is not valid CSV (%(error)s).",
                           line=reader.line_num, error=exc)) from exc
    return records


def _map_header(table: Table, header: list[str], aliases: dict[str, tuple[str, ...]],
                required: tuple[str, ...], example: tuple[str, ...]) -> list[str]:
    data_cell = next((cell.strip() for cell in header if "@" in cell), None)
    if data_cell is not None:
        return [_("The first row looks like data ('%(cell)s'): add a header row naming the "
                  "columns, e.g. %(example)s.", cell=data_cell, example=",".join(example))]
    lookup = {alias: name for name, names in aliases.items() for alias in (name, *names)}
    problems, unknown = [], []
    for index, raw in enumerate(header):
        name = lookup.get(header_key(raw))
        if not raw.strip():
            continue  # a trailing comma; values under it are flagged row by row
        if name is None:
            unknown.append(f"'{raw.strip()}'")
        elif name in table.columns:
            problems.append(_("The columns '%(first)s' and '%(second)s' both give the "
                              "%(name)s; keep one of them.", first=table.headers[name],
                              second=raw.strip(), name=name))
        else:
            table.columns[name], table.headers[name] = index, raw.strip()
    if unknown:
        problems.append(ngettext(
            "Unknown column %(columns)s. Accepted columns: %(accepted)s; rename or remove "
            "the others.",
            "Unknown columns %(columns)s. Accepted columns: %(accepted)s; rename or remove "
            "the others.", len(unknown), columns=", ".join(unknown), accepted=", ".join(aliases)))
    missing = [name for name in required if name not in table.columns]
    if missing:
        problems.append(ngettext(
            "Missing required column: %(columns)s. The first row must name the columns, e.g. "
            "%(example)s.",
            "Missing required columns: %(columns)s. The first row must name the columns, "
            "e.g. %(example)s.", len(missing), columns=", ".join(missing),
            example=",".join(example)))
    return problems


def _too_many(noun: str, count: int, limit: int) -> str:
    """A file with more rows than one import takes, in words (``noun``: members or ties)."""
    if noun == "ties":
        return str(ngettext("The file has %(count)s tie; import at most %(max)s at a time (split it "
                            "into smaller files).", "The file has %(count)s ties; import at most "
                            "%(max)s at a time (split it into smaller files).", count,
                            count=number(count), max=number(limit)))
    return str(ngettext("The file has %(count)s member; import at most %(max)s at a time (split it "
                        "into smaller files).", "The file has %(count)s members; import at most "
                        "%(max)s at a time (split it into smaller files).", count,
                        count=number(count), max=number(limit)))


def read_table(report: Report[R], data: str | bytes, aliases: dict[str, tuple[str, ...]], *,
               required: tuple[str, ...], max_rows: int, noun: str,
               example: tuple[str, ...] = ()) -> Table:
    """Decode ``data`` into ``report.text`` and map its header; problems of the whole file
    go to ``report.file_problems`` and leave the table without rows. ``example`` is the
    header row suggested to a file without one (default: every accepted column); ``noun``
    ("members" or "ties") says what the rows are."""
    table = Table()
    report.text, problem = decode(data)
    if problem is None and not report.text.strip():
        problem = _("The file is empty.")
    try:
        records = _records(report.text) if problem is None else []
    except ValueError as exc:
        problem = str(exc)
    if problem is not None:
        report.file_problems.append(problem)
        return table
    (_line, header), *rows = records
    problems = _map_header(table, header, aliases, required, example or tuple(aliases))
    if not problems and not rows:
        problems.append(_("The file has a header row but no ties.") if noun == "ties"
                        else _("The file has a header row but no members."))
    elif not problems and len(rows) > max_rows:
        problems.append(_too_many(noun, len(rows), max_rows))
    report.file_problems.extend(problems)
    if not problems:
        table.rows = rows
    return table
