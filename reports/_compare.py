"""Compare two experiments: hypervolume change at a common reference point, front points gained and lost.

A front point is identified by its architecture id and ISR setting, so the same architecture found
by both searches (under any trial id) counts as kept, not as lost-and-gained.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd

from reports._fronts import OBJECTIVE_SETS, objectives_of, set_eligible, set_values
from reports._hypervolume import hypervolume


@dataclass(frozen=True)
class SetComparison:
    set_name: str
    reference: tuple[float, ...]
    hv_base: float
    hv_other: float
    gained: tuple[str, ...]  # front keys on the other experiment's front only
    lost: tuple[str, ...]  # front keys on the base experiment's front only

    @property
    def hv_change(self) -> float:
        return self.hv_other - self.hv_base


@dataclass(frozen=True)
class Comparison:
    base: str  # experiment label
    other: str
    sets: tuple[SetComparison, ...]


def front_key(arch_id: str, isr: str) -> str:
    return f"{arch_id} isr={isr}" if isr else arch_id


def front_keys(ranked: pd.DataFrame, set_name: str) -> set[str]:
    """Keys of the rows on the front of one objective set (needs `rank_rows` output and an `isr` column)."""
    on = ranked[ranked[f"on_front/{set_name}"]]
    return {front_key(a, i) for a, i in zip(on["arch_id"], on["isr"])}


def experiment_hypervolume(ranked: pd.DataFrame, set_name: str, reference: tuple[float, ...]) -> float:
    mask = set_eligible(ranked, set_name)
    maximize = [o.maximize for o in objectives_of(set_name)]
    return hypervolume(set_values(ranked, set_name)[mask], reference, maximize)


def compare(
    base_label: str,
    base: pd.DataFrame,
    other_label: str,
    other: pd.DataFrame,
    references: Mapping[str, tuple[float, ...]],
) -> Comparison:
    """`base` and `other`: ranked rows (pareto table rows) of one experiment each."""
    sets = []
    for set_name in OBJECTIVE_SETS:
        reference = references[set_name]
        base_keys, other_keys = front_keys(base, set_name), front_keys(other, set_name)
        sets.append(
            SetComparison(
                set_name=set_name,
                reference=reference,
                hv_base=experiment_hypervolume(base, set_name, reference),
                hv_other=experiment_hypervolume(other, set_name, reference),
                gained=tuple(sorted(other_keys - base_keys)),
                lost=tuple(sorted(base_keys - other_keys)),
            )
        )
    return Comparison(base_label, other_label, tuple(sets))


def format_comparison(comparison: Comparison) -> str:
    """Plain-text table for the terminal."""
    lines = [f"comparison: {comparison.base} (A) → {comparison.other} (B)"]
    header = f"{'objectives':<16} {'reference':<28} {'HV A':>12} {'HV B':>12} {'change':>12} {'change %':>9}"
    lines += [header, "-" * len(header)]
    for s in comparison.sets:
        reference = "(" + ", ".join(f"{v:g}" for v in s.reference) + ")"
        percent = f"{100 * s.hv_change / s.hv_base:+.1f}%" if s.hv_base > 0 else "n/a"
        lines.append(
            f"{s.set_name:<16} {reference:<28} {s.hv_base:>12.6g} {s.hv_other:>12.6g} {s.hv_change:>+12.6g} {percent:>9}"
        )
    for s in comparison.sets:
        lines.append("")
        lines.append(f"front {s.set_name}: {len(s.gained)} gained, {len(s.lost)} lost")
        lines += [f"  + {key}" for key in s.gained]
        lines += [f"  - {key}" for key in s.lost]
    return "\n".join(lines)
