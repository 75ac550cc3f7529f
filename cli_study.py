"""quarterhour compare and sweep: many runs side by side, for consultants. Registered on the
``quarterhour`` group by cli.py (which wraps them in its error handling and exit codes)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

EXIT_INPUT = 2  # as cli.py: bad input

# also on `quarterhour run` (cli.py), where the walkable regions of a split model go
SCHEDULER_OPTION = click.option(
    "--scheduler",
    default=None,
    metavar="ADDRESS",
    help="A running Dask scheduler, e.g. tcp://10.0.0.5:8786 (implies --executor dask).",
)


def _study_options(fn: Any) -> Any:
    """Options shared by compare and sweep: where the runs go and where the tables are written."""
    opts = [
        click.option(
            "--out",
            "-o",
            "out",
            type=click.Path(path_type=Path),
            required=True,
            help="Folder to write the tables into (created; must not exist unless --overwrite).",
        ),
        click.option(
            "--executor",
            type=click.Choice(["pool", "inprocess", "dask"]),
            default="pool",
            show_default=True,
            help="Where the runs are solved: a local process pool (one worker per core), this process, or "
            "Dask (a LocalCluster, or the scheduler given by --scheduler).",
        ),
        click.option("--workers", type=int, default=None, help="Workers of the pool or LocalCluster."),
        click.option(
            "--time-limit",
            type=float,
            default=None,
            help="Override solver.time_limit_s of every run (seconds).",
        ),
        SCHEDULER_OPTION,
        click.option("--overwrite", is_flag=True, help="Replace an existing output folder."),
        click.option("--quiet", "-q", is_flag=True, help="No progress bar; print only the final line."),
    ]
    for o in reversed(opts):
        fn = o(fn)
    return fn


@click.command()
@click.argument("scenario", type=click.Path(path_type=Path))
@click.option(
    "--variants",
    "table",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="A variants table (CSV or Excel): one row a variant, first column its name, one column per "
    "dotted key (budget.capital_yuan, subsidy.share_of_rent, ...); an empty cell keeps the scenario's "
    "value. Default: the scenario file's variants: section.",
)
@_study_options
def compare(
    scenario: Path,
    table: Path | None,
    out: Path,
    executor: str,
    workers: int | None,
    time_limit: float | None,
    scheduler: str | None,
    overwrite: bool,
    quiet: bool,
) -> None:
    """Solve SCENARIO and each of its variants; write one comparison table to --out.

    \b
    A variant changes any scenario keys, e.g. in scenario.yaml:
      variants:
        no_subsidy: {budget.rent_subsidy_yuan_per_year: 0}
        share_30: {subsidy.share_of_rent: 0.3}
        capital_5m: {budget.capital_yuan: 5000000}
    Writes comparison.csv, comparison.xlsx, comparison.html (one row per run: coverage per
    format and group, person-formats newly covered, outlets opened, money spent vs limits,
    public money per person-format newly covered, status, gap, and which budget bound the plan)
    and placements.csv. A failed or infeasible variant is a row; the others still run.
    Exit code 0 every run solved, 2 bad input, 3 some run infeasible, 4 some run had no
    solution or failed.
    """
    import optimizer as qh
    from optimizer.study import compare_variants, from_table

    _refuse_existing(out, overwrite)
    sc = _with_time_limit(qh.load_scenario(scenario), time_limit)
    variants = from_table(table) if table else None
    cmp = compare_variants(sc, variants, executor, scheduler, workers, progress=not quiet)
    cmp.to_dir(out, overwrite=overwrite)
    if not quiet:
        cols = ["status", "all_share_after", "outlets_opened", "public_yuan", "binding"]
        click.echo(cmp.table[cols].to_string(float_format=lambda v: f"{v:,.3g}"), err=True)
    bad = int((~cmp.table["status"].isin(["optimal", "feasible"])).sum())
    click.echo(f"{len(cmp.table)} runs ({bad} without a plan), written to {out}")
    sys.exit(cmp.exit_code)


@click.command()
@click.argument("scenario", type=click.Path(path_type=Path))
@click.option(
    "--vary",
    "specs",
    multiple=True,
    required=True,
    metavar="KEY=START:STOP:N",
    help="A key and its values: START:STOP:N (N evenly spaced values) or V1,V2,... Give --vary once "
    "or twice (the frontier is then one curve per value of the second key).",
)
@_study_options
def sweep(
    scenario: Path,
    specs: tuple[str, ...],
    out: Path,
    executor: str,
    workers: int | None,
    time_limit: float | None,
    scheduler: str | None,
    overwrite: bool,
    quiet: bool,
) -> None:
    """Trace the coverage frontier of SCENARIO as one or two keys vary; write it to --out.

    \b
    Example: quarterhour sweep scenario.yaml --vary budget.capital_yuan=0:10000000:21 --out fr
    Each point warm-starts from its neighbour. Writes frontier.csv (the varied keys, objective,
    status, mip_gap, <format>_share_after, is_scenario_value, is_knee, ...), frontier.xlsx,
    frontier.png and frontier.html (works offline). The scenario's own value is always a point;
    the knee is where more of the key starts to buy much less coverage.
    Exit code 0 every point solved, 2 bad input, 3 some point infeasible, 4 some point had no
    solution or failed.
    """
    import optimizer as qh
    from optimizer.study import parse_vary
    from optimizer.study import sweep as run_sweep

    _refuse_existing(out, overwrite)
    if len(specs) > 2:
        click.secho("give --vary once or twice", fg="red", err=True)
        sys.exit(EXIT_INPUT)
    vary = dict(parse_vary(s) for s in specs)
    sc = _with_time_limit(qh.load_scenario(scenario), time_limit)
    fr = run_sweep(sc, vary, executor, scheduler, workers, progress=not quiet)
    fr.to_dir(out, overwrite=overwrite)
    knee = fr.table.loc[fr.table["is_knee"], list(fr.keys)]
    where = "none found"
    if len(knee):
        where = ", ".join(
            f"{k}={v:,.6g}" if isinstance(v, float) else f"{k}={v}" for k, v in knee.iloc[0].items()
        )
    click.echo(f"{len(fr.table)} points, knee at {where}, written to {out}")
    sys.exit(fr.exit_code)


def _with_time_limit(sc: Any, time_limit: float | None) -> Any:
    from optimizer.study.variants import apply

    return apply(sc, {"solver.time_limit_s": time_limit}) if time_limit else sc


def _refuse_existing(out: Path, overwrite: bool) -> None:
    if out.exists() and not overwrite:
        from optimizer.errors import OutputExistsError

        raise OutputExistsError(f"output folder {out} exists: pass --overwrite or choose another --out")
