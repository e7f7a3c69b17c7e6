"""Database access: the embedded server, migrations, the connection pool and the embedding space."""

import asyncpg

# Failures that mean "the database is not there right now", not "the request is wrong".
DATABASE_ERRORS: tuple[type[BaseException], ...] = (
    asyncpg.PostgresConnectionError,
    asyncpg.InterfaceError,
    asyncpg.CannotConnectNowError,
    asyncpg.TooManyConnectionsError,
    ConnectionError,
    OSError,
    TimeoutError,
)
