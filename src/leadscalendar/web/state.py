"""What every request needs, built once per process and kept on ``app.state``."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from leadscalendar.config import Settings
from leadscalendar.db.engine import build_engine
from leadscalendar.db.session import build_session_factory
from leadscalendar.google.credentials import CredentialProvider
from leadscalendar.google.tokens import TokenCipher, load_token_keys
from leadscalendar.payments.factory import build_payment_provider
from leadscalendar.payments.provider import PaymentProvider
from leadscalendar.payments.webhooks import NoopPaymentEventHandler, PaymentEventHandler


@dataclass(frozen=True)
class Services:
    settings: Settings
    engine: Engine
    session_factory: sessionmaker[Session]
    cipher: TokenCipher
    credentials: CredentialProvider
    payment_provider: PaymentProvider
    # The bookings domain replaces this to act on paid/expired checkouts.
    payment_event_handler: PaymentEventHandler = field(default_factory=NoopPaymentEventHandler)


def build_services(settings: Settings) -> Services:
    engine = build_engine(settings.resolved_database_url)
    session_factory = build_session_factory(engine)
    cipher = TokenCipher(load_token_keys(settings))
    return Services(
        settings=settings,
        engine=engine,
        session_factory=session_factory,
        cipher=cipher,
        credentials=CredentialProvider(settings, cipher, session_factory),
        payment_provider=build_payment_provider(settings),
    )
