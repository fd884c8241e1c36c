"""AWS credentials for the boto3 tools (``bootstrap-backend``, ``preflight eks``).

A missing or expired credential is a setup problem, not a bug: ``whoami`` turns it into an
``AwsSetupError`` whose message is one line that names the fix, and the tools print that
line and exit non-zero without a traceback.
"""

from __future__ import annotations

from dataclasses import dataclass

import boto3
from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError, PartialCredentialsError, ProfileNotFound

DEFAULT_REGION = "ap-northeast-2"  # seed 004: the EKS cluster's region

FIX = "run `aws configure` (access keys) or `aws sso login --profile <name>` and set AWS_PROFILE, then retry"

# STS error codes that mean "these credentials are not usable", as opposed to a bug.
_BAD_CREDENTIAL_CODES = {
    "ExpiredToken",
    "ExpiredTokenException",
    "InvalidClientTokenId",
    "SignatureDoesNotMatch",
    "UnrecognizedClientException",
    "AccessDenied",
}


class AwsSetupError(Exception):
    """Credentials or profile problem; the message is the one line the user sees."""


@dataclass(frozen=True)
class Caller:
    """Who the credentials resolve to."""

    account: str
    arn: str
    region: str

    @property
    def partition(self) -> str:
        """``aws`` (or ``aws-cn``, ``aws-us-gov``): the second field of the caller ARN."""
        return self.arn.split(":")[1]


def error_code(err: ClientError) -> str:
    return str(err.response.get("Error", {}).get("Code", ""))


def session(region: str | None = None, profile: str | None = None) -> boto3.Session:
    """A session for ``profile`` (or the default chain) in ``region`` (or the profile's)."""
    try:
        return boto3.Session(profile_name=profile, region_name=region)
    except ProfileNotFound as err:
        raise AwsSetupError(f"AWS profile not found ({err}): {FIX}") from None


def whoami(sess: boto3.Session, region: str) -> Caller:
    """Ask STS who we are; any credential problem becomes one ``AwsSetupError`` line."""
    try:
        ident = sess.client("sts", region_name=region).get_caller_identity()
    except (NoCredentialsError, PartialCredentialsError):
        raise AwsSetupError(f"no AWS credentials found: {FIX}") from None
    except ClientError as err:
        if error_code(err) in _BAD_CREDENTIAL_CODES:
            raise AwsSetupError(f"AWS rejected the credentials ({error_code(err)}): {FIX}") from None
        raise
    except BotoCoreError as err:  # SSO token expired, endpoint unreachable, ...
        raise AwsSetupError(f"could not reach AWS with these credentials ({err}): {FIX}") from None
    return Caller(account=ident["Account"], arn=ident["Arn"], region=region)
