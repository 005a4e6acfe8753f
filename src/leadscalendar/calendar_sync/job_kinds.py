"""The job kinds of calendar sync (their handlers are in tasks.py and channels.py)."""

from __future__ import annotations

# Incremental sync of one calendar (payload: sync_id).
SYNC = "calendar_sync"
# Make a host's watched calendars match their connection (payload: host_id).
RECONCILE = "calendar_sync_reconcile"
# Replace a channel before Google expires it (payload: channel row id).
RENEW_CHANNEL = "calendar_sync_renew_channel"
# The polling clock: syncs every calendar without a live channel, then plans itself.
POLL = "calendar_sync_poll"
