"""Strict validation of rendered objects against the Kubernetes minor the platform targets.

Built-in kinds are checked with ``kubernetes-validate`` in strict mode (unknown fields are
errors). Custom resources have no schema there; each CRD kind the program uses must have a
checker in ``CRD_CHECKERS``, and a kind with neither is an error, never a silent skip.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable

import kubernetes_validate
import kubernetes_validate.utils

# kubernetes-validate 1.37.0 re-reads its packaged schemas for every object: it lists the
# schema folders and parses the kind's schema and the 1.5 MB ``_definitions.json`` each call
# (``utils.validate`` calls ``utils.schema_contents`` and ``utils.all_versions``), 45 ms an
# object. Both only read files inside the installed package, so their results are kept for the
# process; jsonschema never modifies a schema it validates against. 20x faster, same results.
kubernetes_validate.utils.schema_contents = functools.cache(kubernetes_validate.utils.schema_contents)
kubernetes_validate.utils.all_versions = functools.cache(kubernetes_validate.utils.all_versions)

from tools.crd_checks import CHECKERS

KUBERNETES_VERSION = "1.35.0"

CrdChecker = Callable[[dict], list[str]]

# apiVersion/kind -> checker returning problems. Components that declare custom resources
# register their checkers here (see tools/crd_checks.py).
CRD_CHECKERS: dict[str, CrdChecker] = dict(CHECKERS)


class UnvalidatedKind(Exception):
    """An object of a kind that neither the Kubernetes schemas nor a CRD checker cover."""


# Results by the object's content: the same object declared by several runs (every stack's
# run with one setting changed) is validated once per process. Validation is a pure function.
_CHECKED: dict[str, tuple[str, ...]] = {}


def validate_object(obj: dict) -> list[str]:
    """Problems found in ``obj`` (empty when valid). Raises UnvalidatedKind for unknown kinds."""
    text = json.dumps(obj, sort_keys=True, default=str)
    if text not in _CHECKED:
        _CHECKED[text] = tuple(_validate(obj))
    return list(_CHECKED[text])


def _validate(obj: dict) -> list[str]:
    key = f"{obj.get('apiVersion')}/{obj.get('kind')}"
    if key in CRD_CHECKERS:
        return CRD_CHECKERS[key](obj)
    try:
        kubernetes_validate.validate(obj, KUBERNETES_VERSION, strict=True)
    except kubernetes_validate.SchemaNotFoundError as err:
        raise UnvalidatedKind(f"{key} has no Kubernetes {KUBERNETES_VERSION} schema and no CRD checker") from err
    except kubernetes_validate.ValidationError as err:
        where = "/".join(str(p) for p in err.path)
        return [f"{key} {obj.get('metadata', {}).get('name')}: {where}: {err.message}"]
    return []
