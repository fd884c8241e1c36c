"""moto fixtures for the boto3 tools: every AWS call goes to moto's in-process backends.

The environment is emptied of real AWS settings first, so a developer's profile or SSO
session can never be used by a test.
"""

from __future__ import annotations

import functools
import json

import boto3
import botocore.session
import pytest
from moto import mock_aws

REGION = "ap-northeast-2"
MOTO_ACCOUNT = "123456789012"  # moto's default account id

AWS_ENV = (
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "AWS_ROLE_ARN",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
)


@pytest.fixture(autouse=True, scope="session")
def shared_service_models():
    """Every boto3 session of the run shares one botocore loader, so each service model (EC2's
    is megabytes of JSON) is read once per run, not once per test; the models are read-only."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(botocore.session, "create_loader", functools.cache(botocore.session.create_loader))
        yield


@pytest.fixture
def no_aws_credentials(monkeypatch, tmp_path):
    """No credential anywhere in the chain: env, files, container or instance metadata."""
    for name in AWS_ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)


@pytest.fixture
def aws(no_aws_credentials, monkeypatch):
    """A boto3 session in ap-northeast-2 against moto, with test credentials."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        yield boto3.Session(region_name=REGION)


@pytest.fixture
def acm_validation_wait(monkeypatch):
    """Set MOTO_ACM_VALIDATION_WAIT for one test.

    moto reports a requested certificate PENDING_VALIDATION until this many seconds have
    passed, then ISSUED. moto reads the variable once, at import (``moto.settings``), so the
    test sets both the variable and the value moto already read.
    """
    import moto.settings

    def set_wait(seconds: int) -> None:
        monkeypatch.setenv("MOTO_ACM_VALIDATION_WAIT", str(seconds))
        monkeypatch.setattr(moto.settings, "ACM_VALIDATION_WAIT", seconds)

    return set_wait


class WriteRecorder:
    """Names of the AWS operations a session's clients make that change something."""

    READ_ONLY = ("Get", "Describe", "List", "Head")

    def __init__(self, session: boto3.Session):
        self.writes: list[str] = []
        session.events.register("before-call.*.*", self._record)

    def _record(self, model, **_kwargs) -> None:
        if not model.name.startswith(self.READ_ONLY):
            self.writes.append(model.name)


@pytest.fixture
def writes(aws) -> WriteRecorder:
    """Records every non-read operation the ``aws`` session's clients make."""
    return WriteRecorder(aws)


def push_image(session: boto3.Session, repo: str, tag: str) -> None:
    """Put a minimal image manifest under ``tag`` (moto stores it like a docker push)."""
    manifest = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
        "config": {"mediaType": "application/vnd.docker.container.image.v1+json", "size": 1, "digest": "sha256:" + "0" * 64},
        "layers": [],
    }
    session.client("ecr").put_image(repositoryName=repo, imageManifest=json.dumps(manifest), imageTag=tag)
