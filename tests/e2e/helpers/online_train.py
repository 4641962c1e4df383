"""A training loop in online mode, in phases the test gates; run as a subprocess.

Settings come from the environment (``TRACKLET_MODE=online``, ``TRACKLET_BASE_URL``,
``TRACKLET_API_KEY`` ...). It logs ``--steps`` steps of two metrics (``loss`` and
``acc``, exact functions of the step, see ``workload.metric_value``), pausing
``--pace`` seconds every ``--pace-every`` steps. Lines on stdout:

    run <entity/project/id>          after init()
    logged <n>                       every ``--report-every`` steps: n steps logged
    loop done <n>                    after the loop; with --wait-go it then reads a line
                                     from stdin before finish()
    finished <pending> <written>     after finish() returned (records not yet on the
                                     server, records written to the run log)
"""

from __future__ import annotations

import argparse
import sys
import time

from workload import metric_value

import tracklet


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--steps", type=int, required=True)
    p.add_argument("--report-every", type=int, default=1000)
    p.add_argument("--wait-go", action="store_true")
    p.add_argument("--pace", type=float, default=0.0)
    p.add_argument("--pace-every", type=int, default=100)
    p.add_argument("--finish-timeout", type=float, default=30.0)
    args = p.parse_args()

    run = tracklet.init()
    print(f"run {run.path}", flush=True)
    for step in range(args.steps):
        if step and step % args.report_every == 0:
            print(f"logged {step}", flush=True)
        tracklet.log({"loss": metric_value(step, 0), "acc": metric_value(step, 1)},
                     step=step)
        if args.pace and step % args.pace_every == args.pace_every - 1:
            time.sleep(args.pace)  # pacing the workload, not synchronising
    print(f"loop done {args.steps}", flush=True)
    if args.wait_go:
        sys.stdin.readline()
    tracklet.finish(timeout=args.finish_timeout)
    status = run.finish_status
    assert status is not None
    print(f"finished {status.pending} {status.written}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
