"""A check's parameters come from its function: annotation, default and docstring."""

from __future__ import annotations

import pytest

from maillab_tui.checking.api import Context, Param, Result, parameter_docs, params_from_signature


def probe(ctx: Context, name: str, tries: int = 3, hosts: list[str] | None = None,
          strict: bool = False, ratio: float | None = None) -> Result:
    """Look.

    Parameters:
        name: what to look for, a long explanation
            that goes on here
        tries: how often
    """
    raise NotImplementedError


def test_types_defaults_and_docs_come_from_the_function() -> None:
    params = params_from_signature(probe, {"name": "literal"}, {"hosts": "where"})
    assert params == {
        "name": Param(str, True, None, "what to look for, a long explanation that goes on here",
                      "literal"),
        "tries": Param(int, False, 3, "how often"),
        "hosts": Param(list, False, None, "where"),
        "strict": Param(bool, False, False, ""),
        "ratio": Param(float, False, None, ""),
    }


def test_told_must_name_a_parameter() -> None:
    with pytest.raises(TypeError, match="nmae"):
        params_from_signature(probe, {"nmae": "literal"})


def test_the_parameters_section_ends_at_a_blank_line() -> None:
    assert parameter_docs("X.\n\n    Parameters:\n        a: one\n\n    b: not a parameter\n") \
        == {"a": "one"}
