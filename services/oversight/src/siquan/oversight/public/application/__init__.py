"""The public side's use cases: one short function per event or command."""
