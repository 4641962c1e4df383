"""The next run of a sweep: grid, random or bayes (Optuna), from what was tried so far.

``propose(spec, sweep_id, tried)`` is called by the store inside the transaction that
claims the run (so two agents never get the same grid point, and ``run_cap`` holds);
it returns the parameters of the next run, or None when the sweep has nothing left.
Randomness is seeded from the sweep id and the claim's number, so a sweep's draws can
be replayed.
"""

from __future__ import annotations

import hashlib
import math
import random
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from tracklet.errors import UsageError
from tracklet.sweeps.spec import Param, SweepSpec, grid_point, grid_size, nest, sample

FINISHED_STATES = ("finished",)


@dataclass(frozen=True)
class Tried:
    """One run the sweep already handed out."""

    params: dict[str, Any]
    grid_index: int | None
    state: str                 # the sweep's view: claimed, finished, failed, stopped
    summary: dict[str, Any]    # the run's summary as stored (empty before it logs)


@dataclass(frozen=True)
class Proposal:
    params: dict[str, Any]
    grid_index: int | None = None


def metric_value(summary: Mapping[str, Any], name: str,
                 goal: str = "minimize") -> float | None:
    """The value of ``name`` in a run summary (a dotted name also reads nested dicts; a
    ``define_metric`` summary such as ``{"min": ..., "last": ...}`` gives its best for
    ``goal``, else its last); None when missing or not a finite number."""
    value: Any = summary.get(name)
    if value is None and "." in name:
        value = summary
        for part in name.split("."):
            value = value.get(part) if isinstance(value, Mapping) else None
    if isinstance(value, Mapping):  # a summary with statistics: {"min": ..., "last": ...}
        best = "min" if goal == "minimize" else "max"
        value = next((value[k] for k in (best, "best", "last", "mean") if k in value), None)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if math.isfinite(value) else None


def value_at(params: Mapping[str, Any], path: Sequence[str]) -> Any:
    value: Any = params
    for part in path:
        value = value[part]
    return value


def seed(sweep_id: str, number: int) -> int:
    digest = hashlib.sha256(f"{sweep_id}/{number}".encode()).digest()
    return int.from_bytes(digest[:4], "big")


def propose(spec: SweepSpec, sweep_id: str, tried: Sequence[Tried]) -> Proposal | None:
    """The next run's parameters, or None when the sweep is done (grid exhausted, or
    ``run_cap`` runs handed out)."""
    if spec.run_cap is not None and len(tried) >= spec.run_cap:
        return None
    if spec.method == "grid":
        used = {t.grid_index for t in tried}
        for index in range(grid_size(spec)):
            if index not in used:
                return Proposal(nest(spec, grid_point(spec, index)), index)
        return None
    rng = random.Random(seed(sweep_id, len(tried)))
    if spec.method == "random":
        return Proposal(nest(spec, [sample(p, rng) for p in spec.params]))
    return Proposal(_bayes(spec, tried, seed(sweep_id, len(tried))))


# -- bayes --------------------------------------------------------------------------------


def _distribution(p: Param) -> Any:
    from optuna.distributions import (
        CategoricalDistribution,
        FloatDistribution,
        IntDistribution,
    )

    d = p.distribution
    if d == "categorical":
        return CategoricalDistribution(tuple(range(len(p.values))))
    if d == "int_uniform":
        return IntDistribution(int(p.min), int(p.max))
    if d in ("uniform", "q_uniform"):
        return FloatDistribution(p.min, p.max)
    if d in ("log_uniform", "q_log_uniform"):
        return FloatDistribution(math.exp(p.min), math.exp(p.max), log=True)
    if d in ("log_uniform_values", "q_log_uniform_values", "inv_log_uniform_values"):
        return FloatDistribution(p.min, p.max, log=True)
    if d == "inv_log_uniform":
        return FloatDistribution(math.exp(-p.max), math.exp(-p.min), log=True)
    if d in ("normal", "q_normal"):  # searched within 4 sigma
        return FloatDistribution(p.mu - 4 * p.sigma, p.mu + 4 * p.sigma)
    return FloatDistribution(math.exp(p.mu - 4 * p.sigma), math.exp(p.mu + 4 * p.sigma),
                             log=True)


def _encode(p: Param, value: Any, dist: Any) -> Any:
    if p.distribution == "categorical":
        return p.values.index(value) if value in p.values else None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    if p.distribution == "int_uniform":
        return min(max(int(value), dist.low), dist.high)
    return min(max(float(value), dist.low), dist.high)


def _decode(p: Param, raw: Any) -> Any:
    if p.distribution == "categorical":
        return p.values[int(raw)]
    if p.distribution.startswith("q_"):
        v = round(float(raw) / p.q) * p.q
        ints = all(float(n).is_integer() for n in (p.q, p.min, p.max, p.mu))
        return round(v) if ints else float(f"{v:.12g}")
    return raw


def require_optuna() -> Any:
    """The optuna module, or a UsageError saying how to install it."""
    try:
        import optuna
    except ImportError:
        raise UsageError("bayes search needs Optuna: pip install 'tracklet[sweeps]' (on "
                         "the server too, when sweeps live there)") from None
    return optuna


def _bayes(spec: SweepSpec, tried: Sequence[Tried], sampler_seed: int) -> dict[str, Any]:
    """Optuna's TPE: a study rebuilt from the finished runs' parameters and metric."""
    optuna = require_optuna()

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    assert spec.metric is not None
    searched = [p for p in spec.params if p.distribution != "constant"]
    dists = {p.name: _distribution(p) for p in searched}
    direction: Literal["minimize", "maximize"] = (
        "minimize" if spec.metric.goal == "minimize" else "maximize")
    study = optuna.create_study(direction=direction,
                                sampler=optuna.samplers.TPESampler(seed=sampler_seed))
    for t in tried:
        if t.state not in FINISHED_STATES:
            continue
        value = metric_value(t.summary, spec.metric.name, spec.metric.goal)
        if value is None:
            continue
        try:
            encoded = {p.name: _encode(p, value_at(t.params, p.path), dists[p.name])
                       for p in searched}
        except (KeyError, TypeError):
            continue  # the search space changed since: not comparable
        if any(v is None for v in encoded.values()):
            continue
        study.add_trial(optuna.trial.create_trial(params=encoded, distributions=dists,
                                                  value=value))
    trial = study.ask(dists)
    values = [p.value if p.distribution == "constant" else _decode(p, trial.params[p.name])
              for p in spec.params]
    return nest(spec, values)


# -- hyperband ----------------------------------------------------------------------------


def _quantile(values: Sequence[float], q: float) -> float:
    """``numpy.quantile``'s default (linear) on sorted ``values``."""
    pos = q * (len(values) - 1)
    lo = math.floor(pos)
    hi = min(lo + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (pos - lo)


def stop_runs(spec: SweepSpec, histories: Mapping[str, Sequence[float]],
              running: Collection[str]) -> set[str]:
    """The runs of ``running`` that hyperband stops: at each band b (b values of the
    metric logged), a run whose value there is worse than the best ``1/eta`` quantile of
    every run that reached b. ``histories``: each run's metric values in logging order
    (finished runs too). The value at a band is the best so far (with ``strict``, the
    value logged at the band)."""
    hb, metric = spec.early_terminate, spec.metric
    if hb is None or metric is None:
        return set()
    minimize = metric.goal == "minimize"
    clean = {rid: [v for v in values if math.isfinite(v)] for rid, values in histories.items()}
    out: set[str] = set()
    for band in hb.bands:
        reached: dict[str, float] = {}
        for rid, values in clean.items():
            if len(values) >= band:
                head = values[:band]
                reached[rid] = head[-1] if hb.strict else (min(head) if minimize
                                                           else max(head))
        if not reached:
            break
        ordered = sorted(reached.values())
        if minimize:
            threshold = _quantile(ordered, 1 / hb.eta)
            worse = {rid for rid, v in reached.items() if v > threshold}
        else:
            threshold = _quantile(ordered, 1 - 1 / hb.eta)
            worse = {rid for rid, v in reached.items() if v < threshold}
        out |= worse & set(running)
    return out
