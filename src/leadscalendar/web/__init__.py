"""The HTTP face of LeadsCalendar: app factory, dependencies, routes and templates."""
