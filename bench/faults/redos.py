"""Fault: a ReDoS ruleset in one organization ("Storm": ``(a+)+$`` over ``msg``, the pattern
of issue 15) fed events of 50,000 ``a`` and a ``!`` at ``--storm-rate`` (5/s) for
``--seconds`` (20), while another organization ("Load") gets the steady load: the figures
are the quiet organization's (its lag during another's storm), the Storm's events are counted
apart.

    .venv/bin/python bench/faults/redos.py [--storm-rate 5] [--seconds 20] [options]
"""

import time

import requests
from harness import Figures, Run, Stack, main

REDOS = [{"type": "json-check", "key": "msg", "operator": "regex", "values": ["(a+)+$"]}]

OPTIONS = {
    "storm_rate": (float, 5.0, "Storm's events per second"),
    "seconds": (float, 20.0, "seconds the storm lasts"),
}


def run(opts) -> Figures:
    with Stack.started("redos", opts) as stack:
        test = Run(stack, "ReDoS storm (other org)")
        _, storm = stack.tenant("Storm", conditions=REDOS)
        body = {"status": "firing", "key": "storm", "msg": "a" * 50_000 + "!"}

        def fault() -> None:
            url = f"{stack.api}/incident/webhook/{storm}"
            start = time.monotonic()
            with requests.Session() as session:
                for n in range(int(opts.seconds * opts.storm_rate)):
                    time.sleep(max(0.0, start + n / opts.storm_rate - time.monotonic()))
                    session.post(url, json=body, timeout=10)

        figures = test.inject(fault)
        [(sent, evaluated)] = stack.execute(
            "SELECT count(*), count(evaluated_at) FROM webhooks_webhookevent WHERE webhook_id = %s",
            (storm,),
        )
        figures.notes.append(f"Storm: {sent} events stored, {evaluated} evaluated")
        return figures


if __name__ == "__main__":
    main(__doc__, OPTIONS, run)
