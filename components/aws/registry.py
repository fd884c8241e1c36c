"""The ``Registry`` component: one ECR repository per image the platform builds itself."""

from __future__ import annotations

from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from components.aws.specs import ecr_lifecycle_policy


@dataclass(frozen=True)
class RegistryArgs:
    repositories: tuple[str, ...]
    kms_key_arn: pulumi.Input[str]
    keep_images: int
    tags: dict[str, str] = field(default_factory=dict)


class Registry(pulumi.ComponentResource):
    """ECR repositories with IMMUTABLE tags (a pushed build tag never moves), scan on push,
    KMS encryption with the platform's data key, and a lifecycle policy keeping the last
    ``keep_images`` images.

    Outputs: ``urls`` (repository name to repository URL).
    """

    def __init__(self, name: str, args: RegistryArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("cloud-platform:aws:Registry", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.urls: dict[str, pulumi.Output[str]] = {}
        for repo in args.repositories:
            repository = aws.ecr.Repository(
                f"{name}-{repo}",
                name=repo,
                image_tag_mutability="IMMUTABLE",
                image_scanning_configuration=aws.ecr.RepositoryImageScanningConfigurationArgs(scan_on_push=True),
                encryption_configurations=[
                    aws.ecr.RepositoryEncryptionConfigurationArgs(encryption_type="KMS", kms_key=args.kms_key_arn)
                ],
                tags=args.tags,
                opts=pulumi.ResourceOptions(parent=self, retain_on_delete=True),
            )
            aws.ecr.LifecyclePolicy(
                f"{name}-{repo}-lifecycle",
                repository=repository.name,
                policy=ecr_lifecycle_policy(args.keep_images),
                opts=child,
            )
            self.urls[repo] = repository.repository_url
        self.register_outputs({"urls": self.urls})
