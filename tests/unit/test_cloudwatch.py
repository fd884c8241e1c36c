"""The CloudWatch exporter's data (issue 17 item 1): series names as YACE builds them, the
discovery jobs, the lag that widens the eks rule windows, and the chart values."""

from __future__ import annotations

import pytest
import yaml

from components.observability import cloudwatch as cw


# YACE's own table (pkg/promutil/migrate_test.go, TestBuildMetricName at v0.67.0).
@pytest.mark.parametrize(
    "namespace,metric,statistic,expected",
    [
        ("AWS/ElastiCache", "CPUUtilization", "Average", "aws_elasticache_cpuutilization_average"),
        ("/aws/sagemaker/TrainingJobs", "CPUUtilization", "Average", "aws_sagemaker_trainingjobs_cpuutilization_average"),
        ("Glue", "glue.driver.aggregate.bytesRead", "Average", "aws_glue_driver_aggregate_bytes_read_average"),
        ("Glue", "aggregate.glue.jobs.bytesRead", "Average", "aws_glue_aggregate_glue_jobs_bytes_read_average"),
    ],
)
def test_metric_names_follow_yaces_build_metric_name(namespace, metric, statistic, expected):
    assert cw.metric_name(namespace, metric, statistic) == expected


def test_the_albs_four_series_have_yaces_names():
    assert [m.series for m in cw.METRICS] == [
        "aws_applicationelb_request_count_sum",
        "aws_applicationelb_httpcode_target_5_xx_count_sum",
        "aws_applicationelb_target_response_time_p95",
        "aws_applicationelb_httpcode_elb_5_xx_count_sum",
    ]


def test_discovery_finds_the_clusters_albs_by_tag_and_reads_each_metric_once():
    config = cw.exporter_config("ap-northeast-2", "trip-service-cluster")
    assert config["apiVersion"] == "v1alpha1" and config["sts-region"] == "ap-northeast-2"
    per_group, per_lb = config["discovery"]["jobs"]
    for job in (per_group, per_lb):
        assert job["type"] == "AWS/ApplicationELB" and job["regions"] == ["ap-northeast-2"]
        assert job["searchTags"] == [{"key": "elbv2.k8s.aws/cluster", "value": "^trip-service-cluster$"}]
        assert (job["period"], job["length"], job["delay"], job["addCloudwatchTimestamp"]) == (60, 60, 120, True)
    assert per_group["dimensionNameRequirements"] == ["LoadBalancer", "TargetGroup"]
    assert per_group["metrics"] == [
        {"name": "RequestCount", "statistics": ["Sum"]},
        {"name": "HTTPCode_Target_5XX_Count", "statistics": ["Sum"]},
        {"name": "TargetResponseTime", "statistics": ["p95"]},
    ]
    assert per_lb["dimensionNameRequirements"] == ["LoadBalancer"]
    assert per_lb["metrics"] == [{"name": "HTTPCode_ELB_5XX_Count", "statistics": ["Sum"]}]


def test_windows_are_widened_by_delay_period_and_scraping_interval():
    assert cw.LAG_S == 120 + 60 + 60
    assert [cw.windowed(m) for m in (5, 30, 60, 360, 4320)] == ["9m", "34m", "1h4m", "6h4m", "3d4m"]


def test_exporter_values_run_restricted_with_requests_limits_and_the_irsa_account():
    resources = {"requests": {"cpu": "10m", "memory": "32Mi"}, "limits": {"cpu": "100m", "memory": "64Mi"}}
    values = cw.exporter_values("ap-northeast-2", "c", "arn:aws:iam::1:role/r", resources, "cloudwatch-exporter")
    assert yaml.safe_load(values["config"]) == cw.exporter_config("ap-northeast-2", "c")
    assert values["extraArgs"] == {"scraping-interval": 60}
    assert values["serviceAccount"]["annotations"] == {"eks.amazonaws.com/role-arn": "arn:aws:iam::1:role/r"}
    assert values["resources"] == resources and values["replicaCount"] == 1
    assert values["podSecurityContext"]["runAsNonRoot"] and values["podSecurityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    ctx = values["securityContext"]
    assert ctx["allowPrivilegeEscalation"] is False and ctx["capabilities"] == {"drop": ["ALL"]} and ctx["runAsUser"] == 65534
    assert values["serviceMonitor"] == {"enabled": True, "interval": "60s"} and values["testConnection"] is False


def test_aws_egress_flows_are_tcp_443_to_the_endpoints_each_pod_calls():
    flows = {f.pod: f for f in cw.aws_egress("ap-northeast-2", "monitoring", "opencost")}
    exporter, opencost = flows[cw.POD_NAME], flows["opencost"]
    assert exporter.ports == opencost.ports == (443,) and exporter.namespace == opencost.namespace == "monitoring"
    assert exporter.hosts == ("monitoring.ap-northeast-2.amazonaws.com", "tagging.ap-northeast-2.amazonaws.com", "sts.ap-northeast-2.amazonaws.com")
    assert opencost.hosts == ("pricing.us-east-1.amazonaws.com",)
    assert [f.pod for f in cw.aws_egress("ap-northeast-2", "monitoring", None)] == [cw.POD_NAME]
