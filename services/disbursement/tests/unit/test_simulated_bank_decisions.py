"""What the simulated bank decides for each instruction, before it records the batch:
accounts by their number's ending or its hash, refusals and returns by the payment id's
hash, in the shares its behaviour asks for, and the same each time it is asked."""

from __future__ import annotations

import uuid

from siquan.disbursement.adapters.simulated_bank import BankBehaviour
from siquan.disbursement.application.ports import PaymentInstruction


def _instruction(account: str, payment_id: str | None = None) -> PaymentInstruction:
    return PaymentInstruction(payment_id or str(uuid.uuid4()), "ABC", account, 21_000,
                              "siquan benefit 2031-01")


def test_an_account_number_s_ending_decides_whatever_the_rates() -> None:
    batch = [_instruction(f"6228480100000{ending}") for ending in
             ("0000", "0044", "0088", "1234")]
    refusals, returns = BankBehaviour().decide(batch)
    assert refusals == ["invalid account", "account frozen", None, None]
    assert returns[2:] == [True, False]


def test_shares_follow_the_rates_and_the_same_instruction_meets_the_same_fate() -> None:
    behaviour = BankBehaviour(failure_rate=0.2, invalid_account_rate=0.1,
                              frozen_account_rate=0.1, return_rate=0.3)
    batch = [_instruction(f"62284801{n:08d}7") for n in range(4000)]
    refusals, returns = behaviour.decide(batch)
    share = {reason: refusals.count(reason) / len(batch) for reason in set(refusals)}
    assert 0.07 < share["invalid account"] < 0.13
    assert 0.07 < share["account frozen"] < 0.13
    # refused by the payment id's hash among the accounts neither invalid nor frozen
    assert 0.12 < share["refused by the bank (simulated)"] < 0.2
    assert 0.26 < sum(returns) / len(batch) < 0.34
    assert behaviour.decide(batch) == (refusals, returns)
    assert behaviour.decide(batch[::-1]) == (refusals[::-1], returns[::-1])


def test_an_upper_case_payment_id_is_the_same_payment() -> None:
    behaviour = BankBehaviour(failure_rate=0.5, return_rate=0.5)
    ids = [str(uuid.uuid4()) for _ in range(200)]
    lower = behaviour.decide([_instruction("6228480100001234", i) for i in ids])
    upper = behaviour.decide([_instruction("6228480100001234", i.upper()) for i in ids])
    assert lower == upper
    assert 50 < lower[0].count(None) < 150


def test_no_rates_refuse_or_return_nothing_but_the_endings() -> None:
    batch = [_instruction(f"62284801{n:08d}7") for n in range(500)]
    assert BankBehaviour().decide(batch) == ([None] * 500, [False] * 500)
