"""Response models of routes whose answers are not a use case's own model."""
from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Health(BaseModel):
    model_config = ConfigDict(defer_build=True)
    status: str


class PolicyVersion(BaseModel):
    version: int
    effective: str
    material: bool
    url: str


class PolicyVersions(BaseModel):
    model_config = ConfigDict(defer_build=True)
    versions: list[PolicyVersion]


class Error(BaseModel):
    code: str
    message: str


class ErrorResponse(BaseModel):
    """The shape of every JSON error answer."""

    error: Error
