"""The ``TripCurrency`` component: registers what the pure builders of this package return."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from components.datastores import GeneratedSecret, GeneratedSecretArgs, StatefulStore, StatefulStoreArgs, redis_config
from components.declare import declare
from components.manifests import standard_labels
from components.platform import Platform
from components.quota import JobPods, NamespacePods, namespace_limits
from components.profiles import Profile, TripSizes
from components.trip_currency.catalog import (
    APIS,
    INGESTOR_USES,
    OWNER,
    PART_OF,
    SECRET_KEYS,
    SECRET_NAME,
    api_spec,
    frontend_spec,
    ingestor_container,
    ingestor_manifest,
    ingestor_service_account,
    namespace_manifest,
    namespace_name,
    service_config,
    service_config_manifest,
    wait_for,
)
from components.trip_currency.network import frontend_load_balancer, ingress_manifest, network_policies
from components.trip_currency.stores import kafka_ui_spec, mysql_client_config, trip_redis, trip_stores
from components.workload import Workload, WorkloadArgs


@dataclass(frozen=True)
class TripCurrencyArgs:
    """``profile.trip`` gives sizes and replicas, ``platform`` the cluster facts, and
    ``image_tag`` the tag of the ``korgosu/*`` images (resolved by the settings loader).
    ``ingress_depends_on`` are resources the Ingress and the frontend's load-balancer Service
    wait for: the controller's release, whose IngressClass (and, on eks, webhook) must exist
    before the controller can publish the status Pulumi awaits. Depending on it also makes
    ``pulumi destroy`` delete them first, so no load balancer is orphaned."""

    profile: Profile
    platform: Platform
    image_tag: str
    ingress_depends_on: tuple[pulumi.Resource, ...] = ()


class TripCurrency(pulumi.ComponentResource):
    """Seed 004's Trip Currency platform in ``trip-service-<env>``.

    Creates the namespace (restricted Pod Security), ``trip-service-config``, the generated
    ``trip-service-secrets``, MySQL, MongoDB, ZooKeeper and Kafka (StatefulSets with retained
    claims), Redis and Kafka UI, the three APIs and the frontend (Workloads with HPAs), the
    data-ingestor CronJob and its ServiceAccount, ``trip-service-ingress``, the frontend's
    load-balancer Service where the platform asks for one, the NetworkPolicies (default deny
    first), and the namespace's ResourceQuota and LimitRange.

    Outputs: ``namespace`` and ``services`` (API and frontend Service names).
    """

    def __init__(self, name: str, args: TripCurrencyArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("cloud-platform:apps:TripCurrency", name, None, opts)
        trip, platform = args.profile.trip, args.platform
        ns_name = namespace_name(trip)
        # Retained where data matters: destroying the stack then leaves the claims in place.
        self.namespace = declare(
            f"{name}-namespace",
            namespace_manifest(trip),
            pulumi.ResourceOptions(parent=self, retain_on_delete=args.profile.retain_data),
        )
        inside = pulumi.ResourceOptions(parent=self, depends_on=[self.namespace])
        config = service_config_manifest(trip, platform)
        config_map = k8s.core.v1.ConfigMap(f"{name}-config", metadata=config["metadata"], data=config["data"], opts=inside)
        secret = GeneratedSecret(
            f"{name}-secrets",
            GeneratedSecretArgs(
                SECRET_NAME,
                ns_name,
                SECRET_KEYS,
                labels=tuple(standard_labels(SECRET_NAME, "secret", PART_OF, OWNER).items()),
                derived=(redis_config("redis-password"), mysql_client_config()),
            ),
            opts=inside,
        )
        ready = pulumi.ResourceOptions(parent=self, depends_on=[self.namespace, secret, config_map])
        for policy in network_policies(trip, platform):
            declare(f"{name}-{policy['metadata']['name']}", policy, inside)
        self._stores(name, trip, platform, ns_name, ready)
        config_keys = tuple(service_config(trip, platform))
        apps = [api_spec(api, trip, platform, args.image_tag, config_keys) for api in APIS]
        apps.append(frontend_spec(trip, platform, args.image_tag))
        for spec in apps:
            Workload(f"{name}-{spec.name}", WorkloadArgs(spec, ns_name, OWNER, platform), opts=ready)
        account = declare(f"{name}-dataingestor-serviceaccount", ingestor_service_account(trip), inside)
        cron = ingestor_manifest(trip, platform, args.image_tag, config_keys)
        k8s.batch.v1.CronJob(
            f"{name}-dataingestor", metadata=cron["metadata"], spec=cron["spec"],
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.namespace, secret, config_map, account]),
        )
        self._quota(name, trip, apps, ingestor_container(trip, platform, args.image_tag, config_keys), inside)
        ingress = ingress_manifest(trip, platform)
        after_controller = pulumi.ResourceOptions(parent=self, depends_on=[self.namespace, *args.ingress_depends_on])
        k8s.networking.v1.Ingress(
            f"{name}-ingress", metadata=ingress["metadata"], spec=ingress["spec"], opts=after_controller
        )
        lb = frontend_load_balancer(trip, platform)
        if lb is not None:
            k8s.core.v1.Service(f"{name}-frontend-nlb", metadata=lb["metadata"], spec=lb["spec"], opts=after_controller)
        self.namespace_name = ns_name
        self.services = [spec.name for spec in apps]
        self.register_outputs({"namespace": ns_name, "services": self.services})

    def _quota(self, name: str, trip: TripSizes, apps: list, ingestor, opts: pulumi.ResourceOptions) -> None:
        """ResourceQuota and LimitRange from the namespace's own pods at their HPA maximum."""
        ns_name = namespace_name(trip)
        pods = NamespacePods(
            (*apps, trip_redis(trip), kafka_ui_spec(trip.kafka_ui)),
            trip_stores(trip),
            (JobPods((ingestor,), (wait_for(INGESTOR_USES),)),),
        )
        for obj in namespace_limits(ns_name, pods, lambda n: standard_labels(n, "quota", PART_OF, OWNER)):
            declare(f"{name}-{obj['metadata']['name'].removeprefix(ns_name + '-')}", obj, opts)

    def _stores(self, name: str, trip: TripSizes, platform: Platform, ns_name: str, opts: pulumi.ResourceOptions) -> None:
        """The StatefulSet stores (retained claims), Redis and Kafka UI."""
        for store in trip_stores(trip):
            StatefulStore(f"{name}-{store.name}", StatefulStoreArgs(store, ns_name, OWNER, platform), opts=opts)
        for spec in (trip_redis(trip), kafka_ui_spec(trip.kafka_ui)):
            Workload(f"{name}-{spec.name}", WorkloadArgs(spec, ns_name, OWNER, platform), opts=opts)
