"""auth domain of the gateway."""
