"""The run console: the embedded default's answer to the Step Functions console, in a browser.

``aofctl serve`` mounts it under ``/console`` (``aofctl console`` also opens the browser): the
runs, each run's definition drawn with its states' statuses, its timeline, tool calls, policy
decisions, changes and approvals, followed live; a flow's figures as charts.
"""

from .auth import ConsoleAuth, Person
from .data import ConsoleData
from .mount import console_for
from .server import Console
from .standalone import ConsoleServer

__all__ = ["Console", "ConsoleAuth", "ConsoleData", "ConsoleServer", "Person", "console_for"]
