#!/usr/bin/env python3
"""Estimates how long a cold `madpipe run --jobs N` of a pipeline takes, from a cache that holds a
record of every stage instance (however many runs made them): replays the stage-seconds of those
records through the scheduler's rule (SchedulerCore: ready instances queue in plan order, first
come first served, each taking one of N CPUs). Use it when a cache was completed by several runs
and the cold wall clock was not measured; check it first on a cache made by one cold run, whose
wall clock it should give back.

    MADPIPE_CACHE=DIR python3 bench/cold-run-estimate.py pipelines/quirky-mad.yaml [--jobs 2] [--madpipe BIN]

Standard library only. Stage resources other than one CPU each are ignored.
"""
import argparse
import heapq
import json
import os
import re
import subprocess
import sys


def simulate(order, deps, seconds, jobs):
    """(wall clock, critical path) of running the instances `order` (plan order: every instance
    after what it reads) whose `deps[i]` lists what i reads and which take `seconds[i]`, on `jobs`
    CPUs, ready instances starting first come first served."""
    waiting = {i: len(deps.get(i, [])) for i in order}
    dependents = {}
    for i in order:
        for d in deps.get(i, []):
            dependents.setdefault(d, []).append(i)
    queue = [i for i in order if waiting[i] == 0]
    running, now, free = [], 0.0, max(1, jobs)
    while queue or running:
        while free and queue:
            i = queue.pop(0)
            heapq.heappush(running, (now + seconds[i], i))
            free -= 1
        now, i = heapq.heappop(running)
        free += 1
        for j in dependents.get(i, []):  # in plan order, as `order` built them
            waiting[j] -= 1
            if waiting[j] == 0:
                queue.append(j)
    # The longest chain of stage-seconds: no number of CPUs runs faster.
    longest = {}
    for i in order:
        longest[i] = seconds[i] + max((longest[d] for d in deps.get(i, [])), default=0.0)
    return now, max(longest.values(), default=0.0)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("pipeline")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--madpipe", default=".build/release/madpipe")
    ap.add_argument("--cache", default=os.environ.get("MADPIPE_CACHE"))
    a = ap.parse_args()
    if not a.cache:
        sys.exit("cold-run-estimate: error: name the cache (--cache or MADPIPE_CACHE)")

    def madpipe(*args):
        return subprocess.run([a.madpipe, *args], check=True, capture_output=True, text=True).stdout

    # Instances in plan order and their edges (dag), and each instance's key (status).
    labels, deps = {}, {}
    for line in madpipe("dag", a.pipeline, "--format", "dot").splitlines():
        if m := re.match(r'\s*n(\d+) \[label="([^\\"]+)', line):
            labels[int(m.group(1))] = m.group(2)
        elif m := re.match(r"\s*n(\d+) -> n(\d+)", line):
            deps.setdefault(int(m.group(2)), []).append(int(m.group(1)))
    keys = {s["id"]: s["key"] for s in json.loads(madpipe("status", a.pipeline, "--json", "--cache", a.cache))["stages"]}

    seconds = {}
    for i, name in labels.items():
        path = os.path.join(a.cache, "stages", f"{keys[name]}.json")
        if not os.path.exists(path):
            sys.exit(f"cold-run-estimate: error: {name} has no record in {a.cache} (run the pipeline first)")
        with open(path) as f:
            seconds[i] = float(json.load(f).get("seconds", 0))

    wall, critical = simulate(sorted(labels), deps, seconds, a.jobs)
    print(f"{len(labels)} instances, {sum(seconds.values()) / 60:.1f} stage-minutes, critical path "
          f"{critical / 60:.1f} min; cold run at --jobs {a.jobs}: {wall / 60:.1f} min (simulated)")


if __name__ == "__main__":
    main()
