"""``tracklet.watch``: histograms of a PyTorch model's gradients and parameters over time.

``watch(model, log="gradients", log_freq=100)`` hooks the model: every ``log_freq``-th
forward pass logs a histogram of each parameter (``parameters/<name>``), and every
``log_freq``-th backward pass through a parameter logs a histogram of its gradient
(``gradients/<name>``). They are logged with ``commit=False``, so they land on the step of
the next ``log()``. ``unwatch(model)`` removes the hooks; ``finish()`` removes them all.
torch is imported only by the caller's model: this module never imports it at import time.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from tracklet.errors import NotInitializedError
from tracklet.sdk.media import Histogram
from tracklet.sdk.termlog import WarnOnce

if TYPE_CHECKING:
    from tracklet.sdk.run import Run

LOG_CHOICES = ("gradients", "parameters", "all")
NUM_BINS = 64


class _Watch:
    """The hooks on one model, and their counters."""

    def __init__(self, run: Run, model: Any, prefix: str, log: str, log_freq: int) -> None:
        self.run, self.model, self.prefix, self.log_freq = run, model, prefix, log_freq
        self.handles: list[Any] = []
        self.forward_calls = 0
        self.backward_calls: dict[str, int] = {}
        self.warn = WarnOnce()
        self.lock = threading.Lock()
        if log in ("parameters", "all"):
            self.handles.append(model.register_forward_hook(self._on_forward))
        if log in ("gradients", "all"):
            for name, param in model.named_parameters():
                if param.requires_grad:
                    self.handles.append(param.register_hook(self._grad_hook(name)))

    def _send(self, values: dict[str, Any]) -> None:
        try:
            if not self.run.disabled and values:
                self.run.log(values, commit=False)
        except Exception as exc:  # never break the training loop for a histogram
            self.warn("log", f"watch: could not log histograms: {exc}")

    def _on_forward(self, module: Any, inputs: Any, output: Any) -> None:
        self.forward_calls += 1
        if self.forward_calls % self.log_freq:
            return
        values = {f"parameters/{self.prefix}{name}": tensor_histogram(param)
                  for name, param in module.named_parameters()}
        self._send(values)

    def _grad_hook(self, name: str) -> Callable[[Any], None]:
        key = f"gradients/{self.prefix}{name}"

        def hook(grad: Any) -> None:
            with self.lock:
                count = self.backward_calls[name] = self.backward_calls.get(name, 0) + 1
            if count % self.log_freq == 0 and grad is not None:
                self._send({key: tensor_histogram(grad)})

        return hook

    def remove(self) -> None:
        for handle in self.handles:
            handle.remove()
        self.handles.clear()


def tensor_histogram(tensor: Any, num_bins: int = NUM_BINS) -> Histogram:
    """A Histogram of a tensor's finite values, binned by torch on the tensor's device."""
    import torch

    flat = tensor.detach().reshape(-1).float()
    flat = flat[torch.isfinite(flat)]
    if flat.numel() == 0:
        return Histogram(np_histogram=([0] * num_bins, [i / num_bins
                                                        for i in range(num_bins + 1)]))
    lo, hi = flat.min().item(), flat.max().item()
    if lo == hi:  # one value: a bin around it, as numpy does
        lo, hi = lo - 0.5, hi + 0.5
    counts = torch.histc(flat, bins=num_bins, min=lo, max=hi)
    step = (hi - lo) / num_bins
    edges = [lo + i * step for i in range(num_bins)] + [hi]
    return Histogram(np_histogram=([int(c) for c in counts.tolist()], edges))


def _watches(run: Run) -> list[_Watch]:
    found: list[_Watch] | None = getattr(run, "_tracklet_watches", None)
    if found is None:
        found = []
        run._tracklet_watches = found  # type: ignore[attr-defined]
        run.add_stopper(lambda: unwatch(run=run))
    return found


def watch(models: Any, criterion: Any = None, log: str | None = "gradients",
          log_freq: int = 100, idx: int | None = None, log_graph: bool = False,
          *, run: Run | None = None) -> None:
    """Log histograms of ``models``' gradients and/or parameters every ``log_freq`` steps
    (W&B's signature; ``criterion`` and ``log_graph`` are accepted and ignored)."""
    if run is None:
        from tracklet.sdk.session import current_run

        run = current_run()
        if run is None:
            raise NotInitializedError("watch() needs a run: call tracklet.init() first")
    if log is None:
        return
    if log not in LOG_CHOICES:
        raise ValueError(f"log must be one of {', '.join(LOG_CHOICES)} or None; got {log!r}")
    if isinstance(log_freq, bool) or not isinstance(log_freq, int) or log_freq < 1:
        raise ValueError(f"log_freq must be a positive int, got {log_freq!r}")
    items = list(models) if isinstance(models, (list, tuple)) else [models]
    for i, model in enumerate(items):
        if not (hasattr(model, "named_parameters") and hasattr(model, "register_forward_hook")):
            raise TypeError(f"watch() takes torch.nn.Module models, got {type(model).__name__}")
        if run.disabled:
            continue
        number = i if idx is None else idx + i
        prefix = f"graph_{number}/" if len(items) > 1 or idx is not None else ""
        _watches(run).append(_Watch(run, model, prefix, log, log_freq))


def unwatch(models: Any = None, *, run: Run | None = None) -> None:
    """Remove the hooks ``watch`` put on ``models`` (all watched models when None)."""
    if run is None:
        from tracklet.sdk.session import current_run

        run = current_run()
        if run is None:
            return
    watches = getattr(run, "_tracklet_watches", None)
    if not watches:
        return
    wanted: Iterable[Any] | None = None
    if models is not None:
        wanted = list(models) if isinstance(models, (list, tuple)) else [models]
    for w in list(watches):
        if wanted is None or any(w.model is m for m in wanted):
            w.remove()
            watches.remove(w)
