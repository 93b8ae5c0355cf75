"""Claims with a lease, so that of several workers wanting the same thing at once only one does it.

A claim is a row (key, owner, expires_at). `claim` inserts the rows nobody holds (INSERT ... ON CONFLICT DO NOTHING)
and takes over the ones whose lease has run out (their owner died or hung), in one transaction; the owner renews its
leases while it works (`Heartbeat`) and deletes them when done. Expiry is wall-clock time of the claiming machine,
so the workers' clocks must agree to well within a lease (NTP keeps them within milliseconds).

`ask_once` is the loop every paid answer goes through (categorize's and Gemini Vision's): claim the keys the cache
does not hold, ask only for the keys won, and wait for the others' answers (polling every POLL_S), taking over the
keys whose claim was released without an answer or whose lease ran out (a claimant that died). A worker that has
won nothing for WAIT_S asks for the rest itself: paying twice is better than never finishing.
"""

import os
import secrets
import socket
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from types import TracebackType
from typing import TypeVar

from sqlalchemy import Column, Connection, Engine, Float, MetaData, Table, Text, delete, select, update

from content_pipeline.cache_store.statements import IN_BATCH, insert_missing, rows_in

LEASE_S = 60.0  # how long a claim holds without renewal: how long a dead claimant blocks the others at most
POLL_S = 0.2  # how often a worker looks for the answers another worker is asking for
WAIT_S = 600.0  # longest a worker waits for another's answers without winning a claim, before it asks itself

Answer = TypeVar("Answer")
Lookup = Callable[[Sequence[str]], Mapping[str, Answer]]  # the answers the cache holds among some keys
Ask = Callable[[Sequence[str], str | None], Mapping[str, Answer]]  # pay for keys' answers; store each, dropping
# the owner's claim of its key (owner None: nothing claimed)


def claims_table(name: str, metadata: MetaData) -> Table:
    return Table(
        name,
        metadata,
        Column("key", Text, primary_key=True),
        Column("owner", Text, nullable=False),
        Column("expires_at", Float, nullable=False),  # seconds since the epoch
    )


class Claims:
    """The claims of one table: claim, renew, release."""

    def __init__(self, engine: Engine, table: Table, lease_s: float = LEASE_S) -> None:
        self.engine, self.table, self.lease_s = engine, table, lease_s

    def claim(self, owner: str, keys: Iterable[str]) -> set[str]:
        """The keys `owner` holds after claiming `keys`: those nobody held, those whose lease ran out, its own."""
        wanted = sorted(set(keys))
        if not wanted:
            return set()
        t = self.table
        now = time.time()
        with self.engine.begin() as conn:
            insert_missing(conn, t, [{"key": k, "owner": owner, "expires_at": now + self.lease_s} for k in wanted])
            for start in range(0, len(wanted), IN_BATCH):
                batch = wanted[start : start + IN_BATCH]
                expired = (  # locked in key order: two workers taking over together never deadlock
                    select(t.c.key).where(t.c.key.in_(batch), t.c.expires_at < now).order_by(t.c.key).with_for_update()
                )
                conn.execute(
                    update(t)
                    .where(t.c.key.in_(expired.scalar_subquery()))
                    .values(owner=owner, expires_at=now + self.lease_s)
                )
            held = rows_in(conn, select(t.c.key).where(t.c.owner == owner), t.c.key, wanted)
            return {key for (key,) in held}

    def renew(self, owner: str) -> None:
        """Every claim of `owner` holds for another lease from now."""
        with self.engine.begin() as conn:
            conn.execute(
                update(self.table).where(self.table.c.owner == owner).values(expires_at=time.time() + self.lease_s)
            )

    def release(self, conn: Connection, owner: str, keys: Iterable[str] | None = None) -> None:
        """Drop `owner`'s claims (of `keys` only, when given) within the caller's transaction."""
        t = self.table
        if keys is None:
            conn.execute(delete(t).where(t.c.owner == owner))
            return
        wanted = sorted(set(keys))
        for start in range(0, len(wanted), IN_BATCH):
            conn.execute(delete(t).where(t.c.owner == owner, t.c.key.in_(wanted[start : start + IN_BATCH])))

    def release_all(self, owner: str) -> None:
        with self.engine.begin() as conn:
            self.release(conn, owner)


class Heartbeat:
    """Renews an owner's claims every third of a lease from a background thread while a block runs."""

    def __init__(self, claims: Claims, owner: str) -> None:
        self.claims, self.owner = claims, owner
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self.beat, name="claim-heartbeat", daemon=True)

    def beat(self) -> None:
        while not self.stopped.wait(self.claims.lease_s / 3):
            try:
                self.claims.renew(self.owner)
            except Exception:  # a missed renewal only brings the lease's end nearer; the next beat tries again
                continue

    def __enter__(self) -> "Heartbeat":
        self.thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.stopped.set()
        self.thread.join()


def new_owner() -> str:
    """A claim owner: this machine and process, and a random part (one per call of `ask_once`)."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(6)}"


def ask_once(
    claims: Claims,
    keys: Sequence[str],
    lookup: Lookup[Answer],
    ask: Ask[Answer],
    poll_s: float = POLL_S,
    wait_s: float = WAIT_S,
) -> tuple[dict[str, Answer], dict[str, Answer]]:
    """The answers to `keys` (none of them in the cache a moment ago): those this worker paid for (`ask`), and those
    another worker stored while this one waited (`lookup`), by key. `ask` gets the keys in the order given."""
    pending = list(dict.fromkeys(keys))
    fresh: dict[str, Answer] = {}
    found: dict[str, Answer] = {}
    if not pending:
        return fresh, found
    owner = new_owner()
    waiting_since = time.monotonic()
    try:
        with Heartbeat(claims, owner):  # stopped before the claims are dropped: the two never contend
            while pending:
                won = claims.claim(owner, pending)
                if won:
                    # a key stored between the first lookup and the claim: another worker has just answered it
                    found.update(lookup(sorted(won)))
                    fresh.update(ask([k for k in pending if k in won and k not in found], owner))
                others = lookup(sorted(set(pending) - won))
                found.update(others)
                pending = [k for k in pending if k not in won and k not in found]
                if won or others:
                    waiting_since = time.monotonic()
                elif pending:
                    if time.monotonic() - waiting_since >= wait_s:
                        fresh.update(ask(pending, None))
                        break
                    time.sleep(poll_s)
    finally:
        claims.release_all(owner)
    return fresh, found
