"""The ``${...}`` expression language of AOF flows: templates and conditions.

Templates splice values into text (``"Incident: ${INCIDENT_TITLE}"``,
``${event.incident.custom_details.namespace:-default}``); conditions decide branches
(``${diagnose.output.severity} == "critical"``, ``is_critical == true OR needs_approval == true``).
Comparisons are typed, and a missing value makes a comparison unknown, which a condition treats
as false and explains (three-valued Kleene logic: it fails closed).
"""

from chalicelib.errors import ExpressionError

from .condition import Condition, Evaluation, Truth, parse_condition
from .evaluate import Unknown, evaluate_expr
from .parser import MAX_DEPTH
from .scope import MISSING, MappingScope, Scope
from .syntax import And, Compare, Expr, Literal, Not, Or, Ref, unparse
from .template import Rendered, Template, parse_template, to_text
from .walk import references_in, render_structure

__all__ = [
    "MAX_DEPTH",
    "MISSING",
    "And",
    "Compare",
    "Condition",
    "Evaluation",
    "Expr",
    "ExpressionError",
    "Literal",
    "MappingScope",
    "Not",
    "Or",
    "Ref",
    "Rendered",
    "Scope",
    "Template",
    "Truth",
    "Unknown",
    "evaluate_expr",
    "parse_condition",
    "parse_template",
    "references_in",
    "render_structure",
    "to_text",
    "unparse",
]
