"""availability versions

``availability_versions``: one number per host, bumped by triggers in the
same transaction as every write that changes what the host's slot pages
offer, so a web process may serve a cached slot answer after one tiny read
(``bookings.slot_cache``) and no write path, present or future, can forget to
invalidate it. What counts (the inputs of ``web.booking_flow.list_slots``):

* ``hosts``: slug, zone, verification, deletion (a new host gets its row);
* ``booking_types`` and ``schedules``: any change;
* ``bookings``: a booking added or removed, or a change of its host, type,
  times, hold expiry, or of whether its status occupies time or holds it
  (``paid`` -> ``scheduled`` changes nothing a lead sees, and the worker
  makes that change all day: it neither bumps nor takes the version's lock);
* ``google_connections``: status, scopes, calendars;
* the busy-time mirror: ``calendar_syncs`` (tokens, window, last sync),
  ``calendar_watch_channels`` (state, expiry) and ``calendar_busy_blocks``.

SQLite fires row triggers (writers run one at a time there anyway). On
PostgreSQL the busy blocks use a statement trigger, so a full sync writing a
thousand events bumps once, not a thousand times.

Caution for later migrations: on SQLite, ``batch_alter_table`` re-creates a
table, and dropping a table drops its triggers. A migration that batch-alters
one of the tables above must create its triggers again
(``tests/db/test_availability_versions.py`` fails otherwise).

Revision ID: 669142380ebd
Revises: a9e3f7c2d5b1
Create Date: 2026-11-30 03:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "669142380ebd"
down_revision: str | None = "a9e3f7c2d5b1"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BUMP = "UPDATE availability_versions SET version = version + 1 WHERE host_id"
ACTIVE = "('held', 'awaiting_payment', 'awaiting_approval', 'paid', 'scheduled')"
HOLDING = "('held', 'awaiting_payment')"
BOOKING_COLUMNS = ("host_id", "booking_type_id", "start_at", "end_at", "hold_expires_at")

# table -> the columns whose change bumps (None: any change)
HOST_ID_TABLES: dict[str, tuple[str, ...] | None] = {
    "booking_types": None,
    "schedules": None,
    "bookings": (*BOOKING_COLUMNS, "status"),
    "google_connections": (
        "host_id",
        "status",
        "calendar_id",
        "busy_calendar_ids",
        "granted_scopes",
    ),
    "calendar_syncs": ("host_id", "calendar_id", "sync_token", "window_end", "last_synced_at"),
    "calendar_watch_channels": ("host_id", "sync_id", "state", "expiration"),
}
HOST_COLUMNS = ("slug", "timezone", "email_verified_at", "deleted_at")


def _booking_change(distinct: str) -> str:
    """The WHEN of the bookings' update trigger: only what slot pages can see."""
    changed = [f"OLD.{column} {distinct} NEW.{column}" for column in BOOKING_COLUMNS]
    changed += [
        f"(OLD.status IN {statuses}) {distinct} (NEW.status IN {statuses})"
        for statuses in (ACTIVE, HOLDING)
    ]
    return " OR ".join(changed)


def _update_of(columns: tuple[str, ...] | None) -> str:
    return f"UPDATE OF {', '.join(columns)}" if columns else "UPDATE"


def _sqlite_statements() -> list[str]:
    statements = [
        "CREATE TRIGGER av_hosts_insert AFTER INSERT ON hosts BEGIN "
        "INSERT INTO availability_versions (host_id, version) VALUES (NEW.id, 0); END",
        f"CREATE TRIGGER av_hosts_update AFTER {_update_of(HOST_COLUMNS)} ON hosts "
        f"BEGIN {BUMP} = NEW.id; END",
    ]
    for table, columns in HOST_ID_TABLES.items():
        when = f"WHEN {_booking_change('IS NOT')} " if table == "bookings" else ""
        statements += [
            f"CREATE TRIGGER av_{table}_insert AFTER INSERT ON {table} "
            f"BEGIN {BUMP} = NEW.host_id; END",
            f"CREATE TRIGGER av_{table}_delete AFTER DELETE ON {table} "
            f"BEGIN {BUMP} = OLD.host_id; END",
            f"CREATE TRIGGER av_{table}_update AFTER {_update_of(columns)} ON {table} "
            f"FOR EACH ROW {when}BEGIN {BUMP} IN (OLD.host_id, NEW.host_id); END",
        ]
    sync_host = "(SELECT host_id FROM calendar_syncs WHERE id = {row}.sync_id)"
    for event, row in (("INSERT", "NEW"), ("UPDATE", "NEW"), ("DELETE", "OLD")):
        statements.append(
            f"CREATE TRIGGER av_calendar_busy_blocks_{event.lower()} AFTER {event} "
            f"ON calendar_busy_blocks BEGIN {BUMP} = {sync_host.format(row=row)}; END"
        )
    return statements


POSTGRES_FUNCTIONS = [
    """CREATE FUNCTION av_new_host() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO availability_versions (host_id, version) VALUES (NEW.id, 0);
    RETURN NULL;
END $$""",
    f"""CREATE FUNCTION av_bump_host() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    {BUMP} = NEW.id;
    RETURN NULL;
END $$""",
    f"""CREATE FUNCTION av_bump_host_id() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        {BUMP} = NEW.host_id;
    ELSIF TG_OP = 'DELETE' THEN
        {BUMP} = OLD.host_id;
    ELSE
        {BUMP} = OLD.host_id;
        IF NEW.host_id IS DISTINCT FROM OLD.host_id THEN
            {BUMP} = NEW.host_id;
        END IF;
    END IF;
    RETURN NULL;
END $$""",
    # Statement level: "changed" is the transition table of the rows written.
    f"""CREATE FUNCTION av_bump_blocks() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    {BUMP} IN (
        SELECT s.host_id FROM calendar_syncs s WHERE s.id IN (SELECT sync_id FROM changed)
    );
    RETURN NULL;
END $$""",  # noqa: S608 - built from this file's constants only
]


def _postgres_statements() -> list[str]:
    statements = [
        *POSTGRES_FUNCTIONS,
        "CREATE TRIGGER av_hosts_insert AFTER INSERT ON hosts "
        "FOR EACH ROW EXECUTE FUNCTION av_new_host()",
        f"CREATE TRIGGER av_hosts_update AFTER {_update_of(HOST_COLUMNS)} ON hosts "
        "FOR EACH ROW EXECUTE FUNCTION av_bump_host()",
    ]
    for table, columns in HOST_ID_TABLES.items():
        when = f"WHEN ({_booking_change('IS DISTINCT FROM')}) " if table == "bookings" else ""
        statements += [
            f"CREATE TRIGGER av_{table}_{event.lower()} AFTER {event} ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION av_bump_host_id()"
            for event in ("INSERT", "DELETE")
        ]
        statements.append(
            f"CREATE TRIGGER av_{table}_update AFTER {_update_of(columns)} ON {table} "
            f"FOR EACH ROW {when}EXECUTE FUNCTION av_bump_host_id()"
        )
    for event, table in (("INSERT", "NEW"), ("UPDATE", "NEW"), ("DELETE", "OLD")):
        statements.append(
            f"CREATE TRIGGER av_calendar_busy_blocks_{event.lower()} AFTER {event} "
            f"ON calendar_busy_blocks REFERENCING {table} TABLE AS changed "
            "FOR EACH STATEMENT EXECUTE FUNCTION av_bump_blocks()"
        )
    return statements


def _triggers() -> list[tuple[str, str]]:
    """(trigger, table) of every trigger above: the same names on both databases."""
    triggers = [("av_hosts_insert", "hosts"), ("av_hosts_update", "hosts")]
    for table in (*HOST_ID_TABLES, "calendar_busy_blocks"):
        triggers += [(f"av_{table}_{event}", table) for event in ("insert", "update", "delete")]
    return triggers


def upgrade() -> None:
    op.create_table(
        "availability_versions",
        sa.Column("host_id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["host_id"],
            ["hosts.id"],
            name=op.f("fk_availability_versions_host_id_hosts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("host_id", name=op.f("pk_availability_versions")),
    )
    op.execute("INSERT INTO availability_versions (host_id, version) SELECT id, 0 FROM hosts")
    dialect = op.get_bind().dialect.name
    for statement in _postgres_statements() if dialect == "postgresql" else _sqlite_statements():
        op.execute(statement)


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    for trigger, table in _triggers():
        op.execute(f"DROP TRIGGER {trigger} ON {table}" if postgres else f"DROP TRIGGER {trigger}")
    if postgres:
        for function in ("av_new_host", "av_bump_host", "av_bump_host_id", "av_bump_blocks"):
            op.execute(f"DROP FUNCTION {function}()")
    op.drop_table("availability_versions")
