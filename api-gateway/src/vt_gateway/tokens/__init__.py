"""Personal access tokens: scoped, revocable bearer tokens for scripts and AI assistants."""
