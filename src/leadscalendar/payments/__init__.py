"""Payments: the provider protocol, Stripe, and the append-only log of webhook events.

Import from the submodules (``provider``, ``factory``, ``webhooks``, ``service``);
this package stays empty so importing the ORM model does not load the Stripe SDK.
"""
