"""A payment order names the account holder it was written for.

- `payment_orders.account_name`: the holder's name (户名) registered with the account the
  order pays, written with the order (the roster, a retry, a top-up) as its account is, so
  a change registered since touches neither. The payer writes it into the bank's
  instruction; it read the name registered last with that account, for every payment of a
  chunk, which let a corrected name still waiting for its checker reach the bank. NULL
  when the account was registered without a name.
- Orders not yet answered by the bank take the name the payer would have read.
- `payment_orders_are_fixed` keeps the name fixed like the order's other facts.

Revision ID: 0023
Revises: 0022
"""

from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None

_FIXED = """
    CREATE TRIGGER payment_orders_are_fixed BEFORE UPDATE ON payment_orders
        FOR EACH ROW
        WHEN (NOT OLD.live OR NEW.live
              OR (OLD.payment_id, OLD.run_id, OLD.certification_id, OLD.person_key,
                  OLD.program_code, OLD.period, OLD.item, OLD.amount_fen, OLD.bank_code,
                  OLD.account_number, OLD.certified_from{old})
                 IS DISTINCT FROM
                 (NEW.payment_id, NEW.run_id, NEW.certification_id, NEW.person_key,
                  NEW.program_code, NEW.period, NEW.item, NEW.amount_fen, NEW.bank_code,
                  NEW.account_number, NEW.certified_from{new}))
        EXECUTE FUNCTION payment_orders_are_fixed()"""


def upgrade() -> None:
    op.execute("ALTER TABLE payment_orders ADD COLUMN account_name text")
    op.execute("DROP TRIGGER payment_orders_are_fixed ON payment_orders")
    op.execute("""
        UPDATE payment_orders o SET account_name = (
            SELECT a.account_name FROM payee_accounts a
             WHERE a.person_key = o.person_key AND a.account_number = o.account_number
               AND a.bank_code = o.bank_code
             ORDER BY a.registered_at DESC LIMIT 1)
         WHERE o.live
           AND NOT EXISTS (SELECT 1 FROM payment_results r WHERE r.payment_id = o.payment_id)
    """)
    op.execute(_FIXED.format(old=", OLD.account_name", new=", NEW.account_name"))


def downgrade() -> None:
    op.execute("DROP TRIGGER payment_orders_are_fixed ON payment_orders")
    op.execute(_FIXED.format(old="", new=""))
    op.execute("ALTER TABLE payment_orders DROP COLUMN account_name")
