"""Sending replies: the Sender seam and its implementations (SMTP, X, Mastodon, log-only)."""
