"""Config as the Pulumi CLI hands it to the program: a model of the CLI, used by the harness.

Before the program runs, the CLI
1. loads ``Pulumi.yaml`` and refuses a bad config schema (``Project.Validate``);
2. loads ``Pulumi.<stack>.yaml``, where each value becomes a string: scalars as text
   (``3``, ``true``), lists and maps as JSON ("object" values), ``secure:`` values as secrets;
3. merges every project ``default:`` or ``value:`` the stack file does not set, as a **plain,
   non-secret** string formatted with Go's ``%v`` (``false``, ``2``, ``""``); other shapes as JSON;
4. checks every value of an explicitly typed key against its declared type, and stops at the
   first value it refuses, before the program starts.

Ref: pulumi/pulumi@1b59498 pkg/workspace/config.go (``mergeConfig``, ``createConfigValue``,
``validateStackConfigValues``, ``validateStackConfigValue``), sdk/go/common/workspace/project.go
(``Project.Validate``, ``ValidateConfigValue``, ``InferFullTypeName``,
``RewriteShorthandConfigValues``), sdk/go/common/resource/config/object.go (``MarshalString``)
and key.go (``ParseKey``). Files are read with gopkg.in/yaml.v3, modelled by ``GoYamlLoader``.

``secure:`` values cannot be decrypted here, so each becomes a test value of the shape a user
would set with ``pulumi config set --secret`` (an https URL for a URL key). No Pulumi import:
this is data in, data out.
"""

from __future__ import annotations

import copy
import json
import math
import re
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml

ROOT_DIR = Path(__file__).resolve().parent.parent


class ConfigRefused(Exception):
    """The CLI itself refuses this configuration: the program never starts. The message is
    the CLI's own."""


@dataclass(frozen=True)
class Secret:
    """A value set with ``pulumi config set --secret`` (a ``secure:`` entry in the stack file).
    ``plaintext`` None: a test value of the shape the key expects (see ``secret_test_value``)."""

    plaintext: str | None = None


# --- gopkg.in/yaml.v3 scalar resolution (YAML 1.2 core), not PyYAML's YAML 1.1 -------------
class GoYamlLoader(yaml.SafeLoader):
    """Plain scalars resolved as yaml.v3 resolves them into ``any``: only ``true``/``false``
    (three casings) are booleans (``yes``/``on`` stay strings), ``0x``/``0o``/``0b`` and ``_``
    ints, no sexagesimal ``1:30``, and timestamps stay strings."""


GoYamlLoader.yaml_implicit_resolvers = {}
for _tag, _pattern, _first in (
    ("tag:yaml.org,2002:bool", r"^(?:true|True|TRUE|false|False|FALSE)$", "tTfF"),
    ("tag:yaml.org,2002:null", r"^(?:~|null|Null|NULL|)$", ["~", "n", "N", ""]),
    ("tag:yaml.org,2002:int", r"^[-+]?(?:0[xX][0-9a-fA-F_]+|0[oO][0-7_]+|0[bB][01_]+|[0-9][0-9_]*)$", "-+0123456789"),
    ("tag:yaml.org,2002:float", r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$", "-+0123456789."),
):
    GoYamlLoader.add_implicit_resolver(_tag, re.compile(_pattern), list(_first))


def _go_int(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> int:
    text = node.value.replace("_", "")
    sign = -1 if text.startswith("-") else 1
    digits = text.lstrip("+-")
    base = {"0x": 16, "0X": 16, "0o": 8, "0O": 8, "0b": 2, "0B": 2}.get(digits[:2])
    if base:
        return sign * int(digits[2:], base)
    # Go's ParseInt with base 0 reads a leading 0 as octal (yaml.v3: "010" is 8).
    return sign * int(digits, 8 if len(digits) > 1 and digits[0] == "0" else 10)


GoYamlLoader.add_constructor("tag:yaml.org,2002:int", _go_int)


# Parsed documents by (path, mtime, size): every program run reads Pulumi.yaml and its stack
# file, and the pure-Python parser is slow. A changed file is parsed again.
_PARSED: dict[tuple[str, int, int], Any] = {}


def load_yaml(path: Path) -> Any:
    stat = path.stat()
    key = (str(path.resolve()), stat.st_mtime_ns, stat.st_size)
    if key not in _PARSED:
        _PARSED[key] = yaml.load(path.read_text(), Loader=GoYamlLoader)  # noqa: S506 - a SafeLoader subclass
    return copy.deepcopy(_PARSED[key])  # callers may change what they get


# --- how values become strings ----------------------------------------------------------------
def go_json(value: Any) -> str:
    """``json.Marshal`` as Go writes it: whole floats without ``.0``, exponents only outside
    [1e-6, 1e21), compact separators. Ref: Go encoding/json floatEncoder."""
    if isinstance(value, str):
        text = json.dumps(value, ensure_ascii=False)
        for char, escaped in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"), ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
            text = text.replace(char, escaped)  # Go escapes these for HTML safety
        return text
    if isinstance(value, bool) or value is None or isinstance(value, int):
        return json.dumps(value)
    if isinstance(value, float):
        if math.isinf(value) or math.isnan(value):
            raise ConfigRefused(f"json: unsupported value: {value}")
        if value != 0 and (abs(value) < 1e-6 or abs(value) >= 1e21):
            # Python's repr uses the exponent form in this whole range too; Go drops one 0: e-07 -> e-7.
            return re.sub(r"e-0(\d)$", r"e-\1", repr(value))
        text = format(Decimal(repr(value)), "f")
        return text.rstrip("0").rstrip(".") if "." in text else text
    if isinstance(value, list):
        return "[" + ",".join(go_json(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ",".join(f"{json.dumps(str(k))}:{go_json(v)}" for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))) + "}"
    raise ConfigRefused(f"json: unsupported type {type(value).__name__}")


def go_sprint(value: Any) -> str:
    """Go's ``fmt.Sprintf("%v", v)`` for the primitives ``createConfigValue`` formats so."""
    return ("true" if value else "false") if isinstance(value, bool) else str(value)


def secret_test_value(key: str) -> str:
    """What a user would set with ``pulumi config set --secret``, shaped for the key: a Slack
    incoming-webhook URL (Ref: https://api.slack.com/messaging/webhooks) for a Slack URL key,
    an https URL for another URL key, a password-like string otherwise."""
    name = key.split(":")[-1]
    if name.lower().endswith("url"):
        if "slack" in name.lower():
            return "https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX"
        return f"https://example.com/{name}"
    return f"test-{name}-Secr3t!"


@dataclass(frozen=True)
class Value:
    """A config value as the CLI holds it (``config.Value``): text, secure, object."""

    text: str
    secure: bool = False
    object: bool = False


def _contains_secret(value: Any) -> bool:
    if isinstance(value, Secret):
        return True
    if isinstance(value, dict):
        return any(_contains_secret(v) for v in value.values())
    if isinstance(value, list):
        return any(_contains_secret(v) for v in value)
    return False


def _plain(value: Any, key: str) -> Any:
    """Decrypted form of a stack value (secrets replaced by their test plaintext)."""
    if isinstance(value, Secret):
        return value.plaintext if value.plaintext is not None else secret_test_value(key)
    if isinstance(value, dict):
        return {k: _plain(v, key) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v, key) for v in value]
    return value


def _as_secrets(value: Any) -> Any:
    """``{secure: ...}`` maps of a stack file (``isSecureValue``) become ``Secret()``."""
    if isinstance(value, dict):
        if len(value) == 1 and isinstance(value.get("secure"), str):
            return Secret()
        return {str(k): _as_secrets(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_as_secrets(v) for v in value]
    return value


def stack_value(key: str, value: Any) -> Value:
    """``object.MarshalString`` of one stack-file value, decrypted."""
    if isinstance(value, Secret):
        return Value(_plain(value, key), secure=True)
    if isinstance(value, (dict, list)):
        return Value(go_json(_plain(value, key)), secure=_contains_secret(value), object=True)
    if value is None:
        return Value("null", object=True)
    return Value(value if isinstance(value, str) else go_json(value))


def _project_value(value: Any) -> Value:
    """``createConfigValue``: string, int and bool by ``%v``; anything else (floats too) as JSON."""
    if isinstance(value, (str, bool, int)):
        return Value(go_sprint(value))
    return Value(go_json(value), object=True)


# --- Pulumi.yaml: the declared schema -----------------------------------------------------------
_TYPES = ("string", "integer", "boolean", "array", "object")  # project.json simpleConfigType


def _namespaced_by_project(project: str, key: str) -> bool:
    return ":" not in key or key.startswith(project + ":")


def parse_key(key: str) -> str:
    """``config.ParseKey``: ``ns:name``, or the old ``ns:config:name``; returns ``ns:name``."""
    parts = key.split(":")
    if len(parts) == 2:
        return key
    if len(parts) == 3 and parts[1] == "config" and parts[0] and parts[2]:
        return f"{parts[0]}:{parts[2]}"
    raise ConfigRefused(
        f"could not parse {key} as a configuration key (configuration keys should be of the form `<namespace>:<name>`)"
    )


def _full_key(project: str, key: str) -> str:
    return parse_key(key) if ":" in key else f"{project}:{key}"


def type_name(decl: dict) -> str:
    """``InferFullTypeName``: ``array<string>`` for typed arrays."""
    items = decl.get("items")
    return f"array<{type_name(items)}>" if items is not None else decl["type"]


def type_accepts(type_: str, items: dict | None, value: Any) -> bool:
    """``ValidateConfigValue``: what the CLI accepts for a declared type."""
    if type_ == "string":
        return isinstance(value, str)
    if type_ == "integer":
        if isinstance(value, bool):
            return False
        if isinstance(value, int) or (isinstance(value, float) and value.is_integer()):
            return True
        # strconv.Atoi: an optional sign and decimal digits, within int64.
        return isinstance(value, str) and re.fullmatch(r"[+-]?[0-9]+", value) is not None and -(2**63) <= int(value) < 2**63
    if type_ == "boolean":
        return value in ("true", "false") if isinstance(value, str) else isinstance(value, bool)
    if type_ == "object":
        return isinstance(value, dict)
    if not isinstance(value, list) or items is None:
        return False
    return all(type_accepts(items.get("type"), items.get("items"), v) for v in value)


def project_config(root: Path = ROOT_DIR) -> tuple[str, dict[str, dict]]:
    """The project name and its config declarations, shorthands rewritten, checked as
    ``Project.Validate`` checks them (the CLI refuses the project otherwise)."""
    doc = load_yaml(root / "Pulumi.yaml") or {}
    project = doc["name"]
    declared: dict[str, dict] = {}
    for key, entry in sorted((doc.get("config") or {}).items()):
        if isinstance(entry, (str, int, bool, list)):  # RewriteShorthandConfigValues
            entry = {"default" if _namespaced_by_project(project, key) else "value": entry}
        if not isinstance(entry, dict) or not set(entry) <= {"type", "items", "description", "secret", "default", "value"}:
            raise ConfigRefused(f"Pulumi.yaml: config key '{key}' is not a valid declaration")
        _validate_declaration(project, key, entry)
        declared[key] = entry
    return project, declared


def _validate_declaration(project: str, key: str, decl: dict) -> None:
    if decl.get("default") is not None and decl.get("value") is not None:
        raise ConfigRefused(f"project config '{key}' cannot have both a 'default' and 'value' attribute")
    typed = decl.get("type") is not None
    if typed and decl["type"] not in _TYPES:
        raise ConfigRefused(f"Pulumi.yaml: config key '{key}' has type '{decl['type']}', not one of {', '.join(_TYPES)}")
    if not _namespaced_by_project(project, key):
        if typed:
            raise ConfigRefused(f"Configuration key '{key}' is not namespaced by the project and should not define a type")
        if decl.get("default") is not None:
            raise ConfigRefused(
                f"Configuration key '{key}' is not namespaced by the project and should not define a default value. "
                "Did you mean to use the 'value' attribute instead of 'default'?"
            )
        if decl.get("value") is None:
            raise ConfigRefused(f"Configuration key '{key}' is namespaced and must provide an attribute 'value'")
        return
    if typed and decl["type"] == "array" and decl.get("items") is None:
        raise ConfigRefused(
            f"The configuration key '{key}' declares an array but does not specify the underlying type via the 'items' attribute"
        )
    if typed and decl.get("default") is not None and not type_accepts(decl["type"], decl.get("items"), decl["default"]):
        raise ConfigRefused(
            f"The default value specified for configuration key '{key}' is not of the expected type '{type_name(decl)}'"
        )


# --- the merge and the check, then the handover -------------------------------------------------
def merge(stack: str, project: str, declared: dict[str, dict], values: dict[str, Value]) -> dict[str, Value]:
    """``mergeConfig``: project defaults and values the stack does not set, then the type check."""
    merged = dict(values)
    missing = []
    for key, decl in sorted(declared.items()):
        full = _full_key(project, key)
        if full in merged:
            continue
        has_default, has_value = decl.get("default") is not None, decl.get("value") is not None
        if not (has_default or has_value):
            if full.split(":")[0] == project:
                missing.append(key)
            continue
        # As in the CLI: with both set, `default` wins (Project.Validate refuses that anyway).
        merged[full] = _project_value(decl["default"] if has_default else decl["value"])
    if missing:
        quoted = [f"'{k}'" for k in sorted(missing)]
        listed = quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-2] + [" ".join(quoted[-2:-1]) + " and " + quoted[-1]])
        raise ConfigRefused(f"Stack '{stack}' is missing configuration value{'s' if len(missing) > 1 else ''} {listed}")
    for key, decl in sorted(declared.items()):
        _check_value(stack, key, decl, merged.get(_full_key(project, key)))
    return merged


def _check_value(stack: str, key: str, decl: dict, value: Value | None) -> None:
    """``validateStackConfigValue`` for one explicitly typed key."""
    if decl.get("type") is None or value is None:
        return
    if decl.get("secret") and not value.secure:
        raise ConfigRefused(f"Stack '{stack}' with configuration key '{key}' must be encrypted as it's secret")
    content = json.loads(value.text) if value.object else value.text
    if not type_accepts(decl["type"], decl.get("items"), content):
        raise ConfigRefused(f"Stack '{stack}' with configuration key '{key}' must be of type '{type_name(decl)}'")


def stack_values(stack: str, overrides: dict[str, Any] | None = None, replace: bool = False, root: Path = ROOT_DIR) -> dict[str, Value]:
    """``Pulumi.<stack>.yaml`` (unless ``replace``), then ``overrides`` written as stack-file
    values (``{"secure": ...}`` or ``Secret()`` for a secret), as the CLI holds them."""
    doc = {} if replace else (load_yaml(root / f"Pulumi.{stack}.yaml") or {})
    if doc.get("environment"):
        raise ConfigRefused(f"Pulumi.{stack}.yaml: ESC environments are not modelled by this harness")
    raw = {**(doc.get("config") or {}), **(overrides or {})}
    return {parse_key(k): stack_value(parse_key(k), _as_secrets(v)) for k, v in raw.items()}


def cli_config(
    stack: str, overrides: dict[str, Any] | None = None, replace: bool = False, root: Path = ROOT_DIR
) -> tuple[dict[str, str], list[str]]:
    """Config as the CLI hands it to the program: ``({"ns:key": text}, secret keys)``.
    Raises ConfigRefused where the CLI would refuse to run the program."""
    project, declared = project_config(root)
    merged = merge(stack, project, declared, stack_values(stack, overrides, replace, root))
    return {k: v.text for k, v in merged.items()}, sorted(k for k, v in merged.items() if v.secure)


def check_handover(config: dict[str, str], secret_keys: list[str], stack: str, root: Path = ROOT_DIR) -> None:
    """Refuse a hand-built config that the CLI could never hand over: every declared key with a
    default is always present, and every value passes the declared-type check."""
    project, declared = project_config(root)
    values = {k: Value(v, secure=k in secret_keys) for k, v in config.items()}
    absent = sorted(k for k in declared if _full_key(project, k) not in values)
    if absent:
        raise ConfigRefused(
            f"the CLI always hands over every declared key, but this config lacks {', '.join(absent)}: build it with stack_config()"
        )
    merge(stack, project, declared, values)
