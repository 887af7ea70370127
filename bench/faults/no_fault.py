"""No fault: the steady load alone, the control row of the table (on a shared machine, what
the load costs when nothing goes wrong).

    .venv/bin/python bench/faults/no_fault.py [options of bench/faults/harness.py]
"""

from harness import Figures, Run, Stack, main

OPTIONS: dict = {}


def run(opts) -> Figures:
    with Stack.started("no-fault", opts) as stack:
        test = Run(stack, "none (control)")
        return test.inject(lambda: None)


if __name__ == "__main__":
    main(__doc__, OPTIONS, run)
