"""``python -m leadscalendar``: the same CLI as the ``leadscalendar`` command."""

from leadscalendar.cli import main

main()
