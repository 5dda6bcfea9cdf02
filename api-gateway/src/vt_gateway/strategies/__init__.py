"""strategies domain of the gateway."""
