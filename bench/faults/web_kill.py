"""Fault: every gunicorn worker process SIGKILLed at once in the middle of a steady load (the
master stays and starts new ones, as it does after a crash or the OOM killer).

    .venv/bin/python bench/faults/web_kill.py [options of bench/faults/harness.py]

Requests in flight are cut (a reset, sent again by the load); an event is answered 202 only
once it is committed, so none accepted is lost. Events committed whose hand-over to evaluation
was still in the killed process's memory are found by the re-drive.
"""

import os
import signal
import time

from harness import Figures, Run, Stack, main

OPTIONS: dict = {}


def run(opts) -> Figures:
    with Stack.started("web-kill", opts) as stack:
        test = Run(stack, "web workers SIGKILL")

        def fault() -> None:
            pids = stack.web_workers()
            killed_at = time.time()
            for pid in pids:
                os.kill(pid, signal.SIGKILL)
            test.notes.append(f"{len(pids)} web worker processes killed")
            # Over once an event of the load is accepted again.
            while not any(event.accepted_at > killed_at for event in test.load.sent):
                time.sleep(0.05)

        return test.inject(fault)


if __name__ == "__main__":
    main(__doc__, OPTIONS, run)
