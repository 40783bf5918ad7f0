"""What happened: flow figures, per-run timelines and postmortems, the daily analysis."""

from .daily import DailyReport, run_daily_analysis
from .html import postmortem_html
from .markdown import postmortem_markdown
from .records import incident_record
from .redact import Redactor
from .scheduler import Job, Scheduler, daily_analysis_jobs, parse_rate
from .source import ViewSource, open_views
from .summary import FlowSummary, summarise
from .timeline import TimelineEntry, build_timeline, path_taken

__all__ = [
    "DailyReport",
    "FlowSummary",
    "Job",
    "Redactor",
    "Scheduler",
    "TimelineEntry",
    "ViewSource",
    "build_timeline",
    "daily_analysis_jobs",
    "incident_record",
    "open_views",
    "parse_rate",
    "path_taken",
    "postmortem_html",
    "postmortem_markdown",
    "run_daily_analysis",
    "summarise",
]
