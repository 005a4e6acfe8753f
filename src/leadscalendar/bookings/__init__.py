"""Bookings: booking types, holds, confirmation, payment, cancellation and rescheduling."""
