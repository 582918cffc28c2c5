"""`smssign serve` parsed without building a pydantic validator for each of its options.

Typer (0.29 and later) turns every option's value into its type through a pydantic
TypeAdapter, built for each option at every parse, defaults included: importing pydantic
and building `serve`'s 26 adapters is about 50 ms of CPU, a tenth of a cold start.

`PlainOptionsCommand` gives the options whose type is str, int, float, bool, a Path or
an Enum a conversion that takes the plain cases itself: a value already of its type, a
decimal number within the option's bounds, a choice spelled as it is declared. Anything
else (a value out of range, a misspelt choice, "1e3") goes to typer's own conversion,
built then, so that every error reads exactly as typer words it. With a typer that
converts otherwise (no `typer._coercion`), the command is typer's as it is.
"""

from __future__ import annotations

import re
from enum import Enum
from pathlib import Path
from typing import Any

from typer._click import Context, Parameter
from typer.core import TyperCommand

try:
    from typer._coercion import RuntimeParam, build_runtime_param
    from typer._param_types import coerce_cli_path
except ImportError:  # another typer: nothing to take over
    RuntimeParam = None  # type: ignore[assignment,misc]

_INTEGER = re.compile(r"-?[0-9]{1,18}")
_DECIMAL = re.compile(r"-?[0-9]{1,15}(\.[0-9]{1,15})?")


def plain_value(annotation: Any, info: Any, value: Any, *, normalized: bool) -> tuple[bool, Any]:
    """(True, the converted value) for a plain case, (False, None) for typer to judge.
    `normalized`: the context rewrites tokens (typer then compares choices rewritten)."""
    if annotation is str:
        return (True, value) if isinstance(value, str) else (False, None)
    if annotation is bool:
        return (True, value) if isinstance(value, bool) else (False, None)
    if annotation is int or annotation is float:
        number: Any = None
        if isinstance(value, int | float) and not isinstance(value, bool):
            number = annotation(value) if annotation is float or isinstance(value, int) else None
        elif isinstance(value, str):
            pattern = _INTEGER if annotation is int else _DECIMAL
            number = annotation(value) if pattern.fullmatch(value) else None
        if number is None or info.clamp:
            return False, None
        if (info.min is not None and number < info.min) or (
            info.max is not None and number > info.max
        ):
            return False, None
        return True, number
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        if isinstance(value, annotation):
            return True, value
        if info.case_sensitive and not normalized and isinstance(value, str):
            for member in annotation:
                if str(member.value) == value:
                    return True, member
        return False, None
    return False, None


if RuntimeParam is not None:

    class PlainRuntimeParam(RuntimeParam):
        """Typer's conversion of one option, with the plain cases taken first."""

        def _coerce_value(self, value: Any, param: Any, ctx: Any) -> Any:
            info = self.parameter_info
            annotation = self.annotation
            if annotation is Path and info.path_type is None:
                if isinstance(value, str) and value and "\0" not in value:
                    value = Path(value)
                if isinstance(value, Path):
                    # typer's own checks on the path (allow_dash, exists, readable, …).
                    return coerce_cli_path(value, info, path_type=Path, param=param, ctx=ctx)
            else:
                normalized = getattr(ctx, "token_normalize_func", None) is not None
                plain, converted = plain_value(annotation, info, value, normalized=normalized)
                if plain:
                    return converted
            full = build_runtime_param(param.type_descriptor)
            return full._coerce_value(value, param=param, ctx=ctx)


def take_plain_options(params: list[Parameter]) -> list[Parameter]:
    """`params`, each of a plain type converting its plain cases without pydantic."""
    if RuntimeParam is None:
        return params
    for param in params:
        descriptor = getattr(param, "type_descriptor", None)
        if descriptor is None or getattr(param, "_runtime_param", True) is not None:
            continue  # not typer's, or its conversion is built already
        info = descriptor.parameter_info
        if descriptor.file_annotation is not None or info.parser is not None:
            continue
        annotation = descriptor.annotation
        if annotation in (str, int, float, bool, Path) or (
            isinstance(annotation, type) and issubclass(annotation, Enum)
        ):
            taken: Any = param
            taken._runtime_param = PlainRuntimeParam(parameter_info=info, annotation=annotation)
    return params


class PlainOptionsCommand(TyperCommand):
    """A typer command whose options of plain types convert without pydantic in the
    plain cases (see the module's docstring)."""

    def get_params(self, ctx: Context) -> list[Parameter]:
        return take_plain_options(super().get_params(ctx))
