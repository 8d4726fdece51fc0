"""The starter scenario of ``docket new NAME``: a commented file that validates and runs."""

from __future__ import annotations

import os
import re
from importlib.resources import files
from pathlib import Path

from sim.scenario.errors import DocketError, UsageError

MAX_NAME = 100
"""Characters of a ``docket new`` name (file systems allow 255 bytes, with room for temporary names)."""


def starter(name: str, directory: str | os.PathLike[str] = ".", force: bool = False) -> tuple[Path, str]:
    """Where ``docket new NAME`` writes (``DIRECTORY/NAME.yaml``) and the text it writes there.

    Raises:
        UsageError: a name that is not letters, digits, ``_ . -``, or is longer than :data:`MAX_NAME`.
        DocketError: the file exists (and not ``force``), or its path cannot be checked.

    Example:
        >>> path, text = starter("router-ban", "/tmp")
        >>> str(path), text.count("router-ban") > 0
        ('/tmp/router-ban.yaml', True)
    """
    if not re.fullmatch(r"[A-Za-z0-9_][A-Za-z0-9_.-]*", name):
        raise UsageError("use letters, digits, _ . - (e.g. `router-ban`)", param="NAME")
    stem = name.removesuffix(".yaml")
    if len(stem) > MAX_NAME:
        raise UsageError(f"at most {MAX_NAME} characters, found {len(stem)}; choose a shorter name", param="NAME")
    target = Path(directory) / f"{stem}.yaml"
    try:
        exists = target.exists()
    except OSError as exc:  # e.g. ENAMETOOLONG from a long --dir
        raise DocketError(f"cannot write {target}: {exc.strerror or exc}") from None
    if exists and not force:
        raise DocketError(f"{target} already exists; pass --force to overwrite it, or choose another name")
    template = files("sim").joinpath("templates/starter.yaml").read_text(encoding="utf-8")
    return target, template.replace("__NAME__", stem)
