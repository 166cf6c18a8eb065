"""The demo's money-in step: the payer simulator's 835s posted after the claims pipeline, so every
money-in page has rows — payments, denials (some being worked), underpayments, patient balances and
payments, reconciled deposits, aging and KPIs."""

from __future__ import annotations

from collections import Counter

import pytest
from sqlalchemy import func, select

from openmso.core.pagination import PageParams
from openmso.core.tenancy import SYSTEM
from openmso.demo.generator import AS_OF, build_demo
from openmso.rcm.ar import facts, patients, service
from openmso.rcm.ar.schemas import AgingBy, AgingKind
from openmso.rcm.clearinghouse.models import InboundFile
from openmso.rcm.denials import service as denials
from openmso.rcm.remittance.models import Remittance, RemittanceException


@pytest.fixture
def demo(db, tmp_path, fresh_ids):
    summary = build_demo(db, seed=11, practices=4, patients=500, clearinghouse_dir=tmp_path / "clearinghouse",
                         as_of=AS_OF)
    db.flush()
    return summary


def test_the_demo_posts_every_simulated_835_and_leaves_work_on_every_list(db, demo):
    money = demo.money
    assert money.files == db.scalar(select(func.count()).select_from(InboundFile).where(InboundFile.kind == "835"))
    assert set(db.scalars(select(InboundFile.status).where(InboundFile.kind == "835"))) == {"applied"}
    assert money.payments == money.files and money.claims > 0 and money.lines >= money.claims
    assert Counter(db.scalars(select(Remittance.status))) == {"posted": money.files}
    assert db.scalar(select(func.count()).select_from(Remittance).where(Remittance.deposit_id.is_not(None))) > 0
    assert "deposit_mismatch" in set(db.scalars(select(RemittanceException.kind)))
    statuses: set[str] = set()  # every page of the worklist: the demo has more cases than one page holds
    for page in range(1, 100):
        rows = denials.worklist(db, SYSTEM, denials.WorklistFilter(status=None), PageParams(page, 500)).rows
        statuses |= {case.status for case in rows}
        if len(rows) < 500:
            break
    assert "open" in statuses and len(statuses) > 1 and money.denials_worked >= money.denials_acted_on > 0
    assert service.underpayments(db, SYSTEM), "the contract rates sit above what the simulated payers allow"
    assert patients.balances(db, SYSTEM) and money.patient_payments > 0
    aging = service.aging(db, SYSTEM, AgingKind.INSURANCE, AgingBy.NETWORK, AS_OF)
    assert aging[0].aging.total > 0
    months = facts.kpi_trend(db, SYSTEM, AS_OF, 4)
    assert all(m.values["denial_rate"] is not None for m in months if m.claims)
