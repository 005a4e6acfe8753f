"""Names of the jobs the bookings domain enqueues (shared by service and tasks)."""

CREATE_EVENT = "create_calendar_event"
UPDATE_EVENT = "update_calendar_event"
DELETE_EVENT = "delete_calendar_event"
REFUND_PAYMENT = "refund_payment"
SEND_REMINDER = "send_reminder"
