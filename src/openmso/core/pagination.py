"""One pagination shape for every list: `?page=&limit=` in, `{items,total,page,limit}` out."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

from fastapi import Query
from pydantic import BaseModel
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

T = TypeVar("T")

MAX_LIMIT = 500


@dataclass(frozen=True, slots=True)
class PageParams:
    page: int = 1
    limit: int = 50

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.limit


def page_params(
    page: int = Query(1, ge=1, le=1_000_000, description="1-based page number"),
    limit: int = Query(50, ge=1, le=MAX_LIMIT, description="rows per page"),
) -> PageParams:
    return PageParams(page=page, limit=limit)


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int
    page: int
    limit: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.limit))


@dataclass(frozen=True, slots=True)
class Slice:
    """A page of ORM rows plus the total, before conversion to the response schema."""

    rows: list
    total: int
    params: PageParams

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.params.limit))


def fetch_page(db: Session, query: Select, params: PageParams) -> Slice:
    total = db.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    rows = list(db.scalars(query.limit(params.limit).offset(params.offset)))
    return Slice(rows=rows, total=total, params=params)
