"""Developer stack: embedded PostgreSQL and Redis, process supervisor for make up, pytest plugin."""
