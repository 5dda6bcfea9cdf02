"""Pure ledger modules (planner, positions, reconcile, audit) owned by RISK."""
