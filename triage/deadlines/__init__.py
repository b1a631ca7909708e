"""deadlines: see docs/architecture.md."""
