"""Alerts to Slack and a generic signed webhook, and their delivery log.

    with AlertSender.from_settings(settings) as sender:
        sender.send(Alert(kind=AlertKind.run_completed, title="Run r1 finished", run_id="r1"))

Settings: `slack_webhook_url`, `alert_webhook_url`, `alert_webhook_secret`, `alert_retries`,
`alert_timeout_seconds`. Outcomes land in `<runs_dir>/_shared/alerts.jsonl` (`read_alert_log`).
Receivers of the generic webhook check requests with `verify_signature`. Making a sender
installs the log redaction of `engine.alerts.redaction`: no log line or warning of this
process (urllib3's retry warnings included) shows a target's URL path, query or secret."""

from engine.alerts.delivery import slack_payload, webhook_body, webhook_headers
from engine.alerts.log import ALERT_LOG_FILE, alert_log_path, read_alert_log
from engine.alerts.models import Alert, AlertDelivery, AlertKind, Channel, DeliveryResult, Outcome
from engine.alerts.sender import AlertSender
from engine.alerts.signing import (
    DEFAULT_TOLERANCE_SECONDS,
    HEADER_DELIVERY,
    HEADER_EVENT,
    HEADER_SIGNATURE,
    HEADER_TIMESTAMP,
    sign,
    verify_signature,
)

__all__ = [
    "ALERT_LOG_FILE",
    "DEFAULT_TOLERANCE_SECONDS",
    "HEADER_DELIVERY",
    "HEADER_EVENT",
    "HEADER_SIGNATURE",
    "HEADER_TIMESTAMP",
    "Alert",
    "AlertDelivery",
    "AlertKind",
    "AlertSender",
    "Channel",
    "DeliveryResult",
    "Outcome",
    "alert_log_path",
    "read_alert_log",
    "sign",
    "slack_payload",
    "verify_signature",
    "webhook_body",
    "webhook_headers",
]
