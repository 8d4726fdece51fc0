"""Run every bundled scenario and each of its variants into a folder, or compare two such folders.

A refactoring that must not change behaviour is checked by running this at the old and at the new commit and
comparing: every file of every run folder must be byte-identical, except the fields that say when and how a run
was made (``created``, ``wall_time_s``, ``command``, ``argv``, ``packages``, ``source_file`` and the marker's
``created``).

    python tools/identical_runs.py write /tmp/before        # at the old commit
    python tools/identical_runs.py write /tmp/after         # at the new commit
    python tools/identical_runs.py compare /tmp/before /tmp/after
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
VOLATILE = {"created", "wall_time_s", "command", "argv", "packages", "source_file"}


def targets() -> list[tuple[Path, str | None]]:
    """Every bundled scenario, as written and with each variant it defines."""
    out: list[tuple[Path, str | None]] = []
    for path in sorted((ROOT / "scenarios").glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        out.append((path, None))
        out.extend((path, v["id"]) for v in (data.get("variants") or []))
    return out


def write(folder: Path) -> None:
    """Run each target into ``folder/NAME[.VARIANT]``."""
    folder.mkdir(parents=True, exist_ok=True)
    for path, variant in targets():
        name = path.stem + (f".{variant}" if variant else "")
        cmd = [sys.executable, "-m", "cli", "run", str(path), "--out", str(folder / name), "-q", "--workers", "1"]
        if variant:
            cmd += ["--variant", variant]
        subprocess.run(cmd, cwd=ROOT, check=True, capture_output=True)
        print(f"wrote {name}")


def _normal(path: Path) -> bytes:
    if path.suffix == ".json":
        data = json.loads(path.read_text(encoding="utf-8"))
        if isinstance(data, dict):
            data = {k: v for k, v in data.items() if k not in VOLATILE}
        return json.dumps(data, sort_keys=True).encode()
    return path.read_bytes()


def compare(a: Path, b: Path) -> int:
    """Print every file that differs between two folders written by :func:`write`; return how many."""
    names_a = {p.relative_to(a) for p in a.rglob("*") if p.is_file()}
    names_b = {p.relative_to(b) for p in b.rglob("*") if p.is_file()}
    bad = sorted(names_a ^ names_b)
    for name in bad:
        print(f"only in {'the first' if name in names_a else 'the second'}: {name}")
    for name in sorted(names_a & names_b):
        if _normal(a / name) != _normal(b / name):
            print(f"differs: {name}")
            bad.append(name)
    print(f"{len(names_a & names_b)} files compared, {len(bad)} differ")
    return len(bad)


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "write":
        write(Path(sys.argv[2]))
    elif len(sys.argv) == 4 and sys.argv[1] == "compare":
        sys.exit(1 if compare(Path(sys.argv[2]), Path(sys.argv[3])) else 0)
    else:
        sys.exit(__doc__)
