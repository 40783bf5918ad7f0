"""``aofctl states run``: a raw definition, tasks answered from a Step Functions Local mock file.

The definition and mock file under tests/events/stepfunctions/ are the example of AWS's
"Using mocked service integrations" page (sfn-local-mock-cfg-file), so they run unchanged with
AWS's own tool.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from chalicelib.cli.main import main

SAMPLES = Path(__file__).resolve().parents[2] / "events" / "stepfunctions"
DEFINITION = str(SAMPLES / "LambdaSQSIntegration.json")
MOCKS = str(SAMPLES / "MockConfigFile.json")


def states_run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, Any, str]:
    code = main(["states", "run", *args])
    out, err = capsys.readouterr()
    return code, (json.loads(out) if "json" in args and out else out), err


def test_happy_path_prints_status_and_output(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = states_run(capsys, DEFINITION, "--mock-config", MOCKS, "--test-case", "HappyPath", "-o", "json")
    assert code == 0
    assert out == {
        "status": "SUCCEEDED",
        "output": {"MD5OfMessageBody": "3bcb6e8e", "MessageId": "3bcb6e8e-8b51"},
        "error": None,
        "cause": None,
    }


def test_retry_path_answers_each_attempt_from_its_range(capsys: pytest.CaptureFixture[str]) -> None:
    # Invocation 0 throws, 1-2 throw, 3 returns: the Retry's three attempts reach the Return.
    args = (DEFINITION, "--mock-config", MOCKS, "--test-case", "RetryPath", "-o", "json", "--history")
    code, out, _ = states_run(capsys, *args)
    assert (code, out["status"], out["history"]) == (0, "SUCCEEDED", ["LambdaState", "SQSState"])


def test_fewer_retries_than_throws_fail_with_the_last_error(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    definition = json.loads(Path(DEFINITION).read_text())
    definition["States"]["LambdaState"]["Retry"][0]["MaxAttempts"] = 2
    path = tmp_path / "LambdaSQSIntegration.json"
    path.write_text(json.dumps(definition))
    code, out, _ = states_run(capsys, str(path), "--mock-config", MOCKS, "--test-case", "RetryPath", "-o", "json")
    assert code == 1
    assert (out["status"], out["error"], out["cause"]) == ("FAILED", "Lambda.TimeoutException", "Lambda timed out.")


def test_an_unmocked_task_is_refused_before_anything_runs(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = states_run(capsys, DEFINITION, "--mock-config", MOCKS, "--test-case", "HybridPath")
    assert code == 2
    assert out == ""
    assert "state 'SQSState', field 'Resource'" in err
    assert "'HybridPath'" in err


def test_the_machine_name_is_the_file_stem_unless_named(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    renamed = tmp_path / "my-flow.json"
    shutil.copy(DEFINITION, renamed)
    code, _, err = states_run(capsys, str(renamed), "--mock-config", MOCKS, "--test-case", "HappyPath")
    assert code == 2
    assert "StateMachines has no 'my-flow' (known: LambdaSQSIntegration)" in err
    code, out, _ = states_run(
        capsys, str(renamed), "--mock-config", MOCKS, "--test-case", "HappyPath", "--name", "LambdaSQSIntegration"
    )
    assert code == 0
    assert out.startswith("SUCCEEDED\n")


def test_a_definition_that_is_not_json_is_refused_with_its_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "broken.json"
    path.write_text('{\n  "StartAt": "a",\n  "States": {,}\n}\n')
    code, _, err = states_run(capsys, str(path))
    assert code == 2
    assert f"{path}:3:" in err


def test_a_machine_without_tasks_needs_no_mock_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "choose.json"
    path.write_text(
        json.dumps(
            {
                "StartAt": "pick",
                "States": {
                    "pick": {
                        "Type": "Choice",
                        "Choices": [{"Variable": "$.n", "NumericGreaterThan": 3, "Next": "big"}],
                        "Default": "small",
                    },
                    "big": {"Type": "Fail", "Error": "TooBig", "Cause": "n > 3"},
                    "small": {"Type": "Succeed"},
                },
            }
        )
    )
    code, out, _ = states_run(capsys, str(path), "--input", '{"n": 5}', "-o", "json", "--history")
    assert (code, out["status"], out["error"], out["history"]) == (1, "FAILED", "TooBig", ["pick", "big"])


def test_a_mock_answer_that_is_neither_return_nor_throw_is_refused(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    config = json.loads(Path(MOCKS).read_text())
    config["MockedResponses"]["MockedSQSSuccess"]["0"] = {"Result": {}}
    path = tmp_path / "mocks.json"
    path.write_text(json.dumps(config))
    code, _, err = states_run(capsys, DEFINITION, "--mock-config", str(path), "--test-case", "HappyPath")
    assert code == 2
    assert "MockedResponses.MockedSQSSuccess.0" in err
