"""What the running processes say about themselves: Prometheus metrics and their exposition.

``metrics`` holds the named instruments the domains record into (a line at
each hook); ``collectors`` reads the database at scrape time (queue depth,
bookings by state); ``exposition`` renders one answer for ``/metrics``,
aggregated over every process on the machine when ``PROMETHEUS_MULTIPROC_DIR``
is set. Structured logging lives beside it in ``leadscalendar.logging``.
"""
