"""The Agg canvas the pack's pages are laid out and drawn on: matplotlib's, with a quicker loop over glyphs.

Matplotlib 3.11 draws text glyph by glyph (:meth:`RendererAgg._draw_text_glyphs_and_boxes`): for every glyph it
sets the font's size again and builds its rotation matrix with NumPy, although both are the same for every glyph
of a line. A page of the pack draws about 1,400 glyphs, so that repeated set-up costs about a tenth of the
page's drawing. :class:`PageRenderer` does the same calls for unrotated, antialiased text, with the size set once
per font and the matrix built once: the pixels are byte-identical (``tests/test_plots.py`` compares them with
matplotlib's own renderer). Any other text (rotated, mathtext boxes, not antialiased), and any matplotlib but
the release it was copied from (:data:`COPIED`), go through matplotlib's own code.
"""

from __future__ import annotations

from typing import Any, Final

import matplotlib as mpl
import numpy as np
from matplotlib import ft2font
from matplotlib.backends.backend_agg import FigureCanvasAgg, RendererAgg, get_hinting_flag

COPIED: Final = (3, 11)
"""The matplotlib release whose glyph loop :class:`PageRenderer` repeats (and is compared with in the tests):
any other goes through matplotlib's own code, whatever its private names."""
_OWN = getattr(RendererAgg, "_draw_text_glyphs_and_boxes", None)
_NORMAL = getattr(getattr(ft2font, "RenderMode", None), "NORMAL", None)
_FAST = (_OWN is not None and _NORMAL is not None and hasattr(ft2font.FT2Font, "_render_glyph")
         and tuple(int(p) for p in mpl.__version__.split(".")[:2]) == COPIED)


class PageRenderer(RendererAgg):
    """Matplotlib's Agg renderer; unrotated antialiased text drawn with per-line, not per-glyph, set-up."""

    def _draw_text_glyphs_and_boxes(self, gc: Any, x: float, y: float, angle: float, glyphs: Any,
                                    boxes: Any) -> None:
        glyphs = list(glyphs)
        if not _FAST or angle or boxes or not gc.get_antialiased() or any(len(g) != 7 for g in glyphs[:1]):
            return _OWN(self, gc, x, y, angle, glyphs, boxes)  # type: ignore[misc]
        flags, height, draw = get_hinting_flag(), self.height, self._renderer.draw_text_image
        last, matrix = None, None
        for font, size, glyph_index, slant, extend, dx, dy in glyphs:  # dy is upwards
            if (font, size, slant, extend) != last:  # as matplotlib sets them for each glyph (angle 0)
                font.set_size(size, self.dpi)
                matrix = (0x10000 * np.array([[1.0, 0.0], [0.0, 1.0]])
                          @ [[extend, extend * slant], [0, 1]]).round().astype(int)
                last = (font, size, slant, extend)
            font._set_transform(matrix, [round(0x40 * (x + dx)), round(0x40 * (height - y + dy))])
            bitmap = font._render_glyph(glyph_index, flags, _NORMAL)
            buffer = bitmap.buffer
            draw(buffer, bitmap.left, int(height) - bitmap.top + buffer.shape[0], 0, gc)
        return None


class PageCanvas(FigureCanvasAgg):
    """An Agg canvas drawing with :class:`PageRenderer` (kept while the size and dpi stay, as matplotlib's)."""

    def get_renderer(self) -> RendererAgg:
        w, h = self.get_width_height(physical=True)
        key = w, h, self.figure.dpi
        if self._lastKey != key:
            self.renderer = PageRenderer(w, h, self.figure.dpi)
            self._lastKey = key
        return self.renderer
