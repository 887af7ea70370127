"""Fault: the broker down ``--down`` seconds (20) in the middle of a steady load: the private
``redis-server`` killed, then started again on the same port, empty (no persistence: every
message it held is gone, those queued and those taken but not acknowledged).

    .venv/bin/python bench/faults/broker_down.py [--down 20] [options of bench/faults/harness.py]

Ingest goes on (events are stored before the answer; their hand-over fails, logged); the
re-drive evaluates what the broker lost. It must be done within the re-drive's delay plus one
interval of the outage's end: the recovery figure says.
"""

import time

from harness import Figures, Run, Stack, main

OPTIONS = {"down": (float, 20.0, "seconds the broker is down")}


def run(opts) -> Figures:
    with Stack.started("broker-down", opts) as stack:
        test = Run(stack, f"broker down {opts.down:.0f} s")

        def fault() -> None:
            stack.stop_broker()
            time.sleep(opts.down)
            stack.start_broker()

        figures = test.inject(fault)
        bound = opts.redrive_after + opts.redrive_interval
        verdict = "within" if figures.recovery_s <= bound else "NOT within"
        figures.notes.append(f"recovery {verdict} re-drive delay + one interval ({bound} s)")
        return figures


if __name__ == "__main__":
    main(__doc__, OPTIONS, run)
