"""How a run shows itself outside the terminal (a notebook's table and charts, the web page), found at run time
through the ``docket.views`` entry point rather than imported: ``sim`` never imports ``plots``
(docs/architecture.md), yet ``Results.plot`` and ``Results.to_html`` reach the page code in ``plots/``.

docket's own ``pyproject.toml`` registers ``web = "plots.notebook"``; a module registered there provides
``repr_html(results)``, ``plot(results, chart)`` and ``to_html(results, path)``. This is the pattern of pandas'
plotting backends (``pandas_plotting_backends``).
"""

from __future__ import annotations

from importlib.metadata import entry_points
from typing import Any, Final

from sim.scenario.errors import DocketError

GROUP: Final = "docket.views"
"""The entry-point group of view modules."""


def view(name: str = "web") -> Any:
    """The view module registered as ``name`` in :data:`GROUP`, loaded.

    Raises:
        DocketError: none is registered (docket not installed as a package), or its imports fail (Plotly
            missing), with the install command as hint.

    Example:
        >>> view().__name__
        'plots.notebook'
    """
    found = [ep for ep in entry_points(group=GROUP) if ep.name == name]
    if not found:
        raise DocketError(f"no `{name}` view is registered under the entry points {GROUP}\n    hint:     install "
                          "docket as a package from its checkout: pip install -e '.[web]'")
    try:
        return found[0].load()
    except ImportError as exc:
        raise DocketError(f"the `{name}` view cannot load: {exc}\n    hint:     pip install -e '.[web]' in the "
                          "docket checkout (it adds Plotly)") from None
