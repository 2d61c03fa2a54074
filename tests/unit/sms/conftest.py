from tests.fixtures.smsgateway import sms_gateway  # noqa: F401  (fixture re-export)
