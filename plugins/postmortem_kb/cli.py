"""The pmkb command: check, export and scaffold a postmortem knowledge base."""

from __future__ import annotations

import shutil
import sys
from importlib import resources
from pathlib import Path

import click

from postmortem_kb.config import load_settings
from postmortem_kb.export import export_data, to_json
from postmortem_kb.knowledge_base import load_knowledge_base
from postmortem_kb.settings import ConfigurationError, Settings, build_date

EXIT_OK = 0
EXIT_PROBLEMS = 1
EXIT_USAGE = 2


def _settings(config_file: str) -> Settings:
    try:
        return load_settings(Path(config_file))
    except ConfigurationError as error:
        raise click.UsageError(str(error)) from None


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="postmortem-kb", prog_name="pmkb")
def main() -> None:
    """Check, export and scaffold a knowledge base of blameless postmortems."""


config_option = click.option(
    "-f",
    "--config-file",
    default="mkdocs.yml",
    show_default=True,
    help="The site's mkdocs.yml, whose 'postmortems' plugin options apply.",
)


@main.command()
@config_option
def check(config_file: str) -> None:
    """Validate every postmortem as the site build does; exit 1 on errors."""
    settings = _settings(config_file)
    try:
        knowledge_base = load_knowledge_base(settings)
    except ConfigurationError as error:
        raise click.UsageError(str(error)) from None
    for problem in knowledge_base.problems:
        click.echo(f"{problem} [{problem.code} {problem.level}]")
    errors = len(knowledge_base.errors)
    click.echo(
        f"{len(knowledge_base.files)} file(s) checked: {errors} error(s), "
        f"{len(knowledge_base.problems) - errors} other finding(s)"
    )
    sys.exit(EXIT_PROBLEMS if errors else EXIT_OK)


@main.command()
@config_option
def export(config_file: str) -> None:
    """Print the knowledge base as JSON (the same data as the site's postmortems.json)."""
    settings = _settings(config_file)
    try:
        knowledge_base = load_knowledge_base(settings)
        today = build_date()
    except ConfigurationError as error:
        raise click.UsageError(str(error)) from None
    if knowledge_base.errors:
        for problem in knowledge_base.errors:
            click.echo(str(problem), err=True)
        sys.exit(EXIT_PROBLEMS)
    data = export_data(
        knowledge_base.postmortems,
        today,
        settings.taxonomy,
        settings.recurring_threshold,
        severities=settings.severities,
    )
    click.echo(to_json(data), nl=False)


@main.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
def init(directory: Path) -> None:
    """Create a new knowledge base in DIRECTORY that builds at once with 'mkdocs build'."""
    if directory.exists() and any(directory.iterdir()):
        raise click.UsageError(f"{directory} exists and is not empty; choose a new folder")
    scaffold = resources.files("postmortem_kb").joinpath("scaffold")
    _copy_tree(scaffold, directory)
    click.echo(f"Created a knowledge base in {directory}")
    click.echo(f"Next: cd {directory} && mkdocs serve")


def _copy_tree(source: resources.abc.Traversable, target: Path) -> None:
    target.mkdir(parents=True, exist_ok=True)
    for entry in sorted(source.iterdir(), key=lambda item: item.name):
        name = entry.name
        if name == "__pycache__":
            continue
        destination = target / ("." + name[4:] if name.startswith("dot-") else name)
        if entry.is_dir():
            _copy_tree(entry, destination)
        else:
            with entry.open("rb") as reader, destination.open("wb") as writer:
                shutil.copyfileobj(reader, writer)
