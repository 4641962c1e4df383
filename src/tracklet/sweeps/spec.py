"""Sweep configurations in W&B's format: parsing, validation and sampling (pure).

``parse_sweep_config(dict)`` checks a configuration and returns a ``SweepSpec``; every
error names the offending field path (``parameters.optimizer.lr.max``) and what to do.
Parameters are kept by their path (nested ``parameters:`` blocks give nested config
dicts); ``sample`` draws one value with the ``random.Random`` it is given, ``grid_values``
lists the values a grid search walks through.
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from tracklet.errors import ValidationError

METHODS = ("grid", "random", "bayes")
GOALS = ("minimize", "maximize")
DEFAULT_COMMAND = ("${env}", "${interpreter}", "${program}", "${args}")

# distribution -> the keys it needs (besides ``distribution``)
DISTRIBUTIONS: dict[str, tuple[str, ...]] = {
    "constant": ("value",),
    "categorical": ("values",),
    "int_uniform": ("min", "max"),
    "uniform": ("min", "max"),
    "q_uniform": ("min", "max", "q"),
    "log_uniform": ("min", "max"),
    "log_uniform_values": ("min", "max"),
    "q_log_uniform": ("min", "max", "q"),
    "q_log_uniform_values": ("min", "max", "q"),
    "inv_log_uniform": ("min", "max"),
    "inv_log_uniform_values": ("min", "max"),
    "normal": ("mu", "sigma"),
    "q_normal": ("mu", "sigma", "q"),
    "log_normal": ("mu", "sigma"),
    "q_log_normal": ("mu", "sigma", "q"),
}
_PARAM_KEYS = frozenset({"distribution", "value", "values", "probabilities", "min", "max",
                         "q", "mu", "sigma", "parameters", "description"})
_TOP_KEYS = frozenset({"method", "metric", "parameters", "run_cap", "early_terminate",
                       "program", "command", "name", "description", "entity", "project"})
_METRIC_KEYS = frozenset({"name", "goal", "target"})
_DISCRETE = ("constant", "categorical", "int_uniform", "q_uniform")


def _fail(path: str, problem: str) -> ValidationError:
    return ValidationError(f"sweep config: {path}: {problem}", details={"field": path})


@dataclass(frozen=True)
class Param:
    """One parameter: its path in the run's config and its distribution."""

    path: tuple[str, ...]
    distribution: str
    value: Any = None
    values: tuple[Any, ...] = ()
    probabilities: tuple[float, ...] | None = None
    min: float = 0.0
    max: float = 0.0
    q: float = 1.0
    mu: float = 0.0
    sigma: float = 1.0

    @property
    def name(self) -> str:
        return ".".join(self.path)


@dataclass(frozen=True)
class Metric:
    name: str
    goal: str = "minimize"
    target: float | None = None

    def better(self, a: float, b: float) -> bool:
        """True when ``a`` is better than ``b`` for this goal."""
        return a < b if self.goal == "minimize" else a > b


@dataclass(frozen=True)
class Hyperband:
    """Early termination: at each band (a number of logged metric values) a run whose
    metric is worse than the best ``1/eta`` of the runs that reached that band stops."""

    bands: tuple[int, ...]
    eta: float = 3.0
    strict: bool = False


@dataclass(frozen=True)
class SweepSpec:
    method: str
    params: tuple[Param, ...]
    metric: Metric | None = None
    run_cap: int | None = None
    early_terminate: Hyperband | None = None
    program: str | None = None
    command: tuple[str, ...] = DEFAULT_COMMAND
    name: str | None = None
    description: str | None = None
    raw: dict[str, Any] = field(default_factory=dict)


def _number(raw: Any, path: str) -> float:
    if isinstance(raw, bool) or not isinstance(raw, (int, float)) or not math.isfinite(raw):
        raise _fail(path, f"must be a finite number, not {raw!r}")
    return raw


def _distribution(spec: Mapping[str, Any], path: str) -> str:
    given = spec.get("distribution")
    if given is not None:
        if given not in DISTRIBUTIONS:
            raise _fail(f"{path}.distribution", f"unknown distribution {given!r}; use one of "
                        f"{', '.join(DISTRIBUTIONS)}")
        return str(given)
    if "value" in spec:
        return "constant"
    if "values" in spec:
        return "categorical"
    if "min" in spec or "max" in spec:
        both_int = all(isinstance(spec.get(k), int) and not isinstance(spec.get(k), bool)
                       for k in ("min", "max"))
        return "int_uniform" if both_int else "uniform"
    if "mu" in spec or "sigma" in spec:
        return "normal"
    raise _fail(path, "says nothing to sample: give value: x, values: [...], min and max, "
                "or a distribution (see docs/guides/sweeps.md)")


def _param(path: tuple[str, ...], spec: Any) -> Param:
    where = "parameters." + ".".join(path)
    if not isinstance(spec, Mapping):
        raise _fail(where, f"must be a mapping such as {{values: [1, 2]}}, {{value: 1}} or "
                    f"{{min: 0.0, max: 1.0}}, not {spec!r}")
    unknown = sorted(set(map(str, spec)) - _PARAM_KEYS)
    if unknown:
        raise _fail(f"{where}.{unknown[0]}", f"unknown key; a parameter takes "
                    f"{', '.join(sorted(_PARAM_KEYS))}")
    dist = _distribution(spec, where)
    for key in DISTRIBUTIONS[dist]:
        if key not in spec:
            raise _fail(f"{where}.{key}", f"distribution {dist} needs {key}")
    kwargs: dict[str, Any] = {}
    if dist == "constant":
        kwargs["value"] = spec["value"]
    elif dist == "categorical":
        values = spec["values"]
        if not isinstance(values, Sequence) or isinstance(values, (str, bytes)) or not values:
            raise _fail(f"{where}.values", f"must be a non-empty list, not {values!r}")
        kwargs["values"] = tuple(values)
        probs = spec.get("probabilities")
        if probs is not None:
            if not isinstance(probs, Sequence) or len(probs) != len(values):
                raise _fail(f"{where}.probabilities", f"must be a list of {len(values)} "
                            "numbers, one per value")
            numbers = [_number(p, f"{where}.probabilities") for p in probs]
            if any(p < 0 for p in numbers) or abs(sum(numbers) - 1.0) > 1e-6:
                raise _fail(f"{where}.probabilities", f"must be >= 0 and sum to 1, not "
                            f"{sum(numbers):g}")
            kwargs["probabilities"] = tuple(float(p) for p in numbers)
    else:
        for key in DISTRIBUTIONS[dist]:
            kwargs[key] = _number(spec[key], f"{where}.{key}")
        if "min" in kwargs and kwargs["min"] > kwargs["max"]:
            raise _fail(f"{where}.min", f"min ({kwargs['min']}) is above max ({kwargs['max']})")
        if dist == "int_uniform" and not all(float(kwargs[k]).is_integer()
                                             for k in ("min", "max")):
            raise _fail(where, "int_uniform needs integer min and max")
        if dist in ("log_uniform_values", "q_log_uniform_values", "inv_log_uniform_values") \
                and kwargs["min"] <= 0:
            raise _fail(f"{where}.min", f"{dist} needs min > 0 (it is a log scale)")
        if "q" in kwargs and kwargs["q"] <= 0:
            raise _fail(f"{where}.q", "q must be > 0")
        if "sigma" in kwargs and kwargs["sigma"] <= 0:
            raise _fail(f"{where}.sigma", "sigma must be > 0")
    return Param(path=path, distribution=dist, **kwargs)


def _params(spec: Any, prefix: tuple[str, ...]) -> list[Param]:
    where = "parameters" + "".join(f".{p}" for p in prefix)
    if not isinstance(spec, Mapping) or not spec:
        raise _fail(where, "must be a non-empty mapping of parameter name -> its values")
    out: list[Param] = []
    for name, sub in spec.items():
        if not isinstance(name, str) or not name or name.startswith("_") or "." in name:
            raise _fail(f"{where}.{name}", "a parameter name must be a non-empty string "
                        "without '.' that does not start with '_'")
        if isinstance(sub, Mapping) and "parameters" in sub:
            if set(sub) - {"parameters", "description"}:
                raise _fail(f"{where}.{name}", "a nested block takes only parameters: {...}")
            out.extend(_params(sub["parameters"], (*prefix, name)))
        else:
            out.append(_param((*prefix, name), sub))
    return out


def parse_sweep_config(config: Any) -> SweepSpec:
    """A checked ``SweepSpec`` from a W&B-style sweep configuration (a dict, as read from
    YAML); raises ``ValidationError`` naming the field that is wrong."""
    if not isinstance(config, Mapping):
        raise ValidationError(f"a sweep config must be a mapping (method, metric, parameters"
                              f" ...), not {type(config).__name__}")
    unknown = sorted(set(map(str, config)) - _TOP_KEYS)
    if unknown:
        raise _fail(unknown[0], f"unknown key; a sweep config takes {', '.join(sorted(_TOP_KEYS))}")
    method = config.get("method")
    if method not in METHODS:
        raise _fail("method", f"must be one of {', '.join(METHODS)}, not {method!r}")
    if "parameters" not in config:
        raise _fail("parameters", "is missing: say what to search, e.g. parameters: {lr: "
                    "{values: [0.1, 0.01]}}")
    params = tuple(_params(config["parameters"], ()))
    metric = _metric(config.get("metric"))
    if method == "bayes" and metric is None:
        raise _fail("metric", "bayes search needs a metric to optimize: metric: {name: loss,"
                    " goal: minimize}")
    if method == "grid":
        for p in params:
            if p.distribution not in _DISCRETE:
                raise _fail(f"parameters.{p.name}", f"grid search cannot walk the continuous "
                            f"distribution {p.distribution}: give values: [...] (or "
                            "q_uniform / int_uniform), or use method random or bayes")
    run_cap = config.get("run_cap")
    if run_cap is not None and (isinstance(run_cap, bool) or not isinstance(run_cap, int)
                                or run_cap < 1):
        raise _fail("run_cap", f"must be a positive integer, not {run_cap!r}")
    early = None
    if config.get("early_terminate") is not None:
        early = _hyperband(config["early_terminate"])
        if metric is None:
            raise _fail("metric", "hyperband stops runs by a metric: add metric: {name: "
                        "val_loss, goal: minimize}")
    program = config.get("program")
    if program is not None and not isinstance(program, str):
        raise _fail("program", f"must be a path such as train.py, not {program!r}")
    command = config.get("command", DEFAULT_COMMAND)
    if (not isinstance(command, Sequence) or isinstance(command, str) or not command
            or not all(isinstance(c, str) for c in command)):
        raise _fail("command", "must be a list of strings such as [\"${env}\", "
                    "\"${interpreter}\", \"${program}\", \"${args}\"]")
    for key in ("name", "description"):
        if config.get(key) is not None and not isinstance(config[key], str):
            raise _fail(key, "must be a string")
    return SweepSpec(method=str(method), params=params, metric=metric, run_cap=run_cap,
                     early_terminate=early,
                     program=program, command=tuple(command), name=config.get("name"),
                     description=config.get("description"), raw=dict(config))


def _metric(raw: Any) -> Metric | None:
    if raw is None:
        return None
    if not isinstance(raw, Mapping):
        raise _fail("metric", "must be a mapping such as {name: val_loss, goal: minimize}")
    unknown = sorted(set(map(str, raw)) - _METRIC_KEYS)
    if unknown:
        raise _fail(f"metric.{unknown[0]}", "unknown key; metric takes name, goal, target")
    name = raw.get("name")
    if not isinstance(name, str) or not name:
        raise _fail("metric.name", "must name the summary metric to optimize, e.g. val_loss")
    goal = raw.get("goal", "minimize")
    if goal not in GOALS:
        raise _fail("metric.goal", f"must be minimize or maximize, not {goal!r}")
    target = raw.get("target")
    return Metric(name, str(goal), None if target is None
                  else float(_number(target, "metric.target")))


_HYPERBAND_KEYS = frozenset({"type", "min_iter", "max_iter", "s", "eta", "strict"})
MAX_BANDS = 32


def _hyperband(raw: Any) -> Hyperband:
    """W&B's hyperband: bands at ``min_iter * eta**k`` (``s`` of them, default as many
    as fit), or ``s`` bands below ``max_iter`` (``max_iter / eta**k``)."""
    if not isinstance(raw, Mapping) or raw.get("type") != "hyperband":
        raise _fail("early_terminate.type", "the only early termination is hyperband: "
                    "early_terminate: {type: hyperband, min_iter: 3}")
    unknown = sorted(set(map(str, raw)) - _HYPERBAND_KEYS)
    if unknown:
        raise _fail(f"early_terminate.{unknown[0]}", "unknown key; hyperband takes "
                    f"{', '.join(sorted(_HYPERBAND_KEYS))}")

    def integer(key: str, default: int | None) -> int | None:
        value = raw.get(key, default)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)
                                  or value < 1):
            raise _fail(f"early_terminate.{key}", f"must be a positive integer, not {value!r}")
        return value

    eta = raw.get("eta", 3)
    if isinstance(eta, bool) or not isinstance(eta, (int, float)) or eta <= 1:
        raise _fail("early_terminate.eta", f"must be a number above 1, not {eta!r}")
    min_iter, max_iter, s = integer("min_iter", None), integer("max_iter", None), \
        integer("s", None)
    bands: list[int] = []
    if min_iter is not None:
        band = float(min_iter)
        for _ in range(s or MAX_BANDS):
            bands.append(int(band))
            band *= eta
    elif max_iter is not None:
        if s is None:
            raise _fail("early_terminate.s", "with max_iter, give s: the number of bands")
        band = float(max_iter)
        for _ in range(s):
            band /= eta
            if band < 1:
                break
            bands.append(int(band))
    else:
        raise _fail("early_terminate.min_iter", "hyperband needs min_iter (the first band), "
                    "or max_iter and s")
    if not bands:
        raise _fail("early_terminate", "these settings give no band: raise max_iter or "
                    "lower eta")
    return Hyperband(tuple(sorted(set(bands))), float(eta), bool(raw.get("strict", False)))


# -- values -------------------------------------------------------------------------------


def _quantize(x: float, q: float, p: Param) -> float | int:
    v = round(x / q) * q
    if all(float(n).is_integer() for n in (q, p.min, p.max, p.mu)):
        return round(v)
    return float(f"{v:.12g}")


def sample(p: Param, rng: random.Random) -> Any:
    """One value of ``p`` drawn with ``rng``."""
    d = p.distribution
    if d == "constant":
        return p.value
    if d == "categorical":
        if p.probabilities is not None:
            return rng.choices(p.values, weights=p.probabilities)[0]
        return rng.choice(p.values)
    if d == "int_uniform":
        return rng.randint(int(p.min), int(p.max))
    if d in ("uniform", "q_uniform"):
        x = rng.uniform(p.min, p.max)
    elif d in ("log_uniform", "q_log_uniform"):
        x = math.exp(rng.uniform(p.min, p.max))
    elif d in ("log_uniform_values", "q_log_uniform_values"):
        x = math.exp(rng.uniform(math.log(p.min), math.log(p.max)))
    elif d == "inv_log_uniform":
        x = math.exp(-rng.uniform(p.min, p.max))
    elif d == "inv_log_uniform_values":
        x = 1.0 / math.exp(rng.uniform(math.log(1.0 / p.max), math.log(1.0 / p.min)))
    elif d in ("normal", "q_normal"):
        x = rng.gauss(p.mu, p.sigma)
    else:  # log_normal, q_log_normal
        x = math.exp(rng.gauss(p.mu, p.sigma))
    return _quantize(x, p.q, p) if d.startswith("q_") else x


def grid_values(p: Param) -> list[Any]:
    """The values a grid search takes for ``p`` (discrete distributions only)."""
    if p.distribution == "constant":
        return [p.value]
    if p.distribution == "categorical":
        return list(p.values)
    if p.distribution == "int_uniform":
        return list(range(int(p.min), int(p.max) + 1))
    if p.distribution == "q_uniform":
        count = math.floor((p.max - p.min) / p.q + 1e-9) + 1
        return [_quantize(p.min + i * p.q, p.q, p) for i in range(count)]
    raise ValueError(f"{p.name}: {p.distribution} has no grid")


def grid_size(spec: SweepSpec) -> int:
    return math.prod(len(grid_values(p)) for p in spec.params)


def grid_point(spec: SweepSpec, index: int) -> list[Any]:
    """The ``index``-th combination of the grid (the last parameter varies fastest)."""
    out: list[Any] = []
    for p in reversed(spec.params):
        values = grid_values(p)
        index, i = divmod(index, len(values))
        out.append(values[i])
    return out[::-1]


def nest(spec: SweepSpec, values: Sequence[Any]) -> dict[str, Any]:
    """A run's config from one value per parameter (nested parameters become dicts)."""
    out: dict[str, Any] = {}
    for p, v in zip(spec.params, values, strict=True):
        into = out
        for part in p.path[:-1]:
            into = into.setdefault(part, {})
        into[p.path[-1]] = v
    return out


def flat(params: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """``{"optimizer": {"lr": 0.1}}`` -> ``{"optimizer.lr": 0.1}``."""
    out: dict[str, Any] = {}
    for key, value in params.items():
        if isinstance(value, Mapping):
            out.update(flat(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out
