"""CloudMart through ingress-nginx (issue 8): the SLO alerts read the controller's request
metrics, so the shop's traffic must pass it. The seed's NodePorts stay as they were."""

from __future__ import annotations

from components.cloudmart import cloudmart_ingress, urls
from components.platform import Platform, Tls
from tests.conftest import rendered, stack_run

SERVICES = ("user", "product", "order", "payment", "notification")
KIND = Platform(name="kind", exposure="NodePort", ingress_class="nginx")
CLUSTER = Platform(name="eks", exposure="ClusterIP", ingress_class="alb", ingress_host="shop.example.com",
                   ingress_annotations=(("alb.ingress.kubernetes.io/scheme", "internet-facing"),), tls=Tls(("shop.example.com",)))


def _routes(ingress: dict) -> dict[str, tuple[str, int]]:
    (rule,) = ingress["spec"]["rules"]
    return {p["path"]: (p["backend"]["service"]["name"], p["backend"]["service"]["port"]["number"]) for p in rule["http"]["paths"]}


def test_every_service_has_a_path_under_cloudmart_to_its_http_port():
    ingress = cloudmart_ingress(KIND)
    assert ingress["metadata"]["name"] == "cloudmart-ingress" and ingress["metadata"]["namespace"] == "cloudmart"
    assert ingress["spec"]["ingressClassName"] == "nginx"
    assert _routes(ingress) == {f"/cloudmart/{s}": (f"{s}-service", 80) for s in SERVICES}
    assert "host" not in ingress["spec"]["rules"][0]


def test_class_host_annotations_and_tls_come_from_the_platform():
    ingress = cloudmart_ingress(CLUSTER)
    assert ingress["spec"]["ingressClassName"] == "alb"
    assert ingress["spec"]["rules"][0]["host"] == "shop.example.com"
    assert ingress["metadata"]["annotations"] == {"alb.ingress.kubernetes.io/scheme": "internet-facing"}
    assert ingress["spec"]["tls"] == [{"hosts": ["shop.example.com"]}]
    assert urls(CLUSTER)["order-service-ingress"] == "https://shop.example.com/cloudmart/order"
    assert "order-service" not in urls(CLUSTER)


def test_each_stack_renders_the_ingress_and_keeps_the_seed_node_ports(kind_stack):
    stack = kind_stack  # eks publishes no NodePorts (tests/stacks/test_eks_stack.py)
    objects = rendered(stack).objects
    (ingress,) = [o for o in objects if o["kind"] == "Ingress" and o["metadata"]["name"] == "cloudmart-ingress"]
    assert _routes(ingress) == {f"/cloudmart/{s}": (f"{s}-service", 80) for s in SERVICES}
    node_ports = {
        o["metadata"]["name"]: p["nodePort"]
        for o in objects
        if o["kind"] == "Service" and o["metadata"].get("namespace") == "cloudmart"
        for p in o["spec"]["ports"]
        if "nodePort" in p
    }
    assert node_ports == {"user-service": 30080, "product-service": 30081, "order-service": 30082}


def test_urls_output_lists_the_node_ports_and_the_ingress_paths(kind_stack):
    stack = kind_stack
    out = stack_run(stack, False).outputs["urls"]
    assert out["user-service"] == "http://localhost:30080"
    assert {out[f"{s}-service-ingress"] for s in SERVICES} == {f"http://localhost/cloudmart/{s}" for s in SERVICES}
