"""Local stand-ins for the outside world (Google, the payment provider).

Each sandbox is a separate ASGI app that speaks the real service's wire format
and imports nothing of the application, so the same client code runs against
it and against the real thing.
"""
