"""``docket run`` as one call: a scenario file (or a recorded run) simulated into its run folder.

The folder is checked and staged before anything runs and swapped in whole when the run and its tables are
written (:func:`sim.runs.outdir.staged`), so it is all-old or all-new after any failure.
"""

from __future__ import annotations

from collections.abc import Callable

from sim.runs.outdir import staged
from sim.runs.records import check_source, rerun, run_folder, write_run
from sim.runs.results import Results
from sim.runs.runner import run
from sim.runs.study import Progress
from sim.scenario.loaded import load


def run_to_folder(file: str | None, *, variant: str | None = None, overrides: tuple[str, ...] = (),
                  from_run: str | None = None, ignore_hash: bool = False, replications: int | None = None,
                  seed: int | None = None, out: str | None = None, fmt: str = "csv", force: bool = False,
                  workers: int | None = None, scheduler: str | None = None, keep_replications: bool = False,
                  verify_accounting: bool = False, progress: Progress | None = None,
                  warn: Callable[[str], None] = print) -> tuple[Results, str]:
    """Load ``file`` (or re-run the run folder ``from_run`` exactly), simulate it and write its run folder.

    Args:
        file: the scenario file; ``None`` with ``from_run``.
        variant, overrides: the variant and ``--set`` values applied to ``file``.
        from_run, ignore_hash: re-run the scenario, seed and replications recorded in this run folder
            (:func:`sim.runs.records.rerun`); ``ignore_hash`` runs an edited ``run.json`` with a warning.
        replications, seed: override the scenario's (or the recorded) values.
        out: the run folder (default :func:`sim.runs.records.run_folder`); ``force`` writes into a folder that
            holds files docket did not write.
        fmt: ``csv`` or ``parquet`` tables.
        workers, scheduler, keep_replications, verify_accounting, progress: as :func:`sim.runs.runner.run`.
        warn: where warnings go.

    Returns:
        The results and the folder they were written to.

    Raises:
        UsageError: options that do not go together (:func:`sim.runs.records.check_source`).
        DocketError: a scenario or run folder that does not load, or a run that fails (nothing is written).
    """
    check_source(file, from_run, overrides, ignore_hash)
    if from_run is not None:
        loaded, seed, replications, source = rerun(from_run, ignore_hash=ignore_hash, replications=replications,
                                                   seed=seed, warn=lambda w: warn(f"warning: {w}"))
    else:
        loaded, source = load(str(file), variant, overrides), file
    folder = out or str(run_folder(loaded.scenario))
    with staged(folder, "run", force=force) as tmp:  # checked and created before anything runs
        results = run(loaded.scenario, replications=replications, seed=seed, workers=workers, scheduler=scheduler,
                      keep_replications=keep_replications, verify_accounting=verify_accounting, progress=progress)
        write_run(results, tmp, loaded.data, fmt=fmt, source=source)
    return results, folder
