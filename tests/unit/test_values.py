"""Validation of logged keys and values (tracklet.core.values): what log() accepts and refuses."""

from __future__ import annotations

import math
import subprocess
import sys
import textwrap
from fractions import Fraction

import numpy as np
import pytest

from tracklet.core.values import (
    MAX_CONFIG_STRING,
    MAX_KEY_LENGTH,
    MetricCoercer,
    check_key,
    check_tags,
    check_text,
    json_safe_float,
    to_json_value,
    to_number,
)


class FakeScalarTensor:
    """Shaped like a 0-d torch tensor: ``ndim == 0`` and ``item()``; no torch needed."""

    ndim = 0
    shape = ()

    def __init__(self, value: float) -> None:
        self._value = value

    def item(self) -> float:
        return self._value


def coerce(data: object) -> dict[str, float]:
    return MetricCoercer().coerce(data)  # type: ignore[arg-type]


# -- flattening and accepted values ---------------------------------------------------------


def test_nested_dicts_flatten_to_slash_keys() -> None:
    out = coerce({"train": {"loss": 0.5, "opt": {"lr": 1e-3}}, "epoch": 2})
    assert out == {"train/loss": 0.5, "train/opt/lr": 1e-3, "epoch": 2}


def test_empty_nested_dict_logs_nothing() -> None:
    assert coerce({"a": {}}) == {}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (3, 3.0),
        (-7, -7.0),
        (0.25, 0.25),
        (True, 1.0),
        (False, 0.0),
        (float("nan"), math.nan),
        (float("inf"), math.inf),
        (float("-inf"), -math.inf),
        (Fraction(1, 4), 0.25),
        (np.float32(0.5), 0.5),
        (np.float64(-1.5), -1.5),
        (np.int64(42), 42.0),
        (np.int8(-3), -3.0),
        (np.uint16(7), 7.0),
        (np.bool_(True), 1.0),
        (np.array(2.5), 2.5),
        (np.array(3, dtype=np.int32), 3.0),
        (np.array(False), 0.0),
        (FakeScalarTensor(0.75), 0.75),
        (FakeScalarTensor(True), 1.0),  # type: ignore[arg-type]
    ],
    ids=lambda v: repr(v) if not isinstance(v, FakeScalarTensor) else "tensor",
)
def test_scalar_values_are_accepted_as_their_number(value: object, expected: float) -> None:
    got = coerce({"m": value})["m"]
    if math.isnan(expected):
        assert math.isnan(got)
    else:
        assert got == expected
    assert type(got) in (int, float)  # never a numpy or tensor object downstream


def test_bool_becomes_float_not_bool() -> None:
    got = coerce({"flag": True})["flag"]
    assert got == 1.0 and type(got) is float


def test_none_values_are_skipped() -> None:
    assert coerce({"a": None, "b": 1.0, "c": {"d": None}}) == {"b": 1.0}


def test_zero_d_tensor_like_does_not_import_torch() -> None:
    code = textwrap.dedent(
        """
        import sys
        from tracklet.core.values import MetricCoercer

        class T:
            ndim = 0
            def item(self):
                return 1.5

        assert MetricCoercer().coerce({"x": T()}) == {"x": 1.5}
        print("torch" in sys.modules)
        """
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, timeout=60)
    assert out.stdout.strip() == "False"


# -- refused values --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "type_name"),
    [
        ([1, 2], "list"),
        ((1.0,), "tuple"),
        ("0.5", "str"),
        (b"1", "bytes"),
        (np.array([1.0, 2.0, 3.0]), "ndarray"),
        (np.zeros((2, 2)), "ndarray"),
        (1 + 2j, "complex"),
        (object(), "object"),
    ],
    ids=["list", "tuple", "str", "bytes", "1d-array", "2d-array", "complex", "object"],
)
def test_non_scalars_raise_type_error_naming_key_and_type(value: object, type_name: str) -> None:
    with pytest.raises(TypeError) as info:
        coerce({"train": {"acc": value}})
    message = str(info.value)
    assert "'train/acc'" in message
    assert type_name in message


def test_array_error_mentions_its_shape() -> None:
    with pytest.raises(TypeError, match=r"shape \(3,\)"):
        coerce({"v": np.arange(3)})


def test_tensor_like_with_non_numeric_item_is_refused() -> None:
    with pytest.raises(TypeError, match="'t'"):
        coerce({"t": FakeScalarTensor("abc")})  # type: ignore[arg-type]


def test_log_needs_a_mapping() -> None:
    with pytest.raises(TypeError, match="dict"):
        coerce([("a", 1)])


def test_known_key_is_still_value_checked() -> None:
    coercer = MetricCoercer()
    assert coercer.coerce({"a": 1.0}) == {"a": 1.0}
    with pytest.raises(TypeError, match="'a'"):
        coercer.coerce({"a": "text"})


# -- keys --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "fragment"),
    [
        ("", "empty"),
        ("x" * (MAX_KEY_LENGTH + 1), f"limit is {MAX_KEY_LENGTH}"),
        ("a\nb", "control characters"),
        ("a\x00b", "control characters"),
        ("tab\there", "control characters"),
        ("del\x7f", "control characters"),
        (" loss", "whitespace"),
        ("loss ", "whitespace"),
        ("_step", "reserved"),
        ("_private", "reserved"),
    ],
    ids=["empty", "too-long", "newline", "nul", "tab", "del", "leading-space", "trailing-space",
         "_step", "_private"],
)
def test_bad_keys_raise_value_error_saying_why(key: str, fragment: str) -> None:
    with pytest.raises(ValueError, match=fragment):
        coerce({key: 1.0})


def test_underscore_key_error_says_how_to_pass_the_step() -> None:
    with pytest.raises(ValueError, match=r"step=N"):
        coerce({"_step": 3})


def test_bad_nested_key_is_refused() -> None:
    with pytest.raises(ValueError, match="reserved"):
        coerce({"train": {"_hidden": 1.0}})
    with pytest.raises(ValueError, match="whitespace"):
        coerce({"train": {" loss": 1.0}})


def test_flattened_key_over_the_limit_is_refused() -> None:
    half = "k" * (MAX_KEY_LENGTH // 2 + 1)
    with pytest.raises(ValueError, match=f"limit is {MAX_KEY_LENGTH}"):
        coerce({half: {half: 1.0}})


def test_key_at_the_limit_is_accepted() -> None:
    key = "k" * MAX_KEY_LENGTH
    assert coerce({key: 1}) == {key: 1}


def test_non_string_key_raises_type_error() -> None:
    with pytest.raises(TypeError, match="string"):
        coerce({1: 2.0})


def test_a_bad_key_after_a_good_one_rejects_the_whole_call() -> None:
    coercer = MetricCoercer()
    with pytest.raises(ValueError):
        coercer.coerce({"ok": 1.0, " bad": 2.0})
    # the good key is still usable, the bad one is still refused next time
    assert coercer.coerce({"ok": 3.0}) == {"ok": 3.0}
    with pytest.raises(ValueError):
        coercer.coerce({" bad": 2.0})


def test_check_key_names_what_it_checks() -> None:
    with pytest.raises(ValueError, match="config key"):
        check_key("", what="config key")
    assert check_key("train/loss") == "train/loss"


def test_to_number_direct() -> None:
    assert to_number("k", np.float16(0.5)) == 0.5
    with pytest.raises(TypeError, match="'k'"):
        to_number("k", None)


# -- config / summary values and text -----------------------------------------------------


def test_to_json_value_turns_numpy_and_containers_into_plain_json() -> None:
    value = {
        "i": np.int64(3),
        "f": np.float32(0.5),
        "arr": np.array([[1, 2], [3, 4]]),
        "t": (1, "a"),
        "nested": {1: "one"},
        "obj": Fraction(1, 3),
        "none": None,
    }
    out = to_json_value(value)
    assert out == {"i": 3, "f": 0.5, "arr": [[1, 2], [3, 4]], "t": [1, "a"],
                   "nested": {"1": "one"}, "obj": 1 / 3, "none": None}
    assert type(out["i"]) is int and type(out["f"]) is float


def test_to_json_value_stores_unknown_objects_as_their_str() -> None:
    class Thing:
        def __str__(self) -> str:
            return "thing!"

    assert to_json_value({"x": Thing()}) == {"x": "thing!"}


def test_to_json_value_refuses_oversized_strings_naming_the_path() -> None:
    with pytest.raises(ValueError, match=r"config\.model\.desc"):
        to_json_value({"model": {"desc": "x" * (MAX_CONFIG_STRING + 1)}})
    assert to_json_value("x" * MAX_CONFIG_STRING) == "x" * MAX_CONFIG_STRING


def test_check_text() -> None:
    assert check_text("hello", what="notes") == "hello"
    with pytest.raises(TypeError, match="notes"):
        check_text(3, what="notes")
    with pytest.raises(ValueError, match="limit is 5"):
        check_text("x" * 6, what="notes", limit=5)
    with pytest.raises(ValueError, match="NUL"):
        check_text("a\x00", what="notes")


def test_check_tags() -> None:
    assert check_tags(None) == []
    assert check_tags(["a", "b", "a"]) == ["a", "b"]
    assert check_tags(("x",)) == ["x"]
    with pytest.raises(TypeError, match="list of strings"):
        check_tags("abc")
    with pytest.raises(ValueError, match="empty"):
        check_tags(["ok", "  "])
    with pytest.raises(ValueError, match="limit"):
        check_tags(["t" * 65])
    with pytest.raises(TypeError):
        check_tags([1])


def test_json_safe_float() -> None:
    assert json_safe_float(1.5) == 1.5
    assert json_safe_float(math.nan) == "NaN"
    assert json_safe_float(math.inf) == "Infinity"
    assert json_safe_float(-math.inf) == "-Infinity"
