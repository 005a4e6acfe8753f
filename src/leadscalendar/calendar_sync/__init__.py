"""Following the host's Google Calendar: push channels, incremental sync, the busy mirror.

``models`` (synced calendars, channels, busy blocks), ``service`` (the webhook's
verdict, queueing syncs, reading the mirror), ``tasks`` (the sync job),
``channels`` (events.watch / channels.stop, renewal), ``planning`` (which
calendars are synced, the polling clock), ``busy_rules`` (what Google calls busy).
"""
