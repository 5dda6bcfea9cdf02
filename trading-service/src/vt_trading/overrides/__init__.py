"""Risk overrides (no-trading, close-only, reduce-only) and the instrument allow-list."""
