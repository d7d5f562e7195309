#!/usr/bin/python3
"""Runs a command with a wall-clock limit and reports wall and CPU time (children, user+sys).

  run_timed.py --timeout S --report OUT.json --log LOG -- CMD [ARGS...]

The command runs in its own process group; on timeout the whole group gets SIGTERM, then
SIGKILL after 10 s. OUT.json: {"rc": exit code (124 on timeout), "wall_s", "cpu_s",
"timed_out"}. Always exits 0 unless this wrapper itself is misused.
"""
import argparse
import json
import os
import resource
import signal
import subprocess
import sys
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--timeout", type=float, required=True)
    ap.add_argument("--report", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("cmd", nargs=argparse.REMAINDER)
    a = ap.parse_args()
    cmd = a.cmd[1:] if a.cmd and a.cmd[0] == "--" else a.cmd
    if not cmd:
        ap.error("no command")
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.monotonic()
    timed_out = False
    with open(a.log, "w") as log:
        try:
            p = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        except OSError as e:
            log.write("cannot start %s: %s\n" % (cmd[0], e))
            rc = 127
            p = None
        if p is not None:
            try:
                rc = p.wait(timeout=a.timeout)
            except subprocess.TimeoutExpired:
                timed_out = True
                os.killpg(p.pid, signal.SIGTERM)
                try:
                    p.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    os.killpg(p.pid, signal.SIGKILL)
                    p.wait()
                rc = 124
    wall = time.monotonic() - t0
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
    with open(a.report, "w") as f:
        json.dump({"rc": rc, "wall_s": round(wall, 3), "cpu_s": round(cpu, 3),
                   "timed_out": timed_out}, f)
    return 0


if __name__ == "__main__":
    sys.exit(main())
