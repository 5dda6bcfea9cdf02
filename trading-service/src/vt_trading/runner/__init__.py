"""The signal runner: one active runner per account (lease), bar steps, replay clock."""
