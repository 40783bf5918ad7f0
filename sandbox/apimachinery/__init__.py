"""Kubernetes API machinery for the sandbox API server: the resource registry, Status errors,
label and field selectors, the patch types, quantities and times."""
