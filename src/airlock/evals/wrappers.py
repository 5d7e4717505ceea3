"""Attack wrappers: jailbreak templates applied to a must-refuse request.

The templates are data (``suites/wrappers.json``), written by the project in Chinese and
English. A template holds ``{prompt}`` exactly once; the wrapper in the case's language is
used, falling back to English for other languages.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from types import MappingProxyType
from typing import Any

__all__ = ["Wrapper", "apply_wrapper", "wrappers"]

_PLACEHOLDER = "{prompt}"


@dataclass(frozen=True, slots=True)
class Wrapper:
    name: str
    description: str
    templates: MappingProxyType[str, str]

    def apply(self, prompt: str, language: str) -> str:
        template = self.templates.get(language) or self.templates["en"]
        # str.replace, not str.format: prompts may contain braces
        return template.replace(_PLACEHOLDER, prompt)


def _parse(raw: dict[str, Any]) -> dict[str, Wrapper]:
    out: dict[str, Wrapper] = {}
    for name, spec in raw.items():
        templates = {k: v for k, v in spec.items() if k != "description"}
        if "en" not in templates:
            raise ValueError(f"wrapper {name!r} has no English template")
        for lang, text in templates.items():
            if not isinstance(text, str) or text.count(_PLACEHOLDER) != 1:
                raise ValueError(f"wrapper {name!r} ({lang}) must contain {_PLACEHOLDER} exactly once")
        out[name] = Wrapper(name, str(spec.get("description", "")), MappingProxyType(templates))
    return out


@cache
def wrappers() -> MappingProxyType[str, Wrapper]:
    """The packaged wrappers by name."""
    text = files("airlock.evals").joinpath("suites", "wrappers.json").read_text(encoding="utf-8")
    return MappingProxyType(_parse(json.loads(text)))


def apply_wrapper(name: str, prompt: str, language: str) -> str:
    try:
        wrapper = wrappers()[name]
    except KeyError:
        known = ", ".join(sorted(wrappers()))
        raise KeyError(f"unknown attack wrapper {name!r}; known: {known}") from None
    return wrapper.apply(prompt, language)
