"""A loopback TCP proxy that can lose the answer to a request after the server has sent it.

Stands in for the network between Home Assistant and the sidecar: requests reach the sidecar
(which commits), but for requests starting with `drop_prefix` the first answer bytes cause the
client connection to be cut, so the client never learns that its write was stored. Runs in the
caller's event loop (no threads: Home Assistant's test harness forbids them).

    proxy = LossyProxy("127.0.0.1", sidecar_port); await proxy.start(); proxy.url
    proxy.drop(b"POST /conversations/turns", times=1)
    await proxy.stop()
"""

from __future__ import annotations

import asyncio
import contextlib


class LossyProxy:
    def __init__(self, host: str, port: int) -> None:
        self._upstream = (host, port)
        self._server: asyncio.Server | None = None
        self._prefix = b""
        self._drops = 0
        self.dropped = 0
        self._tasks: set[asyncio.Task[None]] = set()
        self._writers: set[asyncio.StreamWriter] = set()
        self.url = ""

    def drop(self, prefix: bytes, *, times: int = 1) -> None:
        """Lose the answers of the next `times` requests whose bytes start with `prefix`."""
        self._prefix, self._drops = prefix, times

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._connection, "127.0.0.1", 0)
        port = self._server.sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"

    async def stop(self) -> None:
        if self._server is None:
            return
        self._server.close()
        for writer in list(self._writers):  # kept-alive client connections
            writer.transport.abort()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self._server.wait_closed()

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        try:
            up_reader, up_writer = await asyncio.open_connection(*self._upstream)
        except OSError:
            self._writers.discard(writer)
            writer.close()
            return
        lose_answer = asyncio.Event()

        async def client_to_server() -> None:
            while data := await reader.read(65536):
                if self._drops and self._prefix and data.startswith(self._prefix):
                    self._drops -= 1
                    lose_answer.set()
                up_writer.write(data)
                await up_writer.drain()
            up_writer.write_eof()

        async def server_to_client() -> None:
            while data := await up_reader.read(65536):
                if lose_answer.is_set():
                    # The server committed and answered; the client never hears of it.
                    self.dropped += 1
                    writer.transport.abort()
                    up_writer.close()
                    return
                writer.write(data)
                await writer.drain()
            writer.close()

        tasks = [
            asyncio.ensure_future(client_to_server()),
            asyncio.ensure_future(server_to_client()),
        ]
        self._tasks.update(tasks)
        try:
            await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in tasks:
                task.cancel()
            with contextlib.suppress(Exception):
                await asyncio.gather(*tasks, return_exceptions=True)
            self._tasks.difference_update(tasks)
            self._writers.discard(writer)
            writer.close()
            up_writer.close()
