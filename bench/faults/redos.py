"""Fault: a ReDoS ruleset in one organization ("Storm": ``(a+)+$`` over ``msg``, the pattern
of issue 15) fed events of 50,000 ``a`` and a ``!`` at ``--storm-rate`` (1/s) for
``--seconds`` (20), while another organization ("Load") gets the steady load: the figures
are the quiet organization's (its lag during another's storm), the Storm's events are counted
apart.

    .venv/bin/python bench/faults/redos.py [--storm-rate 1] [--seconds 20] [options]
"""

import time

import requests
from harness import Figures, Run, Stack, main

REDOS = [{"type": "json-check", "key": "msg", "operator": "regex", "values": ["(a+)+$"]}]

OPTIONS = {
    "storm_rate": (float, 1.0, "Storm's events per second"),
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
        outcomes = stack.execute(
            "SELECT o->>'outcome', max(evaluation_attempts), count(*),"
            " percentile_cont(0.5) WITHIN GROUP (ORDER BY"
            " extract(epoch FROM evaluated_at - received_at))"
            " FROM webhooks_webhookevent LEFT JOIN jsonb_array_elements(evaluation->'rulesets') o"
            " ON true WHERE webhook_id = %s GROUP BY 1",
            (storm,),
        )
        figures.notes += [
            f"Storm's events, outcome {outcome}: {count}, at most {attempts} attempt(s), "
            f"lag p50 {lag or 0:.1f} s"
            for outcome, attempts, count, lag in outcomes
        ]
        return figures


if __name__ == "__main__":
    main(__doc__, OPTIONS, run)
