"""Reply-extraction fixtures (``cases/``), their generator and the scoring helpers."""
