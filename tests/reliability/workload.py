"""Mixed sidecar traffic with a ledger of every acknowledged write.

`Workload.run(op)` sends one request of a kind (turns, searches, cache lookups, feedback, …),
checks the answer means what the API says, and records what the sidecar acknowledged in the
`Ledger`; ledger_check.py later proves that exactly that is in PostgreSQL. `run_load` drives
many concurrent clients through a fixed number of requests within a time limit.
"""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

import aiohttp

# Relative weights of the request kinds in the default mix.
MIX: dict[str, int] = {
    "turns": 22,
    "turns_retry": 5,
    "search": 18,
    "memory_add": 10,
    "memory_dup": 3,
    "cache_store": 7,
    "cache_hit": 10,
    "cache_miss": 5,
    "feedback": 10,
    "history": 5,
    "preference": 5,
}
WRITE_MIX: dict[str, int] = {
    "turns": 4,
    "memory_add": 2,
    "preference": 1,
    "feedback": 1,
    "cache_store": 1,
}
TOPICS = (
    "kitchen light brightness",
    "bedroom heating schedule",
    "garden watering in the evening",
    "the dog's feeding time",
    "garage door sensor battery",
    "living room tv volume",
)


@dataclass
class Ledger:
    """What the sidecar acknowledged (2xx); everything here must be in the database."""

    run_id: str
    turn_batches: list[list[str]] = field(default_factory=list)
    turn_ids: dict[str, int] = field(default_factory=dict)  # turn_id -> row id
    turns_with_response: set[str] = field(default_factory=set)
    memories: dict[str, int] = field(default_factory=dict)  # content -> id
    preferences: dict[str, Any] = field(default_factory=dict)
    feedback: dict[int, tuple[str, int]] = field(default_factory=dict)  # id -> (turn, score)
    cache: dict[str, str] = field(default_factory=dict)  # query -> response
    cache_lookups: int = 0
    cache_hits: int = 0
    # Turn batches whose outcome is unknown (no answer or 5xx): a client sends them again.
    unacknowledged_batches: list[list[dict[str, Any]]] = field(default_factory=list)
    # Writes of any kind whose outcome is unknown (they may or may not have been stored).
    uncertain_writes: int = 0
    sequence: int = 0  # numbers unique names across rounds sharing this ledger

    def next_number(self) -> int:
        self.sequence += 1
        return self.sequence


@dataclass
class Outcome:
    op: str
    status: int | None  # None: no HTTP answer (timeout, connection error)
    seconds: float
    problem: str | None = None
    retry_after: str | None = None
    error: str | None = None  # the JSON error code of a 4xx/5xx answer


def percentile(values: list[float], fraction: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))
    return ordered[index]


@dataclass
class LoadReport:
    outcomes: list[Outcome]
    seconds: float

    @property
    def statuses(self) -> Counter[int | None]:
        return Counter(outcome.status for outcome in self.outcomes)

    @property
    def server_errors(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.status is None or o.status >= 500]

    @property
    def problems(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.problem is not None]

    def latency(self, fraction: float, op: str | None = None) -> float:
        return percentile([o.seconds for o in self.outcomes if op is None or o.op == op], fraction)

    def summary(self) -> dict[str, Any]:
        by_op: dict[str, list[Outcome]] = defaultdict(list)
        for outcome in self.outcomes:
            by_op[outcome.op].append(outcome)
        return {
            "requests": len(self.outcomes),
            "seconds": round(self.seconds, 2),
            "requests_per_second": round(len(self.outcomes) / self.seconds, 1)
            if self.seconds
            else 0.0,
            "statuses": {str(k): v for k, v in sorted(self.statuses.items(), key=str)},
            "p50_ms": round(self.latency(0.50) * 1000, 1),
            "p95_ms": round(self.latency(0.95) * 1000, 1),
            "p99_ms": round(self.latency(0.99) * 1000, 1),
            "server_errors": len(self.server_errors),
            "problems": [f"{o.op}: {o.problem}" for o in self.problems[:10]],
            "per_op_p95_ms": {
                op: round(percentile([o.seconds for o in items], 0.95) * 1000, 1)
                for op, items in sorted(by_op.items())
            },
        }


class Workload:
    """One request of a kind at a time; safe to call from many tasks at once."""

    def __init__(
        self, session: aiohttp.ClientSession, base_url: str, *, ledger: Ledger, seed: int = 0
    ) -> None:
        self.session = session
        self.base_url = base_url.rstrip("/")
        self.ledger = ledger
        self.random = random.Random(seed)
        self.outcomes: list[Outcome] = []

    def _next(self) -> int:
        return self.ledger.next_number()

    async def _call(
        self, op: str, method: str, path: str, **kwargs: Any
    ) -> tuple[int | None, Any, Outcome]:
        started = time.perf_counter()
        try:
            async with self.session.request(method, f"{self.base_url}{path}", **kwargs) as answer:
                body: Any = await answer.json(content_type=None)
                outcome = Outcome(
                    op, answer.status, time.perf_counter() - started,
                    retry_after=answer.headers.get("Retry-After"),
                    error=body.get("error") if isinstance(body, dict) else None,
                )  # fmt: skip
        except (aiohttp.ClientError, TimeoutError, ValueError) as err:
            outcome = Outcome(op, None, time.perf_counter() - started, f"{type(err).__name__}")
            body = None
        self.outcomes.append(outcome)
        if method != "GET" and (outcome.status is None or outcome.status >= 500):
            self.ledger.uncertain_writes += 1
        return outcome.status, body, outcome

    async def run(self, op: str) -> None:
        await getattr(self, f"_{op}")()

    # -- writes ------------------------------------------------------------------------------

    def _new_turns(self) -> list[dict[str, Any]]:
        run = self.ledger.run_id
        conversation = f"{run}-conv-{self.random.randrange(20)}"
        turns = []
        for _ in range(self.random.randint(1, 5)):
            n = self._next()
            topic = self.random.choice(TOPICS)
            turns.append(
                {
                    "turn_id": f"{run}-turn-{n}-{uuid.uuid4().hex[:8]}",
                    "conversation_id": conversation,
                    "content": f"what about the {topic} number {n}",
                    "response": f"the {topic} is fine ({n})",
                    "language": "en",
                    "device_id": f"{run}-satellite",
                    "response_type": "query_answer",
                }
            )
        return turns

    async def send_turns(self, turns: list[dict[str, Any]], op: str = "turns") -> bool:
        """POST a batch; True when acknowledged (then recorded in the ledger)."""
        status, body, outcome = await self._call(
            op, "POST", "/conversations/turns", json={"turns": turns}
        )
        if status != 200:
            if status is None or status >= 500:
                self.ledger.unacknowledged_batches.append(turns)
            elif outcome.problem is None:
                outcome.problem = f"turns refused: {status} {body}"
            return False
        results = body["results"]
        if [r["turn_id"] for r in results] != [t["turn_id"] for t in turns]:
            outcome.problem = "turn results out of order"
        for result in results:
            known = self.ledger.turn_ids.get(result["turn_id"])
            if known is not None and (result["created"] or result["id"] != known):
                outcome.problem = f"turn {result['turn_id']} stored twice"
            self.ledger.turn_ids[result["turn_id"]] = result["id"]
        self.ledger.turns_with_response.update(t["turn_id"] for t in turns if t.get("response"))
        self.ledger.turn_batches.append(turns)  # type: ignore[arg-type]
        return True

    async def _turns(self) -> None:
        await self.send_turns(self._new_turns())

    async def _turns_retry(self) -> None:
        """A client that lost the answer sends the same batch again: nothing new is stored."""
        if not self.ledger.turn_batches:
            return await self._turns()
        batch: Any = self.random.choice(self.ledger.turn_batches)
        status, body, outcome = await self._call(
            "turns_retry", "POST", "/conversations/turns", json={"turns": batch}
        )
        if status == 200 and (body["created"] != 0 or body["duplicates"] != len(batch)):
            outcome.problem = f"retry stored again: {body['created']} created"
        return None

    async def _memory_add(self) -> None:
        n = self._next()
        topic = self.random.choice(TOPICS)
        content = f"{self.ledger.run_id} fact {n}: remember the {topic}"
        status, body, outcome = await self._call(
            "memory_add",
            "POST",
            "/memory/add",
            json={"content": content, "domain": "load", "tags": ["load", f"t{n % 7}"]},
        )
        if status == 201 and body["created"]:
            self.ledger.memories[content] = body["id"]
        elif status is not None and status < 500:
            outcome.problem = f"memory add: {status} {body}"

    async def _memory_dup(self) -> None:
        if not self.ledger.memories:
            return await self._memory_add()
        content, memory_id = self.random.choice(list(self.ledger.memories.items()))
        status, body, outcome = await self._call(
            "memory_dup", "POST", "/memory/add", json={"content": content, "domain": "load"}
        )
        if (
            status is not None
            and status < 500
            and (status != 200 or body["created"] or body["id"] != memory_id)
        ):
            outcome.problem = f"duplicate memory was stored again: {status} {body}"
        return None

    async def _preference(self) -> None:
        key = f"{self.ledger.run_id}.pref.{self._next()}"
        value = {"volume": self.random.randint(0, 100), "unit": "percent"}
        status, body, outcome = await self._call(
            "preference", "POST", "/preferences/set", json={"key": key, "value": value}
        )
        if status == 200:
            self.ledger.preferences[key] = value
        elif status is not None and status < 500:
            outcome.problem = f"preference: {status} {body}"

    async def _feedback(self) -> None:
        if not self.ledger.turn_ids:
            return await self._turns()
        turn_id = self.random.choice(list(self.ledger.turn_ids))
        score = self.random.randint(1, 5)
        status, body, outcome = await self._call(
            "feedback",
            "POST",
            "/training/feedback",
            json={"interaction_id": turn_id, "score": score},
        )
        if status == 201:
            self.ledger.feedback[body["id"]] = (turn_id, score)
        elif status is not None and status < 500:
            outcome.problem = f"feedback: {status} {body}"
        return None

    async def _cache_store(self) -> None:
        query = f"{self.ledger.run_id} how warm is room {self._next()}"
        response = f"It is {self.random.randint(15, 25)} degrees."
        status, body, outcome = await self._call(
            "cache_store",
            "POST",
            "/cache/store",
            json={"query": query, "response": response, "language": "en"},
        )
        if status == 201:
            self.ledger.cache[query] = response
        elif status is not None and status < 500:
            outcome.problem = f"cache store: {status} {body}"

    # -- reads -------------------------------------------------------------------------------

    async def _cache_hit(self) -> None:
        if not self.ledger.cache:
            return await self._cache_store()
        query, response = self.random.choice(list(self.ledger.cache.items()))
        status, body, outcome = await self._call(
            "cache_hit", "POST", "/cache/lookup", json={"query": query, "language": "en"}
        )
        if status == 200:
            self.ledger.cache_lookups += 1
            self.ledger.cache_hits += bool(body["hit"])
            if not body["hit"] or body["entry"]["response"] != response:
                outcome.problem = f"stored answer not found: {body}"
        return None

    async def _cache_miss(self) -> None:
        query = f"{self.ledger.run_id} never asked {uuid.uuid4().hex}"
        status, body, outcome = await self._call(
            "cache_miss", "POST", "/cache/lookup", json={"query": query, "language": "en"}
        )
        if status == 200:
            self.ledger.cache_lookups += 1
            self.ledger.cache_hits += bool(body["hit"])
            if body["hit"]:
                outcome.problem = f"unknown question hit the cache: {body}"

    async def _search(self) -> None:
        params = {"query": self.random.choice(TOPICS), "limit": "5", "domain": "load"}
        status, body, outcome = await self._call("search", "GET", "/memory/search", params=params)
        if status == 200 and not isinstance(body.get("results"), list):
            outcome.problem = f"search answer without results: {body}"

    async def _history(self) -> None:
        conversation = f"{self.ledger.run_id}-conv-{self.random.randrange(20)}"
        status, body, outcome = await self._call(
            "history", "GET", "/conversations/history", params={"conversation_id": conversation}
        )
        if status == 200 and not isinstance(body.get("turns"), list):
            outcome.problem = f"history answer without turns: {body}"


def choose_ops(count: int, mix: dict[str, int], seed: int) -> list[str]:
    chooser = random.Random(seed)
    kinds, weights = zip(*mix.items(), strict=True)
    return chooser.choices(kinds, weights=weights, k=count)


async def run_load(
    base_url: str,
    token: str,
    *,
    ledger: Ledger,
    clients: int,
    requests: int,
    duration: float,
    mix: dict[str, int] | None = None,
    seed: int = 0,
    request_timeout: float = 30.0,
) -> LoadReport:
    """`clients` concurrent clients share `requests` requests; stops early after `duration` s."""
    ops = choose_ops(requests, mix or MIX, seed)
    connector = aiohttp.TCPConnector(limit=clients)
    timeout = aiohttp.ClientTimeout(total=request_timeout)
    headers = {"Authorization": f"Bearer {token}"}
    async with aiohttp.ClientSession(
        connector=connector, timeout=timeout, headers=headers
    ) as session:
        workload = Workload(session, base_url, ledger=ledger, seed=seed)
        position = iter(range(requests))
        started = time.monotonic()
        deadline = started + duration

        async def client() -> None:
            for index in position:
                if time.monotonic() > deadline:
                    return
                await workload.run(ops[index])

        async with asyncio.timeout(duration + request_timeout + 5):
            await asyncio.gather(*(client() for _ in range(clients)))
        return LoadReport(workload.outcomes, time.monotonic() - started)
