"""Hosts: the people whose calendars receive bookings, and how they log in."""
