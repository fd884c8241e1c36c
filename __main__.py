"""cloud-platform: load settings, build the stack for its target, export outputs."""

import warnings

import pulumi

# pulumi-eks 4.4.0 and pulumi-aws 7.51.1 warn when imported, about resources this program never
# declares: eks.NodeGroup (it uses ManagedNodeGroup), aws.ec2.EncryptionControl and the eleven
# deprecated aws.s3 ``*V2`` resources (it declares the unsuffixed ones: s3.Bucket,
# BucketPolicy, ...). They are silenced by message and module, so that any other warning still
# stands out. The test suite filters the same ones in pytest.ini.
warnings.filterwarnings("ignore", "NodeGroup uses AWS EC2 LaunchConfiguration", DeprecationWarning, r"pulumi_eks\.node_group")
warnings.filterwarnings(
    "ignore", r"aws\.ec2/encryptioncontrol\.EncryptionControl has been deprecated", DeprecationWarning, r"pulumi_aws\.ec2\.encryption_control"
)
warnings.filterwarnings(
    "ignore", r"(aws\.)?s3[./][\w.]+V2 has been deprecated in favor of", DeprecationWarning, r"pulumi_aws\.s3\.\w+_v2"
)

from stacks.costs import DeclarationLog  # noqa: E402 - after the warning filters
from stacks.settings import ConfigError, load_settings  # noqa: E402

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
