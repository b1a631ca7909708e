"""The bundled training corpus (CSV files ``text,label,lang,channel``), written by the team."""
