"""Finding what a person would read but nobody marked for translation: visible template text,
user-facing attributes, sentences in Python and strings scripts put on the page.

Used by tests/i18n/test_marked.py; kept apart so each finder can be tested on a small sample.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

LETTERS = re.compile(r"[A-Za-z]{2,}")
#: Attributes whose value people read (or hear, through a screen reader).
READ_ATTRIBUTES = ("aria-label", "data-label", "title", "placeholder", "alt",
                   "aria-roledescription", "aria-valuetext")
JINJA = re.compile(r"\{#.*?#\}|\{\{.*?\}\}|\{%.*?%\}", re.DOTALL)
RAW = re.compile(r"<(script|style)\b.*?</\1>|<!--.*?-->", re.DOTALL | re.IGNORECASE)
TAG = re.compile(r"<[^>]*>", re.DOTALL)
ATTRIBUTES_ONLY = re.compile(r'(\s*[\w-]+="[^"]*")+\s*')
ATTRIBUTE = re.compile(r"\b(" + "|".join(READ_ATTRIBUTES) + r')="([^"]*)"')


def template_strings(source: str) -> Iterator[str]:
    """Visible text and read attributes of a Jinja template that are not inside a Jinja
    expression, i.e. not passed through ``_()``/``ngettext()``."""
    for name, value in ATTRIBUTE.findall(source):
        plain = JINJA.sub("", value)
        if LETTERS.search(plain):
            yield f'{name}="{value}"'
    text = RAW.sub(" ", source)
    # Jinja first (a tag may hold a Jinja expression with ">" inside), then the tags.
    text = JINJA.sub("\x00", text)
    text = TAG.sub("\x00", text)
    for run in text.split("\x00"):
        if ATTRIBUTES_ONLY.fullmatch(run):  # {% block main_attrs %} class="wide"{% endblock %}
            continue
        if LETTERS.search(run):
            yield " ".join(run.split())


#: Calls whose string arguments are for people: marked ones, and ones that never are.
MARKED = {"_", "_l", "N_", "gettext", "lazy_gettext", "ngettext", "lazy_ngettext"}
NOT_FOR_PEOPLE = {"security_event", "info", "warning", "error", "debug", "exception",
                  "getLogger", "route", "get", "post", "Blueprint", "url_for", "redirect",
                  "compile", "match", "sub", "TypeVar", "ValueError", "RuntimeError",
                  "TypeError", "KeyError", "startswith", "endswith", "replace", "split", "join",
                  "strftime", "format", "abort", "start_response"}
#: Strings in Python that look like sentences but are not shown to people (e-mail header
#: names, NotFound's nouns, an iCalendar PRODID among them).
#: Not text a person reads: headers, nouns ``NotFound(...)`` takes (circles/errors.py turns
#: each into a whole translated sentence), the iCalendar product id.
TECHNICAL = re.compile(r"attachment; filename|private, no-|^English$|^formation run$"
                       r"|^(From|To|Subject)$|^swap proposal$|^agenda item$|^-//"
                       r"|^Factory$")  # a file of the time-zone database, not a zone
#: Module constants whose strings are not interface text, by name:
#: - notes for developers kept beside the code, which tests check against the tables:
#:   erasure's ``POLICY``, the export's ``EXPORTED`` and ``NOT_EXPORTED``;
#: - identifiers: CLDR date patterns (``PATTERNS``) and zone ids (``UTC_NAMES``) in
#:   local_time, the authenticator app's ``ISSUER``, browser and system names found in a
#:   User-Agent (``_BROWSERS``, ``_SYSTEMS``), a module's ``__all__``, a roster row's status
#:   key (``ALREADY_MEMBER``);
#: - the English a CSV upload is read in: its day names (``WEEKDAYS``) and the header names it
#:   accepts (``PROFILE_COLUMNS``, ``BASIC_COLUMNS``, ``TIE_COLUMNS``);
#: - words written into the database, which stays English: what erasure puts in a former
#:   member's place (``FORMER_MEMBER``, ``TOMBSTONE``) and the words circles are named after
#:   (``WORDS``);
#: - the Lua scripts realtime/slots.py runs in Redis (``TAKE``, ``GIVE_BACK``).
TECHNICAL_CONSTANTS = {"POLICY", "EXPORTED", "NOT_EXPORTED", "PATTERNS", "UTC_NAMES", "ISSUER",
                       "_BROWSERS", "_SYSTEMS", "__all__", "ALREADY_MEMBER", "WEEKDAYS",
                       "PROFILE_COLUMNS", "BASIC_COLUMNS", "TIE_COLUMNS", "FORMER_MEMBER",
                       "TOMBSTONE", "WORDS", "TAKE", "GIVE_BACK"}


def python_strings(source: str) -> Iterator[tuple[int, str]]:
    """Sentence-like string literals of a module outside ``_()``-style calls, docstrings
    and calls that write logs or build URLs: ``(line, text)``."""
    tree = ast.parse(source)
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Constant) and isinstance(node.value, str)):
            continue
        text = node.value
        if not (re.search(r"[A-Za-z]{2,}[^\n]* [A-Za-z]", text)
                or re.fullmatch(r"[A-Z][a-z-]+[.!?]?", text)) or TECHNICAL.search(text):
            continue
        if isinstance(parents.get(node), ast.Expr):  # a docstring
            continue
        if not _inside_call(node, parents) and not _in_technical_constant(node, parents):
            yield node.lineno, text


def _inside_call(node: ast.AST, parents: dict[ast.AST, ast.AST]) -> bool:
    while node in parents:
        node = parents[node]
        if isinstance(node, ast.Call):
            func = node.func
            name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
            if name in MARKED or name in NOT_FOR_PEOPLE:
                return True
        if isinstance(node, (ast.FunctionDef, ast.ClassDef, ast.Lambda)):
            return False
    return False


def _in_technical_constant(node: ast.AST, parents: dict[ast.AST, ast.AST]) -> bool:
    """Whether ``node`` is part of a module constant named in ``TECHNICAL_CONSTANTS``."""
    while node in parents:
        node = parents[node]
        if isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            return any(isinstance(t, ast.Name) and t.id in TECHNICAL_CONSTANTS for t in targets)
        if isinstance(node, ast.FunctionDef | ast.ClassDef | ast.Lambda):
            return False
    return False


JS_COMMENT = re.compile(r"/\*.*?\*/|^\s*//.*?$", re.DOTALL | re.MULTILINE)
#: A class name is not read: ``class: "badge ready"``, ``className = "flash flash-ok"``.
CSS_CLASS = re.compile(r'(class:\s*|className\s*=\s*|"class",\s*)$')
JS_STRING = re.compile(r'"((?:[^"\\\n]|\\.)*)"')


def script_strings(source: str) -> Iterator[str]:
    """Sentence-like string literals of a script not passed to ``t()`` (static/i18n.js)."""
    code = JS_COMMENT.sub("", source)
    for match in JS_STRING.finditer(code):
        text = match.group(1)
        if not (re.search(r"[A-Za-z]{2,} [A-Za-z]", text) or re.fullmatch(r"[A-Z][a-z]+.*", text)):
            continue
        before = code[max(0, match.start() - 24):match.start()]
        if not before.endswith("t(") and not CSS_CLASS.search(before):
            yield text


def files(root: Path, pattern: str) -> list[Path]:
    return sorted(root.glob(pattern))
