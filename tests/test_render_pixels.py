"""The pack's quicker drawing and PNG writing give the pixels matplotlib gives, and the layout reruns only
where the tick labels need other room."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import matplotlib as mpl
import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg, RendererAgg
from matplotlib.ticker import FuncFormatter
from PIL import Image

from plots import canvas, key_numbers, layout, render
from plots.style import new_figure
from tests.conftest import build, measure


@pytest.fixture(scope="module")
def tiny() -> Any:
    """One population, one measure, one metric."""
    from sim import run

    return run(build(measures=[measure(deferral={"probability": 0.5, "delay": "30d", "max": 1})]), replications=20)


def _pixels(fig: Any, canvas_class: type[FigureCanvasAgg]) -> bytes:
    canvas_class(fig)
    raw = io.BytesIO()
    fig.savefig(raw, format="rgba", dpi=60)
    return raw.getvalue()


def test_page_canvas_draws_what_matplotlib_draws(tiny: Any) -> None:
    """Page 1 (every kind of text of the pack: sizes, bold, several lines) plus rotated and math text, drawn
    on the page canvas, is byte-identical to matplotlib's own Agg canvas; the quick glyph loop is the one used
    on this matplotlib where it draws text glyph by glyph."""
    with mpl.rc_context(render.RASTER_TEXT):
        fig = key_numbers.plot(tiny)
        fig.text(0.5, 0.5, "turned 30°", rotation=30, fontsize=14)
        fig.text(0.3, 0.3, r"$\alpha^2$ and −1.5M", fontsize=12)
        render.fix_layout(fig, 60)
        ours, theirs = _pixels(fig, canvas.PageCanvas), _pixels(fig, FigureCanvasAgg)
    assert ours == theirs
    assert np.frombuffer(ours, np.uint8).min() < 100, "the page has dark text to compare"
    copied = tuple(int(p) for p in mpl.__version__.split(".")[:2]) == canvas.COPIED
    assert (hasattr(RendererAgg, "_draw_text_glyphs_and_boxes") and copied) == canvas._FAST


def test_png_holds_the_pixels_matplotlib_saves(tiny: Any, tmp_path: Path) -> None:
    """A page's PNG, written unfiltered from the canvas, decodes to the pixels of matplotlib's own PNG of it,
    at the same size and resolution."""
    fig = key_numbers.plot(tiny)
    render.fix_layout(fig, 50)
    ours = Image.open(render.save(fig, tmp_path / "page.png", "png", 50))
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=50)
    theirs = Image.open(buffer)
    assert ours.size == theirs.size and round(ours.info["dpi"][0]) == 50
    assert np.array_equal(np.asarray(ours), np.asarray(theirs.convert("RGBA")))


@pytest.mark.parametrize(("top", "runs"), [(300.0, 1), (3e6, 2)])
def test_layout_runs_again_only_for_wider_tick_labels(top: float, runs: int, monkeypatch: pytest.MonkeyPatch,
                                                      ) -> None:
    """A step raising the top from 250 to 300 keeps the tick labels' room (``250`` and ``300``: one layout); to
    3M it changes it (``3,000,000`` is wider: the layout runs again)."""
    fig = new_figure()
    ax = fig.add_subplot()
    ax.plot([0, 1], [0, 250])
    ax.set_ylim(0, 250)
    ax.yaxis.set_major_formatter(FuncFormatter(lambda x, _pos: f"{x:,.0f}"))
    layout.after_layout(ax, lambda: ax.set_ylim(0, top))
    FigureCanvasAgg(fig)
    calls = []
    real = layout.ConstrainedLayoutEngine.execute
    monkeypatch.setattr(layout.ConstrainedLayoutEngine, "execute", lambda self, f: calls.append(1) or real(self, f))
    engine = fig.get_layout_engine()
    assert engine is not None
    engine.execute(fig)
    assert len(calls) == runs


def test_png_falls_back_to_matplotlib_when_the_canvas_is_not_one_buffer(tiny: Any,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """Were a matplotlib to hand the canvas over in pieces, the page is still a PNG of the same pixels
    (matplotlib's own), not a broken file."""
    from plots import png

    fig = key_numbers.plot(tiny)
    render.fix_layout(fig, 40)
    direct = Image.open(io.BytesIO(png.png(fig, 40, 3)))

    def piece(self: Any, data: Any) -> int:
        self.pixels = memoryview(data).cast("B")[:100]
        return len(memoryview(data).cast("B"))

    monkeypatch.setattr(png._Pixels, "write", piece)
    fallback = png.png(fig, 40, 3)
    assert fallback.startswith(png.SIGNATURE)
    assert np.array_equal(np.asarray(Image.open(io.BytesIO(fallback)).convert("RGBA")), np.asarray(direct))
