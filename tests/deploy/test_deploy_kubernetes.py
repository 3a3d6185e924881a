"""The kustomize overlays, rendered as `kubectl apply -k` would, then checked object by object:
the Kubernetes JSON Schemas of a current version, and the rules we hold every workload to."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from importlib import import_module
from pathlib import Path
from urllib.parse import urlsplit

import kubernetes_validate
import pytest
import yaml

from adly_gateway.settings import UPSTREAMS

K8S = Path(__file__).resolve().parents[2] / "deploy" / "k8s"
OVERLAYS = ("staging", "production")
# A current release kubernetes-validate ships schemas for (v1.32: the kubectl in our image).
KUBERNETES_VERSION = "1.32.0"
WORKLOADS = ("Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob")
# Settings whose development default production refuses (adly_kit.settings); kept honest by
# test_production_refuses_exactly_these_defaults.
REFUSED_DEFAULTS = ("ADLY_INTERNAL_IDENTITY_KEY", "ADLY_ENCRYPTION_KEYS")
INSTALL_HINT = ("neither `kubectl` nor `kustomize` is on PATH: install kubectl (it embeds kustomize; "
                "https://kubernetes.io/docs/tasks/tools/) or `go install sigs.k8s.io/kustomize/kustomize/v5@v5.5.0`")


def render(directory: Path) -> list[dict]:
    if not (directory / "kustomization.yaml").exists():
        pytest.fail(f"{directory.relative_to(K8S.parents[1])} has no kustomization.yaml: the overlay is missing")
    if shutil.which("kubectl"):
        command = ["kubectl", "kustomize", str(directory)]
    elif shutil.which("kustomize"):
        command = ["kustomize", "build", str(directory)]
    else:
        pytest.fail(INSTALL_HINT)
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, f"{' '.join(command)} failed:\n{done.stderr}"
    return [obj for obj in yaml.safe_load_all(done.stdout) if obj]


@pytest.fixture(scope="module", params=OVERLAYS)
def overlay(request) -> tuple[str, list[dict]]:
    return request.param, render(K8S / "overlays" / request.param)


@pytest.fixture(scope="module")
def production() -> list[dict]:
    return render(K8S / "overlays" / "production")


def secret_templates(overlay_name: str) -> dict[str, dict]:
    """The Secrets the templates promise, by name; an overlay's own template wins over the base's.
    They are not rendered (no real secret lives in git), so the templates are their source of names."""
    secrets: dict[str, dict] = {}
    base = [p for p in K8S.rglob("secret*.template.yaml") if "overlays" not in p.relative_to(K8S).parts]
    own = sorted((K8S / "overlays" / overlay_name).rglob("secret*.template.yaml"))
    for path in sorted(base) + own:
        for obj in yaml.safe_load_all(path.read_text()):
            if obj and obj.get("kind") == "Secret":
                secrets[obj["metadata"]["name"]] = {**(obj.get("data") or {}), **(obj.get("stringData") or {})}
    return secrets


def named(obj: dict) -> str:
    return f"{obj['kind']}/{obj['metadata']['name']}"


def of_kind(objects: list[dict], kind: str) -> list[dict]:
    return [obj for obj in objects if obj.get("kind") == kind]


def pod_spec(workload: dict) -> dict:
    spec = workload["spec"]
    return (spec["jobTemplate"]["spec"] if workload["kind"] == "CronJob" else spec)["template"]["spec"]


def pod_labels(workload: dict) -> dict:
    spec = workload["spec"]
    template = (spec["jobTemplate"]["spec"] if workload["kind"] == "CronJob" else spec)["template"]
    return template.get("metadata", {}).get("labels") or {}


def containers(objects: list[dict]):
    """(where, container, pod spec) of every container and initContainer of every workload."""
    for workload in (obj for obj in objects if obj.get("kind") in WORKLOADS):
        spec = pod_spec(workload)
        for field in ("initContainers", "containers"):
            for container in spec.get(field) or []:
                yield f"{named(workload)} {field}[{container['name']}]", container, spec


def main_container(deployment: dict) -> dict:
    listed = pod_spec(deployment)["containers"]
    return next((c for c in listed if c["name"] == deployment["metadata"]["name"]), listed[0])


def selects(selector: dict | None, labels: dict) -> bool:
    wanted = (selector or {}).get("matchLabels") or {}
    return all(labels.get(key) == value for key, value in wanted.items())


def service_of(workload: dict) -> str:
    return workload["metadata"].get("labels", {}).get("app.kubernetes.io/name", workload["metadata"]["name"])


def environment(container: dict, objects: list[dict], secrets: dict[str, dict]) -> dict[str, str | None]:
    """What the container's process sees, by name (None: a value only the cluster knows)."""
    config_maps = {obj["metadata"]["name"]: obj.get("data") or {} for obj in of_kind(objects, "ConfigMap")}
    env: dict[str, str | None] = {}
    for source in container.get("envFrom") or []:
        ref = source.get("configMapRef") or source.get("secretRef") or {}
        known = config_maps if "configMapRef" in source else secrets
        env.update({source.get("prefix", "") + key: value for key, value in known.get(ref.get("name"), {}).items()})
    for item in container.get("env") or []:
        ref = item.get("valueFrom", {})
        if "configMapKeyRef" in ref:
            env[item["name"]] = config_maps.get(ref["configMapKeyRef"]["name"], {}).get(ref["configMapKeyRef"]["key"])
        elif "secretKeyRef" in ref:
            env[item["name"]] = secrets.get(ref["secretKeyRef"]["name"], {}).get(ref["secretKeyRef"]["key"])
        else:
            env[item["name"]] = item.get("value")
    return env


def test_every_overlay_deploys_every_service(overlay):
    name, objects = overlay
    deployed = {service_of(d) for d in of_kind(objects, "Deployment")}
    missing = sorted({"gateway", *UPSTREAMS} - deployed)
    assert not missing, f"overlay {name} has no Deployment for {missing}"


def test_the_gateway_reaches_each_service_through_its_service(overlay):
    name, objects = overlay
    gateway = next(d for d in of_kind(objects, "Deployment") if service_of(d) == "gateway")
    env = environment(main_container(gateway), objects, secret_templates(name))
    services = {s["metadata"]["name"] for s in of_kind(objects, "Service")}
    wrong = []
    for upstream in UPSTREAMS:
        url = env.get(f"ADLY_UPSTREAM_{upstream.upper()}") or ""
        host = (urlsplit(url).hostname or "").split(".")[0]
        if host != upstream or host not in services:
            wrong.append(f"ADLY_UPSTREAM_{upstream.upper()}={url!r} (want the Service {upstream!r})")
    assert not wrong, f"overlay {name}: {named(gateway)} would not reach its upstreams:\n" + "\n".join(wrong)


def test_every_object_matches_the_kubernetes_schema(overlay):
    name, objects = overlay
    errors = []
    for obj in objects:
        try:
            kubernetes_validate.validate(obj, KUBERNETES_VERSION, strict=True)
        except kubernetes_validate.ValidationError as error:
            errors.append(f"{named(obj)} {'.'.join(map(str, error.absolute_path))}: {error.message}")
        except kubernetes_validate.SchemaNotFoundError:
            errors.append(f"{named(obj)}: {obj.get('apiVersion')} is not a Kubernetes {KUBERNETES_VERSION} API")
    assert not errors, f"overlay {name} breaks the Kubernetes {KUBERNETES_VERSION} schemas:\n" + "\n".join(errors)


def test_every_container_has_cpu_and_memory_requests_and_limits(overlay):
    name, objects = overlay
    missing = [f"{where} resources.{bound}.{resource}" for where, container, _ in containers(objects)
               for bound in ("requests", "limits") for resource in ("cpu", "memory")
               if resource not in (container.get("resources", {}).get(bound) or {})]
    assert not missing, f"overlay {name}: containers without " + ", ".join(missing)


def test_every_container_runs_non_root_read_only_without_privilege_escalation(overlay):
    name, objects = overlay
    wrong = []
    for where, container, spec in containers(objects):
        own, pod = container.get("securityContext") or {}, spec.get("securityContext") or {}
        if own.get("runAsNonRoot", pod.get("runAsNonRoot")) is not True:
            wrong.append(f"{where} securityContext.runAsNonRoot is not true")
        if own.get("readOnlyRootFilesystem") is not True:
            wrong.append(f"{where} securityContext.readOnlyRootFilesystem is not true")
        if own.get("allowPrivilegeEscalation") is not False:
            wrong.append(f"{where} securityContext.allowPrivilegeEscalation is not false")
    assert not wrong, f"overlay {name}:\n" + "\n".join(wrong)


def test_every_deployment_probes_startup_liveness_and_readiness(overlay):
    name, objects = overlay
    missing = [f"{named(d)} containers[{main_container(d)['name']}].{probe}"
               for d in of_kind(objects, "Deployment")
               for probe in ("startupProbe", "livenessProbe", "readinessProbe") if probe not in main_container(d)]
    assert not missing, f"overlay {name}: probes missing: {missing}"


def test_every_config_map_and_secret_a_workload_names_exists(overlay):
    name, objects = overlay
    config_maps = {obj["metadata"]["name"]: obj.get("data") or {} for obj in of_kind(objects, "ConfigMap")}
    secrets = secret_templates(name) | {obj["metadata"]["name"]: {**(obj.get("data") or {}), **(
        obj.get("stringData") or {})} for obj in of_kind(objects, "Secret")}
    dangling = []
    for where, container, _ in containers(objects):
        for source in container.get("envFrom") or []:
            for kind, known in (("configMapRef", config_maps), ("secretRef", secrets)):
                ref = source.get(kind)
                if ref and not ref.get("optional") and ref["name"] not in known:
                    dangling.append(f"{where} envFrom.{kind} {ref['name']!r}")
        for item in container.get("env") or []:
            for kind, known in (("configMapKeyRef", config_maps), ("secretKeyRef", secrets)):
                ref = item.get("valueFrom", {}).get(kind)
                if ref and not ref.get("optional") and ref["key"] not in known.get(ref["name"], {}):
                    dangling.append(f"{where} env {item['name']}: {kind} {ref['name']}/{ref['key']}")
    assert not dangling, (f"overlay {name}: names in no rendered ConfigMap or Secret nor in "
                          "secret.template.yaml:\n" + "\n".join(dangling))


def test_every_deployment_runs_as_its_own_service_account_with_no_token(overlay):
    name, objects = overlay
    accounts = {obj["metadata"]["name"]: obj for obj in of_kind(objects, "ServiceAccount")}
    wrong = []
    for deployment in of_kind(objects, "Deployment"):
        account = pod_spec(deployment).get("serviceAccountName")
        if not account or account == "default":
            wrong.append(f"{named(deployment)} spec.template.spec.serviceAccountName is not set")
        elif account not in accounts:
            wrong.append(f"{named(deployment)} serviceAccountName {account!r}: no such ServiceAccount")
        elif accounts[account].get("automountServiceAccountToken") is not False:
            wrong.append(f"ServiceAccount/{account} automountServiceAccountToken is not false")
    assert not wrong, f"overlay {name}:\n" + "\n".join(wrong)


def test_every_deployment_has_a_horizontal_pod_autoscaler(overlay):
    name, objects = overlay
    scaled = {hpa["spec"]["scaleTargetRef"]["name"] for hpa in of_kind(objects, "HorizontalPodAutoscaler")
              if hpa["spec"]["scaleTargetRef"]["kind"] == "Deployment"}
    missing = [named(d) for d in of_kind(objects, "Deployment") if d["metadata"]["name"] not in scaled]
    assert not missing, f"overlay {name}: no HorizontalPodAutoscaler targets {missing}"


def test_every_deployment_has_a_pod_disruption_budget(overlay):
    name, objects = overlay
    budgets = of_kind(objects, "PodDisruptionBudget")
    missing = [named(d) for d in of_kind(objects, "Deployment")
               if not any(b["spec"].get("selector", {}).get("matchLabels") and selects(b["spec"]["selector"],
                                                                                  pod_labels(d)) for b in budgets)]
    assert not missing, f"overlay {name}: no PodDisruptionBudget selects the pods of {missing}"


def test_every_deployment_is_behind_an_ingress_network_policy(overlay):
    name, objects = overlay
    policies = [p for p in of_kind(objects, "NetworkPolicy")
                if "Ingress" in p["spec"].get("policyTypes", ["Ingress"])]
    assert policies, f"overlay {name} renders no NetworkPolicy restricting ingress"
    open_pods = [named(d) for d in of_kind(objects, "Deployment")
                 if not any(selects(p["spec"].get("podSelector"), pod_labels(d)) for p in policies)]
    assert not open_pods, f"overlay {name}: no ingress NetworkPolicy selects the pods of {open_pods}"


def test_only_the_gateway_is_reachable_from_outside_through_a_tls_ingress(overlay):
    name, objects = overlay
    exposed = [f"{named(s)} spec.type={s['spec']['type']}" for s in of_kind(objects, "Service")
               if s["spec"].get("type") in ("LoadBalancer", "NodePort")]
    assert not exposed, f"overlay {name}: Services exposed beside the Ingress: {exposed}"
    ingresses = of_kind(objects, "Ingress")
    assert ingresses, f"overlay {name} renders no Ingress: the gateway is unreachable"
    services = {s["metadata"]["name"]: s for s in of_kind(objects, "Service")}
    for ingress in ingresses:
        assert ingress["spec"].get("tls"), f"{named(ingress)} spec.tls is empty: the API would be served in clear"
        backends = [path["backend"]["service"]["name"] for rule in ingress["spec"].get("rules", [])
                    for path in rule.get("http", {}).get("paths", [])]
        wrong = [b for b in backends if (services.get(b, {}).get("spec", {}).get("selector") or {}).get(
            "app.kubernetes.io/name") != "gateway"]
        assert backends and not wrong, f"{named(ingress)} routes to {wrong or 'nothing'}, not the gateway's Service"


def test_production_runs_every_workload_in_the_production_environment(production):
    secrets = secret_templates("production")
    wrong = [f"{where} ADLY_ENVIRONMENT={environment(container, production, secrets).get('ADLY_ENVIRONMENT')!r}"
             for where, container, _ in containers(production)
             if environment(container, production, secrets).get("ADLY_ENVIRONMENT") != "production"]
    assert not wrong, "production overlay: containers not in the production environment:\n" + "\n".join(wrong)


def test_production_secrets_hold_every_setting_production_refuses_to_default(production):
    secrets = secret_templates("production")
    missing = []
    for deployment in of_kind(production, "Deployment"):
        container = main_container(deployment)
        from_secrets = environment(container, [], secrets)
        missing += [f"{named(deployment)}: {setting} in no Secret of secret.template.yaml"
                    for setting in REFUSED_DEFAULTS if setting not in from_secrets]
    assert not missing, "production overlay:\n" + "\n".join(missing)


def settings_of(service_name: str, env: dict[str, str], monkeypatch):
    for name in [n for n in os.environ if n.startswith(("ADLY_", "DATABASE_URL", "KAFKA_"))]:
        monkeypatch.delenv(name)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    service = import_module(f"adly_{service_name}.bootstrap").build()
    return service.settings_class(service_name=service.name)


def test_production_settings_load_in_every_deployment(production, monkeypatch):
    """Each Deployment's environment, secrets filled in for real, passes its service's production checks."""
    secrets = secret_templates("production")
    refused = []
    for deployment in of_kind(production, "Deployment"):
        env = environment(main_container(deployment), production, secrets)
        filled = {k: re.sub(r"CHANGE_ME\w*", "x" * 48, v) for k, v in env.items() if v is not None}
        try:
            with monkeypatch.context() as patch:
                settings_of(service_of(deployment), filled, patch)
        except ValueError as error:
            refused.append(f"{named(deployment)}: {error}")
    assert not refused, "production overlay: settings the services refuse:\n" + "\n".join(refused)


@pytest.mark.parametrize("service_name", ["gateway", "auth", "catalog", "campaigns", "creative", "analytics",
                                          "notifications"])
def test_production_refuses_exactly_these_defaults(service_name, monkeypatch):
    strong = {"ADLY_ENVIRONMENT": "production", "ADLY_DATABASE_URL": "postgresql://u:p@db/adly",
              "ADLY_KAFKA_BOOTSTRAP_SERVERS": "kafka:9092", "ADLY_INTERNAL_IDENTITY_KEY": "k" * 48,
              "ADLY_ENCRYPTION_KEYS": "k1:" + "A" * 43 + "="}
    with monkeypatch.context() as patch:
        settings_of(service_name, strong, patch)  # a new refused default fails here: add it to REFUSED_DEFAULTS
    for setting in REFUSED_DEFAULTS:
        with monkeypatch.context() as patch, pytest.raises(ValueError, match=setting):
            settings_of(service_name, {k: v for k, v in strong.items() if k != setting}, patch)
