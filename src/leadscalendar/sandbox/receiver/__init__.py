"""A local webhook receiver: takes deliveries, verifies their signatures, lists them.

The demo subscribes its host to it, so every booking event can be watched
arriving with "signature verified" beside it; the tests use it as the real
receiver on loopback, scripting its answers (down, 410, 429 ...). It
verifies with the ``standardwebhooks`` library, as a host's own receiver
would, and imports nothing of the application.
"""

from leadscalendar.sandbox.receiver.app import create_receiver_app
from leadscalendar.sandbox.receiver.store import Received, ReceiverStore, ScriptedAnswer

__all__ = ["Received", "ReceiverStore", "ScriptedAnswer", "create_receiver_app"]
