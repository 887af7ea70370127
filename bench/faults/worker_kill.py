"""Fault: the evaluation worker SIGKILLed (its main process and its pool at once) in the middle
of a steady load, and started again ``--down`` seconds later, as a supervisor would.

    .venv/bin/python bench/faults/worker_kill.py [--down 5] [options of bench/faults/harness.py]

The messages it had taken are gone with it (acknowledged late, but Redis gives them back only
after an hour): the re-drive finds their events.
"""

import time

from harness import Figures, Run, Stack, main

OPTIONS = {"down": (float, 5.0, "seconds before the worker is started again")}


def run(opts) -> Figures:
    with Stack.started("worker-kill", opts) as stack:
        test = Run(stack, "worker SIGKILL")

        def fault() -> None:
            stack.kill("evaluation")
            time.sleep(opts.down)
            stack.start("evaluation")

        return test.inject(fault)


if __name__ == "__main__":
    main(__doc__, OPTIONS, run)
