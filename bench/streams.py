"""Generate rendered manifest streams like the ones Helm hands a post-renderer.

One document in ten is a MetaX workload: a Deployment or DaemonSet running a
``cr.metax-tech.com/cloud/<component>:<version>-<arch>`` image, and the first
of them is the ``ClusterOperator``. The rest are ordinary Services,
ConfigMaps and Deployments with other images. Every document starts with
the ``# Source: <chart>/templates/<file>`` comment Helm writes. The output
is deterministic, so two runs measure the same bytes.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import List

METAX_REGISTRY = "cr.metax-tech.com/cloud"
OPERATOR_VERSION = "0.13.1"
ARCH = "amd64"
COMPONENTS = (
    "gpu-label",
    "gpu-device",
    "gpu-aware",
    "topo-master",
    "topo-worker",
    "operator-controller",
    "container-runtime",
    "driver-manager",
    "vfio-manager",
    "mx-exporter",
)
OTHER_IMAGES = (
    "docker.io/library/nginx:1.27.3",
    "registry.k8s.io/pause:3.10",
    "quay.io/prometheus/node-exporter:v1.8.2",
    "ghcr.io/example/api-server:2.4.1",
)
# One document in METAX_EVERY is a MetaX one: the brief's "about 10%".
METAX_EVERY = 10


@dataclass(frozen=True)
class Stream:
    """A generated stream and what it contains, for checking the output."""

    text: str
    documents: int
    metax_documents: int
    metax_container_images: int  # container `image:` fields naming a MetaX image

    def write(self, path: Path) -> Path:
        path.write_text(self.text, encoding="utf-8")
        return path


def generate(documents: int) -> Stream:
    """Return a stream of exactly ``documents`` documents."""
    if documents < 1:
        raise ValueError(f"documents must be at least 1, got {documents}")
    parts: List[str] = []
    metax_documents = 0
    metax_images = 0
    for index in range(documents):
        if index % METAX_EVERY == 0:
            metax_documents += 1
            if index == 0:
                parts.append(_cluster_operator())
            else:
                component = COMPONENTS[(index // METAX_EVERY) % len(COMPONENTS)]
                parts.append(_metax_workload(index, component))
                metax_images += 1
        else:
            parts.append(_ordinary(index))
    return Stream(
        text="".join(parts),
        documents=documents,
        metax_documents=metax_documents,
        metax_container_images=metax_images,
    )


def component_image(component: str) -> str:
    return f"{METAX_REGISTRY}/{component}:{OPERATOR_VERSION}-{ARCH}"


def _cluster_operator() -> str:
    sections = []
    for key, component in (
        ("devicePlugin", "gpu-device"),
        ("labelgen", "gpu-label"),
        ("runtime", "container-runtime"),
        ("dataExporter", "mx-exporter"),
        ("vfioManager", "vfio-manager"),
    ):
        sections.append(
            f"  {key}:\n"
            f"    image:\n"
            f"      name: {component}\n"
            f"      registry: {METAX_REGISTRY}\n"
            f'      version: "{OPERATOR_VERSION}"\n'
            f"      pullPolicy: IfNotPresent\n"
        )
    return (
        "---\n"
        "# Source: metax-operator/templates/clusteroperator.yaml\n"
        "apiVersion: gpu.metax-tech.com/v1alpha1\n"
        "kind: ClusterOperator\n"
        "metadata:\n"
        "  name: cluster-operator\n"
        "  namespace: metax-operator\n"
        "spec:\n"
        "  cluster:\n"
        "    type: k8s\n"
        "  driver:\n"
        "    deployPolicy: PreferHost\n"
        "    payload:\n"
        "      name: driver-image\n"
        f"      registry: {METAX_REGISTRY}\n"
        '      version: "2.24.0.8"\n'
        "  maca:\n"
        "    payload:\n"
        "      registry: cr.metax-tech.com/library\n"
        "      images:\n"
        '        - "maca-native:3.0.0.4-ubuntu22.04-amd64"\n' + "".join(sections)
    )


def _metax_workload(index: int, component: str) -> str:
    kind = "DaemonSet" if index % (2 * METAX_EVERY) == 0 else "Deployment"
    name = f"metax-{component}-{index}"
    return (
        "---\n"
        f"# Source: metax-operator/templates/{component}.yaml\n"
        "apiVersion: apps/v1\n"
        f"kind: {kind}\n"
        "metadata:\n"
        f"  name: {name}\n"
        "  labels:\n"
        f"    app.kubernetes.io/name: {component}\n"
        "    app.kubernetes.io/managed-by: Helm\n"
        "spec:\n"
        "  selector:\n"
        "    matchLabels:\n"
        f"      app: {name}\n"
        "  template:\n"
        "    metadata:\n"
        "      labels:\n"
        f"        app: {name}\n"
        "    spec:\n"
        "      serviceAccountName: metax-operator\n"
        "      nodeSelector:\n"
        '        metax-tech.com/gpu.installed: "true"\n'
        "      containers:\n"
        f"        - name: {component}\n"
        f"          image: {component_image(component)}\n"
        "          imagePullPolicy: IfNotPresent\n"
        "          env:\n"
        "            - name: NODE_NAME\n"
        "              valueFrom:\n"
        "                fieldRef:\n"
        "                  fieldPath: spec.nodeName\n"
        "          resources:\n"
        "            limits:\n"
        "              memory: 256Mi\n"
    )


def _ordinary(index: int) -> str:
    shape = index % 3
    if shape == 0:
        return (
            "---\n"
            "# Source: app/templates/service.yaml\n"
            "apiVersion: v1\n"
            "kind: Service\n"
            "metadata:\n"
            f"  name: svc-{index}\n"
            "  labels:\n"
            "    app.kubernetes.io/managed-by: Helm\n"
            "spec:\n"
            "  type: ClusterIP\n"
            "  selector:\n"
            f"    app: app-{index}\n"
            "  ports:\n"
            "    - name: http\n"
            "      port: 80\n"
            "      targetPort: 8080\n"
        )
    if shape == 1:
        return (
            "---\n"
            "# Source: app/templates/configmap.yaml\n"
            "apiVersion: v1\n"
            "kind: ConfigMap\n"
            "metadata:\n"
            f"  name: config-{index}\n"
            "data:\n"
            '  enabled: "true"\n'
            '  mode: "0755"\n'
            "  settings.yaml: |\n"
            "    server:\n"
            f"      port: {8000 + index % 1000}\n"
            "      tls: on\n"
        )
    image = OTHER_IMAGES[index % len(OTHER_IMAGES)]
    return (
        "---\n"
        "# Source: app/templates/deployment.yaml\n"
        "apiVersion: apps/v1\n"
        "kind: Deployment\n"
        "metadata:\n"
        f"  name: app-{index}\n"
        "spec:\n"
        "  replicas: 2\n"
        "  selector:\n"
        "    matchLabels:\n"
        f"      app: app-{index}\n"
        "  template:\n"
        "    metadata:\n"
        "      labels:\n"
        f"        app: app-{index}\n"
        "    spec:\n"
        "      containers:\n"
        "        - name: main\n"
        f"          image: {image}\n"
        "          ports:\n"
        "            - containerPort: 8080\n"
    )


def kustomization(stream_file: str, *, registry: str) -> str:
    """Return a kustomization.yaml that relocates every MetaX component image to registry.

    This is the ``images:`` transformer a kustomize user would write for the
    same job; it rewrites container images only, not ClusterOperator fields.
    """
    lines = ["apiVersion: kustomize.config.k8s.io/v1beta1", "kind: Kustomization"]
    lines += ["resources:", f"  - {stream_file}", "images:"]
    for component in COMPONENTS:
        lines.append(f"  - name: {METAX_REGISTRY}/{component}")
        lines.append(f"    newName: {registry}/{component}")
    return "\n".join(lines) + "\n"
