"""Google push channels, incremental sync and the busy-time mirror (see README.md)."""
