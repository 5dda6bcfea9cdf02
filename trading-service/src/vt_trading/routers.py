"""Every router of the service, in one list (the app includes them in this order)."""

from __future__ import annotations

from fastapi import APIRouter


def all_routers() -> list[APIRouter]:
    routers: list[APIRouter] = []
    return routers
