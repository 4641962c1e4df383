"""A training loop that logs through the public SDK; the e2e tests run it as a subprocess.

It prints progress on stdout, one line per event, flushed, so the test can wait on it:

    run <entity/project/id>         after init()
    ready                           before the loop (with --wait-go: then reads a line)
    logged <step> <monotonic>       after each step (with --report)
    lifted <step>                   the file-size limit was lifted (with --fsize-lift-at)
    loop done <steps>               after the loop
    finished                        after finish() returned

``--steps 0`` loops until the process is killed (or ``--max-seconds`` pass: exit 3).
"""

from __future__ import annotations

import argparse
import resource
import signal
import sys
import time

from workload import row

import tracklet


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--mode", default=None)
    p.add_argument("--steps", type=int, default=100)
    p.add_argument("--pace", type=float, default=0.0, help="seconds to sleep per step")
    p.add_argument("--report", action="store_true", help="print 'logged <step> <t>'")
    p.add_argument("--wait-go", action="store_true", help="read a line from stdin first")
    p.add_argument("--end", choices=["finish", "raise", "exit", "exit3"], default="finish")
    p.add_argument("--print", dest="say", default=None, help="print this on stdout first")
    p.add_argument("--fsize-limit", type=int, default=0,
                   help="RLIMIT_FSIZE in bytes for this process (SIGXFSZ ignored)")
    p.add_argument("--fsize-lift-at", type=int, default=-1,
                   help="at this step, lift the RLIMIT_FSIZE soft limit (space freed)")
    p.add_argument("--max-seconds", type=float, default=60.0)
    args = p.parse_args()

    if args.fsize_limit:
        # A file that cannot grow past the limit: writes beyond it fail with EFBIG, the
        # way they fail with ENOSPC on a full disk.
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        hard = resource.RLIM_INFINITY if args.fsize_lift_at >= 0 else args.fsize_limit
        resource.setrlimit(resource.RLIMIT_FSIZE, (args.fsize_limit, hard))

    run = tracklet.init(mode=args.mode)
    print(f"run {run.path}", flush=True)
    if args.say:
        print(args.say, flush=True)
    print("ready", flush=True)
    if args.wait_go:
        sys.stdin.readline()

    give_up = time.monotonic() + args.max_seconds
    step = 0
    while args.steps == 0 or step < args.steps:
        if step == args.fsize_lift_at:
            resource.setrlimit(resource.RLIMIT_FSIZE,
                               (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
            print(f"lifted {step}", flush=True)
        tracklet.log(row(step))
        if args.report:
            print(f"logged {step} {time.monotonic():.6f}", flush=True)
        if args.pace:
            time.sleep(args.pace)
        step += 1
        if args.steps == 0 and time.monotonic() > give_up:
            print("gave up waiting to be killed", file=sys.stderr, flush=True)
            return 3
    print(f"loop done {step}", flush=True)

    if args.end == "raise":
        raise ValueError(f"boom after {step} steps")
    if args.end == "exit":
        return 0  # no finish(): the exit hook must finish the run
    if args.end == "exit3":
        sys.exit(3)  # no finish(): the exit hook must fail the run
    tracklet.finish()
    print("finished", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
