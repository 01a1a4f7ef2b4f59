"""pmkb check reuses the validated options of an unchanged mkdocs.yml, never stale ones."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from kbtools import postmortem_text, write_kb
from postmortem_kb import cache as cache_module
from postmortem_kb.cache import CACHE_DIR_NAME, SETTINGS_FILE_NAME, check_settings
from postmortem_kb.cli import main
from postmortem_kb.config import load_settings
from postmortem_kb.settings import ConfigurationError

SEV9 = postmortem_text(severity="SEV9")


def check(root: Path) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["check", "-f", str(root / "mkdocs.yml")])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.exit_code, result.output


def test_the_same_settings_come_from_the_cache_as_from_mkdocs(tmp_path: Path) -> None:
    options = {
        "taxonomy": {"database": ["db"], "deploy": None},
        "rules": {"PM301": "off"},
        "severities": ["P0", "P1", "P2"],
        "services": {"checkout": {"owner": "@team", "tier": 1}},
        "tags": ["dns"],
        "recurring_threshold": 3,
    }
    root = write_kb(tmp_path, {"a.md": SEV9}, options)
    config = root / "mkdocs.yml"
    expected = load_settings(config)
    first = check_settings(config)
    assert (root / CACHE_DIR_NAME / SETTINGS_FILE_NAME).is_file()
    second = check_settings(config)
    assert first == second == expected


def test_a_warm_check_does_not_import_mkdocs(tmp_path: Path) -> None:
    root = write_kb(tmp_path, {"a.md": postmortem_text()})
    script = (
        "import sys\n"
        "from postmortem_kb.cli import main\n"
        "try:\n"
        f"    main(['check', '-f', {str(root / 'mkdocs.yml')!r}])\n"
        "except SystemExit:\n"
        "    pass\n"
        "print('MKDOCS' if any(m.split('.')[0] == 'mkdocs' for m in sys.modules) else 'NONE')\n"
    )

    def imported() -> str:
        done = subprocess.run(
            [sys.executable, "-c", script], capture_output=True, text=True, check=True
        )
        return done.stdout.strip().splitlines()[-1]

    assert imported() == "MKDOCS"  # the first run validates with MkDocs
    assert imported() == "NONE"


def test_a_changed_mkdocs_yml_is_validated_again(tmp_path: Path) -> None:
    root = write_kb(tmp_path, {"a.md": SEV9})
    code, output = check(root)
    assert code == 1 and "PM101" in output
    write_kb(tmp_path, {"a.md": SEV9}, {"severities": ["SEV1", "SEV9"]})
    code, output = check(root)
    assert code == 0, output
    write_kb(tmp_path, {"a.md": SEV9}, {"severities": "SEV9"})  # invalid: not a list
    code, output = check(root)
    assert code == 2 and "severities" in output


@pytest.mark.parametrize(
    "damage",
    [b"", b"{", b'{"format": 1, "key": 5}', b"[]", b"\xff\xfe", b'{"options": ["dict", 3]}'],
)
def test_a_damaged_options_file_is_ignored_and_replaced(tmp_path: Path, damage: bytes) -> None:
    root = write_kb(tmp_path, {"a.md": SEV9}, {"rules": {"PM301": "warning"}})
    config = root / "mkdocs.yml"
    expected = load_settings(config)
    check_settings(config)
    stored = root / CACHE_DIR_NAME / SETTINGS_FILE_NAME
    good = stored.read_bytes()
    stored.write_bytes(damage)
    assert check_settings(config) == expected
    assert stored.read_bytes() == good


def test_a_stored_option_under_a_forged_key_is_not_used(tmp_path: Path) -> None:
    root = write_kb(tmp_path, {"a.md": SEV9})
    config = root / "mkdocs.yml"
    check_settings(config)
    stored = root / CACHE_DIR_NAME / SETTINGS_FILE_NAME
    text = stored.read_text()
    key = text.split('"key": "')[1].split('"')[0]
    stored.write_text(text.replace(key, "0" * 64))
    assert check_settings(config) == load_settings(config)


def test_option_values_keep_their_types(tmp_path: Path) -> None:
    # JSON would turn the key 1 into "1", which is a valid category: the cache must not.
    root = write_kb(tmp_path, {"a.md": SEV9}, {"taxonomy": {1: ["x"]}})
    config = root / "mkdocs.yml"
    with pytest.raises(ConfigurationError) as expected:
        load_settings(config)
    for _ in range(2):
        with pytest.raises(ConfigurationError) as found:
            check_settings(config)
        assert str(found.value) == str(expected.value)


def test_options_that_json_cannot_hold_exactly_are_not_stored(tmp_path: Path) -> None:
    root = write_kb(tmp_path, {"a.md": SEV9}, {"taxonomy": {"database": ["db"]}})
    config = root / "mkdocs.yml"
    config.write_text(config.read_text() + "extra_date: 2024-01-01\n")  # not an option: fine
    check_settings(config)
    assert (root / CACHE_DIR_NAME / SETTINGS_FILE_NAME).is_file()
    with pytest.raises(cache_module._Unencodable):
        cache_module._encode_value({"when": __import__("datetime").date(2024, 1, 1)})


@pytest.mark.parametrize("marker", ["INHERIT", "!ENV"])
def test_a_config_that_reads_other_files_or_the_environment_is_always_validated(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, marker: str
) -> None:
    root = write_kb(tmp_path / "kb", {"a.md": SEV9})
    config = root / "mkdocs.yml"
    base = config.read_text()
    if marker == "INHERIT":
        (root / "base.yml").write_text("site_name: Base\n")
        config.write_text("INHERIT: base.yml\n" + base.replace("site_name:", "x_site_name:", 1))
    else:
        monkeypatch.setenv("PMKB_TEST_SEVERITIES", "SEV9")
        config.write_text(base + "extra:\n  note: !ENV PMKB_TEST_SEVERITIES\n")
    assert check_settings(config) == load_settings(config)
    assert not (root / CACHE_DIR_NAME / SETTINGS_FILE_NAME).exists()
