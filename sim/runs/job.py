"""``docket run`` as one call: a scenario file (or a recorded run) simulated into its run folder; the staged run
that ``docket brief`` shares.

The folder is checked and staged before anything runs and swapped in whole when the run and its tables are
written (:func:`sim.runs.outdir.staged`), so it is all-old or all-new after any failure.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sim.runs.outdir import staged
from sim.runs.records import check_source, rerun, run_folder, write_run
from sim.runs.results import Results
from sim.runs.runner import run
from sim.runs.study import Progress
from sim.scenario.errors import UsageError
from sim.scenario.facts import recorded_facts
from sim.scenario.loaded import Loaded, load


@contextmanager
def staged_run(loaded: Loaded, folder: str | os.PathLike[str], kind: str, *, source: str | None,
               force: bool = False, into: str = "", fmt: str = "csv", **options: Any) -> Iterator[tuple[Results, Path]]:
    """Stage ``folder`` (:func:`sim.runs.outdir.staged`), run ``loaded`` and write its run folder there (in
    ``folder/into``); yield the results and the staged folder, so that a command can add more outputs before the
    folder is swapped in whole (``docket brief``'s pack).

    Args:
        loaded: the scenario.
        folder, kind, force: as :func:`sim.runs.outdir.staged`.
        source: the scenario file recorded in ``run.json``.
        into: the run folder's path inside ``folder`` (``""``: ``folder`` itself).
        fmt: ``csv`` or ``parquet`` tables.
        **options: for :func:`sim.runs.runner.run` (replications, seed, workers, scheduler, progress, ...).
    """
    with staged(folder, kind, force=force) as tmp:  # checked and created before anything runs
        results = run(loaded.scenario, **options)
        write_run(results, tmp / into, loaded.data, fmt=fmt, source=source)
        yield results, tmp


def run_to_folder(file: str | None, *, variant: str | None = None, overrides: tuple[str, ...] = (),
                  from_run: str | None = None, ignore_hash: bool = False, replications: int | None = None,
                  seed: int | None = None, out: str | None = None, fmt: str = "csv", force: bool = False,
                  workers: int | None = None, scheduler: str | None = None, keep_replications: bool = False,
                  verify_accounting: bool = False, progress: Progress | None = None,
                  warn: Callable[[str], None] = print, as_of: dt.date | None = None) -> tuple[Results, str]:
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
        as_of: run ``file`` as seen on this date (:func:`sim.scenario.record.seen_on`); default folder
            ``runs/NAME.as-of-DATE``.

    Returns:
        The results and the folder they were written to.

    Raises:
        UsageError: options that do not go together (:func:`sim.runs.records.check_source`).
        DocketError: a scenario or run folder that does not load, or a run that fails (nothing is written).
    """
    check_source(file, from_run, overrides, ignore_hash)
    if as_of is not None and from_run is not None:
        raise UsageError("--as-of applies to a scenario FILE; a run folder's run.json is already as seen on its "
                         "date", param="--as-of")
    if from_run is not None:
        loaded, seed, replications, source = rerun(from_run, ignore_hash=ignore_hash, replications=replications,
                                                   seed=seed, warn=lambda w: warn(f"warning: {w}"))
    else:
        loaded, source = load(str(file), variant, overrides, as_of=as_of), file
        if as_of is not None:
            known = [f for f in recorded_facts(loaded.data) if f.day <= as_of.toordinal()]
            warn(f"as seen on {as_of}: {len(known)} facts of the record fixed, the rest conditioned on them "
                 "(docs/forecasting.md)")
    folder = out or str(run_folder(loaded.scenario)) + (f".as-of-{as_of}" if as_of else "")
    with staged_run(loaded, folder, "run", source=source, force=force, fmt=fmt, replications=replications, seed=seed,
                    workers=workers, scheduler=scheduler, keep_replications=keep_replications,
                    verify_accounting=verify_accounting, progress=progress) as (results, _):
        pass  # the run folder is all that `docket run` writes
    return results, folder
