"""The policy pack that ``pulumi preview --policy-pack policy`` runs.

Only builds the pack: constructing ``PolicyPack`` starts the analyzer's gRPC server, which never
returns, so tests import ``policy.rules`` instead. The CLI runs this file with the policy
directory as the working directory; the repository root goes on ``sys.path`` so the rules can
import ``policy.*`` and ``components.charts``.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pulumi_policy import EnforcementLevel, PolicyPack  # noqa: E402

from policy.rules import POLICIES  # noqa: E402

PolicyPack(
    name="cloud-platform",
    policies=list(POLICIES),
    enforcement_level=EnforcementLevel.MANDATORY,
)
