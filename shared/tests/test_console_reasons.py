"""The consoles' matching of the application layer's reasons: the first pattern a reason
matches gives the catalogue text, filled in with the same values (a part translated on
the way when the console says how); a reason matched as it is; an unknown reason shown as
it is, or as the catalogue has it."""

from __future__ import annotations

from siquan.shared.console import reasons

CATALOGUE = {
    "Run %(run)s has no failed payments.": "发放批次 %(run)s 没有失败的款项。",
    "Nobody to pay in %(division)s: %(skipped)s.": "%(division)s 没有可发放的人员：%(skipped)s。",
    "No payee account": "无收款账户",
    "Paid already": "已发放",
    "The hold is in force (%(level)s).": "止付生效中（%(level)s）。",
    "County": "县级",
    "no such thing": "没有这个",
}


def zh(message: str) -> str:
    return CATALOGUE.get(message, message)


KNOWN = (*reasons.exactly({"no payee account": "No payee account"}), *reasons.patterns(
    (r"^run (?P<run>\S+) has no failed payments$", "Run %(run)s has no failed payments."),
    (r"^nobody to pay in (?P<division>\d+): (?P<skipped>.+)$",
     "Nobody to pay in %(division)s: %(skipped)s."),
    (r"^the hold is in force \((?P<level>[a-z]+)\)$", "The hold is in force (%(level)s)."),
))


def test_a_known_reason_reads_its_catalogue_text_with_the_same_ids() -> None:
    assert reasons.translated("run r-7 has no failed payments", zh, KNOWN) == (
        "发放批次 r-7 没有失败的款项。")
    assert reasons.translated("run r-7 has no failed payments", lambda m: m, KNOWN) == (
        "Run r-7 has no failed payments.")


def test_a_reason_without_ids_is_matched_as_it_is_and_only_whole() -> None:
    assert reasons.translated("no payee account", zh, KNOWN) == "无收款账户"
    assert reasons.translated("no payee account yet", zh, KNOWN) == "no payee account yet"
    assert reasons.translated("no payee account.", zh, KNOWN) == "no payee account."


def test_a_part_is_translated_before_it_is_filled_in() -> None:
    def skip(item: str, gettext: reasons.Gettext) -> str:
        count, _times, reason = item.partition(" × ")
        return f"{count} × {reasons.translated(reason, gettext, KNOWN)}"

    parts = {"skipped": reasons.each("; ", skip),
             "level": reasons.named({"county": "County"})}
    assert reasons.translated("nobody to pay in 420117: 2 × no payee account; 1 × gone",
                              zh, KNOWN, parts) == (
        "420117 没有可发放的人员：2 × 无收款账户; 1 × gone。")
    assert reasons.translated("the hold is in force (county)", zh, KNOWN, parts) == (
        "止付生效中（县级）。")
    assert reasons.translated("the hold is in force (central)", zh, KNOWN, parts) == (
        "止付生效中（central）。")


def test_an_unknown_reason_is_shown_as_it_is_or_as_the_catalogue_has_it() -> None:
    assert reasons.translated("the bank is closed today", zh, KNOWN) == (
        "the bank is closed today")
    assert reasons.translated("no such thing", zh, KNOWN) == "没有这个"
    assert reasons.translated("100% wrong", zh, ()) == "100% wrong"
