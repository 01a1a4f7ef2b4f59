"""Remember what checking each file gave, keyed by its content, so an unchanged file is not redone.

``pmkb check`` in a pre-commit hook usually runs after one file changed. Like ruff and mypy, it
keeps per-file results in a cache folder (``.pmkb-cache/`` beside ``mkdocs.yml``): for each
file, the SHA-256 of its bytes, the problems that reading and validating it gave, whether it
was valid, and the few fields that the rules across files need (id, related, services, tags,
with their lines). The rules across files always run again, over these.

The cache is never trusted across versions: its key covers this package's version and
source code, the versions of the parsing and validation libraries, the schema's bytes and the
settings. It is safe to delete at any time; a file that is missing, truncated, corrupt or from
another key is ignored and replaced. It is written atomically (a temporary file, then a
rename), and it is plain JSON, so reading it can never run code.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import hashlib
import importlib.util
import json
import os
import sys
from collections.abc import Iterable, Mapping
from dataclasses import fields
from pathlib import Path
from typing import Any, NamedTuple

from postmortem_kb.lint import RecurrenceFacts
from postmortem_kb.model import FieldPath, Postmortem, Problem, SourceDocument
from postmortem_kb.settings import Settings

CACHE_DIR_NAME = ".pmkb-cache"
CACHE_FILE_NAME = "check-results.jsonl"
FORMAT_VERSION = 3
CROSS_FILE_FIELDS = ("id", "related", "services", "tags")
"""The front matter fields that the rules across files read; the cache keeps them."""

_LIBRARIES = ("yaml", "yaml._yaml", "jsonschema", "jsonschema_rs", "rfc3339_validator")
"""The modules whose behaviour shapes a file's results: parsing, validation, formats."""
_GITIGNORE = "# Created by pmkb: a cache that is safe to delete.\n*\n"
_CACHEDIR_TAG = (
    "Signature: 8a477f597d28d172789f06886806bc55\n"
    "# This file is a cache directory tag created by pmkb.\n"
    "# For information about cache directory tags see https://bford.info/cachedir/\n"
)


class FileResult(NamedTuple):
    """What reading, validating and linting one file on its own gave.

    Attributes:
        digest: the SHA-256 of the file's bytes.
        problems: the problems of reading and validating this file alone (schema, timeline,
            vocabularies...).
        valid: whether its front matter passed the schema, so that it can be built.
        summary: the cross-file fields of its front matter and their lines (``None`` when
            the file has no front matter to speak of).
        document: the parsed document, when it is at hand (in memory, never on disk).
        lint: the findings of the lint rules of one postmortem (reported only when the file
            can be published).
        lint_date: the build date the lint findings hold for, when they depend on it.
        postmortem: the built postmortem, when it is at hand (in memory, never on disk).
    """

    digest: str
    problems: tuple[Problem, ...]
    valid: bool
    summary: Summary | None
    document: SourceDocument | None = None
    lint: tuple[Problem, ...] = ()
    lint_date: str | None = None
    postmortem: Postmortem | None = None


class Summary:
    """The part of a file's front matter that the rules across files read, with its lines.

    It is a ``FileView``: those rules run over summaries as over documents. Lines are keyed
    as stored, ``"related.1"`` for ``("related", 1)``: making ten thousand tuple-keyed maps
    took longer than the rest of a warm check, and a line is looked up only for a problem.
    """

    __slots__ = ("_lines", "file", "front_matter", "recurrence")

    def __init__(
        self,
        file: str,
        fields: Mapping[str, Any],
        lines: Mapping[str, int],
        recurrence: RecurrenceFacts | None = None,
    ) -> None:
        """A summary of ``file`` with these ``fields`` and their ``lines``, and for a valid
        postmortem what the recurrence notices read of it."""
        self.file = file
        self.front_matter = fields
        self._lines = lines
        self.recurrence = recurrence

    @classmethod
    def of(cls, document: SourceDocument, recurrence: RecurrenceFacts | None = None) -> Summary:
        """The summary of a parsed document."""
        front_matter = document.front_matter
        fields = {name: front_matter[name] for name in CROSS_FILE_FIELDS if name in front_matter}
        # A line equal to its parent's is left out: line_of falls back to the parent, and
        # the items of a list written [a, b] all share its line.
        # The parser records every container's line before its children's, so the parent's
        # line is one lookup; line_of (which climbs further) answers only when it is not.
        all_lines = document.lines
        lines = {
            _encode_path(path): line
            for path, line in all_lines.items()
            if not path
            or (
                path[0] in CROSS_FILE_FIELDS
                and line
                != (
                    parent
                    if (parent := all_lines.get(path[:-1])) is not None
                    else document.line_of(path[:-1])
                )
            )
        }
        return cls(document.file, fields, lines, recurrence)

    def line_of(self, path: FieldPath) -> int | None:
        """The line of a field, or of its nearest parent that has one."""
        for end in range(len(path), -1, -1):
            line = self._lines.get(_encode_path(path[:end]))
            if line is not None:
                return line
        return None

    def encoded(self) -> list[Any]:
        """The summary as stored."""
        facts = self.recurrence
        recurrence = None
        if facts is not None:
            recurrence = [
                facts.id,
                facts.date.isoformat(),
                list(facts.related),
                list(facts.categories),
                list(facts.category_lines),
                list(facts.open_actions),
            ]
        return [dict(self.front_matter), dict(self._lines), recurrence]


def _encode_path(path: FieldPath) -> str:
    # The cross-file fields are plain words, so a dot cannot be ambiguous.
    return ".".join(str(part) for part in path)


def cache_key(settings_items: Iterable[tuple[str, object]], schema_bytes: bytes) -> str:
    """The key that the cached results are valid for.

    Args:
        settings_items: the settings that can change a file's results, as name/value pairs.
        schema_bytes: the schema file's bytes.
    """
    return _digest_of_lines(
        f"format {FORMAT_VERSION}",
        f"python {sys.version}",
        *(f"library {name} {_installation(name)}" for name in _LIBRARIES),
        f"source {_source_fingerprint()}",
        f"schema {hashlib.sha256(schema_bytes).hexdigest()}",
        *(f"setting {name}={value!r}" for name, value in sorted(settings_items)),
    ).hexdigest()


def _digest_of_lines(*lines: str) -> hashlib._Hash:
    """A SHA-256 of ``lines``, one per line: what a cache key is made from."""
    digest = hashlib.sha256()
    for line in lines:
        digest.update(line.encode("utf-8", "backslashreplace") + b"\n")
    return digest


def _installation(module: str) -> str:
    """Where a library is installed and when its files were written, without importing it.

    Upgrading or reinstalling a library rewrites its files, which changes this; it costs a
    fraction of a millisecond, where reading version metadata cost tens.
    """
    try:
        spec = importlib.util.find_spec(module)
    except (ImportError, ValueError):
        spec = None
    if spec is None or spec.origin is None:
        return "absent"
    try:
        info = Path(spec.origin).stat()
    except OSError:
        return f"{spec.origin} unreadable"
    return f"{spec.origin} {info.st_size} {info.st_mtime_ns}"


@functools.cache
def _source_fingerprint() -> str:
    """A hash of this package's Python files: an edited checkout never reuses old results."""
    digest = hashlib.sha256()
    package = Path(__file__).resolve().parent
    for path in sorted(package.glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


Signature = tuple[int, int, int, int, int]
"""A file's size, modification and change times (ns), inode and device."""

RACY_MARGIN_NS = 2_000_000_000
"""How much older than the moment it was read a file must be for its signature to count."""


def signature(info: os.stat_result) -> Signature:
    """The stat signature of a file (see ``ResultCache.unchanged``)."""
    return (info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino, info.st_dev)


def settled_signature(info: os.stat_result, read_at_ns: int) -> Signature | None:
    """The signature of a file read at ``read_at_ns``, if it can vouch for the file's content.

    Like git's index, a signature is kept only for a file last written well before it was
    read (``RACY_MARGIN_NS``): a later write then always changes the modification or change
    time, even on a file system whose timestamps are coarse.
    """
    if max(info.st_mtime_ns, info.st_ctime_ns) >= read_at_ns - RACY_MARGIN_NS:
        return None
    return signature(info)


class ResultCache:
    """Per-file results keyed by file path and content hash, in memory and optionally on disk.

    ``get`` answers only when the file's bytes are the same as when the result was stored.
    ``save`` writes the results of the files seen in this pass (the files that are gone are
    dropped), and only when something changed.
    """

    def __init__(self, key: str, folder: Path | None = None) -> None:
        """A cache for ``key``; with ``folder``, what was saved there for that key is read
        on first use.

        Args:
            key: from ``cache_key``: results stored under another key are never used.
            folder: the cache folder (``.pmkb-cache``), or None for a cache in memory only.
        """
        self.key = key
        self.folder = folder
        self._stored: dict[str, FileResult] | None = None if folder is not None else {}
        # The stored line of each result read from disk, written back as it was.
        self._encoded: dict[str, bytes] = {}
        self._signatures: dict[str, Signature] = {}
        self._seen: dict[str, FileResult] = {}
        self._changed = False
        self.hits = 0
        self.misses = 0

    @property
    def loaded_from_disk(self) -> bool:
        """Whether results saved under this key were found on disk."""
        return self.folder is not None and bool(self._stored_results())

    def _stored_results(self) -> dict[str, FileResult]:
        if self._stored is None:
            assert self.folder is not None
            self._stored, self._encoded, self._signatures = _read(
                self.folder / CACHE_FILE_NAME, self.key
            )
        return self._stored

    def unchanged(self, file: str, current: Signature, day: str) -> FileResult | None:
        """The stored result of ``file`` if its stat signature is the one recorded with it.

        This spares reading and hashing the files that nobody touched (as git, mypy and
        ruff do); a file whose signature differs is read and looked up by its hash. ``day``
        is the build date, as in ``get``.
        """
        stored = self._stored_results()
        if self._signatures.get(file) != current:
            return None
        result = self._seen.get(file) or stored.get(file)
        if result is None or result.lint_date not in (None, day):
            return None
        self.hits += 1
        self._seen[file] = result
        return result

    def record_signature(self, file: str, current: Signature | None) -> None:
        """Remember the signature of ``file`` as read now (None: it cannot vouch for it)."""
        if self._signatures.get(file) != current:
            if current is None:
                self._signatures.pop(file, None)
            else:
                self._signatures[file] = current
            self._encoded.pop(file, None)
            self._changed = True

    def get(self, file: str, digest: str, day: str | None = None) -> FileResult | None:
        """The stored result of ``file`` if its content is unchanged, else None.

        A result whose lint findings hold only for one build date (``lint_date``) is used
        only on that ``day``.
        """
        result = self._seen.get(file) or self._stored_results().get(file)
        if result is None or result.digest != digest or result.lint_date not in (None, day):
            self.misses += 1
            return None
        self.hits += 1
        self._seen[file] = result
        return result

    def put(self, file: str, result: FileResult) -> None:
        """Remember the result of ``file``."""
        self._seen[file] = result
        self._encoded.pop(file, None)
        self._changed = True

    def start_pass(self) -> None:
        """Begin a new pass over the files: what is not seen again is dropped at ``save``."""
        self._stored_results().update(self._seen)
        self._seen = {}
        self._changed = False
        self.hits = 0
        self.misses = 0

    def save(self) -> None:
        """Write the results seen in this pass, atomically; a write that fails is ignored.

        Nothing is written when every file was found in the cache and none disappeared.
        """
        stored = self._stored_results()
        if self.folder is None:
            self._stored = dict(self._seen)
            return
        if not self._changed and self._seen.keys() == stored.keys():
            return
        lines = [
            self._encoded.get(file) or _encode(file, result, self._signatures.get(file))
            for file, result in sorted(self._seen.items())
        ]
        try:
            _write(self.folder, self.key, lines)
        except OSError:
            return  # a read-only checkout: the check still ran, only slower next time
        self._stored = dict(self._seen)
        self._encoded = dict(zip(sorted(self._seen), lines, strict=True))
        self._changed = False


def open_cache(settings: Settings) -> ResultCache | None:
    """The on-disk cache of a knowledge base, in ``.pmkb-cache/`` beside its ``mkdocs.yml``.

    None when the schema cannot be read: loading then reports that, with no cache involved.
    """
    try:
        schema_bytes = settings.schema_path.read_bytes()
    except OSError:
        return None
    items = [(item.name, getattr(settings, item.name)) for item in fields(settings)]
    return ResultCache(cache_key(items, schema_bytes), settings.root / CACHE_DIR_NAME)


def _encode_problems(problems: tuple[Problem, ...]) -> list[list[Any]]:
    return [
        [problem.line, problem.field, problem.message, problem.code, problem.level]
        for problem in problems
    ]


def _encode(file: str, result: FileResult, current: Signature | None) -> bytes:
    item = [
        file,
        result.digest,
        None if current is None else list(current),
        result.valid,
        _encode_problems(result.problems),
        None if result.summary is None else result.summary.encoded(),
        _encode_problems(result.lint),
        result.lint_date,
    ]
    # ASCII only, with escapes: one entry is one line, whatever the text holds.
    return json.dumps(item, separators=(",", ":")).encode("ascii")


_INT: frozenset[type] = frozenset({int})
_STR: frozenset[type] = frozenset({str})
_INT_OR_NONE: frozenset[type] = frozenset({int, type(None)})


def _only(values: Iterable[Any], types: frozenset[type]) -> bool:
    """Whether every value is of exactly one of ``types`` (``bool`` is not an ``int``)."""
    # map(type, ...) runs in C: ten thousand entries are checked in a few milliseconds.
    return set(map(type, values)) <= types


def _decode(item: Any) -> tuple[str, FileResult, Signature | None]:
    """One stored entry, decoded (see ``_decode_entries``)."""
    return _decode_entries([item])[0]


def _decode_entries(items: Iterable[Any]) -> list[tuple[str, FileResult, Signature | None]]:
    """The stored entries, decoded and checked: raises ``ValueError`` (or ``TypeError``) for
    any entry of the wrong shape.

    The items of every list are gathered and their types checked at once, at the end: checks
    made entry by entry (ten function calls each) were a sixth of decoding ten thousand.
    """
    decoded: list[tuple[str, FileResult, Signature | None]] = []
    ints: list[Any] = []  # each must be an int (a bool is not)
    texts: list[Any] = []  # each must be a str
    ints_or_none: list[Any] = []
    fromisoformat = dt.date.fromisoformat
    for item in items:
        file, digest, stored_signature, valid, problems, summary, lint, lint_date = item
        if (
            type(file) is not str
            or type(digest) is not str
            or type(valid) is not bool
            or not (lint_date is None or type(lint_date) is str)
        ):
            raise ValueError("malformed entry")
        current: Signature | None = None
        if stored_signature is not None:
            if type(stored_signature) is not list or len(stored_signature) != 5:
                raise ValueError("malformed signature")
            ints.extend(stored_signature)
            current = tuple(stored_signature)
        decoded_summary = None
        if summary is not None:
            fields, lines, recurrence = summary
            if type(fields) is not dict or type(lines) is not dict:
                raise ValueError("malformed summary")
            ints.extend(lines.values())
            facts = None
            if valid:
                # A valid file's cross-file fields have the types the schema promised.
                if type(fields.get("id", "")) is not str or recurrence is None:
                    raise ValueError("malformed summary")
                for name in ("related", "services", "tags"):
                    values = fields.get(name)
                    if values is not None:
                        if type(values) is not list:
                            raise ValueError("malformed summary")
                        texts.extend(values)
            if recurrence is not None:
                identifier, date, related, categories, category_lines, open_actions = recurrence
                if (
                    type(identifier) is not str
                    or type(related) is not list
                    or type(categories) is not list
                    or type(open_actions) is not list
                    or type(category_lines) is not list
                ):
                    raise ValueError("malformed recurrence facts")
                texts.extend(related)
                texts.extend(categories)
                texts.extend(open_actions)
                ints_or_none.extend(category_lines)
                facts = RecurrenceFacts(
                    file=file,
                    id=identifier,
                    date=fromisoformat(date),
                    related=tuple(related),
                    categories=tuple(categories),
                    category_lines=tuple(category_lines),
                    open_actions=tuple(open_actions),
                )
            decoded_summary = Summary(file, fields, lines, facts)
        result = FileResult(
            digest,
            _decode_problems(file, problems) if problems else (),
            valid,
            decoded_summary,
            None,
            _decode_problems(file, lint) if lint else (),
            lint_date,
        )
        decoded.append((file, result, current))
    if not (_only(ints, _INT) and _only(texts, _STR) and _only(ints_or_none, _INT_OR_NONE)):
        raise ValueError("malformed entry")
    return decoded


def _decode_problems(file: str, problems: Any) -> tuple[Problem, ...]:
    decoded = []
    for line, field, message, code, level in problems:  # usually none
        if level not in ("error", "warning", "notice"):
            raise ValueError("malformed problem")
        decoded.append(
            Problem(file, _optional_int(line), _optional_str(field), str(message), str(code), level)
        )
    return tuple(decoded)


def _optional_int(value: Any) -> int | None:
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool):
        raise ValueError("malformed line")
    return value


def _optional_str(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValueError("malformed field")
    return value


def _header(key: str) -> bytes:
    return json.dumps({"format": FORMAT_VERSION, "key": key}).encode("ascii")


def _read(
    path: Path, key: str
) -> tuple[dict[str, FileResult], dict[str, bytes], dict[str, Signature]]:
    """The results stored under ``key`` and their lines; empty for a missing, corrupt or
    foreign file.

    The file is a header line, then one JSON line per postmortem file.
    """
    try:
        with path.open("rb") as handle:
            data = handle.read()
        header, _, body = data.partition(b"\n")
        if header != _header(key) or not body.endswith(b"\n"):
            return {}, {}, {}  # another key, or a file cut short
        lines = body[:-1].split(b"\n") if len(body) > 1 else []
        items = json.loads(b"[" + b",".join(lines) + b"]")
        results: dict[str, FileResult] = {}
        encoded: dict[str, bytes] = {}
        signatures: dict[str, Signature] = {}
        for (file, result, current), line in zip(_decode_entries(items), lines, strict=True):
            results[file] = result
            encoded[file] = line
            if current is not None:
                signatures[file] = current
        return results, encoded, signatures
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        return {}, {}, {}


def _write(folder: Path, key: str, lines: list[bytes]) -> None:
    payload = b"".join(line + b"\n" for line in (_header(key), *lines))
    _write_atomically(folder, CACHE_FILE_NAME, payload)


def _write_atomically(folder: Path, name: str, payload: bytes) -> None:
    folder.mkdir(exist_ok=True)
    for marker_name, content in (("CACHEDIR.TAG", _CACHEDIR_TAG), (".gitignore", _GITIGNORE)):
        marker = folder / marker_name
        if not marker.exists():
            marker.write_text(content, encoding="utf-8")
    import tempfile  # only when writing: it costs a warm check's import time otherwise

    # Write beside the target and rename over it, so a reader sees the old file or the new
    # one, never half of one, even if two checks run at once.
    handle, temporary_name = tempfile.mkstemp(prefix=".tmp-", dir=folder)
    temporary = Path(temporary_name)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(payload)
        temporary.replace(folder / name)
    except BaseException:
        with contextlib.suppress(OSError):
            temporary.unlink()
        raise


# --- The validated options of mkdocs.yml ---------------------------------------------------

SETTINGS_FILE_NAME = "options.json"
OPTIONS_FORMAT_VERSION = 1
UNCACHED_CONFIG_MARKERS = (b"INHERIT", b"!ENV")
"""A ``mkdocs.yml`` that reads another file or the environment is validated on every run:
its bytes alone do not decide the options."""
_OPTIONS_LIBRARIES = ("mkdocs", "yaml", "yaml._yaml")
"""The modules that read and validate ``mkdocs.yml``."""


class _Unencodable(ValueError):
    """An option value that the options cache cannot store exactly (a date, a set...)."""


def check_settings(config_file: Path) -> Settings:
    """The settings of ``pmkb check``: the options of an unchanged ``mkdocs.yml`` are reused.

    Validating the options takes MkDocs' configuration machinery, whose import is about a
    third of a check after one file changed. The values that MkDocs' validation gave are kept
    in ``.pmkb-cache/options.json``, keyed by the bytes and path of ``mkdocs.yml``, this
    package's source and the versions of MkDocs and PyYAML, so the options still come from
    the same validation; turning them into settings (``options.py``) runs every time. A
    ``mkdocs.yml`` with ``INHERIT`` or ``!ENV`` is always validated afresh.

    Raises:
        ConfigurationError: when the file or the options are invalid.
    """
    from postmortem_kb.options import settings_from_options

    try:
        content: bytes | None = config_file.read_bytes()
    except OSError:
        content = None
    if content is None or any(marker in content for marker in UNCACHED_CONFIG_MARKERS):
        from postmortem_kb.config import load_settings

        return load_settings(config_file)
    folder = config_file.parent.resolve() / CACHE_DIR_NAME
    key = _options_key(config_file, content)
    options = _read_options(folder / SETTINGS_FILE_NAME, key)
    if options is None:
        from postmortem_kb.config import validated_options

        options = validated_options(config_file, content)
        with contextlib.suppress(OSError, _Unencodable):
            payload = json.dumps(
                {"format": OPTIONS_FORMAT_VERSION, "key": key, "options": _encode_value(options)}
            )
            _write_atomically(folder, SETTINGS_FILE_NAME, payload.encode("ascii"))
    return settings_from_options(options, config_file)


def _options_key(config_file: Path, content: bytes) -> str:
    digest = _digest_of_lines(
        f"options format {OPTIONS_FORMAT_VERSION}",
        f"python {sys.version}",
        *(f"library {name} {_installation(name)}" for name in _OPTIONS_LIBRARIES),
        f"source {_source_fingerprint()}",
        f"file {config_file.resolve()}",
    )
    digest.update(content)
    return digest.hexdigest()


def _read_options(path: Path, key: str) -> dict[str, Any] | None:
    """The options stored under ``key``, or None (missing, corrupt or another key)."""
    try:
        stored = json.loads(path.read_bytes())
        if (
            type(stored) is not dict
            or stored.get("format") != OPTIONS_FORMAT_VERSION
            or stored.get("key") != key
        ):
            return None
        options = _decode_value(stored["options"])
        if type(options) is not dict or not _only(options, _STR):
            return None
        return options
    except (OSError, ValueError, TypeError, KeyError, RecursionError):
        return None


def _encode_value(value: Any) -> Any:
    """A YAML value as JSON that keeps its exact types (JSON alone turns keys into text)."""
    if value is None or type(value) in (bool, int, float, str):
        return value
    if type(value) is list:
        return ["list", [_encode_value(item) for item in value]]
    if type(value) is dict:
        return ["dict", [[_encode_value(k), _encode_value(v)] for k, v in value.items()]]
    raise _Unencodable(type(value).__name__)


def _decode_value(value: Any) -> Any:
    if value is None or type(value) in (bool, int, float, str):
        return value
    if type(value) is list and len(value) == 2 and type(value[1]) is list:
        kind, items = value
        if kind == "list":
            return [_decode_value(item) for item in items]
        if kind == "dict" and all(type(item) is list and len(item) == 2 for item in items):
            return {_decode_value(k): _decode_value(v) for k, v in items}
    raise ValueError("malformed option value")
