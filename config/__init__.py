"""Packaged default configuration: the commented example and the demo inbox."""
