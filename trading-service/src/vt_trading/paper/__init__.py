"""The paper broker: pure matching (ENGINE) and its persisted adapter (CORE)."""
