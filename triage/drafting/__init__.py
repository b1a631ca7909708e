"""drafting: see docs/architecture.md."""
