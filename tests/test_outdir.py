"""Output folders (`sim.runs.outdir`, `sim.runs.atomic`): whole-folder swaps, kills at any moment, a full disk,
other people's files, and the output place checked before anything is simulated. The kill tests use real processes and
signals."""
from __future__ import annotations

import contextlib
import errno
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import cli
from sim.runs.atomic import atomic_path, running
from sim.runs.outdir import MARKER, PAUSE_ENV, staged, task_cache
from sim.runs.task_files import hand_over_folder

ROOT = Path(__file__).resolve().parent.parent
QUICKSTART = str(ROOT / "scenarios" / "quickstart.yaml")
FLAGSHIP = str(ROOT / "scenarios" / "tiktok-wechat-2020.yaml")
HEAVY = [QUICKSTART, "--set", "report=day", "--set", "window.end=2045-12-31"]
"""The quickstart over 20 years, reported daily: a task of 1,024 replications takes about 30 s, so a worker left
running shows."""
ENV = {**os.environ, "MPLBACKEND": "Agg"}


def invoke(*args: str) -> Any:
    return CliRunner().invoke(cli.cli, list(args))


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` (relative path -> bytes)."""
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def leftovers(folder: Path) -> list[str]:
    """docket temporaries next to or inside ``folder`` (output folders being written or set aside, .part files)."""
    near = [p.name for p in folder.parent.iterdir() if p.name.startswith(f".{folder.name}.docket-")]
    inside = [p.name for p in folder.rglob("*.part")] if folder.is_dir() else []
    return near + inside


def dead_pid() -> int:
    """The pid of a process that has ended."""
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


@pytest.fixture(scope="module")
def old_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A complete run folder (20 replications of the quickstart), to copy as "the old folder"."""
    out = tmp_path_factory.mktemp("old") / "run"
    res = invoke("run", QUICKSTART, "-n", "20", "--out", str(out), "-q")
    assert res.exit_code == 0, res.output
    return out


def copy_of(old_run: Path, where: Path) -> tuple[Path, dict[str, bytes]]:
    out = where / "run"
    shutil.copytree(old_run, out)
    return out, snapshot(out)


# --- replacing a folder, and other people's files ---------------------------------------------------------------

def test_run_replaces_a_run_folder_whole(tmp_path: Path, old_run: Path) -> None:
    """A run into a folder that holds a run (with charts drawn by `docket plot`) replaces it whole: no stale
    charts/ next to new data, and the marker lists exactly the files of the new run."""
    out, before = copy_of(old_run, tmp_path)
    assert invoke("plot", str(out), "--chart", "key_numbers").exit_code == 0
    assert (out / "charts" / "key_numbers.png").is_file() and (out / "charts" / MARKER).is_file()
    res = invoke("run", QUICKSTART, "-n", "30", "--seed", "5", "--out", str(out), "-q")
    assert res.exit_code == 0, res.output
    assert not (out / "charts").exists() and leftovers(out) == []
    assert json.loads((out / "run.json").read_text())["replications"] == 30
    marker = json.loads((out / MARKER).read_text())
    assert marker["command"] == "run" and set(marker["files"]) == set(snapshot(out)) - {MARKER}
    assert snapshot(out)["series.csv"] != before["series.csv"]


def test_foreign_files_are_refused_and_force_keeps_them(tmp_path: Path, old_run: Path) -> None:
    """A folder holding files docket did not write is refused (naming them, suggesting --force) before anything
    runs; --force writes the run and keeps every such file, byte for byte."""
    out, before = copy_of(old_run, tmp_path)
    (out / "notes.txt").write_text("my notes")
    (out / "mine").mkdir()
    (out / "mine" / "data.csv").write_text("a,b\n1,2\n")
    res = invoke("run", QUICKSTART, "-n", "30", "--out", str(out), "-q")
    assert res.exit_code == 1
    message = str(res.exception)
    assert str(out) in message and "notes.txt" in message and "mine" in message and "--force" in message
    assert snapshot(out) == {**before, "notes.txt": b"my notes", "mine/data.csv": b"a,b\n1,2\n"}
    res = invoke("run", QUICKSTART, "-n", "30", "--out", str(out), "-q", "--force")
    assert res.exit_code == 0, res.output
    assert (out / "notes.txt").read_text() == "my notes" and (out / "mine" / "data.csv").read_text() == "a,b\n1,2\n"
    assert json.loads((out / "run.json").read_text())["replications"] == 30 and leftovers(out) == []
    plain = tmp_path / "plain"  # a folder that docket never wrote into is refused as a whole
    plain.mkdir()
    (plain / "report.docx").write_text("x")
    res = invoke("run", QUICKSTART, "-n", "30", "--out", str(plain), "-q")
    assert res.exit_code == 1 and "not written by docket" in str(res.exception)
    empty = tmp_path / "empty"
    empty.mkdir()
    assert invoke("run", QUICKSTART, "-n", "30", "--out", str(empty), "-q").exit_code == 0


def test_a_run_folder_of_an_older_docket_is_recognised(tmp_path: Path, old_run: Path) -> None:
    """A run folder without a marker (written before markers existed) is docket's by the files its run.json
    lists: it is replaced without --force."""
    out, _ = copy_of(old_run, tmp_path)
    (out / MARKER).unlink()
    res = invoke("run", QUICKSTART, "-n", "30", "--out", str(out), "-q")
    assert res.exit_code == 0, res.output
    assert json.loads((out / "run.json").read_text())["replications"] == 30


def test_studies_never_delete_a_users_files(tmp_path: Path) -> None:
    """`compare` (like sweep and sensitivity) used to delete OUT/tasks/ recursively. Now a user's OUT/tasks/ is
    refused or, with --force, kept; the task cache is a hidden sibling from which only docket's task files are
    deleted."""
    out = tmp_path / "cmp"
    (out / "tasks").mkdir(parents=True)
    (out / "tasks" / "mine.txt").write_text("keep me")
    cache = task_cache(out)
    cache.mkdir()
    (cache / "readme.md").write_text("also mine")
    args = ["compare", FLAGSHIP, "--variants", "as_announced,deal_reached", "-n", "20", "--workers", "1",
            "--out", str(out)]
    res = invoke(*args)
    assert res.exit_code == 1 and "tasks" in str(res.exception) and "--force" in str(res.exception)
    res = invoke(*args, "--force")
    assert res.exit_code == 0, res.output
    assert (out / "tasks" / "mine.txt").read_text() == "keep me" and (out / "comparison.csv").is_file()
    assert [p.name for p in cache.iterdir()] == ["readme.md"] and (cache / "readme.md").read_text() == "also mine"


# --- the output place is checked before anything runs ------------------------------------------------------------

@contextlib.contextmanager
def read_only_folder(where: Path) -> Iterator[Path]:
    """A folder nothing can be created in, even by root: chmod for other users; for root a read-only tmpfs,
    else the read-only /sys."""
    folder = where / "ro"
    folder.mkdir()
    if os.geteuid() != 0:
        folder.chmod(0o555)
        try:
            yield folder
        finally:
            folder.chmod(0o755)
        return
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "ro,size=64k", "docket-test", str(folder)],
                             capture_output=True).returncode == 0
    try:
        yield folder if mounted else Path("/sys")
    finally:
        if mounted:
            subprocess.run(["umount", str(folder)], check=True)


COMMANDS = {
    "run": ["run", QUICKSTART, "-n", "20000"],
    "brief": ["brief", QUICKSTART, "-n", "20000"],
    "compare": ["compare", FLAGSHIP, "--variants", "as_announced,deal_reached", "-n", "20000"],
    "sweep": ["sweep", QUICKSTART, "--param", "measures.sales_ban.deadline=2026-02-01:2026-06-01:3", "-n", "20000"],
    "sensitivity": ["sensitivity", QUICKSTART, "--outcome", "unpatched_routers", "-n", "20000"],
}


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_unwritable_out_fails_before_simulating(command: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                ) -> None:
    """`--out existing_file/sub` and a read-only parent fail at once with exit 1, the path and the reason (they
    used to fail with exit 70 after the whole computation): nothing is simulated."""
    import sim.runs.study

    def never(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("simulated before checking the output folder")

    monkeypatch.setattr(sim.runs.study, "run_study", never)
    a_file = tmp_path / "a_file"
    a_file.write_text("x")
    res = invoke(*COMMANDS[command], "--out", str(a_file / "sub"))
    assert res.exit_code == 1, res.output
    assert f"{a_file} is a file, not a folder" in str(res.exception) and "--out" in str(res.exception)
    with read_only_folder(tmp_path) as folder:
        res = invoke(*COMMANDS[command], "--out", str(folder / "out"))
        assert res.exit_code == 1, res.output
        assert f"cannot write {folder / 'out'}" in str(res.exception)
        assert "Read-only file system" in str(res.exception) or "ermi" in str(res.exception)


def test_plot_never_replaces_the_run_it_draws(tmp_path: Path, old_run: Path) -> None:
    """`docket plot RUN --out RUN` would replace the run folder by its charts: refused, the run left as it was."""
    out, before = copy_of(old_run, tmp_path)
    res = invoke("plot", str(out), "--out", str(out))
    assert res.exit_code == 1 and "which this command reads" in str(res.exception)
    assert snapshot(out) == before


# --- failures part-way: a full disk, an interrupted pack, an interrupted swap -------------------------------------

@contextlib.contextmanager
def small_disk(where: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A 1 MB filesystem (tmpfs) where the test may mount one; else a folder where the third table written
    fails part-way with ENOSPC."""
    disk = where / "disk"
    disk.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "docket-test", str(disk)],
                      capture_output=True).returncode == 0:
        try:
            yield disk
        finally:
            subprocess.run(["umount", str(disk)], check=True)
        return
    import sim.runs.records

    real, calls = sim.runs.records._write_table, []

    def fill_up(frame: Any, target: Path, fmt: str) -> None:
        calls.append(target)
        if len(calls) == 3:
            with atomic_path(target) as tmp:
                tmp.write_bytes(b"partial")
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(tmp))
        real(frame, target, fmt)

    monkeypatch.setattr(sim.runs.records, "_write_table", fill_up)
    yield disk


def test_full_disk_leaves_the_old_folder(tmp_path: Path, old_run: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A disk that fills up while a run is written used to replace good files by those of the failed run. Now:
    exit 1 with the reason, the old folder byte for byte, no temporaries left."""
    with small_disk(tmp_path, monkeypatch) as disk:
        out, before = copy_of(old_run, disk)
        monkeypatch.setattr(sys, "argv", ["docket"])  # the new run must be bigger than the disk, not its argv
        res = invoke("run", QUICKSTART, "-n", "120", "--keep-replications", "--out", str(out), "-q")
        assert res.exit_code == 1 and "No space left on device" in str(res.exception)
        assert snapshot(out) == before and leftovers(out) == [] and sorted(os.listdir(disk)) == ["run"]


def test_interrupted_brief_leaves_the_old_run_and_charts(tmp_path: Path, old_run: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """`brief` stopped mid-pack (Ctrl-C while drawing the charts) used to leave the new run/ next to old charts:
    now the run folder, its charts and its pack are all old."""
    import plots.render

    monkeypatch.chdir(tmp_path)
    runs = tmp_path / "runs"
    runs.mkdir()
    out, _ = copy_of(old_run, runs)
    out = out.rename(runs / "quickstart")
    assert invoke("plot", str(out), "--chart", "key_numbers").exit_code == 0
    before = snapshot(out)

    def interrupted(*args: Any, **kwargs: Any) -> None:  # Ctrl-C once the pages are drawn, before the PDF
        raise KeyboardInterrupt

    monkeypatch.setattr(plots.render, "join_pdf", interrupted)
    res = invoke("brief", QUICKSTART, "-n", "20", "--seed", "9")
    assert res.exit_code == 1 and "Aborted" in res.output, res.output
    assert snapshot(out) == before and leftovers(out) == []


def test_swap_without_renameat2_is_undone_when_cut_between_its_renames(
        tmp_path: Path, old_run: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Where folders cannot be exchanged in one step, the old folder is renamed aside and the new one in. Cut
    between the two renames (in-process: the old folder is put back; after kill -9: at the next run), the old
    folder is whole; uncut, the new one is in place and the old one gone."""
    import sim.runs.outdir

    monkeypatch.setattr(sim.runs.outdir, "_exchange", lambda new, old: False)
    out, before = copy_of(old_run, tmp_path)
    real_rename, renames = os.rename, []

    def cut(src: Any, dst: Any) -> None:
        renames.append(dst)
        if len(renames) == 2:
            raise KeyboardInterrupt
        real_rename(src, dst)

    monkeypatch.setattr(sim.runs.outdir.os, "rename", cut)
    with pytest.raises(KeyboardInterrupt), staged(out, "test") as tmp:
        (tmp / "new.txt").write_text("new")
    monkeypatch.setattr(sim.runs.outdir.os, "rename", real_rename)
    assert snapshot(out) == before and leftovers(out) == []
    # as if killed between the renames: the old folder aside, the new one complete, the target missing
    aside = tmp_path / f".run.docket-old-{dead_pid()}-abc"
    out.rename(aside)
    shutil.copytree(aside, tmp_path / f".run.docket-tmp-{dead_pid()}-abc")
    with staged(out, "test") as tmp:
        (tmp / "new.txt").write_text("new")
    assert snapshot(out) == {"new.txt": b"new", MARKER: (out / MARKER).read_bytes()} and leftovers(out) == []


def test_stale_part_files_are_removed_at_the_next_write(tmp_path: Path) -> None:
    """`.part` temporaries of a process that no longer runs (one was 427 MB) go at the next write of the same
    file; those of a live process, and of other files, stay."""
    target = tmp_path / "series.csv"
    stale = tmp_path / f".series.csv.{dead_pid()}.abcd1234.part"
    legacy = tmp_path / ".series.csv.k2j4h5g6.part"  # an older docket wrote no pid
    live = tmp_path / f".series.csv.{os.getpid()}.abcd1234.part"
    other = tmp_path / f".events.csv.{dead_pid()}.abcd1234.part"
    for path in (stale, legacy, live, other):
        path.write_text("half")
    with atomic_path(target) as tmp:
        assert str(os.getpid()) in tmp.name
        tmp.write_text("done")
    assert target.read_text() == "done"
    assert not stale.exists() and not legacy.exists() and live.exists() and other.exists()


# --- kills: real processes and signals ---------------------------------------------------------------------------

def children(pid: int) -> set[int]:
    """Processes whose parent is ``pid``."""
    found = set()
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            with contextlib.suppress(OSError):
                stat = Path(f"/proc/{entry}/stat").read_text()
                if int(stat.rpartition(")")[2].split()[1]) == pid:
                    found.add(int(entry))
    return found


def wait_for(condition: Any, proc: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


CODES = {signal.SIGINT: 130, signal.SIGTERM: 143, signal.SIGKILL: -signal.SIGKILL}


@pytest.mark.parametrize("phase, sig", [("simulating", signal.SIGINT), ("simulating", signal.SIGTERM),
                                        ("simulating", signal.SIGKILL), ("writing", signal.SIGTERM),
                                        ("writing", signal.SIGKILL)])
def test_kill_leaves_the_old_folder_and_no_worker(phase: str, sig: signal.Signals, tmp_path: Path,
                                                  old_run: Path) -> None:
    """`docket run --workers 2` killed while it simulates or while it writes (Ctrl-C, SIGTERM, SIGKILL): exit 130 /
    143 within seconds (cleanly, the temporary folder removed) or killed; the old run folder byte for byte; every
    pool worker gone within 2 s (they used to finish their 25 s tasks); and after kill -9 the next run cleans up
    the stale temporary."""
    out, before = copy_of(old_run, tmp_path)
    writing = phase == "writing"
    temp = tmp_path / "tmp"  # the workers hand their tasks over through $TMPDIR/docket-tasks-<pid>-*
    temp.mkdir()
    env = {**ENV, PAUSE_ENV: "60", "TMPDIR": str(temp)} if writing else {**ENV, "TMPDIR": str(temp)}
    what = [QUICKSTART, "-n", "40"] if writing else [*HEAVY, "-n", "4096"]
    proc = subprocess.Popen([sys.executable, "-m", "cli", "run", *what, "--workers", "2", "--out", str(out), "-q"],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        if writing:
            wait_for(lambda: any(tmp_path.glob(f".run.docket-tmp-{proc.pid}-*/{MARKER}")), proc)
        else:
            wait_for(lambda: len(children(proc.pid)) >= 2, proc)
            time.sleep(0.3)
        workers = children(proc.pid)
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=10)  # not after the running tasks finish
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == CODES[sig], err
    if sig != signal.SIGKILL:
        assert b"Traceback" not in err and (b"terminated" if sig == signal.SIGTERM else b"interrupted") in err
    assert workers or writing
    deadline = time.monotonic() + 2
    while any(running(w) for w in workers) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(running(w) for w in workers), "a pool worker outlived docket"
    assert snapshot(out) == before
    handed = [p.name for p in temp.iterdir()]
    if sig == signal.SIGKILL and not writing:  # nothing could remove it: the next hand-over does
        assert [n.startswith(f"docket-tasks-{proc.pid}-") for n in handed] == [True], handed
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(tempfile, "tempdir", str(temp))
            fresh = hand_over_folder()
        assert fresh is not None and [p.name for p in temp.iterdir()] == [fresh.name]
    else:
        assert handed == []
    if sig == signal.SIGKILL:
        assert leftovers(out), "kill -9 leaves its temporary folder (the next run cleans it)"
        res = invoke("run", QUICKSTART, "-n", "30", "--out", str(out), "-q")
        assert res.exit_code == 0, res.output
        assert json.loads((out / "run.json").read_text())["replications"] == 30
    assert leftovers(out) == []


def test_stale_temporaries_of_a_live_process_are_left_alone(tmp_path: Path) -> None:
    """Only temporaries whose process is gone are cleaned: another docket writing the same place is not undercut."""
    out = tmp_path / "run"
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        live = tmp_path / f".run.docket-tmp-{sleeper.pid}-abc"
        live.mkdir()
        (live / "series.csv").write_text("being written")
        dead = tmp_path / f".run.docket-tmp-{dead_pid()}-abc"
        dead.mkdir()
        (dead / "series.csv").write_text("abandoned")
        with staged(out, "test") as tmp:
            (tmp / "a.txt").write_text("a")
        assert live.is_dir() and not dead.exists()
    finally:
        sleeper.kill()
        sleeper.wait()


def test_staged_tmp_is_hidden_sibling(tmp_path: Path) -> None:
    """The folder being written is a hidden sibling named after the target and this process, made at once."""
    with staged(tmp_path / "out", "test") as tmp:
        assert tmp.parent == tmp_path and tmp.name.startswith(f".out.docket-tmp-{os.getpid()}-")
        assert tmp.is_dir() and not (tmp_path / "out").exists()
    assert (tmp_path / "out").is_dir() and not tmp.exists()
