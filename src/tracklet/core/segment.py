"""``SegmentHeader``: what identifies one run-log segment (kept free of heavy imports)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

VERSION = 1


@dataclass(frozen=True)
class SegmentHeader:
    """A segment's own id plus the run it belongs to."""

    segment: str
    run_id: str
    project: str
    entity: str
    version: int = VERSION

    def to_json(self) -> dict[str, Any]:
        return {"segment": self.segment, "run_id": self.run_id, "project": self.project,
                "entity": self.entity}

    @property
    def run_path(self) -> str:
        return f"{self.entity}/{self.project}/{self.run_id}"
