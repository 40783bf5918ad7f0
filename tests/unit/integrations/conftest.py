from tests.fakes.pagerduty_api import fake_pagerduty
from tests.fakes.slack_api import fake_slack

__all__ = ["fake_pagerduty", "fake_slack"]
