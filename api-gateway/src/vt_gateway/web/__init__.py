"""web domain of the gateway."""
