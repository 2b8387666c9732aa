"""一公开 and 一鼓励: the public notice board, complaint and report intake with tracking
numbers and SLAs, and statements a beneficiary can look up.

The handlers in `application.notices` and `application.ledger` keep the board and each
person's ledger from the events as they are logged (in the batch's transaction); the
composition root (`app`) adds the routes and the loop that escalates overdue complaints.
"""
