"""Database access: the embedded server, migrations, the connection pool and the embedding space."""

import asyncpg

# Failures that mean "the database is not there right now", not "the request is wrong".
DATABASE_ERRORS: tuple[type[BaseException], ...] = (
    asyncpg.PostgresConnectionError,
    asyncpg.InterfaceError,
    asyncpg.CannotConnectNowError,
    asyncpg.TooManyConnectionsError,
    # The server is shutting down or restarting and ends our sessions (57P01, 57P02).
    asyncpg.AdminShutdownError,
    asyncpg.CrashShutdownError,
    # A pooled connection the server closed under us is left mid-protocol ("cannot switch to
    # state …; another operation is in progress"); the pool discards it on release.
    asyncpg.InternalClientError,
    ConnectionError,
    OSError,
    TimeoutError,
)
