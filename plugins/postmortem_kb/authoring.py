"""Start a new postmortem: the next free id, a safe file name, and the file from a template.

The templates (``templates/new/full.md.j2`` and ``quick.md.j2``, overridable from the
knowledge base's ``templates_dir``) write YAML and Markdown, not HTML, so their environment
does not HTML-escape; every value lands in the front matter through the ``yaml`` filter,
which writes a plain scalar only when YAML would read it back as the same text, and a
double-quoted one otherwise.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from jinja2 import Environment, StrictUndefined

from postmortem_kb.rendering import template_loader
from postmortem_kb.settings import ConfigurationError

ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
_TOKEN = re.compile(r"\{([^{}]*)\}")
_YEAR_TOKENS = {"YYYY": 4, "YY": 2}
MAX_SLUG_CHARS = 60
FULL_TEMPLATE = "new/full.md.j2"
QUICK_TEMPLATE = "new/quick.md.j2"


def check_id_format(id_format: str) -> None:
    """Check an ``id_format`` option: one ``{N...}`` token, known tokens, id characters only.

    Raises:
        ConfigurationError: saying what is wrong and what a valid format looks like.
    """
    tokens = _TOKEN.findall(id_format)
    numbers = [token for token in tokens if token and set(token) == {"N"}]
    unknown = [token for token in tokens if token not in _YEAR_TOKENS and token not in numbers]
    literal = _TOKEN.sub("", id_format)
    problem = None
    if unknown:
        problem = f"unknown placeholder {{{unknown[0]}}}"
    elif len(numbers) != 1:
        problem = "it needs exactly one number placeholder such as {NNN}"
    elif "{" in literal or "}" in literal:
        problem = "a brace does not belong to a placeholder"
    elif not ID_PATTERN.fullmatch(format_id(id_format, 2024, 1)):
        problem = "the ids it makes would not be valid ids (letters, digits, '.', '_', '-')"
    if problem is not None:
        raise ConfigurationError(
            f"id_format: {id_format!r}: {problem}; use e.g. 'PM-{{YYYY}}-{{NNN}}' or 'INC-{{NNNN}}'"
        )


def format_id(id_format: str, year: int, number: int) -> str:
    """The id for a year and a number: ``PM-{YYYY}-{NNN}`` gives ``PM-2024-007``."""

    def fill(match: re.Match[str]) -> str:
        token = match.group(1)
        if token == "YYYY":
            return f"{year:04d}"
        if token == "YY":
            return f"{year % 100:02d}"
        return f"{number:0{len(token)}d}"

    return _TOKEN.sub(fill, id_format)


def id_regex(id_format: str, year: int) -> re.Pattern[str]:
    """A pattern matching the ids of a format for one year, capturing the number."""
    parts: list[str] = []
    position = 0
    for match in _TOKEN.finditer(id_format):
        parts.append(re.escape(id_format[position : match.start()]))
        token = match.group(1)
        if token in _YEAR_TOKENS:
            parts.append(re.escape(format_id(f"{{{token}}}", year, 0)))
        else:
            parts.append(r"(\d+)")
        position = match.end()
    parts.append(re.escape(id_format[position:]))
    return re.compile("".join(parts))


def next_id(id_format: str, year: int, existing: Iterable[str]) -> str:
    """The id after the highest one of the format (and year) in use; the first is number 1."""
    pattern = id_regex(id_format, year)
    numbers = [int(match.group(1)) for text in existing if (match := pattern.fullmatch(text))]
    taken = set(existing)
    number = max(numbers, default=0) + 1
    while format_id(id_format, year, number) in taken:  # pragma: no cover - defensive
        number += 1
    return format_id(id_format, year, number)


def file_slug(title: str, fallback: str) -> str:
    """A file-name slug of a title: lowercase ASCII words joined by hyphens, at most 60 chars.

    A title with no ASCII letters or digits (``障害``) gives ``fallback`` instead.
    """
    ascii_text = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    if len(slug) > MAX_SLUG_CHARS:
        cut = slug[: MAX_SLUG_CHARS + 1]
        slug = cut.rsplit("-", 1)[0] if "-" in cut else cut[:MAX_SLUG_CHARS]
    if not slug:
        slug = re.sub(r"[^a-z0-9]+", "-", fallback.lower()).strip("-") or "postmortem"
    return slug


_PLAIN = re.compile(r"[A-Za-z][A-Za-z0-9._/-]*(?: [A-Za-z0-9._/-]+)*")
_YAML_WORDS = frozenset({"y", "n", "yes", "no", "on", "off", "true", "false", "null"})
_ESCAPES = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\t": "\\t", "\r": "\\r"}
_KEEP_FORMAT_CHARS = frozenset({"\u200c", "\u200d"})
"""Zero-width joiners hold emoji and some scripts together; other format characters (bidi
controls, BOM) are escaped so that they are visible in the file."""


def _escaped(char: str) -> str:
    if char in _ESCAPES:
        return _ESCAPES[char]
    category = unicodedata.category(char)
    invisible = category in ("Cc", "Zl", "Zp", "Cs", "Co", "Cn") or (
        category == "Cf" and char not in _KEEP_FORMAT_CHARS
    )
    if invisible or char in ("\ufffe", "\uffff"):
        code = ord(char)
        return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"
    return char


def yaml_scalar(value: object) -> str:
    """A value as YAML that reads back as the same value, for the front matter templates.

    Text is written plain when it is a simple phrase YAML cannot misread (``checkout``,
    ``Checkout down after deploy``), otherwise double-quoted with JSON-style escapes, so that
    ``: ``, `` #``, quotes, ``no`` or ``1:30`` always stay text. Lists become flow sequences.
    """
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(yaml_scalar(item) for item in value) + "]"
    text = str(value)
    if _PLAIN.fullmatch(text) and text.casefold() not in _YAML_WORDS:
        return text
    return '"' + "".join(_escaped(char) for char in text) + '"'


def template_environment(templates_dir: Path | None) -> Environment:
    """The environment of the new-postmortem templates; ``templates_dir`` overrides ours."""
    # YAML and Markdown, not HTML: values reach the front matter through the yaml filter.
    env = Environment(
        loader=template_loader(templates_dir),
        autoescape=False,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["yaml"] = yaml_scalar
    return env


@dataclass(frozen=True)
class NewPostmortem:
    """What ``pmkb new`` was asked for, checked against the configuration."""

    id: str
    title: str
    date: dt.date
    severity: str
    services: tuple[str, ...]
    tags: tuple[str, ...]
    quick: bool


def uses_quick_form(severity: str, severities: Sequence[str], quick: bool) -> bool:
    """The quick form for ``--quick`` and for every level after the two worst."""
    return quick or severity not in severities[:2]


def render_new(postmortem: NewPostmortem, templates_dir: Path | None) -> str:
    """The text of a new postmortem file from the full or the quick template."""
    template = QUICK_TEMPLATE if postmortem.quick else FULL_TEMPLATE
    return (
        template_environment(templates_dir)
        .get_template(template)
        .render(
            id=postmortem.id,
            title=postmortem.title,
            date=postmortem.date,
            severity=postmortem.severity,
            status="draft",
            services=list(postmortem.services),
            tags=list(postmortem.tags),
        )
    )
