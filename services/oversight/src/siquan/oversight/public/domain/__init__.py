"""The public side's rules, pure: working-day deadlines, masking, complaints, notices and
statements. No I/O."""
