"""Names of the jobs the bookings domain enqueues (shared by service and tasks)."""

CREATE_EVENT = "create_calendar_event"
UPDATE_EVENT = "update_calendar_event"
DELETE_EVENT = "delete_calendar_event"
REFUND_PAYMENT = "refund_payment"
# Close the provider's checkout of a booking that ended unpaid (the lead cancelled).
EXPIRE_CHECKOUT = "expire_checkout"
# A payment that did not match its booking's checkout goes back; the booking is untouched.
REFUND_UNMATCHED_PAYMENT = "refund_unmatched_payment"
SEND_REMINDER = "send_reminder"
# The host switched Google accounts: recreate the event on the new one, delete the old.
MOVE_EVENT = "move_calendar_event"
# An accepted booking's mails and reminders, worded after the webhook answered (mail_tasks).
BOOKING_MAILS = "booking_mails"
