"""The JSON Schema check plus the rules the schema cannot say; returns problems, never raises.

Validation has two paths. The full one is the jsonschema package (draft 2020-12, formats
asserted): it gives every error with its place, which the located messages are made from, but
it checks about 500 front matters a second. The fast one is a compiled jsonschema-rs validator
that only answers valid or not, at tens of thousands a second. Most postmortems are valid, so
the fast path answers for them and the full path runs only for a document the fast path
rejects. The two agree by construction: the fast path is given the schema with every
``format`` and ``pattern`` keyword routed to the functions the full path uses (the format
checker of jsonschema, or for ``date`` and ``date-time`` the same checks made without importing
it; Python's ``re.search``), and it is used only for schemas made of
keywords whose meaning is the same in both (``_FAST_KEYWORDS``); a differential test checks
the agreement on every fixture and on generated variants.

The schema's own check against its metaschema works the same way: jsonschema-rs answers for a
valid schema, where it agrees with jsonschema, and jsonschema decides (and words the message)
for any other. A build or check in which everything is valid never imports jsonschema.
"""

from __future__ import annotations

import copy
import datetime as dt
import functools
import importlib.util
import json
import re
import unicodedata
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from postmortem_kb.loader import CONTROL, shorten
from postmortem_kb.model import (
    TIMELINE_FIELDS,
    FieldPath,
    FileView,
    Problem,
    SourceDocument,
    format_field_path,
)
from postmortem_kb.settings import ConfigurationError

if TYPE_CHECKING:
    from jsonschema import FormatChecker
    from jsonschema.exceptions import ValidationError

_DATE = re.compile(r"(\d{4})-(\d\d)-(\d\d)", re.ASCII)
_RFC3339 = re.compile(
    r"(\d{4})-(\d\d)-(\d\d)[Tt](\d\d):(\d\d):(\d\d)(?:\.(\d+))?(?:([Zz])|([+-])(\d\d):(\d\d))",
    re.ASCII,
)


@functools.lru_cache(maxsize=16384)
def parse_date(value: str) -> dt.date:
    """Parse a ``YYYY-MM-DD`` date (ASCII digits, a day that exists).

    Raises:
        ValueError: when the text is not such a date.
    """
    match = _DATE.fullmatch(value)
    if match is None:
        raise ValueError(f"not a YYYY-MM-DD date: {value[:60]!r}")
    year, month, day = (int(part) for part in match.groups())
    return dt.date(year, month, day)


@functools.lru_cache(maxsize=16384)
def parse_timestamp(value: str) -> dt.datetime:
    """Parse an RFC 3339 date-time with a time zone as an aware datetime.

    ``T`` and ``Z`` may be lowercase; offsets run from -23:59 to +23:59. A leap second
    (``:60``, allowed at minute 59 only) counts as the last second of its minute. The schema's
    ``date-time`` format uses this same function, so whatever validates also parses.

    Raises:
        ValueError: when the text is not such a date-time, or names a time that does not exist.
    """
    match = _RFC3339.fullmatch(value)
    if match is None:
        raise ValueError(f"not an RFC 3339 date-time: {value[:60]!r}")
    year, month, day, hour, minute, second = (int(part) for part in match.group(1, 2, 3, 4, 5, 6))
    if second == 60 and minute == 59:
        second = 59
    fraction = (match.group(7) or "0")[:6].ljust(6, "0")
    if match.group(8):
        zone = dt.timezone.utc
    else:
        offset_hours, offset_minutes = int(match.group(10)), int(match.group(11))
        if offset_hours > 23 or offset_minutes > 59:
            raise ValueError(f"the offset of {value[:60]!r} is out of range")
        offset = dt.timedelta(hours=offset_hours, minutes=offset_minutes)
        zone = dt.timezone(-offset if match.group(9) == "-" else offset)
    return dt.datetime(year, month, day, hour, minute, second, int(fraction), tzinfo=zone)


def _checks(parse: Any) -> Any:
    def check(instance: object) -> bool:
        if isinstance(instance, str):
            parse(instance)
        return True

    return check


_FORMATS: dict[str, Callable[[str], Any]] = {"date": parse_date, "date-time": parse_timestamp}
"""The formats the schema asserts, each checked by the function that later parses the value:
both validation paths use these, and nothing else (other formats are not asserted)."""


@functools.cache
def _format_checker() -> FormatChecker:
    # jsonschema is imported on first use: a build or check in which every file is valid
    # never needs it.
    from jsonschema import FormatChecker

    checker = FormatChecker()  # jsonschema's formats, with ours for dates and date-times
    for name, parse in _FORMATS.items():
        checker.checks(name, raises=ValueError)(_checks(parse))
    return checker


NAME_PATTERN = (
    "^[^\\s<>\"'`\\\\\\u0000-\\u001f\\u007f-\\u009f\\u00ad\\u200b-\\u200f\\u2028-\\u202e\\u2060-\\u2064"
    "\\u2066-\\u206f\\ufeff][^<>\"'`\\\\\\u0000-\\u001f\\u007f-\\u009f\\u00ad\\u200b-\\u200f\\u2028-\\u202e"
    "\\u2060-\\u2064\\u2066-\\u206f\\ufeff]{0,63}$"
)
"""The schema's pattern for services and tags (kept in step by a test)."""

_PATTERN_HINTS = {
    "^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$": (
        "must start with a letter or digit and use only letters, digits, '.', '_' and '-' "
        "(64 characters at most)"
    ),
    NAME_PATTERN: (
        "must be at most 64 characters, not start with a space, and contain no quotes, "
        "angle brackets, backslashes or control characters"
    ),
    "^[a-z0-9]+(-[a-z0-9]+)*$": "must be a kebab-case word, like 'deploy-process'",
    "^[^\\r\\n]*\\S[^\\r\\n]*$": "must be a single line of text, not blank",
    "\\S": "must not be blank",
    "^https?://[^\\s<>\"'`]+$": "must be an http:// or https:// URL without spaces or quotes",
}

_INVISIBLE_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp", "Co", "Cs", "Cn"})


def load_schema(path: Path, severities: Sequence[str], *, check: bool = True) -> dict[str, Any]:
    """Read a postmortem schema, check it against its metaschema, and apply the severities.

    Args:
        path: the schema file.
        severities: the configured severity levels, which replace the schema's list.
        check: whether to check the schema against the metaschema; only a caller that knows
            these very bytes passed the check (the result cache, whose key holds their
            hash) may skip it.

    Raises:
        ConfigurationError: when the schema cannot be read, is not valid JSON, or is not a
            valid JSON Schema.
    """
    try:
        schema = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise ConfigurationError(f"cannot read the schema {path}: {error.strerror}") from None
    except (ValueError, UnicodeDecodeError) as error:
        raise ConfigurationError(f"the schema {path} is not valid JSON: {error}") from None
    if check:
        _check_schema(path, schema)
    if not isinstance(schema, dict):
        raise ConfigurationError(f"the schema {path} must be a JSON object")
    schema = copy.deepcopy(schema)
    severity = schema.get("properties", {}).get("severity")
    if isinstance(severity, dict) and "enum" in severity:
        severity["enum"] = list(severities)
    return schema


def _check_schema(path: Path, schema: Any) -> None:
    if _fast_metaschema_check_passes(schema):
        return
    # jsonschema gives the verdict (and writes the message) whenever the fast check cannot.
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import SchemaError

    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as error:
        where = "/".join(str(part) for part in error.absolute_path) or "(root)"
        raise ConfigurationError(
            f"the schema {path} is not a valid JSON Schema at {where}: {error.message}"
        ) from None


_DRAFT_2020_12 = (
    "https://json-schema.org/draft/2020-12/schema",
    "https://json-schema.org/draft/2020-12/schema#",
)
"""The ``$schema`` values for which jsonschema-rs checks against the 2020-12 metaschema, the
one jsonschema's ``Draft202012Validator.check_schema`` always uses."""

_URI_FORMAT_LIBRARIES = ("rfc3987", "rfc3986_validator")
"""The libraries with which jsonschema asserts the ``uri`` and ``uri-reference`` formats that
the metaschema gives ``$schema``, ``$id``, ``$ref``...; without them it does not check these."""


def _fast_metaschema_check_passes(schema: Any) -> bool:
    """Whether jsonschema-rs finds the schema valid, in a case where it agrees with jsonschema.

    Importing jsonschema costs a fresh process more than the rest of a small build's
    validation, for a schema that is nearly always valid; jsonschema-rs checks it in 0.5 ms
    (0.03 ms once warm). Its check differs from jsonschema's ``check_schema`` in two ways,
    found by the differential test: it follows ``$schema`` to an older draft's metaschema,
    where jsonschema always checks against 2020-12; and it asserts none of the metaschema's
    formats, where jsonschema asserts ``regex`` (Python's ``re``) and, with a URI library
    installed, ``uri`` and ``uri-reference``. So "valid" is taken only for a 2020-12 schema
    whose regular expressions compile in Python, with no URI library about; anything else,
    and any "invalid", is jsonschema's to decide.
    """
    if isinstance(schema, dict):
        declared = schema.get("$schema", _DRAFT_2020_12[0])
        if not isinstance(declared, str) or declared not in _DRAFT_2020_12:
            return False
    if _uri_formats_asserted():
        return False
    try:
        import jsonschema_rs

        if not jsonschema_rs.meta.is_valid(schema):
            return False
    except Exception:  # absent, too old to have ``meta``, or a value it cannot take
        return False
    return all(_compiles(pattern) for pattern in _regular_expressions(schema))


@functools.cache
def _uri_formats_asserted() -> bool:
    """Whether jsonschema would check the metaschema's URI formats (found without importing)."""
    return any(importlib.util.find_spec(name) is not None for name in _URI_FORMAT_LIBRARIES)


def _regular_expressions(schema: Any) -> Iterator[str]:
    """Every text the metaschema's ``regex`` format applies to, and possibly a few more.

    That is each ``pattern`` value and each ``patternProperties`` name of a subschema. Any key
    of that name is taken, wherever it is (inside an ``enum`` or under ``properties`` too):
    one taken by excess can only send the schema to jsonschema, never let a bad one through.
    """
    pending = [schema]
    while pending:
        node = pending.pop()
        if isinstance(node, dict):
            pattern = node.get("pattern")
            if isinstance(pattern, str):
                yield pattern
            names = node.get("patternProperties")
            if isinstance(names, dict):
                yield from names
            pending.extend(node.values())
        elif isinstance(node, list):
            pending.extend(node)


def _compiles(pattern: str) -> bool:
    """Whether ``re.compile`` takes the pattern, which is jsonschema's ``regex`` check."""
    try:
        re.compile(pattern)
    except Exception:  # re.error, or an error jsonschema would raise: it decides
        return False
    return True


class SchemaValidator:
    """A compiled validator for one schema, with located, readable messages."""

    def __init__(self, schema: Mapping[str, Any], *, fast_path: bool = True) -> None:
        """Compile the validators once; ``schema`` comes from ``load_schema``.

        Args:
            schema: the schema.
            fast_path: whether to let the compiled validator answer for valid documents
                (tests turn it off to compare the two paths).
        """
        self.schema = schema
        self.fast = compile_fast_validator(schema) if fast_path else None
        self._full: Any = None
        if self.fast is None:
            self._full_validator()

    def _full_validator(self) -> Any:
        # Made on first need: a check in which every file passes the fast path never needs
        # the jsonschema package at all.
        if self._full is None:
            from jsonschema import Draft202012Validator

            self._full = Draft202012Validator(self.schema, format_checker=_format_checker())
        return self._full

    def problems(self, document: SourceDocument) -> list[Problem]:
        """Every schema violation of a document, located and explained."""
        if self.fast is not None and self.fast.is_valid(document.front_matter):
            valid = [*self._unknown_fields(document), *text_problems(document)]
            return sorted(valid, key=Problem.sort_key)
        found: dict[tuple[FieldPath, str], Problem] = {}
        for error in self._full_validator().iter_errors(document.front_matter):
            for path, message in _explain(error, document):
                key = (path, message)
                if key not in found:
                    found[key] = Problem(
                        document.file,
                        document.line_of(path),
                        format_field_path(path) or None,
                        message,
                        "PM101",
                    )
        found_list = list(found.values())
        found_list.extend(self._unknown_fields(document))
        # The schema's patterns already explain control characters in ids, tags and services.
        reported = _field_names(path for path, _ in found)
        found_list.extend(
            problem for problem in text_problems(document) if problem.field not in reported
        )
        return sorted(found_list, key=Problem.sort_key)

    def is_valid(self, front_matter: Mapping[str, Any]) -> bool:
        """Whether the front matter passes the schema."""
        if self.fast is not None and self.fast.is_valid(front_matter):
            return True
        return bool(self._full_validator().is_valid(front_matter))

    def full_is_valid(self, front_matter: Mapping[str, Any]) -> bool:
        """The full path's verdict alone (for the differential test)."""
        return bool(self._full_validator().is_valid(front_matter))

    def _unknown_fields(self, document: SourceDocument) -> Iterator[Problem]:
        for path, key, known in _unknown_keys(document.front_matter, self.schema, ()):
            guess = _close_matches(key, known, n=1, cutoff=0.7)
            hint = f"did you mean '{guess[0]}'?" if guess else "it is not part of the format"
            yield Problem(
                document.file,
                document.line_of((*path, key)),
                format_field_path((*path, shorten(key, 60)[1:-1])),
                f"unknown field: {hint}",
                "PM102",
                "warning",
            )


_SCHEMA_KEYWORDS = frozenset({"not", "if", "then", "else", "items", "contains", "propertyNames"})
"""Keywords whose value is one schema."""
_SCHEMA_MAP_KEYWORDS = frozenset({"properties", "$defs", "definitions"})
"""Keywords whose value maps names to schemas."""
_SCHEMA_LIST_KEYWORDS = frozenset({"allOf", "anyOf", "oneOf", "prefixItems"})
"""Keywords whose value is a list of schemas."""
_DATA_KEYWORDS = frozenset(
    {
        "$schema",
        "$id",
        "$comment",
        "title",
        "description",
        "examples",
        "default",
        "deprecated",
        "readOnly",
        "writeOnly",
        "type",
        "enum",
        "const",
        "required",
        "minLength",
        "maxLength",
        "minItems",
        "maxItems",
        "uniqueItems",
        "minProperties",
        "maxProperties",
        "minimum",
        "maximum",
        "exclusiveMinimum",
        "exclusiveMaximum",
        "minContains",
        "maxContains",
        "dependentRequired",
    }
)
"""Keywords whose value is data, with the same meaning in jsonschema and jsonschema-rs."""
_FAST_KEYWORDS = (
    _SCHEMA_KEYWORDS
    | _SCHEMA_MAP_KEYWORDS
    | _SCHEMA_LIST_KEYWORDS
    | _DATA_KEYWORDS
    | {"additionalProperties", "format", "pattern", "$ref"}
)
"""Every keyword the fast path understands exactly as the full path does.

A schema with any other keyword (``patternProperties``, whose regular expressions would be
Rust's, ``multipleOf``, whose float arithmetic may differ, a remote ``$ref``...) is checked by
the full path alone.
"""


class FastValidator:
    """A compiled validator (jsonschema-rs) that only answers whether a document is valid."""

    def __init__(self, compiled: Any) -> None:
        """Wrap a jsonschema-rs validator made by ``compile_fast_validator``."""
        self._compiled = compiled

    def is_valid(self, front_matter: Mapping[str, Any]) -> bool:
        """Whether the front matter is valid; False also when the fast path cannot tell.

        A value that JSON cannot carry (a huge number, a lone surrogate) makes jsonschema-rs
        raise: the answer is then False, so that the full path decides.
        """
        try:
            return bool(self._compiled.is_valid(front_matter))
        except Exception:  # the full path gives the verdict and the message
            return False


def compile_fast_validator(schema: Mapping[str, Any]) -> FastValidator | None:
    """A fast validator that agrees with the full one, or None when none can be made.

    None when jsonschema-rs is not installed or the schema uses a keyword outside
    ``_FAST_KEYWORDS``.
    """
    try:
        import jsonschema_rs
    except ImportError:  # pragma: no cover - a dependency; the full path still works
        return None
    formats: dict[str, Callable[[str], bool]] = {}
    routed = _route_to_python(schema, formats, top=True)
    if routed is None:
        return None
    try:
        compiled = jsonschema_rs.Draft202012Validator(
            routed, formats=formats, validate_formats=True, ignore_unknown_formats=False
        )
    except Exception:  # pragma: no cover - the schema passed the metaschema check
        return None
    return FastValidator(compiled)


def _route_to_python(
    node: Any, formats: dict[str, Callable[[str], bool]], *, top: bool = False
) -> Any:
    """A copy of a schema whose formats and patterns call the full path's own functions.

    Returns None when the schema uses a keyword the fast path does not understand exactly.
    """
    if isinstance(node, bool):
        return node
    if not isinstance(node, dict):
        return None
    routed: dict[str, Any] = {}
    extra: list[dict[str, Any]] = []
    for key, value in node.items():
        if key not in _FAST_KEYWORDS or (key == "$id" and not top):
            return None
        if key == "$ref":
            if not isinstance(value, str) or not value.startswith("#"):
                return None
            routed[key] = value
        elif key == "format":
            routed[key] = _python_format(str(value), formats)
        elif key == "pattern":
            extra.append({"format": _python_pattern(str(value), formats)})
        elif key in _SCHEMA_KEYWORDS or key == "additionalProperties":
            child = _route_to_python(value, formats)
            if child is None:
                return None
            routed[key] = child
        elif key in _SCHEMA_MAP_KEYWORDS:
            if not isinstance(value, dict):
                return None
            children = {name: _route_to_python(sub, formats) for name, sub in value.items()}
            if any(child is None for child in children.values()):
                return None
            routed[key] = children
        elif key in _SCHEMA_LIST_KEYWORDS:
            if not isinstance(value, list):
                return None
            items = [_route_to_python(sub, formats) for sub in value]
            if any(child is None for child in items):
                return None
            routed[key] = items
        else:
            routed[key] = value
    if extra:
        routed["allOf"] = [*routed.get("allOf", []), *extra]
    return routed


def _conforms(parse: Callable[[str], Any]) -> Callable[[str], bool]:
    def conforms(instance: str) -> bool:
        try:
            parse(instance)
        except ValueError:
            return False
        return True

    return conforms


_OWN_FORMATS: dict[str, Callable[[str], bool]] = {
    name: _conforms(parse) for name, parse in _FORMATS.items()
}
"""The asserted formats as the fast path calls them: the very parse functions of the full
path's format checker, so both agree, and no jsonschema import is needed."""


def _python_format(name: str, formats: dict[str, Callable[[str], bool]]) -> str:
    routed = f"pmkb-format:{name}"
    if routed in formats:
        return routed
    if name in _OWN_FORMATS:
        formats[routed] = _OWN_FORMATS[name]
        return routed
    if routed not in formats:
        known = _format_checker().checkers.get(name)
        if known is None:  # the full path ignores a format it does not know
            formats[routed] = lambda instance: True
            return routed
        check, raises = known

        def conforms(instance: str) -> bool:
            # What FormatChecker.conforms does, without its per-call lookups.
            try:
                return bool(check(instance))
            except raises:
                return False

        formats[routed] = conforms
    return routed


def _python_pattern(pattern: str, formats: dict[str, Callable[[str], bool]]) -> str:
    routed = f"pmkb-pattern:{pattern}"
    if routed not in formats:
        # jsonschema's pattern keyword is re.search with the pattern as written.
        search = re.compile(pattern).search

        def matches(instance: str) -> bool:
            return search(instance) is not None

        formats[routed] = matches
    return routed


def _close_matches(word: str, possibilities: Sequence[str], n: int, cutoff: float) -> list[str]:
    """``difflib.get_close_matches``, imported when a message needs a suggestion."""
    import difflib  # a check of valid files makes no suggestion: spare its import

    return difflib.get_close_matches(word, possibilities, n=n, cutoff=cutoff)


def _field_names(paths: Iterable[FieldPath]) -> set[str | None]:
    return {format_field_path(path) or None for path in paths}


_INVISIBLE = frozenset({"Cc", "Cf", "Zs", "Zl", "Zp", "Co", "Cs", "Cn", "Mn", "Me"})
_VISIBLE_ASCII = re.compile("[!-~]")
"""Printable ASCII but the space: letters, digits, punctuation and symbols, all visible."""


def first_control(text: str) -> str | None:
    """The first control character of a text (category Cc) other than tab and line feed."""
    found = CONTROL.search(text)
    return None if found is None else found.group()


def only_invisible(text: str) -> bool:
    """Whether a text is not empty and every character of it is invisible.

    Invisible: a control, format, separator, private-use, surrogate, unassigned or
    non-spacing mark character. Asking each character's category is slow, so a text with a
    visible ASCII character (nearly all of them) is answered without it.
    """
    if not text or _VISIBLE_ASCII.search(text) is not None:
        return False
    return all(unicodedata.category(ch) in _INVISIBLE for ch in text)


def text_problems(document: SourceDocument) -> list[Problem]:
    """Keys and text values that hold control characters, or only invisible ones.

    YAML's double-quoted escapes (``"\\e"``, ``"\\0"``) put any character into a value; a
    terminal escape or a NUL has no place in a postmortem, and a title made of zero-width
    spaces would publish an invisible page. Checked on every field, known or not.
    """
    if document.plain_text or _plainly_clean(document.front_matter):
        return []
    problems: list[Problem] = []
    for path, text, is_key in _strings(document.front_matter, ()):
        control = first_control(text)
        if control is not None:
            message = (
                f"contains the control character U+{ord(control):04X}: remove it "
                "(values are plain text)"
            )
        elif not is_key and only_invisible(text):
            if text.strip():
                message = "holds only invisible characters: write the value or remove the field"
            else:
                continue  # blank values are the schema's to report, where it cares
        else:
            continue
        shown = format_field_path(tuple(_shown_part(part) for part in path))
        problems.append(
            Problem(document.file, document.line_of(path), shown or None, message, "PM106")
        )
    return problems


def _plainly_clean(front_matter: Any) -> bool:
    """Whether no key or text value of a front matter can have a PM106 problem.

    This is the common case, answered with one search for control characters over all the
    texts at once (joined by line feeds, which are allowed) and, for each value, a look at
    its first character; ``text_problems`` walks the fields one by one only when it is not.
    """
    texts: list[str] = []
    pending: list[Any] = [front_matter]
    while pending:
        value = pending.pop()
        if isinstance(value, str):
            if not "!" <= value[:1] <= "~" and only_invisible(value) and value.strip():
                return False
            texts.append(value)
        elif isinstance(value, dict):
            texts.extend(value)
            pending.extend(value.values())
        elif isinstance(value, list):
            pending.extend(value)
    return CONTROL.search("\n".join(texts)) is None


def _shown_part(part: str | int) -> str | int:
    return part if isinstance(part, int) else shorten(part, 60)[1:-1]


def _strings(value: Any, path: FieldPath) -> Iterator[tuple[FieldPath, str, bool]]:
    if isinstance(value, str):
        yield path, value, False
    elif isinstance(value, dict):
        for key, child in value.items():
            yield (*path, key), key, True
            yield from _strings(child, (*path, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from _strings(child, (*path, index))


def _unknown_keys(
    value: Any, schema: Mapping[str, Any], path: FieldPath
) -> list[tuple[FieldPath, str, list[str]]]:
    """The keys of a value that its schema's ``properties`` do not name, where they are, and
    the names it does (for a did-you-mean), in the order of the value."""
    found: list[tuple[FieldPath, str, list[str]]] = []
    _collect_unknown_keys(value, schema, path, found)
    return found


def _collect_unknown_keys(
    value: Any,
    schema: Mapping[str, Any],
    path: FieldPath,
    found: list[tuple[FieldPath, str, list[str]]],
) -> None:
    # Only mappings and lists can hold keys: texts and numbers (most values, and the items
    # of most lists) are not visited at all, which made this a tenth of the time it was.
    if isinstance(value, dict):
        properties = schema.get("properties")
        if not isinstance(properties, dict):
            return
        for key, child in value.items():
            if key not in properties:
                found.append((path, key, list(properties)))
            elif isinstance(child, (dict, list)) and isinstance(properties[key], dict):
                _collect_unknown_keys(child, properties[key], (*path, key), found)
    elif isinstance(value, list):
        items = schema.get("items")
        if not isinstance(items, dict):
            return
        for index, child in enumerate(value):
            if isinstance(child, (dict, list)):
                _collect_unknown_keys(child, items, (*path, index), found)


def _explain(error: ValidationError, document: SourceDocument) -> Iterator[tuple[FieldPath, str]]:
    """Turn one jsonschema error into located messages that say what to do."""
    path: FieldPath = tuple(error.absolute_path)
    value: Any = error.instance
    keyword: Any = error.validator
    expected: Any = error.validator_value
    when_final = "then" in error.absolute_schema_path
    if keyword == "required":
        assert isinstance(value, dict)
        for name in expected:
            if name not in value:
                reason = "required when status is 'final'" if when_final else "required"
                yield (*path, name), f"{reason}, but missing"
        return
    if keyword == "type":
        yield path, _type_message(expected, value, document.plain_scalars.get(path))
        return
    if keyword == "enum":
        yield path, _enum_message(value, expected)
        return
    if keyword == "format":
        yield path, _format_message(value, expected)
        return
    if keyword == "pattern":
        yield path, _pattern_message(value, expected)
        return
    if keyword == "minLength":
        yield path, "must not be empty"
        return
    if keyword == "maxLength":
        yield path, f"is {len(value):,} characters long; the limit is {expected:,}"
        return
    if keyword == "minItems":
        noun = "item" if expected == 1 else "items"
        if when_final:
            yield path, f"needs at least {expected} {noun} when status is 'final'"
        else:
            yield path, f"needs at least {expected} {noun}"
        return
    if keyword == "maxItems":
        yield path, f"has {len(value):,} items; the limit is {expected:,}"
        return
    if keyword == "uniqueItems":
        seen: set[str] = set()
        for item in value:
            marker = json.dumps(item, sort_keys=True)
            if marker in seen:
                yield path, f"lists {shorten(item)} more than once"
                return
            seen.add(marker)
        return
    if keyword in ("minimum", "exclusiveMinimum"):
        yield path, f"must be at least {expected}, got {shorten(value)}"
        return
    if keyword in ("maximum", "exclusiveMaximum"):
        yield path, f"must be at most {expected}, got {shorten(value)}"
        return
    if keyword == "const":
        yield path, f"must be {shorten(expected)}, got {shorten(value)}"
        return
    if keyword == "additionalProperties":
        yield path, f"has fields the format does not allow: {shorten(error.message, 80)}"
        return
    yield path, shorten(error.message, 160)[1:-1]


_TYPE_NAMES = {
    "string": "text",
    "integer": "a whole number",
    "number": "a number",
    "boolean": "true or false",
    "array": "a list",
    "object": "a mapping of fields",
    "null": "nothing",
}


def _describe(value: Any) -> str:
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, (int, float)):
        return f"the number {shorten(value)}"
    if isinstance(value, str):
        return f"the text {shorten(value)}"
    if isinstance(value, list):
        return "a list"
    return "a mapping"


def _kind_of(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    return "a number"


def _type_message(expected: Any, value: Any, source: str | None) -> str:
    names = [expected] if isinstance(expected, str) else list(expected)
    wanted = " or ".join(_TYPE_NAMES.get(name, name) for name in names)
    message = f"expected {wanted}, got {_describe(value)}"
    if source == "":
        message += ": the value is empty; fill it in or remove the field"
    elif source is not None and "string" in names:
        message += (
            f": YAML reads the unquoted {shorten(source)} as {_kind_of(value)}; "
            f'quote it: "{shorten(source)[1:-1]}"'
        )
    elif source is not None and value is None:
        message += ": the value is empty; fill it in or remove the field"
    elif "boolean" in names and isinstance(value, str):
        message += ": write true or false"
    elif "array" in names and isinstance(value, str):
        message += f": write a list, e.g. [{shorten(value, 30)[1:-1]}]"
    return message


def _enum_message(value: Any, allowed: Sequence[Any]) -> str:
    options = ", ".join(shorten(option) for option in allowed)
    message = f"{_describe(value)} is not one of {options}"
    if isinstance(value, str):
        by_fold = {str(option).casefold(): str(option) for option in allowed}
        guess = by_fold.get(value.strip().casefold())
        if guess is None:
            close = _close_matches(value, [str(o) for o in allowed], n=1, cutoff=0.5)
            # 'SEV9' is close to 'SEV4' as text, but a different number is no typo.
            if close and _without_digits(close[0]) != _without_digits(value):
                guess = close[0]
        if guess is not None:
            message += f"; did you mean '{guess}'?"
    elif isinstance(value, bool):
        message += "; YAML 1.2 reads only true/false as booleans, so check the value"
    return message


def _without_digits(text: str) -> str:
    return "".join(ch for ch in text if not ch.isdigit())


_ZONE = r"(?:[Zz]|[+-]\d\d:\d\d)"
_NO_ZONE = re.compile(r"\d{4}-\d\d-\d\d[Tt ]\d\d:\d\d(:\d\d(\.\d+)?)?", re.ASCII)
_SPACE_SEPARATED = re.compile(r"\d{4}-\d\d-\d\d +\d\d:\d\d:\d\d(\.\d+)?" + _ZONE, re.ASCII)
_NO_SECONDS = re.compile(r"\d{4}-\d\d-\d\d[Tt]\d\d:\d\d" + _ZONE, re.ASCII)


def _format_message(value: Any, format_name: str) -> str:
    text = str(value)
    if format_name == "date":
        if _DATE.fullmatch(text):
            return (
                f"{shorten(value)} is not a day that exists: check the month (01-12) and the "
                "day of the month"
            )
        return (
            f"{shorten(value)} is not a valid date: write YYYY-MM-DD, a day that exists "
            "(e.g. 2024-03-15)"
        )
    if format_name == "date-time":
        if _NO_ZONE.fullmatch(text):
            return (
                f"{shorten(value)} has no time zone: add 'Z' for UTC or an offset like "
                "'+02:00', e.g. 2024-03-15T14:20:00Z"
            )
        if _SPACE_SEPARATED.fullmatch(text):
            return (
                f"{shorten(value)} separates the date and the time with a space: write a 'T', "
                "e.g. 2024-03-15T14:20:00Z"
            )
        if _NO_SECONDS.fullmatch(text):
            return f"{shorten(value)} has no seconds: write HH:MM:SS, e.g. 2024-03-15T14:20:00Z"
        if _RFC3339.fullmatch(text):
            return (
                f"{shorten(value)} is not a moment that exists: check the day of the month, "
                "the hour (00-23), the minutes and seconds (00-59) and the offset (at most 23:59)"
            )
        return (
            f"{shorten(value)} is not an RFC 3339 date-time with a time zone: write "
            "YYYY-MM-DDTHH:MM:SSZ (or an offset like +02:00), e.g. 2024-03-15T14:20:00Z"
        )
    return f"{shorten(value)} is not a valid {format_name}"


def _pattern_message(value: Any, pattern: str) -> str:
    text = str(value)
    if not text:
        return "must not be empty"  # the same words as minLength's, so one message remains
    invisible = next(
        (ch for ch in text if unicodedata.category(ch) in _INVISIBLE_CATEGORIES and ch != " "),
        None,
    )
    if invisible is not None and "\n" not in text:
        return (
            f"contains the invisible or control character U+{ord(invisible):04X}: retype the value"
        )
    hint = _PATTERN_HINTS.get(pattern, f"must match the pattern {pattern}")
    return f"{shorten(value)} {hint}"


def timeline_problems(document: SourceDocument) -> list[Problem]:
    """Timestamps out of order: started <= detected <= mitigated <= resolved."""
    timeline = document.front_matter.get("timeline")
    if not isinstance(timeline, dict):
        return []
    present = [
        (name, parsed)
        for name in TIMELINE_FIELDS
        if (parsed := _timestamp_or_none(timeline.get(name))) is not None
    ]
    problems = []
    for (earlier_name, earlier), (later_name, later) in _pairs(present):
        if later < earlier:
            problems.append(
                Problem(
                    document.file,
                    document.line_of(("timeline", later_name)),
                    f"timeline.{later_name}",
                    f"{timeline[later_name]} is before timeline.{earlier_name} "
                    f"({timeline[earlier_name]}): the order is started <= detected <= "
                    "mitigated <= resolved",
                    "PM203",
                )
            )
    started = _timestamp_or_none(timeline.get("started"))
    day = _date_or_none(document.front_matter.get("date"))
    if started is not None and day is not None:
        started_day = started.astimezone(dt.timezone.utc).date()
        if abs((day - started_day).days) > 1:
            problems.append(
                Problem(
                    document.file,
                    document.line_of(("date",)),
                    "date",
                    f"{day} is more than a day away from timeline.started "
                    f"({timeline['started']}): "
                    "date is the day the incident began",
                    "PM204",
                    "warning",
                )
            )
    return problems


def _timestamp_or_none(value: Any) -> dt.datetime | None:
    """A timestamp the schema accepted; None for anything else, which the schema reports."""
    try:
        return parse_timestamp(value) if isinstance(value, str) else None
    except ValueError:
        return None


def _date_or_none(value: Any) -> dt.date | None:
    try:
        return parse_date(value) if isinstance(value, str) else None
    except ValueError:
        return None


def _pairs(
    present: list[tuple[str, dt.datetime]],
) -> Iterator[tuple[tuple[str, dt.datetime], tuple[str, dt.datetime]]]:
    for index in range(1, len(present)):
        yield present[index - 1], present[index]


def final_action_items_problems(document: SourceDocument) -> list[Problem]:
    """A final postmortem with no action items must say why in its Action Items section."""
    front_matter = document.front_matter
    if front_matter.get("status") != "final" or front_matter.get("action_items") != []:
        return []
    if _section_text(document.body, "action items"):
        return []
    return [
        Problem(
            document.file,
            document.line_of(("action_items",)),
            "action_items",
            "is empty: a final postmortem lists its action items, or explains under an "
            "'## Action Items' heading in the body why there are none",
            "PM205",
        )
    ]


_ATX_HEADING = re.compile(r" {0,3}#{1,6}(?:[ \t]+(.*))?$")


def _section_text(body: str, heading: str) -> str:
    """The text under a Markdown heading (any level), up to the next heading."""
    collected: list[str] = []
    inside = False
    for line in body.split("\n"):
        # A linear pattern, then plain string methods: a lazy group followed by optional
        # spaces and hashes backtracks quadratically on a long line of spaces.
        match = _ATX_HEADING.match(line)
        if match:
            if inside:
                break
            inside = (match.group(1) or "").strip().rstrip("#").strip().casefold() == heading
            continue
        if inside:
            collected.append(line)
    return "\n".join(collected).strip()


def cross_file_problems(documents: Iterable[FileView]) -> list[Problem]:
    """Rules across files: unique ids, and related ids that exist and are not the file's own."""
    by_id: dict[str, list[FileView]] = {}
    documents = list(documents)
    for document in documents:
        identifier = document.front_matter.get("id")
        if isinstance(identifier, str):
            by_id.setdefault(identifier, []).append(document)
    problems: list[Problem] = []
    for identifier, owners in by_id.items():
        if len(owners) < 2:
            continue
        for document in owners:
            others = ", ".join(other.file for other in owners if other is not document)
            problems.append(
                Problem(
                    document.file,
                    document.line_of(("id",)),
                    "id",
                    f"{shorten(identifier)} is also the id of {others}: ids must be unique",
                    "PM201",
                )
            )
    unknown = {
        target
        for document in documents
        if isinstance(related := document.front_matter.get("related"), list)
        for target in related
        if isinstance(target, str) and target not in by_id
    }
    suggest = IdSuggester(by_id, len(unknown))
    for document in documents:
        related = document.front_matter.get("related")
        if not isinstance(related, list):
            continue
        own = document.front_matter.get("id")
        for index, target in enumerate(related):
            if not isinstance(target, str):
                continue
            if target == own:
                message = "refers to this postmortem itself: list other postmortems' ids"
            elif target not in by_id:
                message = f"{shorten(target)} is not the id of any postmortem{suggest.hint(target)}"
            else:
                continue
            problems.append(
                Problem(
                    document.file,
                    document.line_of(("related", index)),
                    f"related[{index}]",
                    message,
                    "PM202",
                )
            )
    return problems


SUGGESTION_BUDGET = 200_000
"""How many (unknown id, known id) pairs the did-you-mean of ``related`` may compare in full.

Within it, every unknown id is compared with every known one (the best match wins); past it
(say a thousand unknown ids in a knowledge base of ten thousand, which took minutes), each is
compared only with the known ids one edit away (a letter added, dropped, changed or two
swapped), found through an index: the typos that a suggestion is for."""


class IdSuggester:
    """The did-you-mean of an unknown id in ``related``, bounded however many there are.

    Attributes:
        compared: how many known ids the suggestions compared so far (all ids per unknown
            id within ``SUGGESTION_BUDGET``, the few candidates of the index past it).
    """

    def __init__(self, known: Collection[str], unknown_count: int) -> None:
        """Suggest among ``known`` ids for ``unknown_count`` distinct unknown ones."""
        self.known = sorted(known)
        self.compared = 0
        self._hints: dict[str, str] = {}
        self._index: dict[str, set[str]] | None = None
        if unknown_count * len(self.known) > SUGGESTION_BUDGET:
            self._index = {}
            for identifier in self.known:
                for variant in _one_deletion(identifier):
                    self._index.setdefault(variant, set()).add(identifier)

    def hint(self, target: str) -> str:
        """``; did you mean 'X'?``, or an empty string when no id is close."""
        found = self._hints.get(target)
        if found is None:
            if self._index is None:
                candidates = self.known
            else:
                near: set[str] = set()
                for variant in _one_deletion(target):
                    near |= self._index.get(variant, set())
                candidates = sorted(near)
            self.compared += len(candidates)
            close = _close_matches(target, candidates, n=1, cutoff=0.6) if candidates else []
            found = self._hints[target] = f"; did you mean '{close[0]}'?" if close else ""
        return found


MAX_INDEXED_ID_CHARS = 64
"""Ids longer than this are indexed by themselves only (their deletions would cost more
than they find)."""


def _one_deletion(identifier: str) -> set[str]:
    """The id and every text one character shorter: two ids share one when they differ by
    one insertion, deletion, substitution or swap of neighbours."""
    if len(identifier) > MAX_INDEXED_ID_CHARS:
        return {identifier}
    return {identifier} | {
        identifier[:position] + identifier[position + 1 :] for position in range(len(identifier))
    }


def _guess(value: str, known: Collection[str]) -> str:
    """A did-you-mean for a value outside a vocabulary: same letters first, then close ones."""
    folded = {name.casefold(): name for name in sorted(known)}
    key = value.casefold()
    if key in folded:
        return f"; did you mean '{folded[key]}'?"
    close = _close_matches(key, list(folded), n=1, cutoff=0.6)
    return f"; did you mean '{folded[close[0]]}'?" if close else ""


def vocabulary_problems(
    document: SourceDocument,
    *,
    categories: Collection[str] = (),
    aliases: Mapping[str, str] | None = None,
    services: Collection[str] | None = None,
    tags: Collection[str] | None = None,
) -> list[Problem]:
    """Root cause categories, services and tags outside the configured vocabularies.

    Each vocabulary applies only when it is configured: ``categories`` (the taxonomy's
    canonical names, with ``aliases`` also accepted), ``services`` and ``tags``. A value
    outside one is a warning (PM208, PM209, PM210) at the value's line, with a did-you-mean,
    so that ``checkout`` and ``check-out`` cannot split an index unnoticed.
    """
    problems: list[Problem] = []
    data = document.front_matter
    if categories:
        known = set(categories) | set(aliases or {})
        for index, cause in enumerate(data.get("root_causes") or ()):
            category = cause.get("category") if isinstance(cause, dict) else None
            if isinstance(category, str) and category not in known:
                problems.append(
                    Problem(
                        document.file,
                        document.line_of(("root_causes", index, "category")),
                        f"root_causes[{index}].category",
                        f"{shorten(category)} is not a category of the taxonomy"
                        f"{_guess(category, known)} (add it to the taxonomy option in "
                        "mkdocs.yml if it is new)",
                        "PM208",
                        "warning",
                    )
                )
    for field_name, vocabulary, code in (("services", services, "PM209"), ("tags", tags, "PM210")):
        if not vocabulary:
            continue
        for index, value in enumerate(data.get(field_name) or ()):
            if isinstance(value, str) and value not in vocabulary:
                problems.append(
                    Problem(
                        document.file,
                        document.line_of((field_name, index)),
                        f"{field_name}[{index}]",
                        f"{shorten(value)} is not in the {field_name} vocabulary"
                        f"{_guess(value, vocabulary)} (add it to the {field_name} option in "
                        "mkdocs.yml if it is new)",
                        code,
                        "warning",
                    )
                )
    return problems


__all__ = [
    "FastValidator",
    "SchemaValidator",
    "compile_fast_validator",
    "cross_file_problems",
    "final_action_items_problems",
    "load_schema",
    "parse_date",
    "parse_timestamp",
    "text_problems",
    "timeline_problems",
    "vocabulary_problems",
]
