"""Identity API: who am I, user administration, API tokens."""

from __future__ import annotations

from fastapi import APIRouter, status

from openmso.core.deps import DB, CurrentActor, RowId
from openmso.identity import schemas, service

router = APIRouter(prefix="/api/v1", tags=["identity"])



@router.get("/me", response_model=schemas.Me)
def me(actor: CurrentActor):
    ids = None if actor.practice_ids is None else sorted(actor.practice_ids)
    return schemas.Me(id=actor.user_id, username=actor.username, role=actor.role, practice_ids=ids)


@router.get("/users", response_model=list[schemas.UserOut])
def list_users(db: DB, actor: CurrentActor):
    return [service.user_out(u) for u in service.list_users(db, actor)]


@router.post("/users", response_model=schemas.UserOut, status_code=status.HTTP_201_CREATED)
def create_user(data: schemas.UserCreate, db: DB, actor: CurrentActor):
    return service.user_out(service.create_user(db, actor, data))


@router.get("/users/{user_id}", response_model=schemas.UserOut)
def get_user(user_id: RowId, db: DB, actor: CurrentActor):
    return service.user_out(service.get_user(db, actor, user_id))


@router.put("/users/{user_id}/scope", response_model=schemas.UserOut)
def set_scope(user_id: RowId, data: schemas.ScopeUpdate, db: DB, actor: CurrentActor):
    return service.user_out(service.set_scope(db, actor, user_id, data.practice_ids))


@router.post("/users/{user_id}/deactivate", response_model=schemas.UserOut)
def deactivate_user(user_id: RowId, db: DB, actor: CurrentActor):
    return service.user_out(service.set_active(db, actor, user_id, False))


@router.post("/users/{user_id}/activate", response_model=schemas.UserOut)
def activate_user(user_id: RowId, db: DB, actor: CurrentActor):
    return service.user_out(service.set_active(db, actor, user_id, True))


@router.get("/tokens", response_model=list[schemas.TokenOut])
def list_tokens(db: DB, actor: CurrentActor):
    return service.list_api_tokens(db, actor)


@router.post("/tokens", response_model=schemas.TokenCreated, status_code=status.HTTP_201_CREATED)
def create_token(data: schemas.TokenCreate, db: DB, actor: CurrentActor):
    row, token = service.create_api_token(db, actor, data.name)
    return schemas.TokenCreated.model_validate({**schemas.TokenOut.model_validate(row).model_dump(), "token": token})


@router.delete("/tokens/{token_id}", response_model=schemas.TokenOut)
def revoke_token(token_id: RowId, db: DB, actor: CurrentActor):
    return service.revoke_api_token(db, actor, token_id)
