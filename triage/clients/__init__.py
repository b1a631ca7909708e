"""clients: see docs/architecture.md."""
