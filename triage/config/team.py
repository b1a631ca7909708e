"""``[drafting] team_name``: the team's name drafts are signed with, one for every language
or one per language, and the choice of the name for a draft's language.

A Vietnamese e-mail signed "Customer Support" is not what a Vietnamese agent writes, so the
default names the team in each language the templates are written in; a brand that signs the
same everywhere ("Shopee Support") sets a plain string.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from pydantic import BeforeValidator

TEAM_LANGUAGES = ("en", "vi", "id", "tl")
"""Languages a ``team_name`` table may name (those the packaged templates are written in)."""

DEFAULT_TEAM_NAMES: dict[str, str] = {
    "en": "Customer Support",
    "vi": "Bộ phận Chăm sóc Khách hàng",
    "id": "Tim Layanan Pelanggan",
    # Filipino support teams sign in English (Taglish mail, English signatures)
    "tl": "Customer Support",
}
"""The default ``team_name``: what an agent of each market signs with."""

_FORM = ('write a name (team_name = "Acme Support") or a table of names per language '
         '(team_name = { en = "Customer Support", vi = "Bộ phận Chăm sóc Khách hàng" })')


def check_team_name(value: Any) -> str | dict[str, str]:
    """Return ``value`` (a name, or a table language -> name) with the names stripped;
    raise ValueError naming what is wrong (an empty name or table, an unknown language code,
    a value that is neither) and the accepted forms."""
    if isinstance(value, str):
        if not value.strip():
            raise ValueError(f"the team name is empty; {_FORM}")
        return value.strip()
    if not isinstance(value, Mapping):
        raise ValueError(f"{value!r} is neither a name nor a table; {_FORM}")
    if not value:
        raise ValueError(f"the table of names is empty; {_FORM}")
    out: dict[str, str] = {}
    for lang, name in value.items():
        if lang not in TEAM_LANGUAGES:
            raise ValueError(f"unknown language {lang!r} in the table; use "
                             f"{', '.join(TEAM_LANGUAGES)}")
        if not isinstance(name, str) or not name.strip():
            raise ValueError(f"the name for {lang!r} is empty or not text; {_FORM}")
        out[lang] = name.strip()
    return out


TeamName = Annotated[str | dict[str, str], BeforeValidator(check_team_name)]
"""A ``team_name`` setting: one name, or a table of names per language."""


def team_name_for(names: str | Mapping[str, str], language: str) -> str:
    """Return the name to sign a draft in ``language`` with: ``names`` itself when it is a
    string, else its entry for ``language``, else its ``en`` entry, else its first entry
    ("" for an empty table, which the settings refuse)."""
    if isinstance(names, str):
        return names
    if language in names:
        return names[language]
    if "en" in names:
        return names["en"]
    return next(iter(names.values()), "")
