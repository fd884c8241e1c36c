"""The application components every target deploys, fed that target's platform data:
CloudMart, observability, the optional FinOps demo and Trip Currency."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi

from components import cloudmart
from components.cloudmart import CloudMart, CloudMartArgs
from components.finops_demo import FinOpsDemo, FinOpsDemoArgs
from components.observability.monitors import PodScrape
from components.observability.stack import ObservabilityArgs, ObservabilityStack
from components.platform import Platform
from components.trip_currency import TripCurrency, TripCurrencyArgs
from components.trip_currency import catalog as trip_catalog
from stacks.settings import Settings


def cloudmart_scrape() -> PodScrape:
    """CloudMart's exporter sidecars, scraped through a PodMonitor on every target."""
    return PodScrape(
        "cloudmart-exporters",
        cloudmart.NAMESPACE,
        (("app.kubernetes.io/part-of", cloudmart.PART_OF),),
        port="metrics",
        part_of=cloudmart.PART_OF,
        # The exporter's series carry no labels: ``app`` tells the five services apart.
        pod_labels=("app",),
    )


@dataclass(frozen=True)
class Apps:
    shop: CloudMart
    obs: ObservabilityStack
    trip: TripCurrency


def scrape_targets(settings: Settings, extra: tuple[tuple[str, tuple[int, ...]], ...] = ()) -> tuple[tuple[str, tuple[int, ...]], ...]:
    """(namespace, metrics ports) of every application pod Prometheus scrapes, from the
    workloads' own scrape targets (CloudMart's exporter sidecars, Trip's APIs), plus ``extra``
    (the stack's own, such as kind's ingress-nginx controller)."""
    shop = tuple(sorted({s.scrape.port for s in cloudmart.cloudmart_services() if s.scrape}))
    trip = (trip_catalog.namespace_name(settings.profile.trip), (trip_catalog.API_PORT,))
    return ((cloudmart.NAMESPACE, shop), trip, *extra)


def otlp_clients(settings: Settings) -> tuple[tuple[str, str], ...]:
    """(namespace, pod) of the applications that send traces to Jaeger: CloudMart's services
    and Trip's APIs (the pods whose egress policies name Jaeger's OTLP ports)."""
    trip_ns = trip_catalog.namespace_name(settings.profile.trip)
    return (
        *((cloudmart.NAMESPACE, e.name) for e in cloudmart.SERVICES),
        *((trip_ns, a.name) for a in trip_catalog.APIS),
    )


def deploy_apps(
    settings: Settings,
    platform: Platform,
    scrape: tuple[PodScrape, ...],
    opts: pulumi.ResourceOptions,
    controller: tuple[pulumi.Resource, ...],
    ui_published: bool | None = None,
    extra_scrape_targets: tuple[tuple[str, tuple[int, ...]], ...] = (),
) -> Apps:
    """Declare the apps; ``controller`` is what Ingresses and load-balancer Services wait for
    (and what outlives them on destroy). ``ui_published``: Grafana and the Jaeger UI are
    reached from the platform's external sources (default: where the platform publishes
    node ports)."""
    shop = CloudMart("cloudmart", CloudMartArgs(settings.profile, platform, ingress_depends_on=controller), opts=opts)
    obs = ObservabilityStack(
        "observability",
        ObservabilityArgs(
            sizes=settings.profile.observability,
            platform=platform,
            pricing=settings.pricing,
            alerting=settings.alerting,
            features=settings.features,
            scrape=scrape,
            scrape_targets=scrape_targets(settings, extra_scrape_targets),
            otlp_clients=otlp_clients(settings),
            ui_published=platform.node_ports if ui_published is None else ui_published,
        ),
        opts=opts,
    )
    if settings.features.finops_demo:
        FinOpsDemo("finops-demo", FinOpsDemoArgs(platform), opts=opts)
    trip = TripCurrency(
        "trip",
        TripCurrencyArgs(settings.profile, platform, settings.trip_image_tag, ingress_depends_on=controller),
        opts=opts,
    )
    return Apps(shop, obs, trip)


def app_outputs(settings: Settings, apps: Apps, urls: dict[str, str]) -> dict[str, object]:
    return {
        "profile": settings.profile.name,
        "cloudmartNamespace": cloudmart.NAMESPACE,
        "urls": urls,
        "grafanaAdminPassword": apps.obs.grafana_admin_password,
        "cloudmartServices": apps.shop.services,
        "tripNamespace": apps.trip.namespace_name,
        "tripServices": apps.trip.services,
    }
