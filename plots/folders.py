"""The output folders of the commands that draw charts: ``brief``, ``compare``, ``sweep`` and ``sensitivity``.

Each function runs its question, then writes its tables and charts into one folder that is checked before
anything runs and swapped in whole (:func:`sim.runs.outdir.staged`): after any failure, kill or full disk the
folder is all-old or all-new. A study's task cache (next to the folder, for ``--resume``) is dropped once the
outputs are written (:meth:`sim.runs.study.Study.finish`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from pathlib import Path

import pandas as pd

from plots import comparison as comparison_chart
from plots import key_numbers, tornado
from plots import sweep as sweep_chart
from plots.pack import save_figure, write_charts, write_pack
from sim.runs.atomic import write_text
from sim.runs.job import staged_run
from sim.runs.outdir import staged, task_cache
from sim.runs.records import load_results, read_run, run_folder, study_folder
from sim.runs.study import Progress
from sim.scenario.loaded import load
from sim.studies.compare import Comparison, compare, compared_runs
from sim.studies.sensitivity import Sensitivity, parse_outcome, sensitivity
from sim.studies.sweep import SweepPlan, SweepRequest

Say = Callable[[str], None]


def write_plots(run_dir: str, *, charts: Sequence[str] = (), fmt: str = "png", dpi: int = 200, out: str | None = None,
                compare: Sequence[str] = (), as_of: dt.date | str | None = "scenario", force: bool = False,
                ) -> list[Path]:
    """Draw charts of the run folder ``run_dir`` (:func:`plots.pack.write_charts`) into ``out`` (default
    ``RUN_DIR/charts``), with the runs ``compare`` for the comparison chart; returns the files written."""
    results, others = load_results(run_dir), [load_results(d) for d in compare]
    folder = Path(out or Path(run_dir) / "charts")
    with staged(folder, "plot", force=force, protect=(run_dir, *compare)) as tmp:
        written = write_charts(results, tmp, charts, fmt, dpi, others, as_of)
    return [folder / path.relative_to(tmp) for path in written]


def write_brief(file: str, *, variant: str | None = None, overrides: tuple[str, ...] = (),
                replications: int | None = None, seed: int | None = None, out: str | None = None,
                as_of: dt.date | str | None = "scenario", force: bool = False, workers: int | None = None,
                scheduler: str | None = None, progress: Progress | None = None, formats: Sequence[str] = ("png",),
                html: bool = False) -> tuple[Path, list[Path], str]:
    """Run ``file`` and write its run folder and its pack (:func:`plots.pack.write_pack`).

    Without ``out`` the run goes to its run folder (:func:`sim.runs.records.run_folder`) and the pack to
    ``brief/`` inside it; with ``out`` the pack goes to ``out`` and the run to ``out/run``. Either way both are
    staged as one folder: a kill mid-pack leaves the old run and the old pack. ``formats`` are the image
    formats of each page besides the PDF (PNG by default; add ``svg`` for editable slides). With ``html``, the
    interactive page (:mod:`plots.web`, ``briefing.html``) is written beside the pack, last in the files.

    Returns:
        The folder holding the pack, the files written there (the PDF first), and the key numbers it charted
        as text (:func:`plots.key_numbers.text`).
    """
    loaded = load(file, variant, overrides)
    run_dir = run_folder(loaded.scenario)
    target = Path(out) if out else run_dir
    with staged_run(loaded, target, "brief", source=file, force=force, into="run" if out else "",
                    replications=replications, seed=seed, workers=workers, scheduler=scheduler,
                    progress=progress) as (results, tmp):
        pack = tmp if out else tmp / "brief"
        written = write_pack(results, pack, formats, as_of=as_of, workers=workers)
        if html:
            from plots import web  # Plotly only on this path: `docket brief` without --html starts as before

            page = web.write_page(results, pack / web.PAGE_NAME, record=read_run(tmp / ("run" if out else "")))
            written.append((target if out else run_dir / "brief") / page.relative_to(pack))
    return (target if out else run_dir / "brief"), written, key_numbers.text(results)


def write_comparison(files: Sequence[str], *, variants: str | None, reference: str | None,
                     overrides: tuple[str, ...] = (), replications: int | None = None, seed: int | None = None,
                     out: str | None = None, force: bool = False, resume: bool = False, workers: int | None = None,
                     scheduler: str | None = None, progress: Progress | None = None, say: Say = print,
                     ) -> tuple[Comparison, Path]:
    """Compare scenarios or variants on the same draws (:func:`sim.studies.compare.compare`) and write
    ``comparison.csv``, ``comparison.png`` and (with metrics) ``differences.png``, the paired differences, into
    ``out`` (default ``runs/compare-NAME``)."""
    pairs, labels = compared_runs(files, variants, reference, comparison_chart.MAX_RUNS)
    loaded = [load(f, v, overrides) for f, v in pairs]
    folder = study_folder("compare", loaded[0].scenario, out)
    with staged(folder, "compare", force=force) as tmp:
        result = compare(loaded, labels, replications, seed, workers, scheduler=scheduler, cache=task_cache(folder),
                         resume=resume, progress=progress)
        result.write_csv(tmp / "comparison.csv")
        save_figure(comparison_chart.plot(result.results), tmp / "comparison.png")  # named by variant titles
        if result.results[0].scenario.metrics:
            save_figure(comparison_chart.plot_differences(result), tmp / "differences.png")
    if result.study is not None:  # compare() always records how its study went
        result.study.finish(task_cache(folder), resume, say)
    return result, folder


def write_sweep(file: str, request: SweepRequest, *, variant: str | None = None, overrides: tuple[str, ...] = (),
                replications: int | None = None, seed: int | None = None, out: str | None = None,
                force: bool = False, resume: bool = False, workers: int | None = None, scheduler: str | None = None,
                progress: Progress | None = None, say: Say = print) -> tuple[SweepPlan, pd.DataFrame, Path]:
    """Run the points of ``request`` on ``file`` (:mod:`sim.studies.sweep`) and write ``sweep.csv`` and, when the
    scenario has metrics, ``sweep.png`` into ``out`` (default ``runs/sweep-NAME``)."""
    loaded = load(file, variant, overrides)
    folder = study_folder("sweep", loaded.scenario, out)
    with staged(folder, "sweep", force=force) as tmp:  # checked and created before the pilot run and points
        points = request.plan(loaded, seed)
        if points.design is not None and points.design.pilot:
            say(f"sampling {len(points.design.columns)} uncertain inputs found by a pilot run of "
                f"{points.design.pilot} replications")
        table, results, study = points.run(replications=replications, seed=seed, workers=workers, resume=resume,
                                           scheduler=scheduler, cache=task_cache(folder), progress=progress)
        write_text(tmp / "sweep.csv", table.to_csv(index=False))
        if loaded.scenario.metrics:
            save_figure(sweep_chart.plot_plan(points, table, results), tmp / "sweep.png")
    study.finish(task_cache(folder), resume, say)
    return points, table, folder


def write_sensitivity(file: str, outcome: str, *, variant: str | None = None, overrides: tuple[str, ...] = (),
                      replications: int | None = None, seed: int | None = None, top: int = 12,
                      out: str | None = None, force: bool = False, resume: bool = False, workers: int | None = None,
                      scheduler: str | None = None, progress: Progress | None = None, say: Say = print,
                      ) -> tuple[Sensitivity, Path]:
    """Rank the inputs of ``file`` by how much they move ``outcome`` (:mod:`sim.studies.sensitivity`) and write
    ``sensitivity.csv``, ``tornado.png`` and ``ranking.png`` into ``out`` (default ``runs/sensitivity-NAME``)."""
    loaded = load(file, variant, overrides)
    parse_outcome(loaded.scenario, outcome)  # a bad name stops here, before anything runs
    folder = study_folder("sensitivity", loaded.scenario, out)
    with staged(folder, "sensitivity", force=force) as tmp:
        sens = sensitivity(loaded, outcome, replications=replications, seed=seed, top=top, workers=workers,
                           scheduler=scheduler, cache=task_cache(folder), resume=resume, progress=progress)
        sens.write_csv(tmp / "sensitivity.csv")
        save_figure(tornado.plot(sens), tmp / "tornado.png")
        save_figure(tornado.plot_ranking(sens), tmp / "ranking.png")
    sens.study.finish(task_cache(folder), resume, say)
    return sens, folder
