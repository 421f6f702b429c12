"""gunicorn's settings for feedback: ``gunicorn -c python:feedback.gunicorn_settings wsgi:app``.

Chosen by measurement, not habit (``tests/benchmarks/cpu_profile.py serve``; figures in
``tests/benchmarks/ISSUE24_FINDINGS.md``): on the same request mix, **sync workers, one per CPU
this process may run on**, cost the least CPU per answered page. gthread workers cost about a
fifth more (GIL hand-offs, the thread pool, a selector per connection) and every worker beyond
the CPU count about a fifth more again (context switches and cold caches), for no more pages
per second. A page is a few milliseconds of CPU and one or two short database round trips, so a
worker seldom waits long enough for threads to pay.

Sync workers must sit behind a buffering proxy (nginx, or any proxy that reads the whole request
and response for the worker): a phone on a slow connection would otherwise hold a worker for as
long as it takes to send its form. The README's production section says so too.

``FEEDBACK_WORKERS`` overrides the count (for example on a machine shared with PostgreSQL, where
one fewer can be right); ``FEEDBACK_BIND`` the address (default 127.0.0.1:8000, for the proxy).
gunicorn's own command-line options still win over this file.
"""
from __future__ import annotations

import os


def cpu_count() -> int:
    """CPUs this process may run on: a container's or ``taskset``'s limit, not the host's count."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def worker_count(environ=os.environ) -> int:
    """``FEEDBACK_WORKERS`` if set (a whole number from 1), else one per CPU."""
    given = (environ.get("FEEDBACK_WORKERS") or "").strip()
    if not given:
        return cpu_count()
    if not given.isdigit() or int(given) < 1:
        raise ValueError(f"FEEDBACK_WORKERS must be a whole number of worker processes, 1 or more; it is {given!r}.")
    return int(given)


worker_class = "sync"
workers = worker_count()
bind = [os.environ.get("FEEDBACK_BIND", "").strip() or "127.0.0.1:8000"]
