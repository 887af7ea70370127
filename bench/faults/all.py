"""Every fault script, one after the other (never two at once), and their figures as one table.

    .venv/bin/python bench/faults/all.py [options of bench/faults/harness.py]

The options apply to every fault; each fault's own take their defaults.
"""

import broker_down
import no_fault
import postgres_terminate
import redos
import slow_clients
import storm
import web_kill
import worker_kill
from harness import Figures, options

FAULTS = [
    no_fault,
    worker_kill,
    broker_down,
    postgres_terminate,
    web_kill,
    redos,
    storm,
    slow_clients,
]


def main() -> None:
    shared = options(__doc__)
    results = []
    for module in FAULTS:
        own = {name: default for name, (_, default, _) in module.OPTIONS.items()}
        figures = module.run(type(shared)(**vars(shared), **own))
        figures.print()
        results.append(figures)
    print()
    print(Figures.HEADER)
    for figures in results:
        print(figures.line())


if __name__ == "__main__":
    main()
