"""chat domain of the gateway."""
