"""What the consoles and printed documents call a program and a benefit category: the
policy catalogue's names in the page's language, never the code an officer would have to
know by heart.

The names come from the catalogue in force (`load_catalogue`: the seed with the versions
published since), from the latest version of the program that applies everywhere (a
division's own version, "(新洲区提标)", names it for that division only). The catalogue
names categories in Chinese only: an English page spells the category's code out
("disability_grade_1_to_3": "Disability grade 1 to 3"). A program or category no version
names shows its code."""

from __future__ import annotations

from siquan.contracts.policy import PolicyVersion, load_catalogue


def _versions(program_code: str) -> list[PolicyVersion]:
    """The program's versions, latest first: those that apply everywhere, then a
    division's own."""
    versions = [v for v in load_catalogue().versions if v.program_code == program_code]
    return sorted(versions, key=lambda v: (v.division_scope is None, v.effective_from),
                  reverse=True)


def program_name(program_code: str, *, english: bool = False) -> str:
    """The program's name ("独生子女死亡/伤残家庭特别扶助"), or its code."""
    versions = _versions(program_code)
    if not versions:
        return program_code
    return versions[0].name_en if english else versions[0].name_zh


def spelled_out(code: str) -> str | None:
    """A plain lower-case ASCII code in words ("disability_grade_1_to_3": "Disability grade
    1 to 3"); None for any other."""
    if not code.replace("_", "").isalnum() or not code.isascii() or code != code.lower():
        return None
    return code.replace("_", " ").capitalize()


def category_name(program_code: str, category: str, *, english: bool = False) -> str:
    """The category's name in the program's latest version naming it ("独生子女伤残"; on an
    English page its code spelled out), or its code."""
    if english:
        return spelled_out(category) or category
    for version in _versions(program_code):
        for benefit in version.benefits:
            if benefit.category == category:
                return benefit.label_zh
    return category
