"""The settings loader: the only code that reads Pulumi config.

Every key of the ``cloud-platform`` namespace is declared once in ``stacks/config_keys.py``
(``KEYS``: type, default, description, check). ``load_settings`` validates everything before
the first resource is declared; any problem stops the run with one line per bad key that names
the key, the expected form and the value. A key of a namespace that neither the project nor a
provider the program uses reads is one of those problems.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from components.observability.options import Alerting, Features, Pricing
from components.profiles import PROFILES, Profile
from stacks import eks_config
from stacks.config_keys import ENGINE_NAMESPACE, KEYS, KEYS_BY_NAME, PROJECT, Key, provider_namespaces
from stacks.eks_config import EksSettings

__all__ = ["KEYS", "KEYS_BY_NAME", "PROJECT", "ConfigError", "Key", "Settings", "load_settings", "settings_from", "validate"]


class ConfigError(Exception):
    """Bad configuration: the message is the whole story, one line per problem."""


@dataclass(frozen=True)
class Settings:
    """Validated, typed settings for one stack. Built only by ``load_settings``."""

    stack: str
    target: str
    profile: Profile
    cluster_name: str
    kube_context: str | None
    kind_workers: int
    pricing: Pricing
    alerting: Alerting
    features: Features
    trip_image_tag: str
    eks: EksSettings | None = None

    @property
    def creates_cluster(self) -> bool:
        return self.kube_context is None


def _is_list_or_object(raw: str) -> bool:
    """The CLI hands a YAML list or map over as JSON text; a string key must not take one."""
    if not raw.lstrip().startswith(("[", "{")):
        return False
    try:
        return isinstance(json.loads(raw), (list, dict))
    except ValueError:
        return False


def _parse(key: Key, raw: Any) -> tuple[Any, str | None]:
    """Turn a raw config value (CLI values are strings) into the key's type, or report why not."""
    if key.kind == "string":
        if not isinstance(raw, str):
            return None, "a string"
        return (None, "a string, not a list or an object") if _is_list_or_object(raw) else (raw, None)
    if key.kind == "integer":
        if isinstance(raw, bool):
            return None, "an integer"
        if isinstance(raw, int):
            return raw, None
        if isinstance(raw, str) and re.fullmatch(r"-?\d+", raw.strip()):
            return int(raw), None
        return None, "an integer"
    if key.kind == "boolean":
        if isinstance(raw, bool):
            return raw, None
        if isinstance(raw, str) and raw.strip().lower() in ("true", "false"):
            return raw.strip().lower() == "true", None
        return None, "true or false"
    raise AssertionError(f"undeclared kind {key.kind}")


def _shown(key: Key, raw: Any) -> str:
    return "[secret]" if key.secret else json.dumps(raw) if not isinstance(raw, str) else f'"{raw}"'


def _nearest_key_hint(name: str) -> str:
    near = difflib.get_close_matches(name, KEYS_BY_NAME, n=1, cutoff=0.5)
    return f'; did you mean "{PROJECT}:{near[0]}"?' if near else f"; valid keys: {', '.join(KEYS_BY_NAME)}"


def _unknown_key(name: str) -> str:
    if name in eks_config.RENAMED:
        return f"{PROJECT}:{name} was renamed: set {eks_config.RENAMED[name]} instead (README: Node groups)"
    return f"{PROJECT}:{name} is not a known key{_nearest_key_hint(name)}"


def _foreign_keys(raw: Mapping[str, Any]) -> list[str]:
    """Keys whose namespace nothing reads (``cloudplatform:kindWorkers``, ``cloudmart:replicas``):
    the run would silently deploy the defaults, so each is refused with the nearest project key."""
    readers = {PROJECT, ENGINE_NAMESPACE} | provider_namespaces()
    problems = []
    for full in sorted(raw):
        namespace, _, name = full.partition(":")
        if namespace in readers:
            continue
        problems.append(
            f"{full} is in namespace {namespace!r}, which neither this project ({PROJECT}) nor a provider it uses "
            f"({', '.join(sorted(provider_namespaces()))}) reads{_nearest_key_hint(name)}"
        )
    return problems


def _check_one(key: Key, value: Any, is_secret: bool) -> tuple[Any, str | None]:
    """The parsed value, or the one line that says what is wrong (a secret's value never shown)."""
    if key.secret and not is_secret:
        return None, f"{PROJECT}:{key.name} must be a secret: set it with `pulumi config set --secret {key.name} ...`"
    parsed, expected = _parse(key, value)
    if expected is None and key.check is not None:
        expected = key.check(parsed)
    if expected is not None:
        return None, f"{PROJECT}:{key.name} must be {expected} (got {_shown(key, value)})"
    return parsed, None


def validate(raw: Mapping[str, Any], secret_keys: frozenset[str] = frozenset()) -> dict[str, Any]:
    """Check raw ``{"cloud-platform:key": value}`` config; return parsed values by short name.

    Keys of the providers' namespaces (``kubernetes:``, ``aws:``) are theirs and left to them; a
    key of any other namespace is refused.
    The CLI hands every ``Pulumi.yaml`` default over as a plain string, so an empty value of a
    secret key means "not set", secret or not. Raises ConfigError listing every problem, once
    each, one per line.
    """
    problems: list[str] = _foreign_keys(raw)
    values: dict[str, Any] = {}
    reported: set[str] = set()
    prefix = f"{PROJECT}:"
    given = {k[len(prefix) :]: v for k, v in raw.items() if k.startswith(prefix)}
    for name, value in sorted(given.items()):
        key = KEYS_BY_NAME.get(name)
        if key is None:
            problems.append(_unknown_key(name))
            continue
        if key.secret and value == "":
            continue  # the project default: not set
        parsed, problem = _check_one(key, value, f"{prefix}{name}" in secret_keys)
        if problem is not None:
            problems.append(problem)
            reported.add(name)
            continue
        values[name] = parsed
    resolved = {k.name: values.get(k.name, k.default) for k in KEYS}
    problems += _cross_key_problems(resolved, reported)
    if problems:
        raise ConfigError("\n".join(problems))
    return resolved


def _cross_key_problems(values: Mapping[str, Any], reported: set[str]) -> list[str]:
    """Rules that span keys: a profile without a default image tag needs ``tripImageTag``,
    and e-mail alerts need a sender and a server. A rule on a key already reported as bad
    stays silent: each problem is said once, and truthfully."""
    problems = []
    profile = PROFILES.get(values["profile"])
    tag_needed = profile is not None and profile.trip.image_tag is None
    if tag_needed and not values["tripImageTag"] and "tripImageTag" not in reported:
        problems.append(
            f"{PROJECT}:tripImageTag must be set for profile {profile.name} "
            '(a pinned build tag such as prod-63; got "")'
        )
    email_keys = {"alertEmailTo", "alertEmailFrom", "alertSmtpSmarthost"}
    if values["alertEmailTo"] and not (values["alertEmailFrom"] and values["alertSmtpSmarthost"]) and not email_keys & reported:
        problems.append(f"{PROJECT}:alertEmailTo needs {PROJECT}:alertEmailFrom and {PROJECT}:alertSmtpSmarthost as well")
    return problems + eks_config.cross_key_problems(values, reported)


def settings_from(values: Mapping[str, Any], stack: str) -> Settings:
    """Build Settings from validated values (``validate``'s result)."""
    profile = PROFILES[values["profile"]]
    return Settings(
        stack=stack,
        target=values["target"],
        profile=profile,
        cluster_name=values["clusterName"],
        kube_context=values["kubeContext"] or None,
        kind_workers=values["kindWorkers"],
        pricing=Pricing(
            cpu_hourly=float(values["cpuHourlyPrice"]),
            memory_gib_hourly=float(values["memoryGibHourlyPrice"]),
            monthly_budget=float(values["monthlyBudget"]),
            max_increase_percent=float(values["maxIncreasePercent"]),
        ),
        alerting=Alerting(
            slack_webhook_url=values["alertSlackWebhookUrl"] or None,
            email_to=values["alertEmailTo"] or None,
            email_from=values["alertEmailFrom"] or None,
            smtp_smarthost=values["alertSmtpSmarthost"] or None,
            smtp_password=values["alertSmtpPassword"] or None,
        ),
        features=Features(opencost=values["opencost"], finops_demo=values["finopsDemo"]),
        trip_image_tag=values["tripImageTag"] or profile.trip.image_tag,
        eks=eks_config.eks_settings(values) if values["target"] == "eks" else None,
    )


def load_settings() -> Settings:
    """Read and validate this stack's config; raise ConfigError before anything is declared.

    The CLI hands config to the program in ``PULUMI_CONFIG``; mocks and the automation API
    set it in-process. Both are read, so unknown keys are caught either way.
    """
    import pulumi  # the one place Pulumi config is read
    from pulumi.runtime import config as runtime_config

    raw = {**runtime_config.get_config_env(), **runtime_config.CONFIG.get()}
    secret = {k for k in raw if runtime_config.is_config_secret(k)}
    secret |= set(runtime_config.get_config_secret_keys_env())
    values = validate(raw, frozenset(secret))
    return settings_from(values, pulumi.get_stack())
