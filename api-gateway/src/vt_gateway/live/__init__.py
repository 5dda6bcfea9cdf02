"""live domain of the gateway."""
