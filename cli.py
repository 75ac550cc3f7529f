"""quarterhour: the command line. A thin layer over the API in ``optimizer``.

Exit codes: 0 solved (optimal, or feasible with a gap when a limit stopped the solver), 1 internal error,
2 bad input (every problem is listed), 3 infeasible (with a diagnosis), 4 no solution within the limits
or a failed verification.
"""

from __future__ import annotations

import sys
import traceback
from pathlib import Path
from typing import Any

import click

from cli_study import SCHEDULER_OPTION
from optimizer.backends.registry import SOLVER_NAMES

EXIT_OK, EXIT_INTERNAL, EXIT_INPUT, EXIT_INFEASIBLE, EXIT_NO_SOLUTION = 0, 1, 2, 3, 4


def _fail_input(err: Exception) -> None:
    click.secho(str(err), fg="red", err=True)
    sys.exit(EXIT_INPUT)


def _guard(fn: Any) -> Any:
    """Turn expected errors into messages and exit codes; never show a traceback for bad input."""
    import functools

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from optimizer.errors import (
            OutputExistsError,
            QuarterHourError,
            ScenarioError,
            SolverUnavailableError,
        )

        try:
            return fn(*args, **kwargs)
        except (ScenarioError, OutputExistsError, SolverUnavailableError) as e:
            _fail_input(e)
        except QuarterHourError as e:
            click.secho(str(e), fg="red", err=True)
            sys.exit(EXIT_NO_SOLUTION)
        except KeyboardInterrupt:
            click.secho("interrupted: nothing was written", fg="yellow", err=True)
            sys.exit(130)
        except SystemExit:
            raise
        except Exception:  # an internal error: say so, with the details to report
            click.secho("internal error (please report it with the text below):", fg="red", err=True)
            click.echo(traceback.format_exc(), err=True)
            sys.exit(EXIT_INTERNAL)

    return wrapper


LANG_OPTION = click.option(
    "--lang",
    type=click.Choice(["zh", "en"]),
    default="zh",
    show_default=True,
    help="Language of the pilot plan, map and workbook labels.",
)
TILES_OPTION = click.option(
    "--tiles",
    type=click.Choice(["none", "osm", "amap"]),
    default="none",
    show_default=True,
    help="Background tiles of map.html (fetched by the browser; none works offline).",
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="quarterhour", message="%(prog)s %(version)s")
def main() -> None:
    """Place missing everyday-service shops (15-minute convenient living circle) in vacant spaces.

    \b
    Typical use:
      quarterhour validate scenarios/shanghai_huangpu/scenario.yaml
      quarterhour run scenarios/shanghai_huangpu/scenario.yaml --out out/huangpu
      quarterhour compare SCENARIO --out out/compare     # the scenario's variants side by side
      quarterhour sweep SCENARIO --vary budget.capital_yuan=0:10000000:21 --out out/frontier
      quarterhour formats        # the format catalog with walk limits and costs
      quarterhour schema         # every scenario key and table column
    """


@main.command()
@click.argument("scenario", type=click.Path(path_type=Path))
@click.option(
    "--out",
    "-o",
    "out",
    type=click.Path(path_type=Path),
    required=True,
    help="Folder to write the results into (created; must not exist unless --overwrite).",
)
@click.option(
    "--solver",
    type=click.Choice(list(SOLVER_NAMES)),
    default=None,
    help="Override the scenario's solver.name (heuristic: a quick plan, never proved optimal).",
)
@click.option("--time-limit", type=float, default=None, help="Override solver.time_limit_s (seconds).")
@click.option("--overwrite", is_flag=True, help="Replace an existing output folder.")
@click.option("--no-maps", is_flag=True, help="Skip the interactive map (map.html) and Excel workbook.")
@click.option(
    "--report/--no-report",
    default=True,
    show_default=True,
    help="Write the pilot plan (report.html, report.md).",
)
@LANG_OPTION
@TILES_OPTION
@click.option("--quiet", "-q", is_flag=True, help="Print only the final status line.")
@click.option(
    "--explain-money",
    is_flag=True,
    help="Also re-solve to state what the next 100,000 yuan of each budget buys and what each placement's "
    "removal would cost (the same as `quarterhour explain OUTDIR` afterwards).",
)
@click.option(
    "--executor",
    type=click.Choice(["inprocess", "pool", "dask"]),
    default="inprocess",
    show_default=True,
    help="Where walkable regions are solved when the model is split (solver.decompose) and where the "
    "re-solves of --explain-money run: this process, a local process pool, or Dask.",
)
@SCHEDULER_OPTION
@click.option(
    "--decompose",
    type=click.Choice(["auto", "regions", "off"]),
    default=None,
    help="Override solver.decompose: solve walkable regions as separate MIPs (regions), only for large "
    "models (auto), or never (off).",
)
@_guard
def run(
    scenario: Path,
    out: Path,
    solver: str | None,
    time_limit: float | None,
    overwrite: bool,
    no_maps: bool,
    report: bool,
    lang: str,
    tiles: str,
    quiet: bool,
    explain_money: bool,
    executor: str,
    scheduler: str | None,
    decompose: str | None,
) -> None:
    """Solve SCENARIO (a scenario.yaml) and write results to --out.

    \b
    Writes summary.json (with an `explain` block: what limits the plan), placements.csv,
    explain.csv, coverage.csv, excluded.csv, result.gpkg, report.html and report.md (the
    pilot plan), results.xlsx and map.html (diagnosis.csv when infeasible; phasing.csv when
    the scenario has `phasing:`).
    Exit code 0 solved, 2 bad input, 3 infeasible, 4 no solution within the limits.
    """
    from rich.console import Console

    import optimizer as qh
    from optimizer.executor import make_executor
    from optimizer.outcome import Progress
    from optimizer.reach import compute_reach
    from optimizer.result import raise_if_unverified, write_dir

    console = Console(stderr=True, quiet=quiet, soft_wrap=True)
    if out.exists() and not overwrite:
        from optimizer.errors import OutputExistsError

        raise OutputExistsError(f"output folder {out} exists: pass --overwrite or choose another --out")
    with console.status("reading and checking the scenario"):
        sc = qh.load_scenario(scenario)
        _check_phasing(sc)
    for w in sc.warnings:
        console.print(f"[yellow]warning[/]: {w}")
    override: dict[str, Any] = {}
    if solver:
        override["name"] = solver
    if time_limit:
        override["time_limit_s"] = time_limit
    if decompose:
        override["decompose"] = decompose
    with console.status(f"computing walk times ({sc.config.walk.source})"):
        reach = compute_reach(sc, progress=not quiet)
    with console.status("building the model and solving") as status:

        def show(p: Progress) -> None:
            # a live line on a terminal; a log line (kept in the output) when output is redirected
            if console.is_terminal:
                status.update(f"solving: {p}")
            else:
                console.print(str(p), markup=False, highlight=False)

        with make_executor(executor, scheduler) as ex:
            res = qh.solve(sc, solver=override or None, reach=reach, on_progress=show, executor=ex)
    res = _explain_analyses(res, explain_money, executor, console)
    with console.status(f"writing {out}"):
        verification = write_dir(
            res,
            out,
            overwrite=overwrite,
            excel=not no_maps,
            maps=not no_maps,
            report=report,
            lang=lang,
            tiles=tiles,
        )
    raise_if_unverified(verification, out)
    _print_outcome(console, res, out, out / "report.html" if report else None, verification, quiet)
    sys.exit(res.exit_code)


def _print_outcome(
    console: Any, res: Any, out: Path, report_html: Path | None, verification: Any, quiet: bool
) -> None:
    """Warnings, coverage per format, the diagnosis, the verification, then the end-of-run summary:
    money used against the limits, coverage of every group, mandates met or not, where the report is."""
    from optimizer.report import ReportData
    from optimizer.report.console import summary_lines

    s = res.summary()
    for w in res.warnings():
        console.print(f"[yellow]warning[/]: {w}")
    if not quiet and res.has_solution:
        console.print(
            res.summary_frame()[["name_zh", "share_before", "share_after", "sites_opened"]].to_string(
                float_format=lambda v: f"{v:.1%}"
            )
        )
    if not quiet:
        for line in s["explain"]["sentences"]["en"]:
            console.print(f"- {line}")
    if res.diagnosis is not None:
        console.print("[red]infeasible[/]: the mandates cannot all be met; see diagnosis.csv")
        console.print(res.diagnosis.to_string(index=False))
    if verification is not None:
        console.print(f"verified independently: {sum(c.passed for c in verification.checks)} checks passed")
    if not quiet:
        for line in summary_lines(ReportData.from_result(res), report_html, "en"):
            console.print(line, markup=False)
    click.echo(f"{s['optimality']['text']}: {s['placements']} placements, written to {out}")
    if s["status"] not in ("optimal", "infeasible"):
        click.echo(f"solver said: {s['solver_message']}", err=True)


@main.command(name="report")
@click.argument("outdir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@LANG_OPTION
@TILES_OPTION
@_guard
def report_cmd(outdir: Path, lang: str, tiles: str) -> None:
    """Write the pilot plan (report.html, report.md), map.html and results.xlsx into OUTDIR again.

    OUTDIR is a folder written by `quarterhour run`; the scenario it names is read again for the
    residences, sites and outlets. When OUTDIR holds a budget sweep's frontier.csv, the plan charts it.
    """
    from optimizer.report import ReportData
    from optimizer.report.files import write_reports

    d = ReportData.from_dir(outdir)
    for path in write_reports(d, outdir, lang=lang, tiles=tiles):
        click.echo(f"wrote {path}")


def _explain_analyses(res: Any, money: bool, executor: str, console: Any) -> Any:
    """The result with the analyses that re-solve: money and removal when asked, phasing when the
    scenario has a ``phasing:`` section."""
    from optimizer.explain.analyses import with_analyses
    from optimizer.explain.phasing import phasing_requested

    if not (money or phasing_requested(res.scenario)):
        return res
    with console.status("re-solving to explain the plan"):
        return with_analyses(res, money=money, removal=money, executor=executor)


def _check_phasing(sc: Any) -> None:
    """The yearly budgets of ``phasing:``, when given, are checked with the rest of the scenario."""
    from optimizer.explain.phasing import phasing_requested, yearly_budgets

    if phasing_requested(sc):
        yearly_budgets(sc)


@main.command()
@click.argument("scenario", type=click.Path(path_type=Path))
@_guard
def validate(scenario: Path) -> None:
    """Check SCENARIO's file and tables without solving (exit 0 valid, 2 problems listed)."""
    import optimizer as qh

    sc = qh.load_scenario(scenario)
    _check_phasing(sc)
    for w in sc.warnings:
        click.secho(f"warning: {w}", fg="yellow", err=True)
    if sc.config.variants:
        from optimizer.study.variants import build, from_config

        build(sc, from_config(sc))  # every bad variant listed, exit 2
    n_var = f", {len(sc.config.variants)} variants" if sc.config.variants else ""
    click.echo(
        f"valid: {len(sc.residences)} residences, {len(sc.sites)} sites, {len(sc.outlets)} outlets, "
        f"{len(sc.formats)} formats ({', '.join(sc.formats.index)}){n_var}"
    )


@main.command(name="verify")
@click.argument("outdir", type=click.Path(path_type=Path))
@click.option("--strict", is_flag=True, help="No solver tolerance (1e-6) on budgets, areas and viability.")
@_guard
def verify_cmd(outdir: Path, strict: bool) -> None:
    """Recompute OUTDIR's results from the raw inputs and compare (exit 0 all agree, 4 mismatch).

    Independently of the model code: coverage before and after, budgets, floor areas, subsidies,
    viability of every placement, mandates and the objective.
    """
    from optimizer.verify import verify_dir

    rep = verify_dir(outdir, strict=strict)
    click.echo(str(rep))
    sys.exit(EXIT_OK if rep.ok else EXIT_NO_SOLUTION)


def _load_run(outdir: Path) -> Any:
    from optimizer.explain.load import RunFolderError, load_run

    try:
        res, warnings = load_run(outdir)
    except RunFolderError as e:
        _fail_input(e)
    for w in warnings:
        click.secho(f"warning: {w}", fg="yellow", err=True)
    return res


@main.command(name="explain")
@click.argument("outdir", type=click.Path(path_type=Path))
@click.option("--step", type=float, default=100_000.0, show_default=True, help="Budget step to price, yuan.")
@click.option(
    "--multiples", default="1", show_default=True, help="Steps to re-solve at, e.g. 1,2,5 (x --step)."
)
@click.option("--executor", type=click.Choice(["inprocess", "pool", "dask"]), default="inprocess")
@_guard
def explain_cmd(outdir: Path, step: float, multiples: str, executor: str) -> None:
    """Re-solve around OUTDIR's plan: what the next STEP of each budget buys and the coverage each
    placement's removal would cost (re-optimised). Updates summary.json's explain block, explain.csv
    and placements.csv in OUTDIR."""
    from optimizer.explain.analyses import with_analyses
    from optimizer.explain.load import write_explained

    ks = tuple(int(k) for k in multiples.split(",") if k.strip())
    res = with_analyses(_load_run(outdir), phasing=False, step=step, multiples=ks, executor=executor)
    for line in write_explained(outdir, res)["sentences"]["en"]:
        click.echo(f"- {line}")


def _percent(text: str) -> float:
    t = text.strip()
    return float(t[:-1]) / 100 if t.endswith("%") else float(t)


@main.command(name="alternatives")
@click.argument("outdir", type=click.Path(path_type=Path))
@click.option("--k", "k", type=int, default=3, show_default=True, help="Most alternative plans.")
@click.option("--within", default="1%", show_default=True, help="Tolerance below the optimum (1% or 0.01).")
@click.option(
    "--differ",
    type=int,
    default=1,
    show_default=True,
    help="Least placements of every other plan each one leaves out.",
)
@_guard
def alternatives_cmd(outdir: Path, k: int, within: str, differ: int) -> None:
    """Up to K plans within --within of OUTDIR's plan, each leaving out at least --differ placements of
    every plan before it; writes alternatives.csv (side by side) and alternatives_summary.csv."""
    from optimizer.explain.alternatives import alternative_plans, side_by_side
    from optimizer.explain.load import replace_file

    res = _load_run(outdir)
    summary, wide = side_by_side(res, alternative_plans(res, k=k, within=_percent(within), differ=differ))
    replace_file(outdir / "alternatives.csv", lambda p: wide.to_csv(p, index=False))
    replace_file(outdir / "alternatives_summary.csv", lambda p: summary.to_csv(p, index=False))
    click.echo(summary.to_string(index=False, float_format=lambda v: f"{v:,.3f}"))
    click.echo(f"{len(summary) - 1} alternatives written to {outdir}")


@main.command(name="robustness")
@click.argument("outdir", type=click.Path(path_type=Path))
@click.option("--draws", type=int, default=5, show_default=True, help="Random draws (each one re-solve).")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option(
    "--error", type=float, default=0.2, show_default=True, help="Largest relative error (0.2: ±20%)."
)
@click.option("--executor", type=click.Choice(["inprocess", "pool", "dask"]), default="inprocess")
@_guard
def robustness_cmd(outdir: Path, draws: int, seed: int, error: float, executor: str) -> None:
    """Re-evaluate and re-optimise OUTDIR's plan under seeded errors in population and rent; writes
    robustness_draws.csv, robustness_placements.csv and robustness.json (fragile placements)."""
    from optimizer.explain.load import replace_file
    from optimizer.explain.robustness import robustness
    from optimizer.result.write import write_json

    per_draw, per_placement, summary = robustness(
        _load_run(outdir), draws=draws, seed=seed, error=error, executor=executor
    )
    replace_file(outdir / "robustness_draws.csv", lambda p: per_draw.to_csv(p, index=False))
    replace_file(outdir / "robustness_placements.csv", lambda p: per_placement.to_csv(p, index=False))
    replace_file(outdir / "robustness.json", lambda p: write_json(p, summary))
    click.echo(per_placement.to_string(index=False, float_format=lambda v: f"{v:.0%}"))
    for name, key in (
        ("chosen plan (placements still viable)", "chosen_plan_objective"),
        ("re-optimised", "reoptimised_objective"),
    ):
        d = summary[key]
        if d["median"] is not None:
            click.echo(
                f"{name}: weighted coverage median {d['median']:,.0f} "
                f"(p10 {d['p10']:,.0f}, p90 {d['p90']:,.0f})"
            )
    click.echo(f"fragile placements: {', '.join(summary['fragile']) or 'none'}")


@main.command(name="build-scenario")
@click.option(
    "--osm",
    "osm",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    required=True,
    help="OpenStreetMap extract (.osm or .osm.pbf).",
)
@click.option(
    "--out", "-o", "out", type=click.Path(path_type=Path), required=True, help="Scenario folder to create."
)
@click.option(
    "--population",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="Population grid (polygons with a population column), shared out by building floor area.",
)
@click.option("--population-layer", default=None, help="Layer of the population file.")
@click.option("--population-column", default=None, help="Population column of the grid (default: detected).")
@click.option(
    "--density",
    "density",
    type=float,
    default=None,
    help="Residents per km2 when there is no population grid.",
)
@click.option(
    "--rent", type=float, default=150.0, show_default=True, help="Rent in yuan/m2/month at every site."
)
@click.option(
    "--rent-table",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="CSV of rent zones (zone, rent_yuan_per_m2_month, wkt or min/max lon/lat).",
)
@click.option("--formats", default=None, help="Formats in play, comma-separated (default: those found).")
@click.option("--capital", type=float, default=2_000_000.0, show_default=True, help="Capital budget, yuan.")
@click.option(
    "--rent-subsidy", type=float, default=300_000.0, show_default=True, help="Rent-subsidy budget, yuan/year."
)
@click.option("--max-sites", type=int, default=None, help="Keep at most this many candidate sites (seeded).")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed for any random draw.")
@click.option("--name", default=None, help="Scenario name.")
@click.option("--overwrite", is_flag=True, help="Replace an existing scenario folder.")
@_guard
def build_scenario_cmd(
    osm: Path,
    out: Path,
    population: Path | None,
    population_layer: str | None,
    population_column: str | None,
    density: float | None,
    rent: float,
    rent_table: Path | None,
    formats: str | None,
    capital: float,
    rent_subsidy: float,
    max_sites: int | None,
    seed: int,
    name: str | None,
    overwrite: bool,
) -> None:
    """Write a scenario folder from an OSM extract: residences, outlets, candidate sites, streets.

    Every derived number carries a `source` column saying how it was derived. Edit the folder's
    scenario.yaml and tables, then `quarterhour run` it.
    """
    from optimizer.config import BudgetConfig
    from optimizer.scenario_builder import build_scenario

    if population is None and density is None:
        click.secho("give --population GRID or --density PER_KM2", fg="red", err=True)
        sys.exit(EXIT_INPUT)
    path = build_scenario(
        osm,
        out,
        population=population,
        population_layer=population_layer,
        population_column=population_column,
        density_per_km2=density,
        rent_yuan_per_m2_month=rent,
        rent_table=rent_table,
        name=name,
        formats=[f.strip() for f in formats.split(",")] if formats else None,
        budget=BudgetConfig(capital_yuan=capital, rent_subsidy_yuan_per_year=rent_subsidy),
        max_sites=max_sites,
        seed=seed,
        overwrite=overwrite,
    )
    click.echo(f"wrote {path}")


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
def formats(as_json: bool) -> None:
    """Print the format catalog: names, walk limits, areas, costs and sources."""
    from optimizer.catalog import catalog_frame

    df = catalog_frame()
    if as_json:
        click.echo(df.to_json(orient="index", force_ascii=False, indent=2))
        return
    cols = [
        "name_zh",
        "name_en",
        "walk_minutes",
        "area_m2",
        "fitout_yuan_per_m2",
        "opex_yuan_per_year",
        "margin_yuan_per_resident_year",
        "micro_profit",
    ]
    click.echo(df[cols].to_string())


@main.command()
def schema() -> None:
    """Print every scenario key and table column (Markdown)."""
    from optimizer.schema import markdown

    click.echo(markdown())


def _register_study_commands() -> None:
    """compare and sweep live in cli_study.py; here they get the same error handling as the rest."""
    from cli_study import compare, sweep

    for cmd in (compare, sweep):
        cmd.callback = _guard(cmd.callback)
        main.add_command(cmd)


_register_study_commands()

if __name__ == "__main__":
    main()
