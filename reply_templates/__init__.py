"""Packaged Jinja2 reply templates: ``<language>/<category>.<channel>.j2``."""
