"""The harness's model of the Pulumi CLI: config reaches the program as the CLI hands it over.

Each expectation comes from Pulumi's source (pulumi/pulumi pkg/workspace/config.go and
sdk/go/common/workspace/project.go), cited in tools/cliconfig.py.
"""

from __future__ import annotations

import textwrap

import pytest
import yaml

from stacks.settings import KEYS
from tests.conftest import ROOT, STACKS
from tools.cliconfig import ConfigRefused, Secret, cli_config, go_json, load_yaml
from tools.mockrun import run_program, stack_config

P = "cloud-platform:"


def _project(tmp_path, config: str, stack: str = "") -> object:
    (tmp_path / "Pulumi.yaml").write_text("name: demo\nruntime: python\nconfig:\n" + textwrap.indent(textwrap.dedent(config), "  "))
    (tmp_path / "Pulumi.s.yaml").write_text("config:\n" + textwrap.indent(textwrap.dedent(stack), "  ") if stack else "")
    return tmp_path


@pytest.mark.parametrize("stack", STACKS)
def test_every_pulumi_yaml_default_the_stack_does_not_set_arrives_as_a_plain_string(stack):
    config, secrets = stack_config(stack)
    stack_file = (yaml.safe_load((ROOT / f"Pulumi.{stack}.yaml").read_text()) or {}).get("config") or {}
    for key in KEYS:
        if P + key.name not in stack_file:
            # Go's %v: false, 2, "" -- never a Python repr, never a secret.
            # (bool first: 1 == True in a dict lookup, so an integer default of 1 is not "true")
            expected = {False: "false", True: "true"}[key.default] if isinstance(key.default, bool) else str(key.default)
            assert config[P + key.name] == expected, key.name
    # Only what the stack file sets with --secret is secret: never a default.
    assert secrets == sorted(k for k, v in stack_file.items() if isinstance(v, dict) and set(v) == {"secure"})


def test_the_cli_formats_defaults_with_go_percent_v(tmp_path):
    root = _project(tmp_path, """\
        url: {type: string, default: ""}
        flag: {type: boolean, default: false}
        count: {type: integer, default: 2}
        ratio: {default: 0.5}
    """)
    assert cli_config("s", root=root) == ({"demo:url": "", "demo:flag": "false", "demo:count": "2", "demo:ratio": "0.5"}, [])


def test_stack_values_override_project_defaults():
    config, _ = stack_config("prod")
    assert config[P + "clusterName"] == "cloud-platform-prod"
    assert config[P + "tripImageTag"] == "prod-63"


def test_value_entries_are_applied_and_a_default_never_overrides_the_stack(tmp_path):
    root = _project(tmp_path, """\
        size: {type: integer, default: 2}
        kubernetes:context: {value: kind-demo}
        flag: true
    """, "demo:size: 5\n")
    config, secrets = cli_config("s", root=root)
    assert config == {"demo:size": "5", "kubernetes:context": "kind-demo", "demo:flag": "true"}
    assert secrets == []


def test_secure_values_become_secrets_shaped_for_their_key():
    config, secrets = stack_config("dev", {P + "alertSlackWebhookUrl": {"secure": "v1:AAAA"}, P + "alertSmtpPassword": {"secure": "v1:BBBB"}})
    assert secrets == [P + "alertSlackWebhookUrl", P + "alertSmtpPassword"]
    assert config[P + "alertSlackWebhookUrl"].startswith("https://hooks.slack.com/services/")
    assert config[P + "alertSmtpPassword"] and not config[P + "alertSmtpPassword"].startswith(("v1:", "http"))
    config, secrets = stack_config("dev", {P + "alertSmtpPassword": Secret("s3cret")})
    assert config[P + "alertSmtpPassword"] == "s3cret" and P + "alertSmtpPassword" in secrets


@pytest.mark.parametrize(
    "key,value,handed_over",
    [
        ("kindWorkers", 3, "3"),
        ("kindWorkers", "+3", "+3"),  # strconv.Atoi takes a sign
        ("kindWorkers", 3.0, "3"),  # a YAML float, written by Go's json.Marshal
        ("opencost", True, "true"),
        ("opencost", "false", "false"),
        ("alertEmailTo", "ops@example.com", "ops@example.com"),
    ],
)
def test_the_type_check_passes_what_the_cli_passes(key, value, handed_over):
    config, _ = stack_config("dev", {P + key: value})
    assert config[P + key] == handed_over


@pytest.mark.parametrize(
    "key,value,type_",
    [
        ("kindWorkers", "many", "integer"),
        ("kindWorkers", 2.5, "integer"),
        ("kindWorkers", " 3", "integer"),
        ("kindWorkers", [2], "integer"),
        ("opencost", "True", "boolean"),  # only the literal strings "true" and "false"
        ("opencost", "yes", "boolean"),
        ("alertEmailTo", ["ops@example.com"], "string"),  # a YAML list
        ("alertEmailTo", {"to": "ops@example.com"}, "string"),
    ],
)
def test_the_type_check_refuses_what_the_cli_refuses_before_the_program_runs(key, value, type_):
    with pytest.raises(ConfigRefused) as err:
        stack_config("dev", {P + key: value})
    assert str(err.value) == f"Stack 'dev' with configuration key '{key}' must be of type '{type_}'"


def test_stack_files_are_read_as_yaml_v3_reads_them(tmp_path):
    path = tmp_path / "x.yaml"
    path.write_text("a: yes\nb: True\nc: 010\nd: 1_000\ne: 2026-01-01\nf: 12:30\ng: ~\n")
    assert load_yaml(path) == {"a": "yes", "b": True, "c": 8, "d": 1000, "e": "2026-01-01", "f": "12:30", "g": None}


@pytest.mark.parametrize("value,text", [(2.0, "2"), (0.5, "0.5"), (1e21, "1e+21"), (1e-7, "1e-7"), (1e20, "100000000000000000000"), ({"b": [1, "<"], "a": None}, '{"a":null,"b":[1,"\\u003c"]}')])
def test_objects_and_floats_are_written_as_go_writes_json(value, text):
    assert go_json(value) == text


def test_a_declared_secret_must_be_encrypted(tmp_path):
    root = _project(tmp_path, "token: {type: string, secret: true}\n", "demo:token: plain\n")
    with pytest.raises(ConfigRefused, match="^Stack 's' with configuration key 'token' must be encrypted as it's secret$"):
        cli_config("s", root=root)
    assert cli_config("s", {"demo:token": {"secure": "v1:x"}}, root=root)[1] == ["demo:token"]


def test_a_required_key_without_default_must_be_set(tmp_path):
    root = _project(tmp_path, "b: {type: string}\na: {type: string}\nc: {type: string}\n")
    with pytest.raises(ConfigRefused, match=r"^Stack 's' is missing configuration values 'a', 'b' and 'c'$"):
        cli_config("s", root=root)


@pytest.mark.parametrize(
    "config,message",
    [
        ("x: {type: string, default: a, value: b}\n", "project config 'x' cannot have both a 'default' and 'value' attribute"),
        ("x: {type: integer, default: two}\n", "The default value specified for configuration key 'x' is not of the expected type 'integer'"),
        ("x: {type: array}\n", "The configuration key 'x' declares an array but does not specify the underlying type via the 'items' attribute"),
        ("aws:region: {type: string, value: x}\n", "Configuration key 'aws:region' is not namespaced by the project and should not define a type"),
        ("aws:region: {default: x}\n", "Configuration key 'aws:region' is not namespaced by the project and should not define a default value. Did you mean to use the 'value' attribute instead of 'default'?"),
    ],
)
def test_a_project_file_the_cli_refuses_is_refused(tmp_path, config, message):
    with pytest.raises(ConfigRefused) as err:
        cli_config("s", root=_project(tmp_path, config))
    assert str(err.value) == message


def test_a_stack_key_without_a_namespace_is_refused():
    with pytest.raises(ConfigRefused, match="could not parse kindWorkers as a configuration key"):
        stack_config("dev", {"kindWorkers": 3})


def test_a_hand_built_config_the_cli_could_never_hand_over_is_refused():
    with pytest.raises(ConfigRefused, match="lacks"):
        run_program("dev", preview=True, config={P + "profile": "dev"})
    config, secrets = stack_config("dev")
    with pytest.raises(ConfigRefused, match="must be of type 'integer'"):
        run_program("dev", preview=True, config={**config, P + "kindWorkers": "many"}, secret_keys=secrets)
