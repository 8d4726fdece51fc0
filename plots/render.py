"""Rendering a pack's pages to files: in parallel over the pages, each page the same whichever process draws it.

Each page is built and saved by one worker process (forked, so the results are shared, not pickled): its image
files (PNG, and SVG only when asked, with text kept as ``<text>``) and its one-page PDF, returned as bytes.
This process then joins the PDF pages in order with pypdf, adding a bookmark per page (matplotlib's
``PdfPages`` cannot write an outline). A page's files do not depend on which worker drew it or how many there
were: every page is drawn from scratch, with the same settings, and numbered "page i of n" in its footer.
"""

from __future__ import annotations

import functools
import gc
import io
import multiprocessing
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any, Final

import matplotlib as mpl
from matplotlib.figure import Figure
from matplotlib.ticker import FixedLocator
from pypdf import PdfWriter

from plots import style
from plots.canvas import PageCanvas
from plots.png import png
from plots.style import header_texts
from sim.runs.atomic import atomic_path
from sim.runs.executors import cores

Page = tuple[str, Callable[[], Figure]]
"""A page of a pack, not drawn yet: its file stem and the function that draws it."""

SVG_TEXT: Final[dict[str, Any]] = {"svg.fonttype": "none", "svg.hashsalt": "docket"}
"""SVG settings: text stays editable ``<text>`` (not glyph paths), and ids do not change from run to run."""
PNG_COMPRESSION: Final = 3
"""zlib level of PNG files: about a third faster to write than the default 6, for about 6% more bytes."""
RASTER_TEXT: Final[dict[str, Any]] = {"text.hinting": "no_hinting"}
"""Text on the pages' Agg canvas (their layout and PNGs) as FreeType draws it unhinted: at 200 dpi the glyphs
look the same (hinting snaps outlines to a pixel grid, which matters at screen sizes), and a page's text draws
in about 40% less CPU than with matplotlib's default (the bytecode hinter, glyph by glyph). The PDF and SVG
are unaffected (their text is text)."""
MIN_PARALLEL: Final = 3
"""Fewer pages than this are drawn in this process: a worker's start costs more than it saves."""

_PLAN: list[Page] = []  # the pages a forked worker draws (set before the pool starts, inherited by the fork)


def number_page(fig: Figure, page: int, count: int) -> None:
    """Add "page i of n" to the right footer (the PDF's page number, also on each image of the page)."""
    for text in fig.texts:
        if text.get_gid() == "footer-right":
            text.set_text(f"{text.get_text()} · page {page} of {count}")


def fix_layout(fig: Figure, dpi: int = 200) -> None:
    """Lay the figure out once and keep it: each save otherwise runs the constrained layout again, with a draw.

    Positions are in figure fractions and text sizes in points, so the layout holds at any dpi and format.
    The layout is measured on the Agg canvas the figure keeps, at the PNG resolution: the PNG save then reuses
    that renderer and the text sizes it measured. The engine is run alone, not in a draw (a draw runs it, then
    draws every artist with rendering off, a pass the saves make again: the files are byte-identical without
    it). The engine is then removed, not set to ``"none"``: matplotlib draws a figure that has any engine (even
    that placeholder) once more before each save. The ticks the layout made room for are kept too: each axis
    gets a fixed locator of them, so the saves do not run the date and number locators again (the files are
    byte-identical).
    """
    engine = fig.get_layout_engine()
    if engine is None:
        return
    PageCanvas(fig)  # becomes fig.canvas: PNG saves draw on it, with its cached renderer (plots.canvas)
    shown = fig.dpi
    fig.set_dpi(dpi)
    if fig.axes:  # as a draw does: a figure without axes has nothing to lay out
        engine.execute(fig)
    fig.set_dpi(shown)
    fig.set_layout_engine(None)
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            axis.set_major_locator(FixedLocator(list(axis.get_majorticklocs())))


@functools.cache
def warm() -> None:
    """Load in this process, once, what every page needs before its first glyph: the fonts at the pack's sizes
    (each size and weight is its own font look-up), and the PNG and PDF writers. Forked workers inherit it
    instead of each loading it again for its first page."""
    fig = Figure(figsize=(2, 1))
    sizes = (style.TITLE_SIZE, style.SUBTITLE_SIZE, style.LABEL_SIZE, style.TICK_SIZE, style.SMALL_SIZE,
             style.FOOTER_SIZE, 30)
    for size in sizes:
        for weight in ("normal", "bold"):
            fig.text(0.1, 0.5, "0.5% −1 Ag", fontsize=size, fontweight=weight, family=style.FONT)
    for fmt in ("png", "pdf"):
        fig.savefig(io.BytesIO(), format=fmt, dpi=20)


def title_of(fig: Figure, stem: str) -> str:
    """A page's bookmark: its title on one line, else its file stem."""
    return " ".join(header_texts(fig).get("title", stem).split())


def draw(index: int, count: int, out: str, formats: Sequence[str], dpi: int, numbered: bool = True,
         ) -> tuple[str, bytes, list[str]]:
    """Draw page ``index`` of the plan and save it: returns its bookmark, its one-page PDF and the files written.

    Example:
        >>> from plots.style import new_figure
        >>> _PLAN[:] = [("blank", new_figure)]
        >>> title, pdf, files = draw(0, 1, str(out), ["png"], 20)
        >>> title, pdf[:5], [Path(f).name for f in files]
        ('blank', b'%PDF-', ['blank.png'])
    """
    stem, make = _PLAN[index]
    with mpl.rc_context(RASTER_TEXT):  # type: ignore[arg-type]
        fig = make()
        if numbered:
            number_page(fig, index + 1, count)
        fix_layout(fig, dpi)
        files = []
        for fmt in formats:
            path = Path(out) / f"{stem}.{fmt}"
            save(fig, path, fmt, dpi)
            files.append(str(path))
        buffer = io.BytesIO()
        fig.savefig(buffer, format="pdf", metadata={"Creator": "docket plots", "CreationDate": None})
    return title_of(fig, stem), buffer.getvalue(), files


def save(fig: Figure, path: str | os.PathLike[str], fmt: str = "png", dpi: int = 200) -> Path:
    """Write a figure atomically (no half-written file over a good one); SVG text stays text; a PNG is written
    by :func:`plots.png.png` (RGBA, rows unfiltered). Returns the path."""
    meta: dict[str, Any] = {"Creator": "docket plots"} if fmt in ("svg", "pdf") else {}
    if fmt == "svg":
        meta["Date"] = None
    if fmt == "pdf":
        meta["CreationDate"] = None
    with atomic_path(path) as tmp, mpl.rc_context(SVG_TEXT if fmt == "svg" else None):  # type: ignore[arg-type]
        if fmt == "png":
            Path(tmp).write_bytes(png(fig, dpi, PNG_COMPRESSION))
        else:
            fig.savefig(tmp, format=fmt, dpi=dpi, metadata=meta)
    return Path(path)


def render(plan: Sequence[Page], out: str | os.PathLike[str], formats: Sequence[str], dpi: int = 200,
           pdf: str | None = None, title: str = "", workers: int | None = None) -> list[Path]:
    """Draw every page of ``plan`` into ``out`` as ``formats`` files, and all of them into one PDF ``pdf``.

    Args:
        plan: the pages in order.
        out: an existing folder.
        formats: image formats of each page (``png``, ``svg``, ``pdf``).
        dpi: resolution of raster formats.
        pdf: file name of the whole pack as one PDF (with a bookmark per page and page numbers), or ``None``.
        title: the PDF's document title.
        workers: processes drawing pages (default: the cores this process may use).

    Returns:
        The files written: the PDF first, then each page's files in page order.
    """
    count = len(plan)
    jobs = workers or cores()
    _PLAN[:] = plan
    args = [(i, count, str(out), tuple(formats), dpi, pdf is not None) for i in range(count)]
    written: list[Path] = []

    def pages(done: Iterable[tuple[str, bytes, list[str]]]) -> Iterator[tuple[str, bytes]]:
        for name, data, files in done:
            written.extend(Path(f) for f in files)
            yield name, data

    path = Path(out) / pdf if pdf is not None else None
    try:
        if jobs <= 1 or count < MIN_PARALLEL or "fork" not in multiprocessing.get_all_start_methods():
            _finish(path, pages(draw(*a) for a in args), title)
        else:
            warm()
            gc.freeze()  # the workers' collector then skips what they inherit (no scans, no copied pages)
            try:
                with ProcessPoolExecutor(min(jobs, count), mp_context=multiprocessing.get_context("fork")) as pool:
                    try:  # the PDF is joined page by page as the pages come in, while the next ones are drawn
                        _finish(path, pages(pool.map(draw, *zip(*args, strict=True))), title)
                    except BaseException:
                        pool.shutdown(cancel_futures=True)
                        raise
            finally:
                gc.unfreeze()  # only what this call froze: the sequential path leaves the collector alone
    finally:
        _PLAN.clear()
    return written if path is None else [path, *written]


def _finish(path: Path | None, pages: Iterator[tuple[str, bytes]], title: str) -> None:
    """Join the pages into the PDF at ``path``, or just wait for them (no PDF)."""
    if path is None:
        for _ in pages:
            pass
    else:
        join_pdf(path, pages, title)


def join_pdf(path: Path, pages: Iterable[tuple[str, bytes]], title: str) -> None:
    """Write one-page PDFs as one document, in order, with a bookmark (outline entry) naming each page."""
    writer = PdfWriter()
    for number, (name, data) in enumerate(pages, 1):
        writer.append(io.BytesIO(data), outline_item=f"{number}. {name}")
    writer.add_metadata({"/Title": title, "/Creator": "docket plots"})
    with atomic_path(path) as tmp, open(tmp, "wb") as handle:
        writer.write(handle)
