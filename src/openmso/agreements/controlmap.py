"""The control map: an SVG of decisions, assets, technology and data, each placed on the practice
side, in the shared middle, or on the MSO side, so who controls what is visible at a glance.

Pure: terms in, SVG text out (every label escaped). Clinical decisions are drawn with a heavy
border: they are always on the practice side.
"""

from __future__ import annotations

from dataclasses import dataclass
from xml.sax.saxutils import escape

from openmso.agreements.catalogue import (
    ASSET_LABELS,
    CLINICAL_DECISIONS,
    DATA_CLASS_LABELS,
    DECISIONS,
    TECHNOLOGY_LABELS,
    Access,
    Arrangement,
    AssetKey,
    DataClass,
    Holder,
    Owner,
    TechnologyCategory,
)
from openmso.agreements.terms import Terms

PRACTICE, SHARED, MSO = 0, 1, 2
COLUMNS = ("Practice side", "Shared / practice approves", "MSO side")
COLOURS = ("#dcf1e4", "#fdf0d8", "#fbe1df")
WIDTH, MARGIN, COLUMN_WIDTH, ROW, HEADER = 960, 20, 300, 26, 30
LABEL_CHARS = 44  # what fits a box at 12px; the full label is the box's tooltip


@dataclass(frozen=True, slots=True)
class Placed:
    group: str
    label: str
    side: int
    clinical: bool = False


def placements(terms: Terms) -> list[Placed]:
    """Where each decision, asset, technology category and data class sits under these terms."""
    holder_side = {Holder.PRACTICE: PRACTICE, Holder.MSO_RECOMMENDS: SHARED, Holder.JOINT: SHARED, Holder.MSO: MSO}
    owner_side = {Owner.PRACTICE: PRACTICE, Owner.THIRD_PARTY: SHARED, Owner.MSO: MSO}
    tech_side = {Arrangement.PRACTICE_CHOICE: PRACTICE, Arrangement.RECOMMENDED: SHARED,
                 Arrangement.PREFERRED: SHARED, Arrangement.MANDATED: MSO}
    access_side = {Access.NONE: PRACTICE, Access.READ: SHARED, Access.READ_WRITE: MSO}
    placed = [Placed("Decisions", d.label, holder_side[terms.holder(d.key)], d.key in CLINICAL_DECISIONS)
              for d in DECISIONS]
    placed += [Placed("Assets", ASSET_LABELS[k], owner_side[terms.asset(k).owner]) for k in AssetKey]
    for key in TechnologyCategory:
        tech = terms.technology_for(key)
        label = TECHNOLOGY_LABELS[key] + (f" ({tech.vendor})" if tech.vendor else "")
        placed.append(Placed("Technology", label, tech_side[tech.arrangement]))
    placed.append(Placed("Data", "Ownership of practice data", owner_side[terms.data_rights.owner]))
    placed += [Placed("Data", f"Access to {DATA_CLASS_LABELS[k].lower()}",
                      access_side[terms.data_rights.access_to(k)]) for k in DataClass]
    return placed


def render(terms: Terms, title: str) -> str:
    """The control map as a standalone SVG document."""
    items = placements(terms)
    x_of = [MARGIN + i * (COLUMN_WIDTH + 10) for i in range(3)]
    parts, y = [], MARGIN + 40 + HEADER
    for i, name in enumerate(COLUMNS):
        parts.append(f'<rect x="{x_of[i]}" y="{MARGIN + 40}" width="{COLUMN_WIDTH}" height="{HEADER - 6}" '
                     f'fill="{COLOURS[i]}" rx="4"/><text x="{x_of[i] + COLUMN_WIDTH / 2}" y="{MARGIN + 58}" '
                     f'text-anchor="middle" font-weight="bold">{escape(name)}</text>')
    for group in ("Decisions", "Assets", "Technology", "Data"):
        members = [p for p in items if p.group == group]
        parts.append(f'<text x="{MARGIN}" y="{y + 16}" font-weight="bold" fill="#14324f">{group}</text>')
        y += ROW
        columns = [[p for p in members if p.side == side] for side in range(3)]
        for side, column in enumerate(columns):
            for row, item in enumerate(column):
                top = y + row * ROW
                border = ' stroke="#14324f" stroke-width="2.5"' if item.clinical else ' stroke="#b9c4cf"'
                shown = item.label if len(item.label) <= LABEL_CHARS else item.label[:LABEL_CHARS - 1] + "…"
                parts.append(f'<g class="item side-{side}"><title>{escape(item.label)}</title>'
                             f'<rect x="{x_of[side]}" y="{top}" width="{COLUMN_WIDTH}" '
                             f'height="{ROW - 4}" fill="{COLOURS[side]}" rx="3"{border}/>'
                             f'<text x="{x_of[side] + 8}" y="{top + 16}">{escape(shown)}</text></g>')
        y += max(len(c) for c in columns) * ROW + 10
    height = y + MARGIN
    counts = [sum(p.side == s for p in items) for s in range(3)]
    summary = (f"{counts[PRACTICE]} with the practice, {counts[SHARED]} shared or practice-approved, "
               f"{counts[MSO]} with the MSO")
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" '
            f'height="{height}" font-family="system-ui, sans-serif" font-size="12" role="img" '
            f'aria-label="Control map: {escape(summary)}"><title>{escape(title)}</title>'
            f'<rect width="100%" height="100%" fill="#fff"/>'
            f'<text x="{MARGIN}" y="{MARGIN + 12}" font-size="16" font-weight="bold">{escape(title)}</text>'
            f'<text x="{MARGIN}" y="{MARGIN + 30}" fill="#5b6b7c">{escape(summary)}; heavy border: clinical, '
            f'always the practice\'s</text>{"".join(parts)}</svg>')
