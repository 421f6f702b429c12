"""Rate limits counted in memory: the same counts as ``limits``' own storage, one sweep thread a second."""
import threading
import time

import pytest
from limits import RateLimitItemPerSecond
from limits.strategies import FixedWindowRateLimiter, MovingWindowRateLimiter

from feedback import create_app
from feedback.rate_limit_storage import SweptMemoryStorage, storage_uri


def test_memory_is_served_by_the_swept_storage_and_other_storages_are_untouched():
    assert storage_uri("memory://") == "feedback+memory://"
    assert storage_uri("redis://127.0.0.1:6379/0") == "redis://127.0.0.1:6379/0"
    assert storage_uri("rediss://cache.example.org:6380") == "rediss://cache.example.org:6380"


def test_the_app_counts_its_limits_in_the_swept_storage_by_default(tmp_path):
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'a.db'}"})
    limiter = app.extensions["limiter"]
    limiter = next(iter(limiter)) if isinstance(limiter, (set, frozenset)) else limiter
    assert type(limiter._storage) is SweptMemoryStorage


@pytest.mark.parametrize("strategy", [FixedWindowRateLimiter, MovingWindowRateLimiter])
def test_a_limit_refuses_past_its_count_and_allows_again_once_its_window_has_passed(strategy):
    limiter = strategy(SweptMemoryStorage())
    two_a_second = RateLimitItemPerSecond(2, 1)
    assert limiter.hit(two_a_second, "sender") and limiter.hit(two_a_second, "sender")
    assert not limiter.hit(two_a_second, "sender")
    assert limiter.hit(two_a_second, "another sender")  # counted apart
    time.sleep(1.05)  # the window passes; the sweep (once a second) need not have run
    assert limiter.hit(two_a_second, "sender")


def test_a_burst_of_counts_starts_at_most_one_sweep_thread_a_second():
    storage = SweptMemoryStorage()
    time.sleep(0.05)  # the storage's first sweep (at 10 ms) is over: each count may now schedule one
    timers = set()
    started = time.monotonic()
    for n in range(150):  # a count every 2 ms or so, as on a busy webhook, for about 0.3 s
        storage.incr(f"key-{n % 7}", expiry=60)
        timers.add(id(storage.timer))
        time.sleep(0.002)
    elapsed = time.monotonic() - started
    # At most one per second of the burst (limits' own storage starts one every 10 ms).
    assert 1 <= len(timers) <= 1 + int(elapsed), (len(timers), elapsed)
    assert storage.timer.daemon  # never holds a finished process open


def test_expired_counters_are_swept_without_being_read():
    storage = SweptMemoryStorage()
    storage.incr("gone soon", expiry=0.05)
    time.sleep(0.1)
    storage.incr("kept", expiry=60)  # any later count schedules a sweep, as in limits' own storage
    deadline = time.monotonic() + 3
    while "gone soon" in storage.storage and time.monotonic() < deadline:
        time.sleep(0.05)
    assert "gone soon" not in storage.storage and "gone soon" not in storage.expirations
    assert storage.get("kept") == 1
    assert threading.active_count() < 50
