"""The ``literacy`` command: one small function per command over the Python API.

Data go to stdout or ``-o``; messages go to stderr. Exit codes: 0 success,
1 an error the user can fix (one plain sentence, no traceback), 2 usage.
"""

from __future__ import annotations

import json
import os
import signal
import sys
from pathlib import Path
from typing import Any

import click

from literacy.errors import LiteracyError, command_line
from literacy.threads import deferrable
from literacy.vocabulary import (
    ALLOCATIONS,
    CI_METHODS,
    DEFAULT_ACTIONS,
    DEFAULT_CHUNK_ROWS,
    EXPORT_LAYOUTS,
    FILE_FORMATS,
    FORM_FORMATS,
    LABEL_MODES,
    LONELY_PSU_RULES,
    MISSING_OUTCOME,
    OUTPUT_FORMATS,
    PLATFORMS,
    REPLICATE_METHODS,
    REPORT_FORMATS,
    STATISTICS,
    SUPPLIED_TYPES,
    WEIGHT_METHODS,
)

LANG = click.option(
    "--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True, help="Language of instrument text."
)


def _table_output(stdout: str = "csv", extra_format_help: str = "") -> Any:
    """``--format``, ``-o/--output`` and ``--force`` of every command that
    writes one table: one spelling and one help text for all of them.
    ``stdout`` names what the command prints when no -o is given (a text
    table for people, or CSV for a pipe)."""

    def add(command: Any) -> Any:
        options = [
            click.option(
                "--format",
                "output_format",
                type=click.Choice(OUTPUT_FORMATS),
                default=None,
                help=f"Output format (default: from the -o extension, {stdout} for stdout){extra_format_help}.",
            ),
            click.option("-o", "--output", default="-", show_default=True, help="Output file or - for stdout."),
            click.option("--force", is_flag=True, help="Replace an existing output file."),
        ]
        for option in reversed(options):
            command = option(command)
        return command

    return add


def _read_options(command: Any) -> Any:
    """The options every command that reads an export takes."""
    options = [
        click.option(
            "--platform",
            type=click.Choice(PLATFORMS),
            default="auto",
            show_default=True,
            help="Export layout: KoboToolbox, ODK Central, 问卷星 (wjx), SPSS or generic.",
        ),
        click.option("--encoding", help="Text encoding of a CSV (default: detect UTF-8 or GB18030/GBK)."),
        click.option(
            "--format",
            "file_format",
            type=click.Choice(sorted(set(FILE_FORMATS.values()))),
            help="File format when the extension does not tell.",
        ),
        click.option("--sheet", help="Excel sheet name (default: the first sheet)."),
        click.option(
            "--mapping",
            type=click.Path(dir_okay=False),
            help="YAML or CSV file mapping source columns and values to item ids and codes.",
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return command


class Terminated(BaseException):
    """Raised by the SIGTERM handler. A BaseException, as KeyboardInterrupt
    is, so that ``except Exception`` does not swallow it while it unwinds
    through the ``with``/``finally`` blocks that remove temporary files."""


_SIGNAL_EXIT = {"SIGINT": 130, "SIGTERM": 143}


class _Group(click.Group):
    """The one place errors become messages: a LiteracyError, a disk or
    permission problem or running out of memory is ``Error: sentence`` and
    exit 1 (no traceback); SIGINT and SIGTERM stop with one sentence and exit
    130 / 143 after the cleanups have run, in every command."""

    def invoke(self, ctx: click.Context) -> Any:
        with _stop_on_signals(), command_line():
            try:
                return super().invoke(ctx)
            except LiteracyError as error:
                raise click.ClickException(str(error)) from None
            except OSError as error:
                from literacy.io.tables import os_error_message

                raise click.ClickException(os_error_message(error)) from None
            except MemoryError:
                raise click.ClickException(_memory_message()) from None
            except (KeyboardInterrupt, Terminated) as error:
                name = "SIGTERM" if isinstance(error, Terminated) else "SIGINT"
                marker = getattr(error, "literacy_marker", None)
                said = f" and {marker} says what happened" if marker else ""
                click.echo(f"Stopped by {name}; unfinished files were removed{said}.", err=True)
                ctx.exit(_SIGNAL_EXIT[name])


def entry() -> None:
    """The ``literacy`` command (console script and ``python cli.py``). When a
    signal stopped it, its cleanups have run by now and the process ends at
    once: a pool thread still finishing must not hold the exit up (see
    ``literacy.threads``)."""
    try:
        main()
    except SystemExit as done:
        if done.code in _SIGNAL_EXIT.values():
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(int(done.code or 0))
        raise


class _stop_on_signals:
    """SIGTERM raises :class:`Terminated` (Python's default would end the
    process without running any cleanup) and SIGINT KeyboardInterrupt; a
    second signal while the first unwinds is ignored so the cleanups finish.
    The previous handlers come back afterwards (tests invoke the CLI in-process)."""

    def __enter__(self) -> None:
        self.previous: dict[int, Any] = {}
        self.stopping = False
        try:
            for number in (signal.SIGINT, signal.SIGTERM):
                self.previous[number] = signal.signal(number, deferrable(self._handle))
        except ValueError:  # not the main thread: leave signals alone
            pass

    def _handle(self, number: int, frame: Any) -> None:
        if self.stopping:
            return
        self.stopping = True
        if number == signal.SIGTERM:
            raise Terminated("Stopped by SIGTERM.")
        raise KeyboardInterrupt

    def __exit__(self, *exc: Any) -> None:
        for number, handler in self.previous.items():
            signal.signal(number, handler)


def _memory_message() -> str:
    import resource  # Unix only, needed only here

    limit, _ = resource.getrlimit(resource.RLIMIT_AS)
    if limit != resource.RLIM_INFINITY:
        where = f"the process's memory limit ({limit / 2**30:.1f} GiB, ulimit -v)"
    else:
        try:
            total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
            where = f"this machine's memory ({total / 2**30:.1f} GiB)"
        except (ValueError, OSError):
            where = "the available memory"
    return f"The data do not fit in {where}; use a smaller --chunk-rows, split the input or use a larger machine."


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="literacy", prog_name="literacy")
def main() -> None:
    """Measure citizen science literacy from survey exports and compare it with plan targets."""


@main.group()
def questionnaire() -> None:
    """List, show and check instruments (questionnaires/*.yaml)."""


@questionnaire.command("list")
@LANG
def questionnaire_list(lang: str) -> None:
    """List the shipped instruments."""
    from literacy.instrument import list_instruments

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
    from literacy.instrument import describe, load_instrument

    for line in describe(load_instrument(instrument), lang):
        click.echo(line)


@questionnaire.command("check")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
def questionnaire_check(files: tuple[str, ...]) -> None:
    """Check instrument files; exit 1 if any has a problem."""
    from literacy.instrument import load_instrument

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
@_read_options
def score_command(
    input_path: str, instrument: str, output: str, max_missing: float | None, force: bool, **read_options: Any
) -> None:
    """Score each respondent in INPUT (any export format) against the instrument's standard."""
    from literacy.instrument import load_instrument
    from literacy.io import read, write_table
    from literacy.scoring import score

    loaded = load_instrument(instrument)
    responses = read(input_path, loaded, **read_options)
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


@main.command("items")
@click.argument("input_path", metavar="INPUT", type=click.Path(dir_okay=False))
@click.option("-q", "--questionnaire", "instrument", required=True, help="Instrument id or YAML file.")
@click.option("--weight", help="Weight column: weighted p-values, shares, correlations, alpha (default: unweighted).")
@click.option(
    "--by",
    "by_columns",
    multiple=True,
    help="A two-group column to test for DIF (repeatable; default: sex and urban_rural, those the file has).",
)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(OUTPUT_FORMATS),
    default=None,
    help="Item table format (default: from the -o extension; a text table on the terminal).",
)
@click.option("-o", "--output", default="-", show_default=True, help="Item table file or - for stdout.")
@click.option("--summary", "summary_path", help="Also write alpha, its Feldt interval and the counts as JSON.")
@click.option("--report", "report_path", help="Also write the HTML item report (flagged items first, item map).")
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True, help="Report language.")
@click.option("--force", is_flag=True, help="Replace existing output files.")
@click.option("--platform", type=click.Choice(PLATFORMS), default="auto", show_default=True, help="Export layout.")
@click.option("--encoding", help="Text encoding of a CSV (default: detect UTF-8 or GB18030/GBK).")
@click.option("--sheet", help="Excel sheet name (default: the first sheet).")
@click.option("--mapping", type=click.Path(dir_okay=False), help="YAML or CSV file mapping columns and values.")
def items_command(input_path: str, instrument: str, weight: str | None, by_columns: tuple[str, ...],
                  output_format: str | None, output: str, summary_path: str | None, report_path: str | None,
                  lang: str, force: bool, **read_options: Any) -> None:  # fmt: skip
    """Item analysis of the answers in INPUT (an export or a validated file, as for `score`): p-values,
    item-rest correlations, alpha, Rasch difficulties and fit, DIF, with flags saying what to check."""
    from literacy.instrument import load_instrument
    from literacy.io import read, write_frame, write_json
    from literacy.io.tables import check_can_write, write_text
    from literacy.items import item_analysis
    from literacy.report.data import for_people
    from literacy.runfolder import same_file

    if report_path and (report_path == "-" or Path(report_path).suffix.lower() not in (".html", ".htm")):
        raise LiteracyError(f"--report writes an HTML page; give it a name ending in .html, not {report_path!r}.")
    targets = [Path(p) for p in (output, summary_path, report_path) if p and p != "-"]
    for target in targets:
        if same_file(target, Path(input_path)):
            raise LiteracyError(f"{target} is the input file; write the results to another file.")
    if len({os.path.realpath(t) for t in targets}) < len(targets):
        raise LiteracyError("-o, --summary and --report name the same file; give each its own name.")
    check_can_write(targets, force=force)  # before any work, so that no output is left half-written
    loaded = load_instrument(instrument)
    responses = read(input_path, loaded, **read_options)
    result = item_analysis(responses, loaded, weight=weight, by=list(by_columns) if by_columns else None)
    page = None
    if report_path:  # made before anything is written, so that a failure leaves no file behind
        from literacy.report.items import render_item_report

        page = render_item_report(result, lang)
    kind = output_format or ("table" if output == "-" else None)
    shares = {column: "percent" for column in ("p_correct", "dont_know_share", "missing_share")}
    table = for_people(result.items, shares) if kind == "table" else result.items
    write_frame(table, output, kind, force=force)
    if summary_path:
        write_json(summary_path, result.summary, force=force)
    if report_path and page is not None:
        write_text(report_path, page, force=force)
    summary = result.summary
    alpha, rasch = summary["alpha"], summary["rasch"]
    shown = "n/a" if alpha["alpha"] is None else f"{alpha['alpha']:.3f}"
    interval = "" if alpha["feldt_lower"] is None else f" ({alpha['feldt_lower']:.3f}-{alpha['feldt_upper']:.3f})"
    for note in summary["notes"]:
        click.echo(note, err=True)
    flagged = list(result.flagged["item"])
    named = ", ".join(flagged[:10]) + (f" and {len(flagged) - 10} more" if len(flagged) > 10 else "")
    silent = summary["respondents"] - summary["respondents_answering"]
    click.echo(
        f"Analysed {len(result.items)} items of {loaded.id} over {summary['respondents']} respondents"
        + (f" ({silent} of them with no answer)" if silent else "")
        + f" ({'weighted by ' + weight if weight else 'unweighted'}): alpha {shown}{interval}, "
        f"Rasch on {rasch['persons_used']} respondents ({rasch['persons_all_right']} all right and "
        f"{rasch['persons_none_right']} none right left out); {len(flagged)} item(s) flagged"
        + (f" ({named})" if flagged else "")
        + (", tentatively: too few respondents to trust" if summary["small_sample"] and flagged else "")
        + "."
        + "".join(f" Wrote {p}." for p in (output, summary_path, report_path) if p and p != "-"),
        err=True,
    )


@main.command("validate")
@click.argument("input_path", metavar="INPUT", type=click.Path(dir_okay=False))
@click.option("-q", "--questionnaire", "instrument", required=True, help="Instrument id or YAML file.")
@click.option(
    "-o", "--output", default="-", show_default=True, help="Clean rows (.csv, .tsv, .parquet) or - for stdout."
)
@click.option(
    "--rejects", "rejects_path", help="Rejected rows with their reasons (default: OUTPUT's name with .rejects added)."
)
@click.option("--summary", "summary_path", help="Also write the summary as JSON.")
@click.option(
    "--on",
    "actions",
    multiple=True,
    metavar="CHECK=ACTION",
    help=f"reject, flag or ignore a check; checks: {', '.join(DEFAULT_ACTIONS)}.",
)
@click.option("--id-column", default="respondent_id", show_default=True)
@click.option("--age-column", default="age", show_default=True)
@click.option("--min-age", type=int, help="Youngest in the population (default: the instrument's, 18).")
@click.option("--max-age", type=int, help="Oldest in the population (default: the instrument's, 69).")
@click.option(
    "--duration-column",
    default="duration_seconds",
    show_default=True,
    help="Completion time in seconds (问卷星's 所用时间 is read into it).",
)
@click.option(
    "--speeder-share",
    type=float,
    default=0.3,
    show_default=True,
    help="Flag interviews faster than this share of the median completion time.",
)
@click.option(
    "--max-missing",
    type=click.FloatRange(0, 1, max_open=True),
    default=None,
    help="Share of items missing above which an interview is incomplete (default: the instrument's).",
)
@click.option(
    "--chunk-rows",
    type=click.IntRange(1000),
    default=DEFAULT_CHUNK_ROWS,
    show_default=True,
    help="Rows read at a time (memory stays bounded for big files).",
)
@click.option("--force", is_flag=True, help="Replace existing output files.")
@_read_options
def validate_command(
    input_path: str, instrument: str, output: str, rejects_path: str | None, summary_path: str | None,
    actions: tuple[str, ...], id_column: str, age_column: str, min_age: int | None, max_age: int | None,
    duration_column: str, speeder_share: float, max_missing: float | None, chunk_rows: int, force: bool,
    **read_options: Any,
) -> None:  # fmt: skip
    """Check INPUT against the instrument: clean rows to -o, rejected rows with every reason to --rejects.

    Input rows = clean rows + rejected rows, always; the summary on stderr says so.
    """
    from literacy.io import ReadOptions
    from literacy.validate import Rules, parse_actions, summary_lines, validate_file

    if rejects_path is None:
        if output == "-":
            raise click.UsageError("Give --rejects FILE when the clean rows go to stdout.")
        clean = Path(output)
        rejects_path = str(clean.with_name(f"{clean.stem}.rejects{clean.suffix}"))
    rules = Rules(id_column=id_column, age_column=age_column, min_age=min_age, max_age=max_age,
                  duration_column=duration_column, speeder_share=speeder_share,
                  max_missing_share=max_missing).with_actions(parse_actions(actions))  # fmt: skip
    with _progress("Validating") as progress:
        summary = validate_file(
            input_path, instrument, clean_path=output, rejects_path=rejects_path, summary_path=summary_path,
            options=ReadOptions(**read_options), rules=rules, force=force, chunk_rows=chunk_rows,
            progress=progress,
        )  # fmt: skip
    for line in summary_lines(summary):
        click.echo(line, err=True)
    click.echo(f"Wrote {output if output != '-' else 'clean rows to stdout'} and {rejects_path}"
               + (f" and {summary_path}" if summary_path else "") + ".", err=True)  # fmt: skip


class _progress:
    """A progress bar on stderr, only when stderr is a terminal."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.bar: Any = None
        self.done = 0

    def __enter__(self) -> Any:
        import sys

        if not sys.stderr.isatty():
            return None
        self.bar = click.progressbar(length=1000, label=self.label, file=sys.stderr).__enter__()
        return self.update

    def update(self, fraction: float) -> None:
        step = int(fraction * 1000) - self.done
        if step > 0:
            self.bar.update(step)
            self.done += step

    def __exit__(self, *exc: Any) -> None:
        if self.bar is not None:
            self.bar.__exit__(*exc)


@questionnaire.command("export")
@click.argument("instrument")
@click.option(
    "--format",
    "form_format",
    type=click.Choice(FORM_FORMATS),
    required=True,
    help="xlsform (ODK, KoboToolbox, SurveyCTO), sav-template (SPSS) or html (paper form).",
)
@click.option("--lang", type=click.Choice(["zh", "en", "both"]), default="both", show_default=True)
@click.option("-o", "--output", required=True, help="File to write (.xlsx, .sav, .html).")
@click.option("--force", is_flag=True, help="Replace an existing output file.")
def questionnaire_export(instrument: str, form_format: str, lang: str, output: str, force: bool) -> None:
    """Export an instrument for the field (ID or FILE)."""
    from literacy.collect.forms import export_form

    export_form(instrument, output, form_format, lang=lang, force=force)
    click.echo(f"Wrote {output} ({form_format}, {lang}).", err=True)


def _pairs(text: str | None, flag: str, *, last_bare: bool = False) -> dict[str, float | None] | None:
    """``NAME=NUMBER,NAME=NUMBER`` (commas or ，) as a dict in the order given;
    with ``last_bare`` the last entry may be a bare NAME (the lowest grade)."""
    if text is None:
        return None
    parts = [part.strip() for part in text.replace("，", ",").split(",") if part.strip()]
    pairs: dict[str, float | None] = {}
    for position, part in enumerate(parts):
        name, sign, value = part.rpartition("=") if "=" in part else (part, "", "")
        if not sign and last_bare and position == len(parts) - 1:
            pairs[name] = None
            continue
        try:
            pairs[name.strip()] = float(value)
        except ValueError:
            raise click.BadParameter(f"{part!r} is not NAME=NUMBER.", param_hint=flag) from None
    return pairs


@questionnaire.command("import")
@click.argument("table", type=click.Path(dir_okay=False))
@click.option("-o", "--output", required=True, help="Instrument file to write (.yaml).")
@click.option("--id", "instrument_id", required=True, help="Instrument id (letters, digits, _ - .).")
@click.option("--title", help="Title (default: the XLSForm's form_title, else the file name).")
@click.option("--version", "instrument_version", help="Version (default: the XLSForm's version, else 1.0).")
@click.option("--sheet", help="Sheet holding the items (default: the first).")
@click.option("--standard", "rule", type=click.Choice(["total_score_cut", "all_dimensions_pass", "weighted_grades"]),
              help="The rule (default: read from a sheet named standard).")  # fmt: skip
@click.option("--cut-share", type=float, help="total_score_cut: share of the points needed (0.6).")
@click.option("--min-share", help="all_dimensions_pass: share of each dimension's points (0.6), or DIM=SHARE,...")
@click.option("--min-points", help="all_dimensions_pass: DIM=POINTS,... (instead of a share).")
@click.option("--weights", help="weighted_grades: DIM=WEIGHT,... (科学知识=40,科学方法=20,...).")
@click.option("--grades", help="weighted_grades: NAME=MIN,... highest first, the lowest without MIN.")
@click.option("--literate-grades", help="weighted_grades: the grades counted as literate (NAME,NAME).")
@click.option("--scale", type=float, help="weighted_grades: the score scale (default 100).")
@click.option("--force", is_flag=True, help="Replace an existing output file.")
def questionnaire_import(
    table: str, output: str, instrument_id: str, title: str | None, instrument_version: str | None,
    sheet: str | None, rule: str | None, cut_share: float | None, min_share: str | None, min_points: str | None,
    weights: str | None, grades: str | None, literate_grades: str | None, scale: float | None, force: bool,
) -> None:  # fmt: skip
    """Import an item table (.xlsx/.xls/.csv: 题号, 维度, 题型, 题干, 选项A..., 答案, 分值) or an XLSForm."""
    import warnings

    from literacy.collect.importing import import_instrument

    share: float | dict[str, float | None] | None
    try:
        share = float(min_share) if min_share is not None else None
    except ValueError:
        share = _pairs(min_share, "--min-share")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        instrument = import_instrument(
            table, output, instrument_id=instrument_id, title=title, version=instrument_version, sheet=sheet,
            standard=rule, cut_share=cut_share, min_share=share, min_points=_pairs(min_points, "--min-points"),
            weights=_pairs(weights, "--weights"), grades=_pairs(grades, "--grades", last_bare=True),
            literate_grades=[g.strip() for g in literate_grades.replace("，", ",").split(",") if g.strip()]
            if literate_grades else None,
            scale=scale, force=force,
        )  # fmt: skip
    for warning in caught:
        click.echo(str(warning.message), err=True)
    click.echo(
        f"Wrote {output}: {instrument.id}, {len(instrument.items)} items in {len(instrument.dimensions)} dimensions "
        f"({', '.join(d.id for d in instrument.dimensions)}), {instrument.standard.rule}.",
        err=True,
    )


@main.command("samplesize")
@click.option("--p", "expected", type=float, help="Expected rate as a share (default: from --plan's baseline).")
@click.option("--plan", help="Plan id or file: the expected rate defaults to its latest baseline.")
@click.option("--margin", type=float, help="Absolute margin of error as a share (0.02 = 2 points).")
@click.option("--relative-margin", type=float, help="Margin relative to the rate (0.15 = 15%).")
@click.option("--target", type=float, help="Target rate (share): size the sample to tell the rate from it.")
@click.option("--power", "power_", type=float, default=0.8, show_default=True)
@click.option("--alpha", type=float, default=0.05, show_default=True, help="One-sided level of the target test.")
@click.option("--level", type=float, default=0.95, show_default=True, help="Confidence level for the margin.")
@click.option("--deff", type=float, help="Design effect (default: from --icc and --cluster-size, else 1).")
@click.option("--icc", type=float, default=0.0, show_default=True)
@click.option("--cluster-size", type=float, default=1.0, show_default=True, help="Interviews per PSU.")
@click.option("--weight-cv", type=float, default=0.0, show_default=True, help="CV of the weights (Kish).")
@click.option("--population", type=float, help="Adults 18-69 in the city (finite population correction).")
@click.option("--response-rate", type=float, default=1.0, show_default=True)
def samplesize_command(
    expected: float | None, plan: str | None, margin: float | None, relative_margin: float | None,
    target: float | None, power_: float, alpha: float, level: float, deff: float | None, icc: float,
    cluster_size: float, weight_cv: float, population: float | None, response_rate: float,
) -> None:  # fmt: skip
    """Interviews needed for one city's rate: by margin of error, or to tell it from a target."""
    from literacy.collect.samplesize import design_effect, power_sample_size, sample_size
    from literacy.plans import load_plan

    loaded = load_plan(plan) if plan else None
    if expected is None:
        if loaded is None or not loaded.baselines:
            raise click.UsageError("Give --p (the expected rate) or a --plan with a published baseline.")
        expected = loaded.baselines[-1].value / 100
    if target is None and margin is None and relative_margin is None:
        raise click.UsageError("Give --margin or --relative-margin (precision), or --target (power).")
    design = deff if deff is not None else design_effect(cluster_size, icc, weight_cv)
    if target is not None:
        result = power_sample_size(target, expected, alpha=alpha, power=power_, deff=design, population=population,
                                   response_rate=response_rate)  # fmt: skip
    else:
        result = sample_size(expected, margin=margin, relative_margin=relative_margin, level=level, deff=design,
                             population=population, response_rate=response_rate)  # fmt: skip
    for key, value in result.as_dict().items():
        click.echo(f"{key}\t{value:.6g}" if isinstance(value, float) else f"{key}\t{value}")


@main.command("allocate")
@click.argument("units_path", metavar="UNITS")
@click.option("--total", type=click.IntRange(1), required=True, help="Interviews to spread.")
@click.option("--method", type=click.Choice(ALLOCATIONS), default="proportional", show_default=True)
@click.option("--size", default="population", show_default=True, help="Column with population sizes.")
@click.option("--rate", help="Column with expected rates (Neyman allocation).")
@click.option("--power", "power_", type=float, default=0.5, show_default=True, help="Exponent q of power allocation.")
@click.option("--minimum", type=click.IntRange(0), default=0, show_default=True, help="Least interviews per unit.")
@_table_output(stdout="table")
def allocate_command(units_path: str, total: int, method: str, size: str, rate: str | None, power_: float,
                     minimum: int, output_format: str | None, output: str, force: bool) -> None:  # fmt: skip
    """Spread a total sample over the cities or strata listed in UNITS (CSV with a population column)."""
    from literacy.collect.samplesize import allocate
    from literacy.io import read, write_frame

    result = allocate(read(units_path), total, method=method, size=size, rate=rate, power=power_, minimum=minimum)
    write_frame(result, output, output_format or ("table" if output == "-" else None), force=force)


@main.command("simulate")
@click.option("-q", "--questionnaire", "instrument", default="cast-2024", show_default=True,
              help="Instrument id or YAML file (e.g. one written by questionnaire import).")  # fmt: skip
@click.option(
    "--city",
    "cities",
    multiple=True,
    required=True,
    metavar="CODE[=RATE]",
    help="A city to simulate, with its true rate as a share (default: from its plan), e.g. wuhai=0.105.",
)
@click.option(
    "--interviews",
    type=click.IntRange(40),
    default=1000,
    show_default=True,
    help="Persons sampled per city (before nonresponse); fewer, with a note, when the population cannot give them.",
)
@click.option(
    "--persons",
    type=click.IntRange(1000),
    default=60_000,
    show_default=True,
    help="Adults per simulated city population.",
)
@click.option(
    "--districts",
    type=click.IntRange(1, 200),
    default=None,
    help="Districts per city that differ, with their true rates in truth.csv (for small-area estimation; "
    "default: five that differ only by chance).",
)
@click.option("--response-rate", type=float, default=0.7, show_default=True)
@click.option(
    "--defect-rate",
    type=float,
    default=0.01,
    show_default=True,
    help="Share of interviews with each defect (speeder, invalid code, duplicate id, under age).",
)
@click.option(
    "--layout",
    "layouts",
    multiple=True,
    type=click.Choice(EXPORT_LAYOUTS),
    default=["csv"],
    show_default=True,
    help="Export layout(s) to write.",
)
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True)
@click.option("--seed", type=int, default=1, show_default=True)
@click.option("--out", "folder", required=True, help="Folder to write into.")
@click.option("--force", is_flag=True)
def simulate_command(instrument: str, cities: tuple[str, ...], interviews: int, persons: int, districts: int | None,
                     response_rate: float, defect_rate: float, layouts: tuple[str, ...], lang: str, seed: int,
                     folder: str, force: bool) -> None:  # fmt: skip
    """Simulate a survey of a synthetic population with known truth; write exports, margins and truth."""
    from literacy.collect.fieldwork import simulate, write_simulation

    rates: dict[str, float | None] = {}
    for entry in cities:
        code, _, value = entry.partition("=")
        try:
            rates[code.strip()] = float(value) if value else None
        except ValueError:
            raise click.BadParameter(f"{entry!r} is not CODE or CODE=RATE (e.g. wuhai=0.105).") from None
    with _progress("Simulating") as progress:
        result = simulate(instrument, rates, interviews=interviews, persons=persons, response_rate=response_rate,
                          defect_rate=defect_rate, seed=seed, districts=districts)  # fmt: skip
        if progress:
            progress(1.0)
    if result.settings["shortfall"]:
        click.echo(result.settings["shortfall"], err=True)
    written = write_simulation(result, folder, layouts=list(layouts), lang=lang, force=force)
    truths = result.truth[(result.truth["group"] == "all") & (result.truth["city"] != "all")]
    summary = ", ".join(f"{row.city} {row.rate:.1%}" for row in truths.itertuples())
    files = ", ".join(p.name for p in written)
    click.echo(f"Simulated {len(result.sample)} sampled persons, {len(result.responses)} delivered records "
               f"(true rates: {summary}). Wrote {files} to {folder}.", err=True)  # fmt: skip


@main.group()
def plans() -> None:
    """The shipped plans: jurisdictions, baselines and targets (literacy/reference/plans)."""


@plans.command("list")
@LANG
def plans_list(lang: str) -> None:
    """List the shipped plans."""
    from literacy.plans import list_plans

    for plan in list_plans():
        targets = "; ".join(f"{t.year} {t.describe(lang)}" for t in plan.targets) or "-"
        baseline = f"{plan.baselines[-1].year} {plan.baselines[-1].value:g}%" if plan.baselines else "-"
        click.echo(f"{plan.id}\t{plan.name.get(lang)}\t{plan.level}\tbaseline {baseline}\ttargets {targets}")


@plans.command("show")
@click.argument("plan")
@LANG
def plans_show(plan: str, lang: str) -> None:
    """Show a plan's document, baselines and targets, each with its source (ID or FILE)."""
    from literacy.plans import load_plan

    loaded = load_plan(plan)
    click.echo(f"{loaded.id}: {loaded.name.get(lang)} ({loaded.level}, code {loaded.code}, parent {loaded.parent})")
    click.echo(f"document: {loaded.title.get(lang)}, {loaded.number}, {loaded.issuer.get(lang)}, {loaded.date}")
    for rate in loaded.baselines:
        click.echo(f"baseline {rate.year}: {rate.value:g}%  [{rate.source}]")
    for target in loaded.targets:
        click.echo(f"target {target.year}: {target.describe(lang)} ({target.wording})  [{target.source}]")
    for counted in loaded.counted_targets:
        click.echo(f"counted {counted.id}: {counted.label.get(lang)} {counted.value:g} {counted.unit.get(lang)} "
                   f"({counted.basis})  [{counted.source}]")  # fmt: skip
    for note in loaded.notes:
        click.echo(f"note: {note}")


@main.command("gap")
@click.argument("estimates_path", metavar="ESTIMATES")
@click.option("--plan", "plan_ids", multiple=True, required=True, help="Plan id or file (repeat for several).")
@click.option("--year", type=int, required=True, help="The survey year.")
@click.option("--domain", default="city", show_default=True, help="Column holding the jurisdiction codes.")
@click.option("--alpha", type=float, default=0.05, show_default=True, help="One-sided level of the target test.")
@click.option("--actuals", help="Table of counted-target actuals (columns target, year, value).")
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True)
@_table_output(stdout="table")
def gap_command(estimates_path: str, plan_ids: tuple[str, ...], year: int, domain: str, alpha: float,
                actuals: str | None, lang: str, output_format: str | None, output: str,
                force: bool) -> None:  # fmt: skip
    """Compare estimates (from `literacy estimate`) with plan targets: gap, evidence, path and progress."""
    from literacy.assessment import ASSESSMENT_UNITS, COUNTED_UNITS, counted_progress_of_plans, gap
    from literacy.io import read, write_frame
    from literacy.report.data import for_people

    table = gap(read(estimates_path), list(plan_ids), year=year, domain=domain, alpha=alpha, lang=lang)
    kind = output_format or ("table" if output == "-" else None)
    # Percent is for people: the text table shows 12.3% and +2.3 points; CSV and JSON keep the proportions.
    write_frame(for_people(table, ASSESSMENT_UNITS) if kind == "table" else table, output, kind, force=force)
    if actuals:
        counted = counted_progress_of_plans(list(plan_ids), read(actuals), year=year, lang=lang)
        click.echo(for_people(counted, COUNTED_UNITS).to_string(index=False), err=True)
    for row in table.itertuples():
        click.echo(f"{row.name}: {row.evidence}", err=True)


@main.command("change")
@click.argument("current_path", metavar="CURRENT")
@click.argument("previous_path", metavar="PREVIOUS")
@click.option("--year", type=int, required=True, help="The current survey's year.")
@click.option(
    "--previous-year",
    type=int,
    help="The previous survey's year, before --year; required unless PREVIOUS has a year column.",
)
@click.option("--standard", required=True, help="The instrument id or file the current survey was scored under.")
@click.option("--previous-standard", help="The instrument id or file the previous figures were scored under; "
              "required unless PREVIOUS has a standard column.")  # fmt: skip
@click.option("--previous-unit", type=click.Choice(["proportion", "percent"]), default="proportion",
              show_default=True, help="Whether PREVIOUS holds proportions (0.1056) or percent (10.56).")  # fmt: skip
@click.option("--domain", default="city", show_default=True, help="Column holding the jurisdiction codes.")
@click.option("--level", type=click.FloatRange(0, 1, min_open=True, max_open=True),
              help="Interval level (default: the level CURRENT was estimated at).")  # fmt: skip
@_table_output(stdout="table")
def change_command(current_path: str, previous_path: str, year: int, previous_year: int | None, standard: str,
                   previous_standard: str | None, previous_unit: str, domain: str, level: float | None,
                   output_format: str | None, output: str, force: bool) -> None:  # fmt: skip
    """Change since the previous survey: CURRENT estimates (literacy estimate) against PREVIOUS figures
    (published, se optional, or literacy estimate on the earlier wave); independent samples, variances add."""
    from literacy.assessment import CHANGE_UNITS, change
    from literacy.io import read, write_frame
    from literacy.report.data import for_people

    table = change(read(current_path), read(previous_path), year=year, previous_year=previous_year,
                   standard=standard, previous_standard=previous_standard, domain=domain, unit=previous_unit,
                   level=level)  # fmt: skip
    kind = output_format or ("table" if output == "-" else None)
    # The notes are long sentences: stderr, one per jurisdiction, rather than a column of the text table.
    shown = for_people(table.drop(columns="note"), CHANGE_UNITS) if kind == "table" else table
    write_frame(shown, output, kind, force=force)
    for place, note in zip(table[domain].fillna("(overall)"), table["note"], strict=True):
        if note:
            click.echo(f"{place}: {note}", err=True)


@main.command("report")
@click.argument("assessment_path", metavar="ASSESSMENT")
@click.option("--estimates", "estimates_path", help="Estimates by group (literacy estimate output).")
@click.option("--grades", "grades_path", help="Grade distribution (literacy estimate --outcome grade).")
@click.option("--disparities", "disparities_path", help="Group contrasts (from literacy run).")
@click.option("--counted", "counted_path", help="Counted-target progress table.")
@click.option("--change", "change_path", help="Change since the previous survey (literacy change or run's change.csv).")
@click.option("--methods", "methods_path", help="JSON with the methods facts (from literacy run's report.json).")
@click.option("--small-area", "small_area_path", help="District (small-area) estimates: run's small_area.csv.")
@click.option("--district-gaps", "district_gaps_path", help="Gaps to district targets: run's district_gaps.csv.")
@click.option("--plan", "plan_ids", multiple=True, help="Plan files for plans that are not shipped.")
@click.option("--format", "report_format", type=click.Choice(REPORT_FORMATS), help="Default: from -o's extension.")
@click.option("-o", "--output", required=True)
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True)
@click.option("--force", is_flag=True)
def report_command(assessment_path: str, estimates_path: str | None, grades_path: str | None,
                   disparities_path: str | None, counted_path: str | None, change_path: str | None,
                   methods_path: str | None, small_area_path: str | None, district_gaps_path: str | None,
                   plan_ids: tuple[str, ...], report_format: str | None, output: str, lang: str,
                   force: bool) -> None:  # fmt: skip
    """Write the report (HTML with charts, Word, PDF, XLSX, Markdown or JSON) from an assessment table."""
    import pandas as pd

    from literacy.io import read
    from literacy.plans import load_plan
    from literacy.report import ReportData, report

    assessment = read(assessment_path)
    loaded = [load_plan(p) for p in plan_ids]
    known = {p.id for p in loaded}
    loaded += [load_plan(p) for p in sorted(set(assessment["plan"].astype(str))) if p not in known]
    methods = {}
    if methods_path:
        methods = json.loads(Path(methods_path).read_text(encoding="utf-8")).get("methods", {})
    small_area, gaps = pd.DataFrame(), pd.DataFrame()
    if district_gaps_path and not small_area_path:
        raise LiteracyError("--district-gaps needs the district table too: add --small-area small_area.csv.")
    if small_area_path:
        from literacy.report.data import district_tables, small_area_method

        small_area, gaps = district_tables(
            read(small_area_path),
            read(district_gaps_path) if district_gaps_path else None,
            source=small_area_path,
            gaps_source=district_gaps_path or "",
        )
        if "small_area" not in methods and small_area.attrs["small_area"].get("method"):
            methods["small_area"] = small_area_method(small_area)
    data = ReportData(assessment, *(read(p) if p else pd.DataFrame() for p in
                                    (estimates_path, grades_path, disparities_path, counted_path)),
                      methods=methods, plans=loaded, small_area=small_area, district_gaps=gaps,
                      change=read(change_path) if change_path else pd.DataFrame())  # fmt: skip
    path = report(data, output, report_format=report_format, lang=lang, force=force)
    click.echo(f"Wrote {path}.", err=True)


@main.command("run")
@click.argument("config_path", metavar="CONFIG")
@click.option("--out", "output", help="Output folder (default: the config's `output:`).")
@click.option("--force", is_flag=True, help="Write into a folder that already has files.")
def run_command(config_path: str, output: str | None, force: bool) -> None:
    """Run validate -> score -> weight -> estimate -> gap -> report as CONFIG.yaml describes."""
    from literacy.pipeline import run

    result = run(config_path, output=output, force=force)
    _say_done(result)


@main.command("demo")
@click.option("--out", "output", default="literacy-demo", show_default=True, help="Folder for the demo's files.")
@click.option("--force", is_flag=True, help="Write into a folder that already has files.")
def demo_command(output: str, force: bool) -> None:
    """Run the whole job on the shipped sample data and say where the report is."""
    from literacy.pipeline import demo

    result = demo(output, force=force)
    _say_done(result)


def _say_done(result: Any) -> None:
    counts = result.counts
    click.echo(f"{counts.get('input_rows')} interviews read = {counts.get('clean_rows')} clean + "
               f"{counts.get('rejected_rows')} rejected; {counts.get('scored_rows')} scored.", err=True)  # fmt: skip
    if "previous_input_rows" in counts:  # the earlier wave's microdata under previous:
        click.echo(f"Previous wave: {counts['previous_input_rows']} interviews read = "
                   f"{counts.get('previous_clean_rows')} clean + {counts.get('previous_rejected_rows')} rejected; "
                   f"{counts.get('previous_scored_rows')} scored.", err=True)  # fmt: skip
    for row in result.assessment.itertuples():
        click.echo(f"{row.name}: {row.evidence}", err=True)
    reports = [result.folder / f"report.{kind}" for kind in ("html", "xlsx", "md", "json")]
    shown = next((path for path in reports if path.name in result.outputs), None)
    if shown is not None:
        click.echo(f"Report: {shown}")



def _read_while_importing(path: str, *modules: str) -> Any:
    """The input read in a background thread while this one imports the
    modules the command goes on with (scipy's among them): the read (mostly
    pyarrow, which lets go of the GIL) and the imports overlap, 0.1 s of a
    `literacy estimate` (issue 15). What the reader imports is imported here
    first, so the two threads never wait on each other's import locks."""
    import importlib

    import pyarrow.csv  # noqa: F401

    import literacy.io.files  # noqa: F401
    from literacy.io import read
    from literacy.threads import pool_of, submit

    with pool_of(1, "literacy-read") as pool:
        reading = submit(pool, read, path)
        for module in modules:
            importlib.import_module(module)
        return reading.result()

@main.command("estimate")
@click.argument("input_path", metavar="INPUT", type=click.Path(dir_okay=False))
@click.option(
    "--outcome", required=True, help="Column to estimate: 0/1 (a rate), categories, or a score with --statistic mean."
)
@click.option(
    "--by", "by", multiple=True, help="Domain columns, comma-separated to cross them; repeat for more tables."
)
@click.option("--weight", help="Weight column (default: every respondent weighs 1; see --unweighted).")
@click.option(
    "--unweighted",
    is_flag=True,
    help="Estimate with every respondent weighing 1 although the file records weights (e.g. a weighted.csv).",
)
@click.option("--strata", help="Stratum column.")
@click.option("--psu", help="PSU (cluster) column, nested within strata.")
@click.option("--fpc", help="Column with the population number of PSUs per stratum, or the sampling fraction.")
@click.option(
    "--statistic",
    type=click.Choice(STATISTICS),
    default="auto",
    show_default=True,
    help="auto: a rate for 0/1, a distribution for categories; other numbers need mean or distribution.",
)
@click.option(
    "--ci",
    "ci_method",
    type=click.Choice(CI_METHODS),
    default="logit",
    show_default=True,
    help="Interval method for proportions (R svyciprop: logit, mean, beta).",
)
@click.option("--level", type=click.FloatRange(0, 1, min_open=True, max_open=True), default=0.95, show_default=True)
@click.option(
    "--missing-outcome",
    type=click.Choice(MISSING_OUTCOME),
    default="na.rm",
    show_default=True,
    help="Rows with no outcome stay in each domain's design (R na.rm=TRUE) or are dropped first (R subset).",
)
@click.option(
    "--labels",
    "label_mode",
    type=click.Choice(LABEL_MODES),
    default="both",
    show_default=True,
    help="Domain codes, their value labels (file's or the instrument's), or both (a <column>_label beside each).",
)
@LANG
@click.option(
    "--lonely-psu",
    type=click.Choice(LONELY_PSU_RULES),
    default="fail",
    show_default=True,
    help="What to do with strata that have one PSU (R survey.lonely.psu).",
)
@click.option(
    "--replicates", type=click.Choice(REPLICATE_METHODS), help="Variance from replicates made from the design."
)
@click.option("--replicate-count", type=click.IntRange(2), default=200, show_default=True, help="Bootstrap replicates.")
@click.option("--seed", type=int, help="Random seed for bootstrap replicates.")
@click.option("--fay-rho", type=click.FloatRange(0, 1, max_open=True), default=0.3, show_default=True)
@click.option("--replicate-weights", help="Supplied replicate weight columns: comma-separated names or a PREFIX*.")
@click.option("--replicate-type", type=click.Choice(SUPPLIED_TYPES), default="other", show_default=True)
@click.option("--replicate-scale", type=float, help="Scale factor of supplied replicate weights.")
@click.option("--mse", is_flag=True, help="Centre replicate variance on the full-sample estimate (R mse=TRUE).")
@click.option("--min-n-eff", type=float, default=30.0, show_default=True, help="Flag: effective sample size below.")
@click.option("--min-df", type=float, default=8.0, show_default=True, help="Flag: degrees of freedom below.")
@click.option("--max-ci-width", type=float, default=0.30, show_default=True, help="Flag: interval at least this wide.")
@click.option(
    "--max-relative-ci-width",
    type=float,
    default=1.30,
    show_default=True,
    help="Flag: interval width above this share of the estimate.",
)
@_table_output()
def estimate_command(
    input_path: str, outcome: str, by: tuple[str, ...], weight: str | None, unweighted: bool, strata: str | None,
    psu: str | None, fpc: str | None, statistic: str, ci_method: str, level: float, missing_outcome: str,
    label_mode: str, lang: str,
    lonely_psu: str,
    replicates: str | None,
    replicate_count: int, seed: int | None, fay_rho: float, replicate_weights: str | None, replicate_type: str,
    replicate_scale: float | None, mse: bool, min_n_eff: float, min_df: float, max_ci_width: float,
    max_relative_ci_width: float, output_format: str | None, output: str, force: bool,
) -> None:  # fmt: skip
    """Estimate a rate, mean or distribution with design-based intervals, by domain."""
    if replicates and replicate_weights:
        raise click.UsageError("Give either --replicates (made from the design) or --replicate-weights, not both.")
    if weight and unweighted:
        raise click.UsageError("Give either --weight COLUMN or --unweighted, not both.")
    data = _read_while_importing(input_path, "literacy.design", "literacy.estimation")
    recorded = (data.attrs.get("weighting") or {}).get("final_weight")
    if weight is None and not unweighted and recorded in data.columns:
        # Unweighted rates of a weighted file are nearly always a forgotten option.
        raise click.UsageError(
            f"{input_path} records weights made by calibration in {recorded!r}; pass --weight {recorded} to use "
            "them, or --unweighted to estimate with every respondent weighing 1."
        )
    from literacy.design import Design
    from literacy.estimation import Reliability, estimate
    from literacy.io import write_frame

    design = Design(data, weight=weight, strata=strata, psu=psu, fpc=fpc, lonely_psu=lonely_psu)
    if replicates:
        design = design.with_replicates(replicates, replicates=replicate_count, seed=seed, fay_rho=fay_rho, mse=mse)
    elif replicate_weights:
        columns = _replicate_columns(data.columns, replicate_weights)
        design = design.with_replicate_columns(columns, type=replicate_type, scale=replicate_scale,
                                               fay_rho=fay_rho, mse=mse)  # fmt: skip
    specs = [[c.strip() for c in spec.split(",") if c.strip()] for spec in by] or None
    reliability = Reliability(min_n_eff, min_df, max_ci_width, max_relative_ci_width)
    result = estimate(design, outcome, specs, statistic=statistic, ci=ci_method, level=level,
                      reliability=reliability, missing_outcome=missing_outcome, labels=label_mode,
                      lang=lang)  # fmt: skip
    write_frame(result, output, output_format, force=force)
    settings = result.attrs["estimate"]
    if settings["outcome_missing_rows"]:
        declared = design.declared_missing.get(outcome, 0)
        kept = "kept in each domain's design (R na.rm = TRUE)" if missing_outcome == "na.rm" else "dropped first"
        click.echo(
            f"{settings['outcome_missing_rows']} row(s) have no {outcome}"
            + (f" ({declared} of them a declared missing code)" if declared else "")
            + f"; they are left out of the estimates and {kept}.",
            err=True,
        )
    flagged = int((result["flags"] != "").sum())
    variance = result.attrs["estimate"]["variance"]["method"]
    weighed = "" if weight else ", unweighted (every respondent weighs 1)"
    click.echo(
        f"Estimated {outcome} ({result.attrs['estimate']['statistic']}) for {len(result)} row(s) from "
        f"{len(data)} respondents{weighed}; variance by {variance}, {design.n_psus} PSUs in {design.n_strata} "
        f"{'stratum' if design.n_strata == 1 else 'strata'}; "
        f"{flagged} row(s) flagged as unreliable." + (f" Wrote {output}." if output != "-" else ""),
        err=True,
    )


def _replicate_columns(columns: Any, spec: str) -> list[str]:
    names = [str(c) for c in columns]
    if spec.endswith("*"):
        chosen = [c for c in names if c.startswith(spec[:-1])]
    else:
        chosen = [c.strip() for c in spec.split(",") if c.strip()]
    if not chosen:
        raise LiteracyError(f"No replicate weight column matches {spec!r}.")
    return chosen


@main.command("weight")
@click.argument("input_path", metavar="INPUT", type=click.Path(dir_okay=False))
@click.option(
    "--margins",
    "margins_path",
    required=True,
    type=click.Path(dir_okay=False),
    help="Census targets: variable,category,target (or one column per cell variable and target).",
)
@click.option("--base-weight", required=True, help="Column of base (design) weights to start from.")
@click.option("--method", type=click.Choice(WEIGHT_METHODS), default="rake", show_default=True)
@click.option("--bounds", help="Lower,upper bounds on the adjustment factor, e.g. 0.3,3 (linear, raking-bounded).")
@click.option("--trim", help="Cap weights, then recalibrate: median:5 (5 x the median) or quantile:0.99.")
@click.option("--by-city", "by_city", help="Weight each value of this column (city) to its own margins.")
@click.option(
    "--collapse",
    "collapse_path",
    type=click.Path(dir_okay=False),
    help="YAML file {variable: {category: merged_category}} applied to data and margins.",
)
@click.option("--responded", help="0/1 column: adjust base weights for nonresponse first.")
@click.option("--nonresponse-cells", help="Comma-separated columns forming the nonresponse adjustment cells.")
@click.option("--out-weight", default="weight_final", show_default=True, help="Name of the new weight column.")
@click.option("--maxit", type=click.IntRange(1), default=100, show_default=True)
@click.option(
    "--epsilon",
    type=click.FloatRange(0, min_open=True),
    default=1e-10,
    show_default=True,
    help="Largest relative misfit of any target at convergence.",
)
@click.option("--diagnostics", "diagnostics_path", help="Also write the diagnostics and margins check as JSON.")
@click.option("-o", "--output", default="-", show_default=True, help="Output file (.csv, .parquet) or - for stdout.")
@click.option("--force", is_flag=True, help="Replace existing output files.")
def weight_command(
    input_path: str, margins_path: str, base_weight: str, method: str, bounds: str | None, trim: str | None,
    by_city: str | None, collapse_path: str | None, responded: str | None, nonresponse_cells: str | None,
    out_weight: str, maxit: int, epsilon: float, diagnostics_path: str | None, output: str, force: bool,
) -> None:  # fmt: skip
    """Adjust base weights to census margins; writes INPUT plus the final weight."""
    from literacy.io import read, write_json, write_table
    from literacy.weighting import nonresponse_adjust, read_collapse, read_margins, weight

    data = read(input_path)
    margins = read_margins(margins_path, by=by_city)
    if responded:
        if base_weight not in data.columns:
            raise LiteracyError(f"The base weight column {base_weight!r} is not in the data.")
        cells = [c.strip() for c in (nonresponse_cells or "").split(",") if c.strip()]
        data = data.assign(weight_nonresponse=nonresponse_adjust(data, base_weight, responded, cells))
        base_weight = "weight_nonresponse"
    result = weight(
        data, margins, base_weight=base_weight, method=method, bounds=_pair(bounds, "--bounds"),
        trim=_trim(trim), out_weight=out_weight, maxit=maxit, epsilon=epsilon,
        collapse=read_collapse(collapse_path) if collapse_path else None,
    )  # fmt: skip
    write_table(result.data, output, force=force)
    if diagnostics_path:
        write_json(diagnostics_path, {"weighting": result.record,
                                      "diagnostics": result.diagnostics.to_dict("records"),
                                      "margins": result.margins.to_dict("records")}, force=force)  # fmt: skip
    shown = result.diagnostics.round(4).to_string(index=False)
    click.echo(f"Weighted {len(data)} rows by {method} to {len(result.margins)} targets "
               f"(largest miss {result.margins['difference'].abs().max():.3g}).\n{shown}", err=True)  # fmt: skip


def _pair(text: str | None, option: str) -> tuple[float, float] | None:
    if text is None:
        return None
    try:
        low, high = (float(part) for part in text.split(","))
    except ValueError:
        raise click.BadParameter(f"{option} takes two numbers like 0.3,3, not {text!r}.") from None
    return low, high


def _trim(text: str | None) -> tuple[str, float] | None:
    if text is None:
        return None
    kind, _, value = text.partition(":")
    try:
        return kind.strip(), float(value)
    except ValueError:
        raise click.BadParameter(f"--trim takes median:5 or quantile:0.99, not {text!r}.") from None


@main.command("sae")
@click.argument("input_path", metavar="INPUT", type=click.Path(dir_okay=False))
@click.option("--area", required=True, help="Column naming the areas (one row each).")
@click.option("--estimate", "estimate_column", required=True, help="Column of direct estimates (blank: out of sample).")
@click.option("--variance", help="Column of the direct estimates' sampling variances.")
@click.option("--se", help="Column of the direct estimates' standard errors (instead of --variance).")
@click.option("--covariates", help="Comma-separated covariate columns known for every area (text becomes indicators).")
@click.option("--n", "n_column", help="Column of sample sizes (variance smoothing, arcsin).")
@click.option("--method", type=click.Choice(["reml", "ml", "fh"]), default="reml", show_default=True)
@click.option("--level", type=click.FloatRange(0, 1, min_open=True, max_open=True), default=0.95, show_default=True)
@click.option("--transformation", type=click.Choice(["none", "arcsin"]), default="none", show_default=True)
@click.option("--bootstrap", type=click.IntRange(1), default=200, show_default=True, help="Replicates (arcsin MSE).")
@click.option("--seed", type=int, help="Random seed for the bootstrap.")
@click.option(
    "--zero-variance",
    type=click.Choice(["gvf", "out-of-sample"]),
    default="gvf",
    show_default=True,
    help="Areas with a zero or missing variance: smooth it (generalised variance function) or use the synthetic.",
)
@click.option(
    "--benchmark",
    "benchmark_value",
    type=float,
    help="Scale the EBLUPs so their population-weighted mean is this direct estimate (needs --population).",
)
@click.option("--population", help="Column of area populations, the weights of --benchmark.")
@_table_output(extra_format_help="; json carries the model")
def sae_command(
    input_path: str, area: str, estimate_column: str, variance: str | None, se: str | None, covariates: str | None,
    n_column: str | None, method: str, level: float, transformation: str, bootstrap: int, seed: int | None,
    zero_variance: str, output_format: str | None, benchmark_value: float | None, population: str | None,
    output: str, force: bool,
) -> None:  # fmt: skip
    """Small-area estimates: Fay-Herriot EBLUPs from direct estimates per area and area covariates."""
    from literacy.io import read, write_frame
    from literacy.smallarea import sae

    names = [c.strip() for c in (covariates or "").split(",") if c.strip()]
    result = sae(read(input_path), area=area, estimate=estimate_column, variance=variance, se=se, covariates=names,
                 n=n_column, method=method, level=level, transformation=transformation, bootstrap=bootstrap,
                 seed=seed, zero_variance=zero_variance.replace("-", "_"),
                 benchmark=_benchmark_setting(benchmark_value, population))  # fmt: skip
    write_frame(result.table, output, output_format, force=force)
    model = result.model
    for note in model["notes"]:
        click.echo(note, err=True)
    flagged = int((result.table["flags"] != "").sum())
    r2 = "n/a" if model["r2"] is None else f"{model['r2']:.3f}"
    click.echo(
        f"Fay-Herriot {method.upper()} fit on {model['areas']} area(s)"
        + (f" ({model['out_of_sample']} out of sample)" if model["out_of_sample"] else "")
        + f": sigma2_u = {model['sigma2_u']:.4g}, R2 = {r2}, Shapiro-Wilk p = "
        + f"{model['diagnostics'].get('shapiro_p', float('nan')):.3g}; {flagged} row(s) flagged."
        + (f" Wrote {output}." if output != "-" else ""),
        err=True,
    )


def _benchmark_setting(value: float | None, population: str | None) -> dict[str, Any] | None:
    if value is None and population is None:
        return None
    if value is None or population is None:
        raise click.UsageError("--benchmark and --population go together: the value and the weights of its mean.")
    return {"value": value, "population": population}
