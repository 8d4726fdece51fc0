"""The chart pack: every chart of a run as one multi-page PDF (bookmarked, numbered) plus one PNG per chart, and
an SVG per chart when asked. Pages are drawn in parallel (:mod:`plots.render`)."""

from __future__ import annotations

import datetime as dt
import functools
import os
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Final

from matplotlib.figure import Figure

from plots import assumptions, comparison, exposure, in_force, key_numbers, outcomes, populations, timeline
from plots.render import Page, render, save
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
FORMATS: Final = ("png",)
"""Image formats of a pack's pages by default (the PDF is always written; SVG when asked)."""
KNOWN_FORMATS: Final = ("png", "svg", "pdf")
PDF_NAME: Final = "charts.pdf"


def plan(results: Results, others: Sequence[Results] = (), as_of: dt.date | str | None = "scenario",
         ) -> list[Page]:
    """Every page of the pack in briefing order, not drawn yet, as ``(file stem, function drawing it)``.

    One exposure page per metric, one comparison page when ``others`` are given (the run first, then them),
    and as many assumption pages as the table needs.

    Example:
        >>> [stem for stem, _ in plan(res)][:3]
        ['key_numbers', 'timeline', 'in_force']
    """
    page = functools.partial
    out: list[Page] = [("key_numbers", page(CHARTS["key_numbers"], results))]
    if results.scenario.measures:
        out += [("timeline", page(CHARTS["timeline"], results, as_of)), ("in_force", page(CHARTS["in_force"], results))]
    out.append(("populations", page(CHARTS["populations"], results)))
    out += [(f"exposure-{m.id}", page(CHARTS["exposure"], results, m.id)) for m in results.scenario.metrics]
    if results.scenario.metrics and results.finals is not None:
        out.append(("outcomes", page(CHARTS["outcomes"], results)))
    if others:
        out.append(("comparison", page(CHARTS["comparison"], [results, *others])))
    count = assumptions.page_count(results)
    out.append(("assumptions-summary", page(assumptions.plot_summary, results)))
    out += [((f"assumptions-{k + 1}" if count > 1 else "assumptions"), page(CHARTS["assumptions"], results, k))
            for k in range(count)]
    return out


def pages(results: Results, others: Sequence[Results] = (), as_of: dt.date | str | None = "scenario",
          ) -> Iterator[tuple[str, Figure]]:
    """Every page of the pack in briefing order, drawn, as ``(file stem, figure)`` (see :func:`plan`)."""
    for stem, make in plan(results, others, as_of):
        yield stem, make()


def save_figure(fig: Figure, path: str | os.PathLike[str], fmt: str = "png", dpi: int = 200) -> Path:
    """Write a figure atomically (no half-written file over a good one); returns the path."""
    return save(fig, path, fmt, dpi)


def _check_formats(formats: Sequence[str]) -> None:
    unknown = [f for f in formats if f not in KNOWN_FORMATS]
    if unknown:
        raise DocketError(f"unknown chart format(s) {', '.join(unknown)}; choose among {', '.join(KNOWN_FORMATS)}")


def write_pack(results: Results, out_dir: str | os.PathLike[str], formats: Sequence[str] = FORMATS, dpi: int = 200,
               others: Sequence[Results] = (), as_of: dt.date | str | None = "scenario",
               workers: int | None = None) -> list[Path]:
    """Write ``charts.pdf`` (every page, bookmarked and numbered) and each page in ``formats`` into ``out_dir``.

    Each file is written to a temporary file in ``out_dir`` and renamed into place, so a failure never
    leaves a partial file behind (a file written before the failure stays, complete). Pages are drawn in
    parallel; each page's files are the same whatever the number of ``workers``.

    Args:
        results: a finished run.
        out_dir: folder to write into (created if needed).
        formats: image formats for the single pages, among ``png``, ``svg`` and ``pdf`` (default: PNG only).
        dpi: resolution of raster formats.
        others: further runs (variants) to add a comparison page.
        as_of: the timeline's "as of" line: a date, ``"scenario"`` (its ``as_of``) or ``None``.
        workers: processes drawing pages (default: the cores this process may use).

    Returns:
        The paths written, the PDF first.

    Raises:
        DocketError: for an unknown format, or a file that cannot be written.

    Example:
        >>> written = write_pack(res, out / "charts", formats=("png",), dpi=50)
        >>> written[0].name, all(p.is_file() for p in written)
        ('charts.pdf', True)
    """
    _check_formats(formats)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    return render(plan(results, others, as_of), out, formats, dpi, pdf=PDF_NAME, title=results.scenario.title,
                  workers=workers)


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
    _check_formats([fmt])
    if "comparison" in names and not others:
        raise DocketError("the comparison chart needs other runs to compare with (--compare RUN_DIR)")
    chosen = [(stem, make) for stem, make in plan(results, others, as_of) if not names or stem.split("-")[0] in names]
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    return render(chosen, out, [fmt], dpi)
