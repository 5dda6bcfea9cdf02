"""Account-level trading: positions, risk state, kill switch, reconciliation, exceptions,
manual tools and the audit log."""
