"""cloud-platform: load settings, build the stack for its target, export outputs."""

import pulumi

from stacks.costs import DeclarationLog
from stacks.settings import ConfigError, load_settings

try:
    settings = load_settings()
except ConfigError as error:
    # One line per bad key, no traceback, and nothing has been declared yet.
    raise pulumi.RunError(f"invalid configuration:\n{error}") from None

if settings.target == "kind":
    from stacks import kind as target
elif settings.target == "eks":
    from stacks import eks as target
else:  # pragma: no cover - the loader accepts only declared targets
    raise pulumi.RunError(f"unsupported target {settings.target}")

# Logs every resource declared from here on; the estimate is priced from that log.
declarations = DeclarationLog.start()
for key, value in target.build(settings).items():
    pulumi.export(key, value)
pulumi.export("monthlyCostEstimate", declarations.monthly_cost_estimate(settings))
