"""Gunicorn settings for the IMS web server (`make run`, the container image).

Threads, not only processes: most of a request's time is spent waiting on PostgreSQL, so a few
processes with several threads each serve more pages than many single-threaded processes, with
fewer database connections. Every value can be changed through the environment.
"""

from __future__ import annotations

import multiprocessing
import os


def _env(name: str, default: str) -> str:
    # honcho exports every line of .env, so an empty value means "not set" too.
    return os.environ.get(name) or default


bind = _env("GUNICORN_BIND", f"127.0.0.1:{_env('PORT', '8000')}")
workers = int(_env("GUNICORN_WORKERS", str(multiprocessing.cpu_count() + 1)))
threads = int(_env("GUNICORN_THREADS", "4"))
worker_class = "gthread"
# A page that takes longer than this is killed and logged: a request limit for the whole stack.
timeout = int(_env("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 20
# Seconds an idle kept-alive connection stays open. Longer than a person's pause between pages
# (5 to 40 s at a desk): with gunicorn's old 5 s, a browser or proxy reusing a connection the
# server was closing at that moment saw it reset. Behind a proxy, keep the proxy's own idle
# timeout to its upstream shorter than this.
keepalive = int(_env("GUNICORN_KEEPALIVE", "75"))
# Recycle workers now and then so that a slow leak never grows without bound.
max_requests = int(_env("GUNICORN_MAX_REQUESTS", "5000"))
max_requests_jitter = 500
accesslog = "-"
# The path only (%(U)s), never the query string: a query may carry a passport or card number,
# and the access log must not keep personal data the application log redacts.
access_log_format = '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(M)sms'
errorlog = "-"
