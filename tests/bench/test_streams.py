"""The P1 stream generator (``bench.streams``).

Covers: the document count, the share and shape of MetaX documents, the
Helm ``# Source:`` comments, unique names (kustomize rejects duplicates),
the counts the output check relies on, and the kustomization that the
kustomize anchor runs with.

Leaves out: timing; the benchmark itself runs only under ``make bench``.
"""

from __future__ import annotations

from collections import Counter

import pytest
import yaml

from bench import streams


def _documents(text: str) -> list:
    return [
        document
        for document in yaml.load_all(text, Loader=yaml.CSafeLoader)
        if document is not None
    ]


def _container_images(document: dict) -> list:
    template = document.get("spec", {}).get("template", {})
    containers = template.get("spec", {}).get("containers", [])
    return [container["image"] for container in containers]


@pytest.mark.parametrize("size", [1, 9, 10, 1_000])
def test_stream_has_requested_documents(size: int) -> None:
    stream = streams.generate(size)
    assert len(_documents(stream.text)) == size
    assert stream.documents == size


def test_one_document_in_ten_is_metax() -> None:
    stream = streams.generate(1_000)
    documents = _documents(stream.text)
    metax = [
        document
        for document in documents
        if document["kind"] == "ClusterOperator"
        or any(image.startswith("cr.metax-tech.com/") for image in _container_images(document))
    ]
    assert len(metax) == 100
    assert stream.metax_documents == 100


def test_stream_has_one_cluster_operator() -> None:
    kinds = Counter(document["kind"] for document in _documents(streams.generate(500).text))
    assert kinds["ClusterOperator"] == 1


def test_metax_workloads_are_deployments_and_daemonsets() -> None:
    documents = _documents(streams.generate(1_000).text)
    kinds = {
        document["kind"]
        for document in documents
        if any(image.startswith("cr.metax-tech.com/") for image in _container_images(document))
    }
    assert kinds == {"Deployment", "DaemonSet"}


def test_metax_image_count_matches_stream() -> None:
    stream = streams.generate(1_000)
    images = [
        image for document in _documents(stream.text) for image in _container_images(document)
    ]
    metax = [image for image in images if image.startswith(streams.METAX_REGISTRY + "/")]
    assert len(metax) == stream.metax_container_images
    assert stream.text.count(f"image: {streams.METAX_REGISTRY}/") == len(metax)


def test_ordinary_documents_mix_kinds() -> None:
    kinds = Counter(document["kind"] for document in _documents(streams.generate(1_000).text))
    assert kinds["Service"] > 250
    assert kinds["ConfigMap"] > 250
    assert kinds["Deployment"] > 250


def test_other_images_are_not_metax() -> None:
    images = [
        image
        for document in _documents(streams.generate(300).text)
        for image in _container_images(document)
    ]
    others = [image for image in images if not image.startswith("cr.metax-tech.com/")]
    assert set(others) == set(streams.OTHER_IMAGES)


def test_every_document_names_its_template() -> None:
    text = streams.generate(200).text
    chunks = [chunk for chunk in text.split("---\n") if chunk]
    assert len(chunks) == 200
    for chunk in chunks:
        assert chunk.startswith("# Source: ")


def test_names_are_unique_per_kind() -> None:
    documents = _documents(streams.generate(2_000).text)
    keys = Counter((document["kind"], document["metadata"]["name"]) for document in documents)
    assert max(keys.values()) == 1


def test_yaml_11_scalars_stay_strings() -> None:
    configmaps = [
        document
        for document in _documents(streams.generate(30).text)
        if document["kind"] == "ConfigMap"
    ]
    assert configmaps
    for configmap in configmaps:
        assert configmap["data"]["enabled"] == "true"
        assert configmap["data"]["mode"] == "0755"


def test_zero_documents_rejected() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        streams.generate(0)


def test_kustomization_relocates_every_component() -> None:
    kustomization = yaml.safe_load(streams.kustomization("stream.yaml", registry="r.example/p"))
    assert kustomization["resources"] == ["stream.yaml"]
    names = {entry["name"]: entry["newName"] for entry in kustomization["images"]}
    assert len(names) == len(streams.COMPONENTS)
    for component in streams.COMPONENTS:
        assert names[f"{streams.METAX_REGISTRY}/{component}"] == f"r.example/p/{component}"
