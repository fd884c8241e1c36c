"""The kubeconfig contexts the Kubernetes provider can use, read as the provider reads them.

An explicit ``kubernetes.Provider`` given only a ``context`` loads its kubeconfig like kubectl:
the files listed in ``KUBECONFIG`` (merged, separated by ``os.pathsep``), else
``~/.kube/config``. Ref: https://www.pulumi.com/registry/packages/kubernetes/installation-configuration/
("By default, Pulumi will look for a kubeconfig file in the following locations, just like
kubectl: $KUBECONFIG, or ~/.kube/config") and
https://kubernetes.io/docs/concepts/configuration/organize-cluster-access-kubeconfig/#merging-kubeconfig-files
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import yaml


@dataclass(frozen=True)
class Kubeconfig:
    """Where the provider looks (``paths``), and the context names found there (``contexts``).
    ``problem`` says why nothing could be read, if so."""

    paths: tuple[str, ...]
    contexts: tuple[str, ...]
    problem: str | None = None

    def describe(self) -> str:
        where = os.pathsep.join(self.paths)
        if self.problem:
            return f"{self.problem} at {where}"
        return f"{where} has " + (", ".join(self.contexts) if self.contexts else "no contexts")


def kubeconfig_paths(environ: Mapping[str, str] = os.environ, home: Path | None = None) -> tuple[str, ...]:
    listed = [p for p in environ.get("KUBECONFIG", "").split(os.pathsep) if p]
    return tuple(listed) if listed else (str((home or Path.home()) / ".kube" / "config"),)


def read_kubeconfig(environ: Mapping[str, str] = os.environ, home: Path | None = None) -> Kubeconfig:
    """Context names of every kubeconfig file the provider would read; missing files in a
    ``KUBECONFIG`` list are skipped, as kubectl skips them."""
    paths = kubeconfig_paths(environ, home)
    contexts: list[str] = []
    found = False
    for path in paths:
        try:
            doc = yaml.safe_load(Path(path).read_text())
        except FileNotFoundError:
            continue
        except (OSError, yaml.YAMLError):
            return Kubeconfig(paths, (), "an unreadable kubeconfig")
        found = True
        entries = (doc.get("contexts") or []) if isinstance(doc, dict) else []
        for entry in entries:
            name = entry.get("name") if isinstance(entry, dict) else None
            if isinstance(name, str) and name not in contexts:
                contexts.append(name)
    if not found:
        return Kubeconfig(paths, (), "no kubeconfig")
    return Kubeconfig(paths, tuple(contexts))
