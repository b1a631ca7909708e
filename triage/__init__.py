"""triage: a daemon that keeps customer support inboxes under control."""

__version__ = "0.1.0"
