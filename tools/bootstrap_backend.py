"""``python -m tools bootstrap-backend``: the S3 state backend and KMS secrets key, idempotently.

Creates, or brings into line without touching what is already right:
- a KMS key (alias ``--state-key-alias``, rotation on) that encrypts the state bucket;
- the S3 bucket for Pulumi state: versioning, SSE-KMS with that key (S3 Bucket Key on), all
  public access blocked, and a bucket policy that denies any request without TLS;
- a KMS key (alias ``--secrets-key-alias``, rotation on) for the stacks' secrets provider.

Then prints the ``pulumi login`` and ``--secrets-provider`` lines to use. Nothing is ever
deleted: a re-run reports every item unchanged and makes no write call.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from typing import Any

import boto3
from botocore.exceptions import ClientError

from tools import stackenv
from tools.awsenv import DEFAULT_REGION, AwsSetupError, Caller, error_code, session, whoami

STATE_KEY_ALIAS = "alias/cloud-platform-state"
SECRETS_KEY_ALIAS = "alias/cloud-platform-secrets"
TLS_SID = "DenyInsecureTransport"
PUBLIC_ACCESS_BLOCK = {
    "BlockPublicAcls": True,
    "IgnorePublicAcls": True,
    "BlockPublicPolicy": True,
    "RestrictPublicBuckets": True,
}


class BackendError(Exception):
    """Something in the account stops the bootstrap; the message names it and the fix."""


@dataclass(frozen=True)
class BackendNames:
    region: str
    bucket: str
    state_key_alias: str
    secrets_key_alias: str


@dataclass(frozen=True)
class Step:
    """One item the bootstrap ensured: ``change`` is created, updated or unchanged."""

    item: str
    change: str


def default_bucket(account: str, region: str) -> str:
    """Bucket names are global: the account id and region make this one unique and findable."""
    return f"pulumi-state-{account}-{region}"


def backend_url(names: BackendNames) -> str:
    return f"s3://{names.bucket}?region={names.region}&awssdk=v2"


def secrets_provider(names: BackendNames) -> str:
    return f"awskms://{names.secrets_key_alias}?region={names.region}"


def login_lines(names: BackendNames, stack: str) -> list[str]:
    """The commands to point Pulumi at this backend and key.

    Ref: https://www.pulumi.com/docs/iac/guides/basics/using-a-diy-backend/ (s3://…?region=…&awssdk=v2)
    Ref: https://www.pulumi.com/docs/iac/cli/commands/pulumi_stack_init/ (awskms://alias/…?region=…)
    """
    provider = secrets_provider(names)
    return [
        f"pulumi login '{backend_url(names)}'",
        f"pulumi stack init {stack} --secrets-provider '{provider}'",
        f"# a stack that already exists: pulumi stack change-secrets-provider -s {stack} '{provider}'",
    ]


def ensure_key(kms: Any, alias: str, description: str) -> tuple[str, list[Step]]:
    """The key behind ``alias`` (created if absent), with yearly rotation on; returns its ARN."""
    try:
        meta = kms.describe_key(KeyId=alias)["KeyMetadata"]
        steps = [Step(f"kms key {alias}", "unchanged")]
    except ClientError as err:
        if error_code(err) != "NotFoundException":
            raise
        meta = kms.create_key(Description=description, KeyUsage="ENCRYPT_DECRYPT", KeySpec="SYMMETRIC_DEFAULT")["KeyMetadata"]
        kms.create_alias(AliasName=alias, TargetKeyId=meta["KeyId"])
        steps = [Step(f"kms key {alias}", "created")]
    if meta.get("KeyState", "Enabled") != "Enabled":
        raise BackendError(
            f"kms key {alias} ({meta['KeyId']}) is {meta['KeyState']}: re-enable it "
            f"(`aws kms cancel-key-deletion` / `aws kms enable-key`) or pass another alias"
        )
    rotating = kms.get_key_rotation_status(KeyId=meta["KeyId"])["KeyRotationEnabled"]
    if not rotating:
        kms.enable_key_rotation(KeyId=meta["KeyId"])
    steps.append(Step(f"kms key {alias}: rotation", "unchanged" if rotating else "updated"))
    return meta["Arn"], steps


def ensure_bucket(s3: Any, bucket: str, region: str) -> Step:
    try:
        s3.head_bucket(Bucket=bucket)
    except ClientError as err:
        if error_code(err) in ("403", "AccessDenied"):
            raise BackendError(f"bucket {bucket} exists but this account cannot use it (it belongs to another account?): pass --bucket NAME") from None
        if error_code(err) not in ("404", "NoSuchBucket", "NotFound"):
            raise
        config = {} if region == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": region}}
        s3.create_bucket(Bucket=bucket, ObjectOwnership="BucketOwnerEnforced", **config)
        return Step(f"s3 bucket {bucket}", "created")
    location = s3.get_bucket_location(Bucket=bucket).get("LocationConstraint") or "us-east-1"
    if location != region:
        raise BackendError(f"bucket {bucket} is in {location}, not {region}: pass --region {location} or another --bucket")
    return Step(f"s3 bucket {bucket}", "unchanged")


def _current(call: Any, missing: str, **kwargs: Any) -> dict[str, Any] | None:
    """The bucket setting ``call`` reads, or ``None`` when S3 answers with ``missing``."""
    try:
        return call(**kwargs)
    except ClientError as err:
        if error_code(err) == missing:
            return None
        raise


def ensure_versioning(s3: Any, bucket: str) -> Step:
    if s3.get_bucket_versioning(Bucket=bucket).get("Status") == "Enabled":
        return Step(f"s3 bucket {bucket}: versioning", "unchanged")
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    return Step(f"s3 bucket {bucket}: versioning", "updated")


def ensure_encryption(s3: Any, bucket: str, key_arn: str) -> Step:
    wanted = {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key_arn}, "BucketKeyEnabled": True}
    current = _current(s3.get_bucket_encryption, "ServerSideEncryptionConfigurationNotFoundError", Bucket=bucket)
    rules = ((current or {}).get("ServerSideEncryptionConfiguration") or {}).get("Rules") or []
    if [_encryption_rule(r) for r in rules] == [wanted]:
        return Step(f"s3 bucket {bucket}: SSE-KMS", "unchanged")
    s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration={"Rules": [wanted]})
    return Step(f"s3 bucket {bucket}: SSE-KMS", "updated")


def _encryption_rule(rule: dict[str, Any]) -> dict[str, Any]:
    return {k: rule.get(k) for k in ("ApplyServerSideEncryptionByDefault", "BucketKeyEnabled")}


def ensure_public_access_block(s3: Any, bucket: str) -> Step:
    current = _current(s3.get_public_access_block, "NoSuchPublicAccessBlockConfiguration", Bucket=bucket)
    if (current or {}).get("PublicAccessBlockConfiguration") == PUBLIC_ACCESS_BLOCK:
        return Step(f"s3 bucket {bucket}: public access blocked", "unchanged")
    s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration=PUBLIC_ACCESS_BLOCK)
    return Step(f"s3 bucket {bucket}: public access blocked", "updated")


def tls_only_statement(bucket: str, partition: str = "aws") -> dict[str, Any]:
    """Deny every request made without TLS.

    Ref: https://docs.aws.amazon.com/AmazonS3/latest/userguide/security-best-practices.html
    (enforce encryption of data in transit: aws:SecureTransport false → Deny)
    """
    arn = f"arn:{partition}:s3:::{bucket}"
    return {
        "Sid": TLS_SID,
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [arn, f"{arn}/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }


def ensure_tls_only(s3: Any, bucket: str, partition: str) -> Step:
    """Add (or repair) the TLS-only statement; other statements of the policy are kept."""
    current = _current(s3.get_bucket_policy, "NoSuchBucketPolicy", Bucket=bucket)
    policy = json.loads(current["Policy"]) if current else {"Version": "2012-10-17", "Statement": []}
    statements = policy.get("Statement") or []
    statements = statements if isinstance(statements, list) else [statements]
    wanted = tls_only_statement(bucket, partition)
    if wanted in statements:
        return Step(f"s3 bucket {bucket}: TLS-only policy", "unchanged")
    policy["Statement"] = [s for s in statements if s.get("Sid") != TLS_SID] + [wanted]
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(policy))
    return Step(f"s3 bucket {bucket}: TLS-only policy", "created" if current is None else "updated")


def bootstrap(sess: boto3.Session, names: BackendNames, caller: Caller) -> list[Step]:
    kms = sess.client("kms", region_name=names.region)
    s3 = sess.client("s3", region_name=names.region)
    state_key, steps = ensure_key(kms, names.state_key_alias, f"Encrypts the Pulumi state bucket {names.bucket}")
    steps.append(ensure_bucket(s3, names.bucket, names.region))
    steps += [
        ensure_versioning(s3, names.bucket),
        ensure_encryption(s3, names.bucket, state_key),
        ensure_public_access_block(s3, names.bucket),
        ensure_tls_only(s3, names.bucket, caller.partition),
    ]
    steps += ensure_key(kms, names.secrets_key_alias, "Pulumi secrets provider for cloud-platform stacks")[1]
    return steps


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--region", default=DEFAULT_REGION, help=f"region of the bucket and keys (default {DEFAULT_REGION})")
    parser.add_argument("--bucket", help="state bucket name (default pulumi-state-<account>-<region>)")
    parser.add_argument("--state-key-alias", default=STATE_KEY_ALIAS, help=f"KMS alias of the bucket key (default {STATE_KEY_ALIAS})")
    parser.add_argument("--secrets-key-alias", default=SECRETS_KEY_ALIAS, help=f"KMS alias of the secrets provider key (default {SECRETS_KEY_ALIAS})")
    parser.add_argument("--stack", default="eks", help="stack name used in the printed commands (default eks)")
    parser.add_argument("--profile", help="AWS profile (default: the standard credential chain)")
    parser.add_argument(
        "--save", action="store_true",
        help="also write the backend URL and secrets provider to .pulumi-backend-<stack>.mk (git-ignored), which make reads",
    )


def run(args: argparse.Namespace) -> int:
    for alias in (args.state_key_alias, args.secrets_key_alias):
        if not alias.startswith("alias/"):
            print(f"bootstrap-backend: KMS aliases start with 'alias/' (got {alias!r})", file=sys.stderr)
            return 2
    try:
        sess = session(args.region, args.profile)
        caller = whoami(sess, args.region)
        names = BackendNames(args.region, args.bucket or default_bucket(caller.account, args.region), args.state_key_alias, args.secrets_key_alias)
        print(f"bootstrap-backend: account {caller.account} ({caller.arn}), region {names.region}")
        steps = bootstrap(sess, names, caller)
    except (AwsSetupError, BackendError) as err:
        print(f"bootstrap-backend: {err}", file=sys.stderr)
        return 2
    width = max(len(s.item) for s in steps)
    for step in steps:
        print(f"  {step.item:<{width}}  {step.change}")
    changed = sum(s.change != "unchanged" for s in steps)
    print("Nothing changed: the backend is already in place." if not changed else f"{changed} change(s) made.")
    print("Use it with:")
    for line in login_lines(names, args.stack):
        print(f"  {line}")
    if args.save:
        backend = stackenv.Backend(backend_url(names), secrets_provider(names))
        path = stackenv.write_backend_file(args.stack, backend, stackenv.ROOT_DIR)
        print(f"Saved to {path.name}: make up/preview/destroy STACK={args.stack} use this backend.")
    return 0
