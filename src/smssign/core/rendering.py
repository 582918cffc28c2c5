"""What a message says: parameters put into a template, the text as the handset shows it,
the rules a provider sets for parameter values, and free text matched back to a template.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from smssign.core import errors, templates
from smssign.core.messages import Params
from smssign.core.model import Template, TemplateType


@dataclass(frozen=True, slots=True)
class ParameterRules:
    """What a provider allows in parameter values, beyond filling every variable.

    `verification_digits`: a verification template's values are 0 to that many digits;
    `longest`: characters of a value of any other template; `urls`: whether a value may
    hold a link. None (and True) check nothing.
    """

    verification_digits: int | None = None
    longest: int | None = None
    urls: bool = True

    def check(self, template: Template, values: Sequence[str]) -> None:
        for value in values:
            if not self.urls and templates.has_url(value):
                raise errors.ParameterRejected("url", "a parameter may not hold a link")
            if template.type is TemplateType.VERIFICATION:
                most = self.verification_digits
                if most is not None and not (value.isdigit() and len(value) <= most):
                    raise errors.ParameterRejected(
                        "digits", f"a verification code is 0 to {most} digits"
                    )
            elif self.longest is not None and len(value) > self.longest:
                raise errors.ParameterRejected("length", f"at most {self.longest} characters")


def fill(template: Template, params: Params) -> str:
    """The template's content with `params` in its variables; errors.ParameterMismatch."""
    content = templates.parse(template.content)
    variables = content.variables
    if isinstance(params, Mapping):
        values = {name: params.get(name, "") for name in variables}
    else:
        if len(params) != len(variables):
            raise errors.ParameterMismatch(
                f"the template has {len(variables)} variables, {len(params)} values came"
            )
        values = dict(zip(variables, params, strict=True))
    for name, value in values.items():
        if not isinstance(value, str) or not value:
            raise errors.ParameterMismatch(f"no value for {{{name}}}")
    return content.render(lambda _position, name: values[name])


def handset_text(sign: str, body: str) -> str:
    """The message as the handset shows it: 【sign】 then the content."""
    return f"【{sign}】{body}" if sign else body


def match(template: Template, body: str) -> tuple[str, ...] | None:
    try:
        content = templates.parse(template.content)
    except errors.SmssignError:
        return None
    pattern = re.sub(
        r"\\\{([A-Za-z0-9_]{1,32})\\\}|\{([A-Za-z0-9_]{1,32})\}", "(.+?)", re.escape(content.text)
    )
    found = re.fullmatch(pattern, body, re.DOTALL)
    if found is None:
        return None
    # A variable used twice must carry the same value both times.
    names = re.findall(r"\{([A-Za-z0-9_]{1,32})\}", content.text)
    values: dict[str, str] = {}
    for name, value in zip(names, found.groups(), strict=True):
        if values.setdefault(name, value) != value:
            return None
    return tuple(values[name] for name in content.variables)


__all__ = ["ParameterRules", "fill", "handset_text", "match"]
