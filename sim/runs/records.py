"""Run folders: the files a run writes, and the provenance to re-run it exactly (``docket run --from``).

A run folder holds::

    series.csv       tidy time series: series, kind, quantity, unit, date, mean, p05 ... p95
    dated.csv        the same on the dated days off the report grid (key dates, planned deadlines and events)
    branches.csv     the curves of each split outcome per side (see sim/runs/splits.py)
    finals.csv       per replication and metric: total and avoided exposure at the end, split side
    in_force.csv     measure, date, probability in force
    effective.csv    measure, date, probability it first takes effect that day, cumulative (no date: never)
    measures.csv     per measure: effective-date quantiles, P(never), extensions, injunctions, shelving, lifting
    events.csv       the event log of every replication
    replications.csv per-replication series (only with --keep-replications)
    summary.json     headline numbers
    run.json         provenance: version, resolved scenario and its hash, seed, replications (with a hash binding
                     them to the scenario's), command, packages

``docket run --from`` re-runs a folder only when ``run.json`` is intact (:func:`verify_run`).

Every file is written atomically (:mod:`sim.runs.atomic`); ``--format parquet`` writes ``.parquet`` tables. The command
line writes the whole folder at once (:func:`sim.runs.outdir.staged`): into a temporary sibling, swapped into place at
the end, with a ``.docket.json`` marker listing its files.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import platform
import sys
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from sim import __version__
from sim.runs.atomic import atomic_path, write_text
from sim.runs.results import Results, no_rows
from sim.runs.table import Table, stored
from sim.scenario.errors import DocketError, UsageError, found_repr
from sim.scenario.files import read_json_object
from sim.scenario.loaded import Loaded, load, scenario_hash
from sim.scenario.loader import validated
from sim.scenario.schema import Scenario
from sim.scenario.yamlload import plain

if TYPE_CHECKING:
    import pandas as pd

PACKAGES = ("docket", "simpy", "numpy", "pandas", "pydantic", "pyyaml", "click", "matplotlib")


def _json(data: Any, name: str, ascii: bool = True) -> str:
    """``data`` as strict JSON (``allow_nan=False``): a NaN or an infinity is a :class:`DocketError`, never
    ``NaN``/``Infinity`` in a file that JSON readers then refuse."""
    try:
        return json.dumps(data, indent=2, ensure_ascii=ascii, allow_nan=False)
    except ValueError as exc:
        raise DocketError(f"cannot write {name}: it would hold a number that is not finite ({exc}); "
                          "please report this with the scenario") from None


def record_hash(scenario_digest: str, seed: int, replications: int) -> str:
    """SHA-256 binding what ``docket run --from`` re-runs: the scenario's hash, the seed and the replications.

    ``scenario_hash`` covers the resolved scenario (whose own ``seed`` and ``replications`` keys are defaults);
    this covers the seed and replications the run actually used, so an edited ``seed`` in ``run.json`` is
    noticed too.

    Example:
        >>> record_hash("ab" * 32, 7, 100) == record_hash("ab" * 32, 7, 100) != record_hash("ab" * 32, 8, 100)
        True
    """
    text = json.dumps({"scenario_hash": scenario_digest, "seed": seed, "replications": replications},
                      sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def verify_run(record: dict[str, Any], path: str | os.PathLike[str], *, ignore_hash: bool = False) -> list[str]:
    """Check that a ``run.json`` read by :func:`read_run` is what ``docket run`` wrote, before re-running it.

    ``scenario`` must be a mapping whose hash is the recorded ``scenario_hash``, and ``seed`` and
    ``replications`` whole numbers that, with it, give the recorded ``record_hash``. A mismatch means the file
    was edited (or damaged) after the run.

    Args:
        record: the parsed ``run.json``.
        path: its path, for messages.
        ignore_hash: report hash mismatches as warnings (returned) instead of errors; the shape checks still
            apply (a scenario that is not a mapping cannot run at all).

    Returns:
        Warnings to print (only with ``ignore_hash``).

    Raises:
        DocketError: naming ``run.json``, the key and what was found, with a hint.
    """

    where = str(path)
    redo = "re-run from the scenario file (`docket run FILE`)"
    scenario = record.get("scenario")
    if not isinstance(scenario, dict):
        raise DocketError(f"{where}: `scenario` must be the recorded scenario (a mapping of keys), found "
                          f"{found_repr(scenario)}\n    hint:     the file was edited or damaged; {redo}")
    for key, low in (("seed", 0), ("replications", 1)):
        value = record.get(key)
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            raise DocketError(f"{where}: `{key}` must be a whole number >= {low}, found {found_repr(value)}\n"
                              f"    hint:     the file was edited or damaged; {redo}")
    problems = []
    digest = scenario_hash(scenario)
    recorded = record.get("scenario_hash")
    if recorded != digest:
        problems.append(f"`scenario_hash` does not match the recorded `scenario`: found {_short(recorded)}, the "
                        f"scenario hashes to `{digest[:12]}…`: the scenario or its hash was edited after the run")
    elif "record_hash" not in record:
        problems.append("there is no `record_hash` binding `seed` and `replications` to the scenario (written by "
                        "an older docket, or removed)")
    elif record.get("record_hash") != record_hash(digest, record["seed"], record["replications"]):
        problems.append(f"`record_hash` does not match the recorded `seed` {record['seed']} and `replications` "
                        f"{record['replications']} (found {_short(record.get('record_hash'))}): they, or the hash, "
                        "were edited after the run")
    if problems and not ignore_hash:
        raise DocketError(f"{where}: {problems[0]}\n    hint:     {redo}, or pass --ignore-hash to run what "
                          "run.json now holds")
    return [f"{where}: {p}; running it anyway (--ignore-hash)" for p in problems]


def check_source(file: str | None, from_run: str | None, sets: tuple[str, ...], ignore_hash: bool) -> None:
    """Refuse ``docket run`` options that do not go together: a FILE or ``--from RUN_DIR`` (one of them);
    ``--set`` only with a FILE; ``--ignore-hash`` only with ``--from``.

    Raises:
        UsageError: naming the options.
    """
    if file is None and from_run is None:
        raise UsageError("give a scenario FILE, or --from RUN_DIR to re-run a recorded run")
    if file is not None and from_run is not None:
        raise UsageError("give a scenario FILE or --from RUN_DIR, not both")
    if from_run is not None and sets:
        raise UsageError("--set applies to a scenario FILE; to change a recorded run, re-run its file")
    if ignore_hash and from_run is None:
        raise UsageError("--ignore-hash goes with --from RUN_DIR")


class Rerun(NamedTuple):
    """What ``docket run --from`` runs again: the recorded scenario, seed, replications and source file."""

    loaded: Loaded
    seed: int
    replications: int
    source: str | None


def rerun(run_dir: str | os.PathLike[str], *, ignore_hash: bool = False, replications: int | None = None,
          seed: int | None = None, warn: Callable[[str], None] = lambda text: None) -> Rerun:
    """The run recorded in a run folder, checked by :func:`verify_run` (its warnings go to ``warn``) and
    validated; ``replications`` and ``seed`` replace the recorded ones when given.

    Raises:
        DocketError: ``run.json`` is missing, edited or damaged, or its scenario no longer validates.
    """
    record = read_run(run_dir)
    path = Path(run_dir) / "run.json"
    for warning in verify_run(record, path, ignore_hash=ignore_hash):
        warn(warning)
    return Rerun(load(record["scenario"], filename=str(path)), record["seed"] if seed is None else seed,
                 record["replications"] if replications is None else replications, record.get("source_file"))


def _short(digest: object) -> str:
    """A recorded hash for a message: its first 12 digits, or what was found instead."""

    return f"`{digest[:12]}…`" if isinstance(digest, str) and len(digest) > 12 else found_repr(digest)


def package_version(name: str) -> str:
    """``importlib.metadata.version(name)``, read from the ``Version:`` line of the package's metadata without
    parsing all of it as e-mail headers (a few milliseconds of ``docket run``'s start each).

    Raises:
        importlib.metadata.PackageNotFoundError: the package is not installed.

    Example:
        >>> package_version("numpy") == metadata.version("numpy")
        True
    """
    dist = metadata.distribution(name)
    for line in (dist.read_text("METADATA") or dist.read_text("PKG-INFO") or "").splitlines():
        if not line:  # the end of the headers
            break
        if line.startswith("Version:"):
            return line.removeprefix("Version:").strip()
    return dist.version


def _versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            out[name] = package_version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def _table(frame: pd.DataFrame | Table, path: Path, fmt: str) -> Path:
    target = path.with_suffix(f".{fmt}")
    try:
        _write_table(frame, target, fmt)
    except OSError as exc:
        raise DocketError(f"cannot write {target}: {exc.strerror or exc}") from exc
    return target


def _write_table(frame: pd.DataFrame | Table, target: Path, fmt: str) -> None:
    """Write a table as ``fmt``: a :class:`~sim.runs.table.Table` as CSV without pandas, the same bytes as its
    frame's ``to_csv``."""
    with atomic_path(target) as tmp:
        if isinstance(frame, Table) and fmt == "csv":
            with open(tmp, "w", encoding="utf-8", newline="") as handle:
                frame.write_csv(handle)
            return
        if isinstance(frame, Table):
            frame = frame.frame()
        if fmt == "parquet":
            try:
                frame.to_parquet(tmp, index=False)
            except ImportError as exc:
                raise DocketError("--format parquet needs pyarrow: pip install -e '.[parquet]' in the docket "
                                  "checkout (or pip install pyarrow)") from exc
        else:
            frame.to_csv(tmp, index=False, date_format="%Y-%m-%d")


def write_run(results: Results, out_dir: str | os.PathLike[str], resolved: dict[str, Any], *, fmt: str = "csv",
              source: str | None = None, command: list[str] | None = None) -> list[Path]:
    """Write a run folder; returns the files written.

    Args:
        results: what :func:`sim.run` returned.
        out_dir: the folder (created if needed).
        resolved: the resolved raw scenario (after ``extends`` and the variant), stored in ``run.json``.
        fmt: ``csv`` or ``parquet`` for the tables.
        source: the scenario file the run came from.
        command: the command line (default: ``sys.argv``).
    """
    if fmt not in ("csv", "parquet"):
        raise DocketError(f"unknown output format `{fmt}`: use csv or parquet")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    tables = {"series": "series", "dated": "dated", "in_force": "in_force", "effective": "effective",
              "measures": "measures", "events": "events", "replications": "replication_series",
              "branches": "branches", "finals": "finals"}  # file: attribute (a Table until read: no pandas)
    written = [_table(stored(results, attr), out / name, fmt) for name, attr in tables.items()
               if stored(results, attr) is not None]
    write_text(out / "summary.json", _json(results.summary, "summary.json") + "\n")
    written.append(out / "summary.json")

    digest = scenario_hash(resolved)
    record = {
        "docket_version": __version__, "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "source_file": source, "variant": results.scenario.variant, "seed": results.seed,
        "replications": results.replications, "scenario_hash": digest,
        "record_hash": record_hash(digest, results.seed, results.replications),
        "command": command if command is not None else sys.argv, "wall_time_s": round(results.wall_time, 3),
        "packages": _versions(), "files": [p.name for p in written], "scenario": plain(resolved, iso_dates=True),
    }
    write_text(out / "run.json", _json(record, "run.json", ascii=False) + "\n")
    written.append(out / "run.json")
    return written


RUNS = Path("runs")
"""Where commands write their folders unless told otherwise (relative to the working directory)."""


def run_folder(scenario: Scenario) -> Path:
    """The run folder ``docket run`` writes by default: ``runs/NAME``, or ``runs/NAME.VARIANT`` for a variant.

    Example:
        >>> from sim.scenario.loaded import load
        >>> str(run_folder(load("scenarios/tiktok-wechat-2020.yaml", "deal_reached").scenario))
        'runs/tiktok-wechat-2020.deal_reached'
    """
    return RUNS / (scenario.name + (f".{scenario.variant}" if scenario.variant else ""))


def study_folder(kind: str, scenario: Scenario, out: str | None = None) -> Path:
    """``out``, or the folder a study writes by default: ``runs/KIND-NAME`` (``compare``, ``sweep``,
    ``sensitivity``; one per scenario, whatever its variant).

    Example:
        >>> from sim.scenario.loaded import load
        >>> str(study_folder("sweep", load("scenarios/tiktok-wechat-2020.yaml", "deal_reached").scenario))
        'runs/sweep-tiktok-wechat-2020'
    """
    return Path(out) if out else RUNS / f"{kind}-{scenario.name}"


def read_run(run_dir: str | os.PathLike[str]) -> dict[str, Any]:
    """Read ``run.json`` of a run folder (for ``docket run --from``)."""
    path = Path(run_dir) / "run.json"
    try:
        record = read_json_object(path, "re-run the scenario file with `docket run FILE`")
    except FileNotFoundError:
        raise DocketError(f"{path} not found: expected a run folder written by `docket run`") from None
    for key in ("scenario", "seed", "replications"):
        if key not in record:
            raise DocketError(f"{path} has no `{key}`; it was not written by `docket run`")
    return record


def _read_table(out: Path, name: str, files: list[str]) -> pd.DataFrame | None:
    import pandas as pd

    for suffix in ("csv", "parquet"):
        path = out / f"{name}.{suffix}"
        if path.name in files and path.is_file():
            if suffix == "parquet":
                return pd.read_parquet(path)
            frame = pd.read_csv(path)
            if "date" in frame.columns:
                frame["date"] = pd.to_datetime(frame["date"])
            return frame
    return None


def load_results(run_dir: str | os.PathLike[str]) -> Results:
    """Read a run folder back into :class:`~sim.runs.results.Results` (for charts of a finished run).

    Raises:
        DocketError: if the folder is not a complete run folder.

    Example:
        >>> import tempfile
        >>> from sim import load_scenario, run
        >>> from sim.scenario.loader import resolve_raw
        >>> tmp = tempfile.TemporaryDirectory()
        >>> _ = write_run(run(load_scenario("scenarios/quickstart.yaml"), replications=50), tmp.name,
        ...               resolve_raw("scenarios/quickstart.yaml"))
        >>> res = load_results(tmp.name)
        >>> res.replications, res.scenario.name
        (50, 'quickstart')
        >>> tmp.cleanup()
    """

    out = Path(run_dir)
    record = read_run(out)
    scenario = validated(record["scenario"], str(out / "run.json"))
    files = list(record.get("files", []))
    tables = {name: _read_table(out, name, files) for name in
              ("series", "dated", "in_force", "effective", "measures", "events", "replications", "branches", "finals")}
    missing = [name for name in ("series", "in_force", "effective", "measures", "events") if tables[name] is None]
    if missing:
        raise DocketError(f"{out} lacks {', '.join(missing)}: re-run it with `docket run --from {out}`")
    try:
        summary = read_json_object(out / "summary.json", f"re-run it with `docket run --from {out}`")
    except FileNotFoundError:
        raise DocketError(f"{out / 'summary.json'} not found: re-run it with `docket run --from {out}`") from None
    frames = {k: v for k, v in tables.items() if v is not None}
    return Results(scenario, int(record["replications"]), int(record["seed"]), float(record.get("wall_time_s", 0.0)),
                   frames["series"], frames["in_force"], frames["effective"], frames["measures"], frames["events"],
                   summary, tables["replications"], dated=frames.get("dated", no_rows()), branches=tables["branches"],
                   finals=tables["finals"])
