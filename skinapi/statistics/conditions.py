"""A trial photo's capture conditions: what they are called, the part of the day a photo was taken
in, one line of them for a table, and where two visits' conditions differ. A change in the scores
between visits taken under other conditions may be the conditions' change, not the skin's."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

CONDITIONS = {
    "skin": "Skin",
    "room": "Room and light",
    "time_of_day": "Time of day",
    "camera": "Camera",
    "resolution": "Resolution",
}
"""Each condition a live trial's run keeps, with what people read for it, in this order."""

SKIN_CHOICES = ("clean face", "makeup or cream on")
"""The skin's preparation at capture; a trial compares like with like."""


def part_of_day(when: float) -> str:
    """``morning``, ``afternoon`` or ``evening``, and the time: "morning (09:40)"."""
    moment = datetime.fromtimestamp(when)
    part = "morning" if moment.hour < 12 else "afternoon" if moment.hour < 18 else "evening"
    return f"{part} ({moment:%H:%M})"


def summary(conditions: dict[str, str]) -> str:
    """The conditions in one line, in `CONDITIONS`' order: "clean face · Room 2 · morning (09:40) · …"."""
    return " · ".join(conditions[k] for k in CONDITIONS if conditions.get(k))


@dataclass(frozen=True)
class ConditionRow:
    """One condition at two visits, and whether it differs between them."""

    key: str
    label: str
    before: str
    after: str

    @property
    def differs(self) -> bool:
        """Both recorded and not the same (a time of day compares its part of the day only)."""
        if not self.before or not self.after:
            return False
        if self.key == "time_of_day":
            return self.before.split(" ")[0] != self.after.split(" ")[0]
        return self.before.strip().casefold() != self.after.strip().casefold()


def compare(before: dict[str, str], after: dict[str, str]) -> list[ConditionRow]:
    """Every condition either visit recorded, in `CONDITIONS`' order."""
    return [
        ConditionRow(key, label, before.get(key, ""), after.get(key, ""))
        for key, label in CONDITIONS.items()
        if before.get(key) or after.get(key)
    ]
