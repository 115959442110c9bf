"""The ``literacy`` command: one small function per command over the Python API.

Data go to stdout or ``-o``; messages go to stderr. Exit codes: 0 success,
1 an error the user can fix (one plain sentence, no traceback), 2 usage.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from literacy import __version__
from literacy.design import LONELY_PSU_RULES, REPLICATE_METHODS, SUPPLIED_TYPES, Design
from literacy.errors import LiteracyError
from literacy.estimation import CI_METHODS, Reliability, estimate
from literacy.estimation.estimate import STATISTICS
from literacy.instrument import describe, list_instruments, load_instrument
from literacy.io import OUTPUT_FORMATS, read_table, write_frame, write_json, write_table
from literacy.scoring import score
from literacy.weighting import METHODS as WEIGHT_METHODS
from literacy.weighting import nonresponse_adjust, read_collapse, read_margins, weight

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


@main.command("estimate")
@click.argument("input_path", metavar="INPUT", type=click.Path(dir_okay=False))
@click.option("--outcome", required=True, help="Column to estimate: 0/1 (a rate), a score (a mean) or categories.")
@click.option(
    "--by", "by", multiple=True, help="Domain columns, comma-separated to cross them; repeat for more tables."
)
@click.option("--weight", help="Weight column (default: every respondent weighs 1).")
@click.option("--strata", help="Stratum column.")
@click.option("--psu", help="PSU (cluster) column, nested within strata.")
@click.option("--fpc", help="Column with the population number of PSUs per stratum, or the sampling fraction.")
@click.option("--statistic", type=click.Choice(STATISTICS), default="auto", show_default=True)
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
@click.option(
    "--format",
    "output_format",
    type=click.Choice(OUTPUT_FORMATS),
    default=None,
    help="Output format (default: from the -o extension, csv for stdout).",
)
@click.option("-o", "--output", default="-", show_default=True, help="Output file or - for stdout.")
@click.option("--force", is_flag=True, help="Replace an existing output file.")
def estimate_command(
    input_path: str, outcome: str, by: tuple[str, ...], weight: str | None, strata: str | None, psu: str | None,
    fpc: str | None, statistic: str, ci_method: str, level: float, lonely_psu: str, replicates: str | None,
    replicate_count: int, seed: int | None, fay_rho: float, replicate_weights: str | None, replicate_type: str,
    replicate_scale: float | None, mse: bool, min_n_eff: float, min_df: float, max_ci_width: float,
    max_relative_ci_width: float, output_format: str | None, output: str, force: bool,
) -> None:  # fmt: skip
    """Estimate a rate, mean or distribution with design-based intervals, by domain."""
    if replicates and replicate_weights:
        raise click.UsageError("Give either --replicates (made from the design) or --replicate-weights, not both.")
    data = read_table(input_path)
    design = Design(data, weight=weight, strata=strata, psu=psu, fpc=fpc, lonely_psu=lonely_psu)
    if replicates:
        design = design.with_replicates(replicates, replicates=replicate_count, seed=seed, fay_rho=fay_rho, mse=mse)
    elif replicate_weights:
        columns = _replicate_columns(data.columns, replicate_weights)
        design = design.with_replicate_columns(columns, type=replicate_type, scale=replicate_scale,
                                               fay_rho=fay_rho, mse=mse)  # fmt: skip
    specs = [[c.strip() for c in spec.split(",") if c.strip()] for spec in by] or None
    reliability = Reliability(min_n_eff, min_df, max_ci_width, max_relative_ci_width)
    result = estimate(design, outcome, specs, statistic=statistic, ci=ci_method, level=level, reliability=reliability)
    write_frame(result, output, output_format, force=force)
    flagged = int((result["flags"] != "").sum())
    variance = result.attrs["estimate"]["variance"]["method"]
    click.echo(
        f"Estimated {outcome} ({result.attrs['estimate']['statistic']}) for {len(result)} row(s) from "
        f"{len(data)} respondents; variance by {variance}, {design.n_psus} PSUs in {design.n_strata} "
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
    data = read_table(input_path)
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
