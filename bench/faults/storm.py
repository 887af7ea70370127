"""Fault: a volume storm in one organization ("Storm": ``--storm-rate`` events a second, 200,
for ``--seconds``, 30, each opening or attaching as the load's do), while another organization
("Load") gets the steady load. The figures are the quiet organization's: its lag during
another's storm. The Storm's events are counted apart.

    .venv/bin/python bench/faults/storm.py --rate 1 --events 60 [--storm-rate 200] [--seconds 30]

With ``--rate 1 --events 60`` the quiet organization sends an event a second for a minute, the
storm starting 10 s in (``--fault-at``).
"""

import time

from harness import Figures, Load, Run, Stack, main

from bench.ingest import percentile

OPTIONS = {
    "storm_rate": (float, 200.0, "Storm's events per second"),
    "seconds": (float, 30.0, "seconds the storm lasts"),
}

PENDING = (
    "SELECT count(*) FROM webhooks_webhookevent WHERE webhook_id = %s AND evaluated_at IS NULL"
)
LAGS = (
    "SELECT extract(epoch FROM evaluated_at - received_at) FROM webhooks_webhookevent"
    " WHERE webhook_id = %s AND received_at BETWEEN to_timestamp(%s) AND to_timestamp(%s)"
    " AND evaluated_at IS NOT NULL ORDER BY 1"
)


def run(opts) -> Figures:
    with Stack.started("storm", opts) as stack:
        test = Run(stack, "volume storm (other org)")
        _, storm = stack.tenant("Storm")
        storm_load = Load(
            stack.port,
            f"/v1/incident/webhook/{storm}",
            events=int(opts.seconds * opts.storm_rate),
            rate=opts.storm_rate,
        )

        def fault() -> None:
            storm_load.start()
            storm_load.join()

        figures = test.inject(fault)
        # The quiet organization's events settled: let the Storm's backlog drain too (bounded as
        # the settling is), so that its lag and what the fairness cost it are measured in full.
        deadline = time.time() + opts.redrive_after + 2 * opts.redrive_interval + 60
        while time.time() < deadline and stack.execute(PENDING, (storm,))[0][0]:
            time.sleep(0.5)
        quiet_webhook = stack.execute(
            "SELECT webhook_id FROM webhooks_webhookevent WHERE id = %s",
            (test.accepted_ids[0],),
        )[0][0]
        window = (test.fault_started, test.fault_ended)
        for name, webhook in (("quiet organization", quiet_webhook), ("Storm", storm)):
            lags = [float(lag) for (lag,) in stack.execute(LAGS, (webhook, *window))]
            figures.notes.append(
                f"{name}'s events received during the storm: {len(lags)} evaluated, lag p50 "
                f"{percentile(lags, 50):.2f} s, p99 {percentile(lags, 99):.2f} s, "
                f"max {max(lags, default=0.0):.2f} s"
            )
        accepted = sum(1 for event in storm_load.sent if event.event_id)
        [(pending,)] = stack.execute(PENDING, (storm,))
        figures.notes.append(
            f"Storm: {accepted} accepted of {len(storm_load.sent)} sent in "
            f"{test.fault_ended - test.fault_started:.1f} s, {pending} still pending at the end"
        )
        return figures


if __name__ == "__main__":
    main(__doc__, OPTIONS, run)
