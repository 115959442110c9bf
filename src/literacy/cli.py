"""The ``literacy`` command: one small function per command over the Python API.

Data go to stdout or ``-o``; messages go to stderr. Exit codes: 0 success,
1 an error the user can fix (one plain sentence, no traceback), 2 usage.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from literacy import __version__
from literacy.errors import LiteracyError
from literacy.instrument import describe, list_instruments, load_instrument
from literacy.io import read_table, write_table
from literacy.scoring import score

LANG = click.option(
    "--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True, help="Language of instrument text."
)


class _Group(click.Group):
    """Turns a LiteracyError anywhere below into ``Error: message`` and exit 1."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except LiteracyError as error:
            raise click.ClickException(str(error)) from None


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="literacy")
def main() -> None:
    """Measure citizen science literacy from survey exports and compare it with plan targets."""


@main.group()
def questionnaire() -> None:
    """List, show and check instruments (questionnaires/*.yaml)."""


@questionnaire.command("list")
@LANG
def questionnaire_list(lang: str) -> None:
    """List the shipped instruments."""
    for instrument in list_instruments():
        click.echo(
            f"{instrument.id}\t{instrument.version}\t{len(instrument.items)} items\t"
            f"{instrument.standard.rule}\t{instrument.title.get(lang)}"
        )


@questionnaire.command("show")
@click.argument("instrument")
@LANG
def questionnaire_show(instrument: str, lang: str) -> None:
    """Show an instrument's standard, dimensions and items (ID or FILE)."""
    for line in describe(load_instrument(instrument), lang):
        click.echo(line)


@questionnaire.command("check")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
def questionnaire_check(files: tuple[str, ...]) -> None:
    """Check instrument files; exit 1 if any has a problem."""
    failures = []
    for path in files:
        if not Path(path).is_file():
            failures.append(f"{path} does not exist; check the path.")
            continue
        try:
            instrument = load_instrument(path)
        except LiteracyError as error:
            failures.append(str(error))
            continue
        click.echo(
            f"{path}: OK ({instrument.id} {instrument.version}, {len(instrument.items)} items, "
            f"{instrument.standard.rule})",
            err=True,
        )
    if failures:
        raise LiteracyError("\n".join(failures))


@main.command("score")
@click.argument("input_path", metavar="INPUT", type=click.Path(dir_okay=False))
@click.option("-q", "--questionnaire", "instrument", required=True, help="Instrument id or YAML file.")
@click.option(
    "-o", "--output", default="-", show_default=True, help="Output file (.csv, .tsv, .parquet) or - for stdout."
)
@click.option(
    "--max-missing",
    type=click.FloatRange(0, 1, max_open=True),
    default=None,
    help="Share of items missing above which a respondent is unscorable (default: the instrument's).",
)
@click.option("--force", is_flag=True, help="Replace an existing output file.")
def score_command(input_path: str, instrument: str, output: str, max_missing: float | None, force: bool) -> None:
    """Score each respondent in INPUT against the instrument's standard."""
    loaded = load_instrument(instrument)
    responses = read_table(input_path)
    scored = score(responses, loaded, max_missing_share=max_missing)
    write_table(scored, output, force=force)
    scorable = int(scored["scorable"].sum())
    literate = int(scored["literate"].sum())
    share = f"{literate / scorable:.1%}" if scorable else "n/a"
    click.echo(
        f"Scored {len(scored)} respondents with {loaded.id} ({loaded.standard.rule}): {scorable} scorable, "
        f"{len(scored) - scorable} unscorable; {literate} literate ({share} of scorable, unweighted)."
        + (f" Wrote {output}." if output != "-" else ""),
        err=True,
    )
