"""bootstrap-backend (issue 10, item 11): S3 state bucket and KMS keys, idempotent, against moto."""

from __future__ import annotations

import json

import pytest

from tests.tools.conftest import MOTO_ACCOUNT, REGION
from tools import bootstrap_backend as bb
from tools import stackenv
from tools.__main__ import main
from tools.awsenv import Caller

BUCKET = f"pulumi-state-{MOTO_ACCOUNT}-{REGION}"
CALLER = Caller(MOTO_ACCOUNT, f"arn:aws:iam::{MOTO_ACCOUNT}:user/moto", REGION)
NAMES = bb.BackendNames(REGION, BUCKET, bb.STATE_KEY_ALIAS, bb.SECRETS_KEY_ALIAS)


def _steps(aws):
    return {s.item: s.change for s in bb.bootstrap(aws, NAMES, CALLER)}


def test_bucket_name_defaults_to_account_and_region(aws, capsys):
    assert main(["bootstrap-backend"]) == 0
    aws.client("s3").head_bucket(Bucket=BUCKET)
    assert aws.client("s3").get_bucket_location(Bucket=BUCKET)["LocationConstraint"] == REGION


def test_bucket_is_versioned(aws):
    _steps(aws)
    assert aws.client("s3").get_bucket_versioning(Bucket=BUCKET)["Status"] == "Enabled"


def test_bucket_is_encrypted_with_its_own_kms_key(aws):
    _steps(aws)
    rule = aws.client("s3").get_bucket_encryption(Bucket=BUCKET)["ServerSideEncryptionConfiguration"]["Rules"][0]
    state_key = aws.client("kms").describe_key(KeyId=bb.STATE_KEY_ALIAS)["KeyMetadata"]
    secrets_key = aws.client("kms").describe_key(KeyId=bb.SECRETS_KEY_ALIAS)["KeyMetadata"]
    assert rule["ApplyServerSideEncryptionByDefault"] == {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": state_key["Arn"]}
    assert rule["BucketKeyEnabled"] is True
    assert state_key["KeyId"] != secrets_key["KeyId"]


def test_all_public_access_is_blocked(aws):
    _steps(aws)
    block = aws.client("s3").get_public_access_block(Bucket=BUCKET)["PublicAccessBlockConfiguration"]
    assert block == {"BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True, "RestrictPublicBuckets": True}


def test_bucket_policy_denies_requests_without_tls(aws):
    _steps(aws)
    policy = json.loads(aws.client("s3").get_bucket_policy(Bucket=BUCKET)["Policy"])
    [deny] = [s for s in policy["Statement"] if s["Effect"] == "Deny"]
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert deny["Principal"] == "*" and deny["Action"] == "s3:*"
    assert sorted(deny["Resource"]) == [f"arn:aws:s3:::{BUCKET}", f"arn:aws:s3:::{BUCKET}/*"]


def test_both_keys_have_aliases_and_rotation(aws):
    _steps(aws)
    kms = aws.client("kms")
    aliases = {a["AliasName"] for a in kms.list_aliases()["Aliases"]}
    assert {bb.STATE_KEY_ALIAS, bb.SECRETS_KEY_ALIAS} <= aliases
    for alias in (bb.STATE_KEY_ALIAS, bb.SECRETS_KEY_ALIAS):
        key = kms.describe_key(KeyId=alias)["KeyMetadata"]
        assert key["KeyState"] == "Enabled"
        assert kms.get_key_rotation_status(KeyId=key["KeyId"])["KeyRotationEnabled"] is True


def test_first_run_creates_everything(aws):
    steps = _steps(aws)
    assert steps[f"s3 bucket {BUCKET}"] == "created"
    assert steps[f"kms key {bb.STATE_KEY_ALIAS}"] == "created"
    assert steps[f"kms key {bb.SECRETS_KEY_ALIAS}"] == "created"
    assert "unchanged" not in steps.values()


def test_rerun_changes_nothing_and_writes_nothing(aws, writes):
    _steps(aws)
    keys_before = {a["AliasName"]: a["TargetKeyId"] for a in aws.client("kms").list_aliases()["Aliases"]}
    writes.writes.clear()
    steps = _steps(aws)
    assert set(steps.values()) == {"unchanged"}
    assert writes.writes == []
    assert {a["AliasName"]: a["TargetKeyId"] for a in aws.client("kms").list_aliases()["Aliases"]} == keys_before


def test_rerun_says_nothing_changed(aws, capsys):
    assert main(["bootstrap-backend"]) == 0
    capsys.readouterr()
    assert main(["bootstrap-backend"]) == 0
    out = capsys.readouterr().out
    assert "Nothing changed" in out
    assert "created" not in out and "updated" not in out


def test_prints_login_and_secrets_provider_lines(aws, capsys):
    assert main(["bootstrap-backend"]) == 0
    out = capsys.readouterr().out
    assert f"pulumi login 's3://{BUCKET}?region={REGION}&awssdk=v2'" in out
    assert f"--secrets-provider 'awskms://alias/cloud-platform-secrets?region={REGION}'" in out


def test_names_and_region_come_from_flags(aws, capsys):
    args = ["bootstrap-backend", "--region", "us-west-2", "--bucket", "team-state", "--secrets-key-alias", "alias/team-secrets", "--stack", "eks"]
    assert main(args) == 0
    out = capsys.readouterr().out
    s3 = aws.client("s3", region_name="us-west-2")
    assert s3.get_bucket_location(Bucket="team-state")["LocationConstraint"] == "us-west-2"
    aws.client("kms", region_name="us-west-2").describe_key(KeyId="alias/team-secrets")
    assert "pulumi login 's3://team-state?region=us-west-2&awssdk=v2'" in out
    assert "awskms://alias/team-secrets?region=us-west-2" in out


def test_an_existing_bucket_is_brought_into_line(aws):
    s3 = aws.client("s3")
    s3.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
    s3.put_bucket_encryption(Bucket=BUCKET, ServerSideEncryptionConfiguration={"Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]})
    other = {"Sid": "ReadForAuditors", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{MOTO_ACCOUNT}:root"}, "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{BUCKET}/*"}
    s3.put_bucket_policy(Bucket=BUCKET, Policy=json.dumps({"Version": "2012-10-17", "Statement": [other]}))
    steps = _steps(aws)
    assert steps[f"s3 bucket {BUCKET}"] == "unchanged"
    assert steps[f"s3 bucket {BUCKET}: SSE-KMS"] == "updated"
    assert steps[f"s3 bucket {BUCKET}: versioning"] == "updated"
    statements = json.loads(s3.get_bucket_policy(Bucket=BUCKET)["Policy"])["Statement"]
    assert other in statements and bb.tls_only_statement(BUCKET) in statements


def test_key_rotation_is_switched_on_for_an_existing_key(aws):
    kms = aws.client("kms")
    key = kms.create_key()["KeyMetadata"]["KeyId"]
    kms.create_alias(AliasName=bb.SECRETS_KEY_ALIAS, TargetKeyId=key)
    steps = _steps(aws)
    assert steps[f"kms key {bb.SECRETS_KEY_ALIAS}"] == "unchanged"
    assert steps[f"kms key {bb.SECRETS_KEY_ALIAS}: rotation"] == "updated"
    assert kms.get_key_rotation_status(KeyId=key)["KeyRotationEnabled"] is True


def test_a_key_pending_deletion_stops_with_the_fix(aws, capsys):
    kms = aws.client("kms")
    key = kms.create_key()["KeyMetadata"]["KeyId"]
    kms.create_alias(AliasName=bb.STATE_KEY_ALIAS, TargetKeyId=key)
    kms.schedule_key_deletion(KeyId=key, PendingWindowInDays=7)
    assert main(["bootstrap-backend"]) == 2
    err = capsys.readouterr().err
    assert "PendingDeletion" in err and "cancel-key-deletion" in err


def test_a_bucket_in_another_region_stops_with_the_fix(aws, capsys):
    aws.client("s3", region_name="eu-west-1").create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    assert main(["bootstrap-backend"]) == 2
    err = capsys.readouterr().err
    assert f"bucket {BUCKET} is in eu-west-1, not {REGION}" in err


@pytest.mark.parametrize("alias", ["cloud-platform-secrets", "alias-without-prefix"])
def test_an_alias_without_the_alias_prefix_is_rejected(no_aws_credentials, capsys, alias):
    assert main(["bootstrap-backend", "--secrets-key-alias", alias]) == 2
    assert "start with 'alias/'" in capsys.readouterr().err


def test_missing_credentials_give_one_line_and_no_traceback(no_aws_credentials, capsys):
    assert main(["bootstrap-backend"]) == 2
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1
    assert "no AWS credentials found" in lines[0] and "aws configure" in lines[0]
    assert "Traceback" not in captured.err + captured.out


def test_bootstrap_backend_save_writes_the_file_make_includes(aws, capsys, tmp_path, monkeypatch):
    monkeypatch.setattr(stackenv, "ROOT_DIR", tmp_path)
    assert main(["bootstrap-backend", "--save"]) == 0
    saved = stackenv.read_backend_file(tmp_path / ".pulumi-backend-eks.mk")
    assert saved == {
        "PULUMI_BACKEND_URL": f"s3://{BUCKET}?region={REGION}&awssdk=v2",
        "PULUMI_SECRETS_PROVIDER": f"awskms://alias/cloud-platform-secrets?region={REGION}",
    }
    assert ".pulumi-backend-eks.mk" in capsys.readouterr().out
