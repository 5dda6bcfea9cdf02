"""Account management: password change, login sessions, administrators disabling accounts."""
