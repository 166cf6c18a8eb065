"""Work waiting API under /api/v1."""

from __future__ import annotations

from dataclasses import asdict

from fastapi import APIRouter

from openmso.core.deps import DB, CurrentActor
from openmso.rcm.worklists import service
from openmso.rcm.worklists.schemas import WaitingOut

router = APIRouter(prefix="/api/v1", tags=["worklists"])


@router.get("/work-waiting", response_model=list[WaitingOut])
def work_waiting(db: DB, actor: CurrentActor):
    """How many items (and how much money) wait on each revenue-cycle worklist the caller may work."""
    return [asdict(item) for item in service.work_waiting(db, actor)]
