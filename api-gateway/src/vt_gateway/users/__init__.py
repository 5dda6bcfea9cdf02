"""users domain of the gateway."""
