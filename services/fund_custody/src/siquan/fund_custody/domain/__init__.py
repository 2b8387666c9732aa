"""Fund custody's domain: the ledger of a special account and allocations to runs. No I/O."""
