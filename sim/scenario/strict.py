"""The base of every scenario model: frozen, strict about unknown keys, keys by their YAML names."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationInfo, model_validator


class Strict(BaseModel):
    """Base of every scenario model: frozen, unknown keys forbidden, keys by their YAML names."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True, strict=False, defer_build=True)

    @model_validator(mode="before")
    @classmethod
    def _remember_keys(cls, data: Any, info: ValidationInfo) -> Any:
        # Lets the error reporter suggest "did you mean `deadline`?" for the mapping that held the typo.
        if isinstance(info.context, dict) and isinstance(data, dict):
            names = [f.alias or name for name, f in cls.model_fields.items()]
            info.context.setdefault("known_keys", {})[id(data)] = names
        return data
