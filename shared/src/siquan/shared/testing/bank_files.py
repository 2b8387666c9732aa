"""Disbursement paying through batch files instead of the simulated bank's API: the
settings that send it to a bank directory, for the tests that answer those files as the
bank would (`siquan.tools.bank_counterpart.BatchFileCounterpart` on the same directory;
the `bank_dir` fixture of the pytest plugin gives a module one)."""

from __future__ import annotations

from pathlib import Path


def bank_file_env(bank_dir: Path, *, gbk_key: str | None = None) -> dict[str, str]:
    """Disbursement's environment variables for a bank reached by files in `bank_dir`
    (`SIQUAN_BANK_ADAPTER=batch_file`, `SIQUAN_BANK_DIR`): instructions written to its
    outbox/, results and returns read from its inbox/.

    With `gbk_key`, the files are the fixed-width GBK 代发 files with control totals
    (`SIQUAN_BANK_FILE_FORMAT=gbk`), signed and verified with that key shared with the
    bank (`SIQUAN_BANK_FILE_KEY`): the counterpart must read and write them with
    `GbkFormat(gbk_key)`, or it and disbursement refuse each other's files. Without it,
    CSV files (`SIQUAN_BANK_FILE_FORMAT=csv`, the counterpart's default), no key.

    Timeouts, settling, chunk size and payers are each test's own: add them to the
    returned mapping."""
    env = {"SIQUAN_BANK_ADAPTER": "batch_file", "SIQUAN_BANK_DIR": str(bank_dir),
           "SIQUAN_BANK_FILE_FORMAT": "gbk" if gbk_key is not None else "csv"}
    if gbk_key is not None:
        env["SIQUAN_BANK_FILE_KEY"] = gbk_key
    return env
