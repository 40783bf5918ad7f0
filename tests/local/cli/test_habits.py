"""kubectl habits: --version, and a bad flag answered with the sub-command's own usage."""

from __future__ import annotations

import pytest

from chalicelib.cli.main import main


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0
    assert capsys.readouterr().out.startswith("aofctl 0.")


@pytest.mark.parametrize(
    ("argv", "usage", "said"),
    [
        (["approve", "TEST002", "--decison", "approve"], "usage: aofctl approve", "required: --decision"),
        (["approve", "TEST002", "--decision", "approve", "--bye", "x"], "usage: aofctl approve", "arguments: --bye x"),
        (["get", "agents", "--bogus"], "usage: aofctl get", "unrecognized arguments: --bogus"),
        (["policy", "check", "--frob", "--", "kubectl", "get"], "usage: aofctl policy check", "arguments: --frob"),
    ],
)
def test_a_bad_flag_shows_the_sub_commands_usage(
    argv: list[str], usage: str, said: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as done:
        main(argv)
    err = capsys.readouterr().err
    assert done.value.code == 2
    assert err.startswith(usage) and said in err
