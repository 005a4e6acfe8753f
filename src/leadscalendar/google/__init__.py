"""Everything that speaks to Google: OAuth, token storage, Calendar v3, error mapping."""
