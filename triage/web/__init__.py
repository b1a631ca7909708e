"""HTTP endpoints of triage (FastAPI routers)."""
