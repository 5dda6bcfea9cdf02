"""Base model shared by every contract: frozen, strict about unknown keys."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Contract(BaseModel):
    """Frozen pydantic model that rejects unknown fields.

    Contracts are data only: no I/O, no service imports. Field meaning lives in
    ``Field(description=...)`` so it reaches OpenAPI, the TypeScript types and the LLM prompt.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)
