"""Settings: every key declared once, validated before any resource, with one clear line per problem."""

from __future__ import annotations

import pytest
import pulumi
import yaml

from components.profiles import PROFILES
from stacks.settings import KEYS, PROJECT, ConfigError, settings_from, validate
from tests.conftest import ROOT
from tools.mockrun import run_program, stack_config

P = f"{PROJECT}:"


def test_pulumi_yaml_declares_exactly_the_loader_keys_with_the_same_type_default_and_description():
    declared = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())["config"]
    assert set(declared) == {k.name for k in KEYS}
    for key in KEYS:
        entry = declared[key.name]
        assert entry["type"] == key.kind, key.name
        assert entry["default"] == key.default, key.name
        assert entry["description"] == key.description, key.name


def test_defaults_give_the_dev_profile_on_kind_with_two_workers():
    settings = settings_from(validate({}), "dev")
    assert settings.target == "kind"
    assert settings.profile is PROFILES["dev"]
    assert settings.kind_workers == 2
    assert settings.creates_cluster


def test_cli_strings_are_parsed_into_types(kubeconfig):
    kubeconfig("kind-other")
    values = validate({P + "kindWorkers": "3", P + "kubeContext": "kind-other"})
    settings = settings_from(values, "dev")
    assert settings.kind_workers == 3
    assert settings.kube_context == "kind-other"
    assert not settings.creates_cluster


BAD_INPUTS = [
    # (config, the exact line the user must see)
    ({P + "kindWorkers": "three"}, f'{P}kindWorkers must be an integer (got "three")'),
    ({P + "kindWorkers": "0"}, f'{P}kindWorkers must be an integer from 1 to 5 (got "0")'),
    ({P + "kindWorkers": "9"}, f'{P}kindWorkers must be an integer from 1 to 5 (got "9")'),
    ({P + "kindWorkers": "2.5"}, f'{P}kindWorkers must be an integer (got "2.5")'),
    ({P + "profile": "production"}, f'{P}profile must be one of dev, staging, prod (got "production")'),
    ({P + "profile": ""}, f'{P}profile must be one of dev, staging, prod (got "")'),
    ({P + "target": "gke"}, f'{P}target must be one of kind, eks (got "gke")'),
    ({P + "clusterName": "My_Cluster"}, f'{P}clusterName must be a DNS label (lowercase letters, digits and \'-\', at most 32 characters) (got "My_Cluster")'),
    ({P + "clusterName": "-lead"}, f'{P}clusterName must be a DNS label (lowercase letters, digits and \'-\', at most 32 characters) (got "-lead")'),
    ({P + "kubeContext": " kind-x "}, f'{P}kubeContext must be a kubeconfig context name without surrounding spaces (got " kind-x ")'),
    ({P + "profle": "dev"}, f'{P}profle is not a known key; did you mean "{P}profile"?'),
    ({P + "workers": "2"}, f'{P}workers is not a known key; did you mean "{P}kindWorkers"?'),
    ({P + "zzz": "1"}, f"{P}zzz is not a known key; valid keys: " + ", ".join(k.name for k in KEYS)),
    # a malformed object where a scalar belongs
    ({P + "kindWorkers": '{"count": 2}'}, f'{P}kindWorkers must be an integer (got "{{"count": 2}}")'),
    ({P + "profile": '["dev"]'}, f'{P}profile must be a string, not a list or an object (got "["dev"]")'),
]


@pytest.mark.parametrize("config,line", BAD_INPUTS, ids=[f"bad-{i}" for i in range(len(BAD_INPUTS))])
def test_bad_input_is_reported_in_one_line_naming_key_form_and_value(config, line):
    with pytest.raises(ConfigError) as err:
        validate(config)
    message = str(err.value)
    assert "\n" not in message
    key = next(iter(config))
    assert message.startswith(key + " ")
    if line is not None:
        assert message == line


def test_every_problem_is_reported_not_just_the_first():
    with pytest.raises(ConfigError) as err:
        validate({P + "kindWorkers": "x", P + "profile": "big"})
    assert len(str(err.value).splitlines()) == 2


def test_keys_of_other_namespaces_belong_to_their_providers():
    assert validate({"kubernetes:context": "x", "aws:region": "ap-northeast-2"})["profile"] == "dev"


def test_the_namespaces_a_stack_may_set_are_the_projects_pulumis_and_its_providers():
    """Read from the installed provider SDKs' pulumi-plugin.json, as Pulumi finds plugins."""
    from stacks.config_keys import provider_namespaces

    assert {"kubernetes", "aws", "eks", "random", "command"} <= provider_namespaces()
    assert validate({"pulumi:disable-default-providers": '["*"]', "eks:x": "y"})["profile"] == "dev"


@pytest.mark.parametrize(
    "key,value,line",
    [
        ("cloudplatform:kindWorkers", "4",
         "cloudplatform:kindWorkers is in namespace 'cloudplatform', which neither this project (cloud-platform) nor a "
         "provider it uses ({providers}) reads; did you mean \"cloud-platform:kindWorkers\"?"),
        ("cloudmart:replicas", "3",
         "cloudmart:replicas is in namespace 'cloudmart', which neither this project (cloud-platform) nor a "
         "provider it uses ({providers}) reads; valid keys: target, profile, "),
    ],
)
def test_a_key_in_a_namespace_nothing_reads_is_refused_with_the_nearest_project_key(key, value, line):
    from stacks.config_keys import provider_namespaces

    with pytest.raises(ConfigError) as err:
        validate({key: value})
    assert str(err.value).startswith(line.format(providers=", ".join(sorted(provider_namespaces()))))


def test_a_foreign_namespace_key_stops_the_program_before_any_resource_is_registered():
    config, secrets = stack_config("dev", {"cloudplatform:kindWorkers": "4"})
    with pytest.raises(pulumi.RunError, match="cloudplatform:kindWorkers is in namespace 'cloudplatform'") as err:
        run_program("dev", preview=True, config=config, secret_keys=secrets)
    assert err.value.registrations == []


def test_bad_config_stops_the_program_before_any_resource_is_registered():
    # 9 passes the CLI's integer check, so the program runs and its loader must stop it.
    config, secrets = stack_config("dev", {P + "kindWorkers": 9})
    for preview in (True, False):
        with pytest.raises(pulumi.RunError, match="kindWorkers must be an integer from 1 to 5") as err:
            run_program("dev", preview=preview, config=config, secret_keys=secrets)
        assert err.value.registrations == []


def test_observability_keys_parse_prices_flags_and_receivers():
    settings = settings_from(
        validate(
            {P + "cpuHourlyPrice": "0.05", P + "monthlyBudget": "250", P + "opencost": "true",
             P + "alertEmailTo": "ops@example.com", P + "alertEmailFrom": "a@example.com", P + "alertSmtpSmarthost": "smtp.example.com:587"}
        ),
        "dev",
    )
    assert settings.pricing.cpu_hourly == 0.05 and settings.pricing.memory_gib_hourly == 0.004237
    assert settings.pricing.monthly_budget == 250
    assert settings.features.opencost
    assert settings.alerting.email and not settings.alerting.slack


@pytest.mark.parametrize(
    "config,line",
    [
        ({P + "cpuHourlyPrice": "cheap"}, f'{P}cpuHourlyPrice must be a decimal number from 0 to 100 (got "cheap")'),
        ({P + "monthlyBudget": "0"}, f'{P}monthlyBudget must be a decimal number from 0.01 to 10000000 (got "0")'),
        ({P + "alertEmailTo": "nobody"}, f'{P}alertEmailTo must be an e-mail address (or empty) (got "nobody")'),
        ({P + "alertEmailTo": "ops@example.com"}, f"{P}alertEmailTo needs {P}alertEmailFrom and {P}alertSmtpSmarthost as well"),
    ],
)
def test_bad_observability_values_are_reported_in_one_line(config, line):
    with pytest.raises(ConfigError) as err:
        validate(config)
    assert str(err.value) == line


def test_alert_credentials_must_be_secret_config():
    with pytest.raises(ConfigError, match="alertSlackWebhookUrl must be a secret"):
        validate({P + "alertSlackWebhookUrl": "https://hooks.slack.com/services/x"})
    assert validate({P + "alertSlackWebhookUrl": "https://hooks.slack.com/x"}, frozenset({P + "alertSlackWebhookUrl"}))
@pytest.mark.parametrize("profile,tag", [("dev", "dev-latest"), ("staging", "staging-latest")])
def test_trip_image_tag_defaults_to_the_profile_tag(profile, tag):
    assert settings_from(validate({P + "profile": profile}), profile).trip_image_tag == tag


def test_trip_image_tag_from_config_overrides_the_profile_tag():
    values = validate({P + "profile": "prod", P + "tripImageTag": "prod-63"})
    assert settings_from(values, "prod").trip_image_tag == "prod-63"


def test_prod_without_a_pinned_trip_image_tag_is_one_clear_error():
    with pytest.raises(ConfigError) as err:
        validate({P + "profile": "prod"})
    assert str(err.value) == f'{P}tripImageTag must be set for profile prod (a pinned build tag such as prod-63; got "")'


@pytest.mark.parametrize("tag", ["latest", "prod 63", "-63", "a" * 129])
def test_trip_image_tag_rejects_latest_and_malformed_tags(tag):
    with pytest.raises(ConfigError) as err:
        validate({P + "profile": "staging", P + "tripImageTag": tag})
    assert str(err.value).startswith(f"{P}tripImageTag must be a pinned image tag such as prod-63")


def test_prod_without_a_tag_registers_nothing():
    config, secrets = stack_config("prod", {P + "profile": "prod"}, replace=True)
    with pytest.raises(pulumi.RunError, match="tripImageTag must be set") as err:
        run_program("prod", preview=True, config=config, secret_keys=secrets)
    assert err.value.registrations == []


# --- secret keys as the CLI hands them over (issue 7 item 1) ----------------------------------
SLACK, SMTP = P + "alertSlackWebhookUrl", P + "alertSmtpPassword"


@pytest.mark.parametrize("secret_keys", [frozenset(), frozenset({SLACK, SMTP})], ids=["plain", "secret"])
def test_an_empty_secret_key_means_not_set_whatever_its_secrecy(secret_keys):
    settings = settings_from(validate({SLACK: "", SMTP: ""}, secret_keys), "dev")
    assert settings.alerting.slack_webhook_url is None
    assert settings.alerting.smtp_password is None


def test_a_plaintext_secret_is_an_error_that_never_echoes_the_value():
    with pytest.raises(ConfigError) as err:
        validate({SMTP: "hunter2-password"})
    assert str(err.value) == f"{SMTP} must be a secret: set it with `pulumi config set --secret alertSmtpPassword ...`"
    assert "hunter2" not in str(err.value)


def test_a_malformed_secret_is_reported_without_its_value():
    with pytest.raises(ConfigError) as err:
        validate({SLACK: "http://hooks.slack.com/services/T/B/leak"}, frozenset({SLACK}))
    assert str(err.value) == f"{SLACK} must be an https:// URL (or empty) (got [secret])"


# --- validation gaps found with real values (issue 7 item 5) ----------------------------------
EMAIL_OK = {P + "alertEmailTo": "ops@example.com", P + "alertEmailFrom": "alerts@example.com"}


@pytest.mark.parametrize("smarthost", ["smtp.example.com:99999", "smtp.example.com:0", "smtp.example.com:65536", "smtp.example.com"])
def test_smtp_smarthost_port_must_be_from_1_to_65535(smarthost):
    with pytest.raises(ConfigError) as err:
        validate({**EMAIL_OK, P + "alertSmtpSmarthost": smarthost})
    assert str(err.value) == f'{P}alertSmtpSmarthost must be host:port with a port from 1 to 65535 (or empty) (got "{smarthost}")'


@pytest.mark.parametrize("smarthost", ["smtp.example.com:1", "smtp.example.com:587", "smtp.example.com:65535"])
def test_smtp_smarthost_accepts_every_valid_port(smarthost):
    assert validate({**EMAIL_OK, P + "alertSmtpSmarthost": smarthost})["alertSmtpSmarthost"] == smarthost


@pytest.mark.parametrize("value", ['["ops@example.com"]', '{"to": "ops@example.com"}', '[]'])
def test_a_string_key_refuses_a_list_or_an_object(value):
    # `pulumi config set alertEmailTo '["ops@example.com"]'` hands the JSON text over as a string.
    with pytest.raises(ConfigError) as err:
        validate({P + "alertEmailTo": value})
    assert str(err.value) == f'{P}alertEmailTo must be a string, not a list or an object (got "{value}")'


def test_kube_context_must_exist_in_the_kubeconfig_and_the_error_lists_those_that_do(kubeconfig):
    path = kubeconfig("kind-a", "kind-b")
    assert validate({P + "kubeContext": "kind-b"})["kubeContext"] == "kind-b"
    with pytest.raises(ConfigError) as err:
        validate({P + "kubeContext": "kind-does-not-exist"})
    assert str(err.value) == (
        f'{P}kubeContext must be an existing kubeconfig context ({path} has kind-a, kind-b) (got "kind-does-not-exist")'
    )


def test_kube_context_without_any_kubeconfig_says_where_it_looked(tmp_path, monkeypatch):
    monkeypatch.delenv("KUBECONFIG", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    with pytest.raises(ConfigError) as err:
        validate({P + "kubeContext": "kind-x"})
    assert str(err.value) == f'{P}kubeContext must be an existing kubeconfig context (no kubeconfig at {tmp_path}/.kube/config) (got "kind-x")'


def test_kube_context_is_looked_up_in_every_file_of_a_kubeconfig_list(kubeconfig, tmp_path, monkeypatch):
    first = kubeconfig("kind-a")
    second = tmp_path / "second"
    second.write_text(yaml.safe_dump({"contexts": [{"name": "eks-b", "context": {}}]}))
    monkeypatch.setenv("KUBECONFIG", f"{tmp_path / 'absent'}:{first}:{second}")
    assert validate({P + "kubeContext": "eks-b"})["kubeContext"] == "eks-b"


def test_a_bad_kube_context_registers_nothing(kubeconfig):
    kubeconfig("kind-a")
    config, secrets = stack_config("dev", {P + "kubeContext": "kind-does-not-exist"})
    with pytest.raises(pulumi.RunError, match="kubeContext must be an existing kubeconfig context") as err:
        run_program("dev", preview=True, config=config, secret_keys=secrets)
    assert err.value.registrations == []


def test_latest_on_prod_is_one_truthful_line():
    with pytest.raises(ConfigError) as err:
        validate({P + "profile": "prod", P + "tripImageTag": "latest"})
    (line,) = str(err.value).splitlines()
    assert line.startswith(f'{P}tripImageTag must be a pinned image tag such as prod-63')
    assert line.endswith('(got "latest")')


def test_ranges_are_written_as_people_read_them():
    with pytest.raises(ConfigError) as err:
        validate({P + "monthlyBudget": "20000000", P + "cpuHourlyPrice": "-1"})
    assert str(err.value).splitlines() == [
        f'{P}cpuHourlyPrice must be a decimal number from 0 to 100 (got "-1")',
        f'{P}monthlyBudget must be a decimal number from 0.01 to 10000000 (got "20000000")',
    ]
