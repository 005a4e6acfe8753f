"""The dashboard's sections, registered by the app factory in one line."""

from __future__ import annotations

from fastapi import APIRouter

from leadscalendar.web.routes import (
    dashboard_account,
    dashboard_bookings,
    dashboard_calendar_follow,
    dashboard_hours,
    dashboard_leads,
    dashboard_operations,
    dashboard_questions,
    dashboard_setup,
    dashboard_types,
    dashboard_webhooks,
)

DASHBOARD_ROUTERS: tuple[APIRouter, ...] = (
    dashboard_types.router,
    dashboard_questions.router,
    dashboard_hours.router,
    dashboard_bookings.router,
    dashboard_leads.router,
    dashboard_operations.router,
    dashboard_account.router,
    dashboard_setup.router,
    dashboard_calendar_follow.router,
    dashboard_webhooks.router,
)
