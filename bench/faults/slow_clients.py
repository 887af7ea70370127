"""Fault: ``--clients`` (200) slow connections for ``--seconds`` (20) in the middle of a steady
load, each sending the head of an ingest request and a byte of its body a second, never the
end (``pinghome.slow_clients``; a connection the server closes is opened again).

    .venv/bin/python bench/faults/slow_clients.py [--clients 200] [--seconds 20] [options]

The buffering worker reads requests before a thread serves them: the ingest p99 of the load
meanwhile is the figure to watch.
"""

import time

from harness import Figures, Run, Stack, main

from pinghome.slow_clients import slow_clients

OPTIONS = {
    "clients": (int, 200, "slow connections"),
    "seconds": (float, 20.0, "seconds they are held"),
}


def run(opts) -> Figures:
    with Stack.started("slow-clients", opts) as stack:
        test = Run(stack, f"{opts.clients} slow clients")

        def fault() -> None:
            with slow_clients(stack.port, test.load.path, count=opts.clients) as clients:
                time.sleep(opts.seconds)
                held = clients.open_now
            test.notes.append(
                f"{held} slow connections open at the end, {clients.closed_by_server} closed "
                f"by the server ({dict(clients.answers) or 'no answer'})"
            )

        return test.inject(fault)


if __name__ == "__main__":
    main(__doc__, OPTIONS, run)
