"""Local stand-ins for the services LeadsCalendar talks to.

Each sandbox is a separate server speaking the real service's wire format, so the
application reaches it through its ordinary client libraries and endpoint
settings. Nothing here imports the rest of ``leadscalendar``.
"""
