"""The command line of a sweep run (W&B's ``command`` macros), built from the sweep's
``command`` and ``program`` and one run's parameters (pure)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from tracklet.errors import ValidationError
from tracklet.sweeps.spec import SweepSpec

MACROS = ("${env}", "${interpreter}", "${program}", "${args}", "${args_no_hyphens}",
          "${args_json}", "${args_json_file}", "${args_no_boolean_flags}")


def _flat(spec: SweepSpec, params: Mapping[str, Any]) -> list[tuple[str, Any]]:
    out = []
    for p in spec.params:
        value: Any = params
        for part in p.path:
            value = value[part]
        out.append((p.name, value))
    return out


def _text(value: Any) -> str:
    if isinstance(value, (list, dict)):
        return json.dumps(value)
    return str(value)


def build_command(spec: SweepSpec, params: Mapping[str, Any], *, interpreter: str,
                  env: str = "/usr/bin/env", args_json_file: str | None = None) -> list[str]:
    """The argv of one run: ``${args}`` becomes ``--name=value`` per parameter (nested
    names joined with '.'), ``${args_no_hyphens}`` ``name=value``, ``${args_json}`` one
    JSON argument, ``${args_json_file}`` the path of a file holding it."""
    flat = _flat(spec, params)
    out: list[str] = []
    for part in spec.command:
        if part == "${env}":
            out.append(env)
        elif part == "${interpreter}":
            out.append(interpreter)
        elif part == "${program}":
            if not spec.program:
                raise ValidationError("sweep config: program: the command runs ${program} "
                                      "but the config names none: add program: train.py")
            out.append(spec.program)
        elif part == "${args}":
            out.extend(f"--{name}={_text(v)}" for name, v in flat)
        elif part == "${args_no_hyphens}":
            out.extend(f"{name}={_text(v)}" for name, v in flat)
        elif part == "${args_no_boolean_flags}":
            out.extend(f"--{name}" if v is True else f"--{name}={_text(v)}"
                       for name, v in flat if v is not False)
        elif part == "${args_json}":
            out.append(json.dumps(dict(params)))
        elif part == "${args_json_file}":
            if args_json_file is None:
                raise ValidationError("${args_json_file} needs a file to write")
            out.append(args_json_file)
        else:
            out.append(part)
    return out


def uses(command: Sequence[str], macro: str) -> bool:
    return macro in command
