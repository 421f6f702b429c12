"""Rate limits counted in one process's memory, without starting a thread on every request.

``limits``' own in-memory storage sweeps expired counters from a 10 ms timer thread, and starts a
new one whenever the last has finished: on a server answering a request every few milliseconds that
is a thread started on most limited requests (an inbound text passes two limits), about 0.3 ms of
CPU each (issue 24's profile of the SMS webhook). Its reads already drop a counter whose window has
passed, so the sweep only frees memory; sweeping at most once a second frees it just as surely and
counts exactly as before.

``memory://`` in ``FEEDBACK_RATE_LIMIT_STORAGE`` (the default) is served by this storage under its
own scheme; Redis and the rest are untouched. Pure ``limits``: no Flask here.
"""
from __future__ import annotations

import threading

from limits.storage import MemoryStorage

SCHEME = "feedback+memory"
MEMORY = "memory://"


class SweptMemoryStorage(MemoryStorage):
    """``MemoryStorage`` whose sweep of expired counters runs at most once per ``SWEEP_SECONDS``."""

    STORAGE_SCHEME = [SCHEME]  # registers the scheme with ``limits.storage.storage_from_string``
    SWEEP_SECONDS = 1.0

    # The base class calls its private ``__schedule_expiry`` (name-mangled to this) from every
    # count; only when a sweep is scheduled changes, not what a sweep does.
    def _MemoryStorage__schedule_expiry(self) -> None:
        if not self.timer.is_alive():
            self.timer = threading.Timer(self.SWEEP_SECONDS, self._MemoryStorage__expire_events)
            # A pending sweep must not hold a finished process open for up to a second.
            self.timer.daemon = True
            self.timer.start()


def storage_uri(configured: str) -> str:
    """The storage URI to give Flask-Limiter for the configured one: ``memory://`` becomes this storage."""
    if configured.startswith(MEMORY):
        return f"{SCHEME}://{configured[len(MEMORY):]}"
    return configured
