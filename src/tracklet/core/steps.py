"""Step rules for ``log(data, step=None, commit=True)``.

* No ``step``: values merge into the pending row; ``commit=True`` emits it at the current
  step and moves to the next one.
* ``step=N``: a pending row for another step is emitted first; then values merge into step
  ``N`` and, with ``commit=True``, are emitted at once, the next automatic step being N + 1.
  N may repeat an earlier step (the points merge, the same key at the same step keeps the
  last value) or go backwards (after a restart): every point is kept.
"""

from __future__ import annotations

from collections.abc import Callable


class StepTracker:
    __slots__ = ("_emit", "pending", "step")

    def __init__(self, emit: Callable[[int, dict[str, float]], None], start: int = 0) -> None:
        self._emit = emit
        self.step = start
        self.pending: dict[str, float] = {}

    def add(self, values: dict[str, float], step: int | None, commit: bool) -> None:
        if step is not None and step != self.step:
            if self.pending:
                self._emit(self.step, self.pending)
                self.pending = {}
            self.step = step
        if self.pending:
            self.pending.update(values)
        else:
            self.pending = values
        if commit:
            self._emit(self.step, self.pending)
            self.pending = {}
            self.step += 1

    def flush(self) -> None:
        """Emit what ``commit=False`` left pending (at ``finish``)."""
        if self.pending:
            self._emit(self.step, self.pending)
            self.pending = {}
            self.step += 1


def check_step(step: object) -> int:
    if isinstance(step, bool) or not isinstance(step, int):
        if hasattr(step, "__index__") and not isinstance(step, bool):
            step = step.__index__()
        else:
            raise TypeError(
                f"step must be a non-negative int, got {type(step).__name__}: {step!r}"
            )
    assert isinstance(step, int)
    if step < 0:
        raise ValueError(f"step must be a non-negative int, got {step}")
    if step >= 2**63:
        raise ValueError(f"step {step} is too large (the limit is 2**63 - 1)")
    return step
