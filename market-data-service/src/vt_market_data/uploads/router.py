"""POST /uploads, GET /uploads."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, Query, UploadFile

from vt_contracts.problem import Problem
from vt_kit import InternalAuth, SessionDep
from vt_kit.problems import Unauthorized
from vt_market_data.deps import OptionalUser
from vt_market_data.uploads.schemas import DatasetPage, DatasetSummary
from vt_market_data.uploads.service import create_upload, list_uploads

router = APIRouter(tags=["uploads"], dependencies=[InternalAuth])


def _need_user(user_id: object) -> None:
    if user_id is None:
        raise Unauthorized("uploads belong to a user: send X-User-Id (the gateway does).")


@router.post(
    "/uploads",
    response_model=DatasetSummary,
    status_code=201,
    summary="Upload a CSV or Parquet OHLCV file",
    responses={
        422: {"model": Problem, "description": "the file is invalid (row and column named)"}
    },
)
async def upload(
    session: SessionDep,
    user_id: OptionalUser,
    file: Annotated[
        UploadFile,
        File(description="CSV or Parquet with timestamp, open, high, low, close, volume"),
    ],
    symbol: Annotated[str, Form(min_length=1, max_length=64)],
    timeframe: Annotated[str | None, Form()] = None,
) -> DatasetSummary:
    _need_user(user_id)
    assert user_id is not None
    content = await file.read()
    return await create_upload(
        session,
        user_id=user_id,
        symbol=symbol,
        timeframe=timeframe or None,
        filename=file.filename or "upload",
        content=content,
    )


@router.get("/uploads", response_model=DatasetPage, summary="The user's datasets")
async def uploads(
    session: SessionDep,
    user_id: OptionalUser,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: str | None = None,
) -> DatasetPage:
    _need_user(user_id)
    assert user_id is not None
    return await list_uploads(session, user_id, limit, cursor)
