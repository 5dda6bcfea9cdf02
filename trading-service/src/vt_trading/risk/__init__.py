"""Pure risk modules (gate, breakers) owned by RISK."""
