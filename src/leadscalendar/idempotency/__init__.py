"""Idempotency keys for the host API: a retried request returns its first response."""
