"""Every ORM model, imported in one place so metadata and Alembic see them all."""

from leadscalendar.accounts.models import Host
from leadscalendar.db.base import Base
from leadscalendar.google.models import GoogleConnection, OAuthState
from leadscalendar.payments.models import PaymentEvent

__all__ = ["Base", "GoogleConnection", "Host", "OAuthState", "PaymentEvent"]
