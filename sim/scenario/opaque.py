"""Types that scenario models hold as they are: pydantic is told not to look inside them.

A :class:`~sim.scenario.values.Dist` or :class:`~sim.scenario.dates.DateSpec` is read by the field types of
:mod:`sim.scenario.fields` before pydantic sees it; pydantic only has to keep it. Telling pydantic so spares it
building a dataclass schema for every field, which halves the start-up of ``docket validate``.
"""

from __future__ import annotations

from typing import Any


class Opaque:
    """A base for the types scenario models hold as opaque values (any value passes through unchanged).

    Example:
        >>> from pydantic import BaseModel
        >>> class Thing(Opaque):
        ...     pass
        >>> class Model(BaseModel):
        ...     thing: Thing
        >>> Model(thing="anything").thing
        'anything'
    """

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: Any) -> Any:
        """The schema pydantic uses for the type: any value, kept as it is."""
        from pydantic_core import core_schema

        return core_schema.any_schema()
