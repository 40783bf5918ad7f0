"""The product's Logger: AWS Lambda Powertools' Logger, one JSON object per line, for the node
functions, the embedded engine and the policy gate (see :mod:`.lines` for the routes' writer,
the run fields and where lines go)."""

from __future__ import annotations

from aws_lambda_powertools.logging.logger import Logger

from .lines import RUN_FIELDS, SERVICE, Sink, level, serialize

logger = Logger(
    service=SERVICE,
    level=level(),
    logger_handler=Sink(),
    json_serializer=serialize,
    log_record_order=["timestamp", "level", "message", *RUN_FIELDS],
    use_rfc3339=True,
    utc=True,
)
logger._logger.propagate = False  # the lines are ours (see .lines)
