"""Fault: every PostgreSQL backend of the scratch database terminated (``pg_terminate_backend``:
web, workers and beat lose their connections mid-transaction), ``--times`` times (3) a second
apart, in the middle of a steady load. Backends of other databases are not touched.

    .venv/bin/python bench/faults/postgres_terminate.py [--times 3] [options of harness.py]

An ingest request whose connection is gone answers 503 with ``Retry-After`` (not accepted: the
load sends it again); an evaluation that loses its connection is retried, then re-driven.
"""

import time

from harness import Figures, Run, Stack, main

OPTIONS = {"times": (int, 3, "terminations, a second apart")}


def run(opts) -> Figures:
    with Stack.started("postgres-terminate", opts) as stack:
        test = Run(stack, f"PostgreSQL backends x{opts.times}")
        name = stack.database.rsplit("/", 1)[1]

        def fault() -> None:
            for n in range(opts.times):
                if n:
                    time.sleep(1)
                [(killed,)] = stack.execute(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                    " WHERE datname = %s AND pid <> pg_backend_pid()",
                    (name,),
                )
                test.notes.append(f"termination {n + 1}: {killed} backends")

        return test.inject(fault)


if __name__ == "__main__":
    main(__doc__, OPTIONS, run)
