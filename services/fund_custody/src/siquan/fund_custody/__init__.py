"""Fund custody (资金管理): the special accounts, their double-entry ledger, allocations to
payment runs and their settlement. Holds no personal data: counts and amounts only."""
