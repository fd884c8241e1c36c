"""Who owns and pays for the observability stack: the labels its objects and charts carry."""

from __future__ import annotations

from components.manifests import owner_labels
from components.specs import Ownership

PART_OF = "observability"
OWNER = Ownership(team="platform", cost_center="CC-2000", extra=(("project", "observability"),))
# team, cost-center and app.kubernetes.io/part-of, for every object of the stack.
LABELS = owner_labels(OWNER, PART_OF)
