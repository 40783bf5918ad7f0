"""Simulated Kubernetes cluster with incident scenarios (tests, demo, evaluation).

Not part of the Lambda package. Entry points: ``sandbox.testing.running_sandbox``,
``sandbox.scenarios.load_scenario`` / ``list_scenarios``, ``python -m sandbox up --scenario NAME``.
"""

from sandbox.scenarios import Scenario, ScenarioError, list_scenarios, load_scenario

__all__ = ["Scenario", "ScenarioError", "list_scenarios", "load_scenario"]
