"""The bin-packing and the placement builders, on small hand-made inputs."""

from __future__ import annotations

from components.aws.specs import NodeGroupSpec, launch_template_spec
from components.cost.capacity import GroupCapacity, PodSet, pack
from components.cost.instances import INSTANCE_TYPES
from components.placement import Placement, pod_placement, workload_pool

POOL = "cloud-platform/pool"
SPOT_TAINT = ("cloud-platform/spot", "true", "NoSchedule")
TOLERATE = (("cloud-platform/spot", "Equal", "true", "NoSchedule"),)


def group(name: str, pool: str, itype: str = "t3.medium", taints=(), min_size: int = 0) -> GroupCapacity:
    return GroupCapacity(name, pool, itype, "SPOT" if taints else "ON_DEMAND", ((POOL, pool),), taints, min_size, 1, 10)


BASE, SPOT = group("base", "base"), group("spot", "spot", taints=(SPOT_TAINT,))
ALLOC = INSTANCE_TYPES["t3.medium"].allocatable_memory_mi  # 3554 MiB


def test_a_pod_with_a_base_selector_never_opens_a_spot_node():
    p = pack([PodSet("db", 3, 100, 1500, node_selector=((POOL, "base"),))], [SPOT, BASE])
    assert p.nodes() == {"spot": 0, "base": 2}  # two 1500 MiB pods per node


def test_spot_preferring_replicas_open_spot_nodes_and_spread_counts_two():
    web = PodSet("web", 2, 100, 500, tolerations=TOLERATE, preferred_pool="spot", spread=True)
    p = pack([web], [BASE, SPOT])
    assert p.nodes() == {"base": 0, "spot": 2}  # both fit one node; a zone spread needs two


def test_spot_preferring_pods_use_base_room_before_opening_a_spot_node():
    db = PodSet("db", 1, 100, 1000, node_selector=((POOL, "base"),))
    web = PodSet("web", 1, 100, 500, tolerations=TOLERATE, preferred_pool="spot")
    assert pack([db, web], [BASE, SPOT]).nodes() == {"base": 1, "spot": 0}


def test_daemonsets_take_room_on_every_node_they_tolerate():
    agent = PodSet("agent", 0, 100, ALLOC - 1000, daemonset=True, tolerates_all=True)
    big = PodSet("big", 1, 100, 1200, node_selector=((POOL, "base"),))
    assert pack([agent, big], [BASE]).unplaceable == ("big",)  # 1000 MiB left per node
    # On a tainted group, a DaemonSet without the toleration takes no room.
    big_on_spot = PodSet("big", 1, 100, 1200, tolerations=TOLERATE, preferred_pool="spot")
    assert pack([PodSet("agent", 0, 100, ALLOC - 1000, daemonset=True), big_on_spot], [SPOT]).nodes() == {"spot": 1}


def test_pod_slots_bound_a_node():
    tiny = PodSet("tiny", 17, 1, 1)  # t3.medium: 17 pods
    assert pack([tiny], [BASE]).nodes() == {"base": 1}
    assert pack([PodSet("tiny", 18, 1, 1)], [BASE]).nodes() == {"base": 2}


def test_a_group_counts_at_least_its_minimum():
    assert pack([], [group("base", "base", min_size=2)]).nodes() == {"base": 2}


def test_placement_fields():
    p = Placement(POOL, "base", "spot", {"key": "cloud-platform/spot", "value": "true", "effect": "NoSchedule"})
    assert pod_placement(p, "base") == {"nodeSelector": {POOL: "base"}}
    spot = pod_placement(p, "spot")
    assert spot["tolerations"] == [{"key": "cloud-platform/spot", "operator": "Equal", "value": "true", "effect": "NoSchedule"}]
    term = spot["affinity"]["nodeAffinity"]["preferredDuringSchedulingIgnoredDuringExecution"][0]
    assert term["preference"]["matchExpressions"] == [{"key": POOL, "operator": "In", "values": ["spot"]}]
    assert pod_placement(None, "base") == {}
    assert workload_pool(2, has_claims=False) == "spot"
    assert workload_pool(1, has_claims=False) == workload_pool(3, has_claims=True) == "base"


def test_launch_template_is_imdsv2_hop_limit_1_encrypted_gp3_without_ssh_key():
    spec = launch_template_spec()
    assert spec["metadata_options"] == {"http_endpoint": "enabled", "http_tokens": "required", "http_put_response_hop_limit": 1}
    (root,) = spec["block_device_mappings"]
    assert root["ebs"]["volume_type"] == "gp3" and root["ebs"]["encrypted"] == "true"
    assert "key_name" not in spec and "image_id" not in spec


def test_only_the_spot_group_is_tainted_and_each_carries_its_pool():
    spot = NodeGroupSpec("spot", ("c5.large", "c5a.large", "c6i.large"), "SPOT", "amd64", 0, 1, 3)
    base = NodeGroupSpec("base", ("t4g.medium",), "ON_DEMAND", "arm64", 1, 1, 3)
    assert spot.taints == ({"key": "cloud-platform/spot", "value": "true", "effect": "NoSchedule"},) and base.taints == ()
    assert spot.labels == {POOL: "spot"} and base.ami_type == "AL2023_ARM_64_STANDARD"
