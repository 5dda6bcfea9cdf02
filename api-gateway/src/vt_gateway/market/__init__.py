"""market domain of the gateway."""
