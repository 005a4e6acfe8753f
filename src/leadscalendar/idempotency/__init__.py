"""Idempotency keys of every surface: a retried request returns its first response."""
