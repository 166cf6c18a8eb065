"""Enumerate the app's routes (whatever FastAPI's internal router layout) for tests that must
cover every endpoint, including those later domains add."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from fastapi import FastAPI
from fastapi.routing import APIRoute


@dataclass(frozen=True)
class RouteInfo:
    path: str
    methods: frozenset[str]
    path_params: tuple[str, ...]
    query_params: tuple[str, ...]
    in_schema: bool


def _params(dependant, kind: str) -> list[str]:
    names = [p.name for p in getattr(dependant, kind)]
    for sub in dependant.dependencies:
        names.extend(n for n in _params(sub, kind) if n not in names)
    return names


def _info(path: str, route: APIRoute) -> RouteInfo:
    return RouteInfo(path=path, methods=frozenset(route.methods or ()),
                     path_params=tuple(_params(route.dependant, "path_params")),
                     query_params=tuple(_params(route.dependant, "query_params")), in_schema=route.include_in_schema)


def iter_routes(app: FastAPI) -> Iterator[RouteInfo]:
    for route in app.routes:
        if hasattr(route, "effective_route_contexts"):  # FastAPI ≥ 0.13x lazily included routers
            for context in route.effective_route_contexts():
                if isinstance(context.original_route, APIRoute):
                    yield _info(context.path, context.original_route)
        elif isinstance(route, APIRoute):
            yield _info(route.path, route)
