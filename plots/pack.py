"""The chart pack: every chart of a run as one multi-page PDF plus one PNG and one SVG per chart."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, Final

from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure

from plots import assumptions, comparison, exposure, in_force, key_numbers, outcomes, populations, timeline
from sim.runs.atomic import atomic_path
from sim.runs.results import Results
from sim.scenario.errors import DocketError

# Explicit registry: name -> chart function (each takes the results first and returns a Figure).
CHARTS: Final[dict[str, Callable[..., Figure]]] = {
    "key_numbers": key_numbers.plot,
    "timeline": timeline.plot,
    "in_force": in_force.plot,
    "populations": populations.plot,
    "exposure": exposure.plot,
    "outcomes": outcomes.plot,
    "comparison": comparison.plot,
    "assumptions": assumptions.plot,
}
FORMATS: Final = ("png", "svg")
PDF_NAME: Final = "charts.pdf"


def pages(results: Results, others: Sequence[Results] = (), as_of: dt.date | str | None = "scenario",
          ) -> Iterator[tuple[str, Figure]]:
    """Every page of the pack in briefing order, as ``(file stem, figure)``.

    One exposure page per metric, one comparison page when ``others`` are given (the run first, then them),
    and as many assumption pages as the table needs.
    """
    yield "key_numbers", CHARTS["key_numbers"](results)
    if results.scenario.measures:
        yield "timeline", CHARTS["timeline"](results, as_of)
        yield "in_force", CHARTS["in_force"](results)
    yield "populations", CHARTS["populations"](results)
    for metric in results.scenario.metrics:
        yield f"exposure-{metric.id}", CHARTS["exposure"](results, metric.id)
    if results.scenario.metrics and results.finals is not None:
        yield "outcomes", CHARTS["outcomes"](results)
    if others:
        yield "comparison", CHARTS["comparison"]([results, *others])
    count = assumptions.page_count(results)
    for page in range(count):
        yield (f"assumptions-{page + 1}" if count > 1 else "assumptions"), CHARTS["assumptions"](results, page)


def save_figure(fig: Figure, path: str | os.PathLike[str], fmt: str = "png", dpi: int = 200) -> Path:
    """Write a figure atomically (no half-written file over a good one); returns the path."""
    meta: dict[str, Any] = {"Creator": "docket plots"} if fmt in ("svg", "pdf") else {}
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format=fmt, dpi=dpi, metadata=meta)
    return Path(path)


def write_pack(results: Results, out_dir: str | os.PathLike[str], formats: Sequence[str] = FORMATS, dpi: int = 200,
               others: Sequence[Results] = (), as_of: dt.date | str | None = "scenario") -> list[Path]:
    """Write ``charts.pdf`` (every page) and each page as PNG and SVG into ``out_dir``, atomically.

    Each file is written to a temporary file in ``out_dir`` and renamed into place, so a failure never
    leaves a partial file behind (a file written before the failure stays, complete).

    Args:
        results: a finished run.
        out_dir: folder to write into (created if needed).
        formats: image formats for the single pages, among ``png``, ``svg`` and ``pdf``.
        dpi: resolution of raster formats.
        others: further runs (variants) to add a comparison page.

    Returns:
        The paths written, the PDF first.

    Raises:
        DocketError: for an unknown format, or a file that cannot be written.

    Example:
        >>> written = write_pack(res, out / "charts", formats=("png",), dpi=50)
        >>> written[0].name, all(p.is_file() for p in written)
        ('charts.pdf', True)
    """
    unknown = [f for f in formats if f not in ("png", "svg", "pdf")]
    if unknown:
        raise DocketError(f"unknown chart format(s) {', '.join(unknown)}; choose among png, svg, pdf")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    figures = list(pages(results, others, as_of))
    pdf = out / PDF_NAME
    written = [pdf]
    with atomic_path(pdf) as tmp, PdfPages(tmp, metadata={"Creator": "docket plots",
                                                          "Title": results.scenario.title}) as doc:
        for _, fig in figures:
            doc.savefig(fig)
    for stem, fig in figures:
        for fmt in formats:
            path = out / f"{stem}.{fmt}"
            save_figure(fig, path, fmt, dpi)
            written.append(path)
    return written


def write_charts(results: Results, out_dir: str | os.PathLike[str], names: Sequence[str] = (), fmt: str = "png",
                 dpi: int = 200, others: Sequence[Results] = (), as_of: dt.date | str | None = "scenario",
                 ) -> list[Path]:
    """Write chosen charts (all pages of each; every chart when ``names`` is empty) as ``fmt`` files.

    Args:
        results: a finished run.
        out_dir: folder to write into (created if needed).
        names: chart names from :data:`CHARTS` (``exposure`` gives one page per metric).
        fmt: ``png``, ``svg`` or ``pdf``.
        dpi: resolution of raster formats.
        others: further runs for the comparison chart.
        as_of: the timeline's "as of" line: a date, ``"scenario"`` (its ``as_of``) or ``None``.

    Raises:
        DocketError: for an unknown chart or format, or ``comparison`` without other runs.
    """
    unknown = [n for n in names if n not in CHARTS]
    if unknown:
        raise DocketError(f"unknown chart(s) {', '.join(unknown)}; choose among {', '.join(CHARTS)}")
    if fmt not in ("png", "svg", "pdf"):
        raise DocketError(f"unknown chart format {fmt}; choose among png, svg, pdf")
    if "comparison" in names and not others:
        raise DocketError("the comparison chart needs other runs to compare with (--compare RUN_DIR)")
    out = Path(out_dir)
    written = []
    for stem, fig in pages(results, others, as_of):
        if not names or stem.split("-")[0] in names:
            path = out / f"{stem}.{fmt}"
            save_figure(fig, path, fmt, dpi)
            written.append(path)
    return written

