"""Outbound webhooks: booking events signed per Standard Webhooks, delivered through jobs."""
