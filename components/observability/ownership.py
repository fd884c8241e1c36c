"""Who owns and pays for the observability stack, and the namespaces it lives in."""

from __future__ import annotations

from components.manifests import owner_labels
from components.specs import Ownership

PART_OF = "observability"
OWNER = Ownership(team="platform", cost_center="CC-2000", extra=(("project", "observability"),))
# team, cost-center and app.kubernetes.io/part-of, for every object of the stack.
LABELS = owner_labels(OWNER, PART_OF)

# ``monitoring`` and ``tracing`` hold every observability pod that needs no host access and
# enforce the restricted Pod Security level; ``monitoring-agents`` holds only the host agents
# (node-exporter, Alloy), the one namespace that must be privileged.
MONITORING, TRACING, AGENTS = "monitoring", "tracing", "monitoring-agents"
