"""Tests of bench/cold-run-estimate.py's schedule replay on graphs whose cold run is known by hand."""
import importlib.util
import os
import unittest

_spec = importlib.util.spec_from_file_location(
    "cold_run_estimate", os.path.join(os.path.dirname(os.path.abspath(__file__)), "cold-run-estimate.py"))
estimate = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(estimate)


class SimulateTests(unittest.TestCase):
    def test_independent_stages_fill_both_cpus(self):
        # 4 stages of 10 s on 2 CPUs: two rounds.
        wall, critical = estimate.simulate([0, 1, 2, 3], {}, {i: 10.0 for i in range(4)}, 2)
        self.assertEqual(wall, 20.0)
        self.assertEqual(critical, 10.0)

    def test_a_chain_waits_whatever_the_cpus(self):
        deps = {1: [0], 2: [1]}
        wall, critical = estimate.simulate([0, 1, 2], deps, {0: 1.0, 1: 2.0, 2: 3.0}, 8)
        self.assertEqual(wall, 6.0)
        self.assertEqual(critical, 6.0)

    def test_ready_stages_start_in_plan_order(self):
        # As SchedulerCore does: 0 (10 s) and 1 (1 s) start first, 2 (10 s) when 1 ends: wall 11.
        # Longest-first would start 0 and 2 and end at 10.
        wall, critical = estimate.simulate([0, 1, 2], {}, {0: 10.0, 1: 1.0, 2: 10.0}, 2)
        self.assertEqual(wall, 11.0)
        self.assertEqual(critical, 10.0)

    def test_one_cpu_sums_the_stages(self):
        deps = {2: [0, 1]}
        wall, _ = estimate.simulate([0, 1, 2], deps, {0: 2.0, 1: 3.0, 2: 4.0}, 1)
        self.assertEqual(wall, 9.0)


if __name__ == "__main__":
    unittest.main()
