"""The POSIX sh script that the pre-delete cleanup Job runs.

Order, as other operators' cleanups learned it: refuse while pods still
request ``metax-tech.com/*`` resources; delete the ClusterOperator objects
while the operator still runs, so that it removes its own finalizer; wait a
bounded time; then delete the operator's validating webhook configurations
(only those whose webhooks all call this release's services, because a
webhook with no live service behind it rejects the next write; when the
chart renders none, the operator created them at run time and the script
finds them by listing) and remove
leftover finalizers with a JSON patch guarded by a ``test`` of the
finalizers seen. Every step treats NotFound, and a missing
ClusterOperator CRD, as done, so the script can run any number of times.

The values at the top are the only variable part. Each is validated as a
Kubernetes name and single-quoted. ``KUBECTL``, ``POD_NAMESPACE`` and the
wait times come from the environment, so the script also runs by hand with
``sh``.
"""

from __future__ import annotations

from typing import Iterable, List, Sequence

from kubectl_metax.postrender import facts

# How long the operator gets to finish a deleted ClusterOperator before its
# finalizers are removed by force, and then for the object to disappear.
# Both stay well inside the Job's deadline and Helm's default 5m timeout.
OPERATOR_FINISH_SECONDS = 90
OBJECT_GONE_SECONDS = 30
POLL_SECONDS = 3

_BODY = r"""
KUBECTL="${KUBECTL:-kubectl}"
RESOURCE='clusteroperators.gpu.metax-tech.com'
WEBHOOK='validatingwebhookconfiguration'
POD_RESOURCES='{range .items[*]}{.metadata.namespace}/{.metadata.name} [{.status.phase}]'
POD_RESOURCES="$POD_RESOURCES"' {.spec.containers[*].resources}'
POD_RESOURCES="$POD_RESOURCES"' {.spec.initContainers[*].resources}{"\n"}{end}'
WEBHOOK_TARGETS='{range .webhooks[*]}'
WEBHOOK_TARGETS="$WEBHOOK_TARGETS"'{.clientConfig.service.namespace}/{.clientConfig.service.name}'
WEBHOOK_TARGETS="$WEBHOOK_TARGETS"'{"\n"}{end}'
WEBHOOK_LIST='{range .items[*]}{.metadata.name}{range .webhooks[*]}{" "}'
WEBHOOK_LIST="$WEBHOOK_LIST"'{.clientConfig.service.namespace}/{.clientConfig.service.name}'
WEBHOOK_LIST="$WEBHOOK_LIST"'{end}{"\n"}{end}'

log() { printf 'kubectl-metax-cleanup: %s\n' "$*"; }
fail() { log "ERROR: $*"; exit 1; }

# Succeed when the text is kubectl's report that the object or its type is gone.
is_gone() {
    case "$1" in
        *NotFound*|*"not found"*|*"doesn't have a resource type"*) return 0 ;;
    esac
    return 1
}

# Run kubectl; an object or type that is already gone counts as success.
kubectl_tolerant() {
    if output=$("$KUBECTL" "$@" 2>&1); then
        [ -n "$output" ] && log "$output"
        return 0
    fi
    if is_gone "$output"; then
        log "already gone: $*"
        return 0
    fi
    log "$output"
    return 1
}

# Print the entries as namespace/name, the pod's namespace filling in a missing one.
qualify() {
    for entry in $1; do
        case "$entry" in
            */*) printf '%s ' "$entry" ;;
            *) printf '%s/%s ' "$POD_NAMESPACE" "$entry" ;;
        esac
    done
}

namespace_of() { printf '%s' "${1%%/*}"; }
name_of() { printf '%s' "${1##*/}"; }

check_gpus_idle() {
    pods=$("$KUBECTL" get pods --all-namespaces -o "jsonpath=$POD_RESOURCES") \
        || fail "cannot list pods to check that no workload uses MetaX GPUs"
    busy=$(printf '%s\n' "$pods" | while read -r pod phase resources; do
        case "$phase" in '[Succeeded]'|'[Failed]') continue ;; esac
        case "$resources" in *metax-tech.com/*) printf '%s\n' "$pod" ;; esac
    done)
    if [ -z "$busy" ]; then
        log "no running pod requests metax-tech.com resources"
        return 0
    fi
    if [ "$ALLOW_BUSY_GPUS" = true ]; then
        log "WARNING: continuing although pods request metax-tech.com resources" \
            "(--hook-allow-busy-gpus):" $busy
        return 0
    fi
    log "ERROR: refusing to remove the MetaX GPU Operator:" \
        "these pods request metax-tech.com resources:"
    for pod in $busy; do log "  $pod"; done
    fail "stop them and run helm uninstall again, or render with --hook-allow-busy-gpus"
}

remaining_cluster_operators() {
    for entry in $CLUSTER_OPERATORS; do
        if output=$("$KUBECTL" get "$RESOURCE" "$(name_of "$entry")" \
            -n "$(namespace_of "$entry")" -o name 2>&1); then
            printf '%s\n' "$entry"
        elif ! is_gone "$output"; then
            log "$output"
            printf '%s\n' "$entry"
        fi
    done
}

# Wait up to $1 seconds for every ClusterOperator to disappear.
wait_for_cluster_operators() {
    waited=0
    while :; do
        left=$(remaining_cluster_operators)
        [ -z "$left" ] && return 0
        [ "$waited" -ge "$1" ] && return 1
        sleep "$POLL_SECONDS"
        waited=$((waited + POLL_SECONDS))
    done
}

delete_cluster_operators() {
    for entry in $CLUSTER_OPERATORS; do
        log "deleting ClusterOperator $entry"
        kubectl_tolerant delete "$RESOURCE" "$(name_of "$entry")" \
            -n "$(namespace_of "$entry")" --wait=false \
            || fail "cannot delete ClusterOperator $entry"
    done
}

# Delete the configurations whose webhooks all call this release's services.
# The operator creates them at run time, so the chart cannot name them.
delete_found_webhook_configurations() {
    listing=$("$KUBECTL" get "$WEBHOOK" -o "jsonpath=$WEBHOOK_LIST" 2>&1) \
        || fail "cannot list validating webhook configurations: $listing"
    found=$(printf '%s\n' "$listing" | while read -r name services; do
        [ -n "$services" ] || continue
        owned=true
        for service in $services; do
            case " $WEBHOOK_SERVICES " in
                *" $service "*) ;;
                *) owned=false ;;
            esac
        done
        if [ "$owned" = true ]; then printf '%s\n' "$name"; fi
    done)
    [ -n "$found" ] || log "no validating webhook configuration calls only" $WEBHOOK_SERVICES
    for name in $found; do
        log "deleting validating webhook configuration $name: its webhooks call only" \
            $WEBHOOK_SERVICES
        kubectl_tolerant delete "$WEBHOOK" "$name" --wait=false \
            || fail "cannot delete validating webhook configuration $name"
    done
}

delete_webhook_configurations() {
    if [ "$FIND_WEBHOOK_CONFIGURATIONS" = true ]; then
        delete_found_webhook_configurations
        return 0
    fi
    for name in $WEBHOOK_CONFIGURATIONS; do
        if ! services=$("$KUBECTL" get "$WEBHOOK" "$name" -o "jsonpath=$WEBHOOK_TARGETS" 2>&1); then
            is_gone "$services" \
                || fail "cannot read validating webhook configuration $name: $services"
            log "validating webhook configuration $name is already gone"
            continue
        fi
        owned=true
        [ -z "$services" ] && owned=false
        for service in $services; do
            case " $WEBHOOK_SERVICES " in
                *" $service "*) ;;
                *) owned=false ;;
            esac
        done
        if [ "$owned" != true ]; then
            log "leaving validating webhook configuration $name alone: its webhooks call" \
                $services "and this release serves" $WEBHOOK_SERVICES
            continue
        fi
        log "deleting validating webhook configuration $name"
        kubectl_tolerant delete "$WEBHOOK" "$name" --wait=false \
            || fail "cannot delete validating webhook configuration $name"
    done
}

remove_finalizers() {
    for entry in $(remaining_cluster_operators); do
        name=$(name_of "$entry")
        namespace=$(namespace_of "$entry")
        attempt=0
        while [ "$attempt" -lt 3 ]; do
            attempt=$((attempt + 1))
            if ! finalizers=$("$KUBECTL" get "$RESOURCE" "$name" -n "$namespace" \
                -o 'jsonpath={.metadata.finalizers}' 2>&1); then
                is_gone "$finalizers" && break
                fail "cannot read the finalizers of ClusterOperator $entry: $finalizers"
            fi
            [ -z "$finalizers" ] && break
            # The test op makes the API server reject the patch if the finalizers changed.
            patch='[{"op":"test","path":"/metadata/finalizers","value":'"$finalizers"'},'
            patch="$patch"'{"op":"remove","path":"/metadata/finalizers"}]'
            if kubectl_tolerant patch "$RESOURCE" "$name" -n "$namespace" --type=json -p "$patch"
            then
                log "removed finalizers $finalizers from ClusterOperator $entry"
                break
            fi
            log "the finalizers of ClusterOperator $entry changed; reading them again"
        done
    done
}

for entry in $CLUSTER_OPERATORS $WEBHOOK_SERVICES; do
    case "$entry" in
        */*) ;;
        *) [ -n "${POD_NAMESPACE:-}" ] \
            || fail "POD_NAMESPACE is not set and the chart names no namespace for $entry" ;;
    esac
done
CLUSTER_OPERATORS=$(qualify "$CLUSTER_OPERATORS")
WEBHOOK_SERVICES=$(qualify "$WEBHOOK_SERVICES")

check_gpus_idle
delete_cluster_operators
if wait_for_cluster_operators "$OPERATOR_FINISH_SECONDS"; then
    log "the operator finished and removed every ClusterOperator"
else
    log "ClusterOperator still present after ${OPERATOR_FINISH_SECONDS}s:" \
        $(remaining_cluster_operators)
    delete_webhook_configurations
    remove_finalizers
    wait_for_cluster_operators "$OBJECT_GONE_SECONDS" \
        || fail "ClusterOperator still present after removing its finalizers:" \
            $(remaining_cluster_operators)
fi
delete_webhook_configurations
log "cleanup finished"
"""


class UnsafeValue(ValueError):
    """A value that is not a Kubernetes name was about to go into the script."""


def quoted(value: str) -> str:
    """Single-quote a value for POSIX sh; a quote inside is closed, escaped and reopened."""
    return "'" + value.replace("'", "'\\''") + "'"


def script(
    *,
    cluster_operators: Sequence[facts.NamespacedName],
    webhook_configurations: Sequence[str],
    webhook_services: Sequence[facts.NamespacedName],
    allow_busy_gpus: bool,
    find_webhook_configurations: bool = False,
) -> str:
    """Return the script with its values filled in; raise UnsafeValue on an invalid name.

    With ``find_webhook_configurations`` the script lists the validating
    webhook configurations and deletes those whose webhooks all call
    ``webhook_services``, instead of the named ``webhook_configurations``.
    """
    settings = [
        ("CLUSTER_OPERATORS", " ".join(_entries(cluster_operators))),
        ("WEBHOOK_CONFIGURATIONS", " ".join(_checked(name) for name in webhook_configurations)),
        ("WEBHOOK_SERVICES", " ".join(_entries(webhook_services))),
        ("FIND_WEBHOOK_CONFIGURATIONS", "true" if find_webhook_configurations else "false"),
        ("ALLOW_BUSY_GPUS", "true" if allow_busy_gpus else "false"),
    ]
    # Waits may be shortened from the environment, for a run by hand or a test.
    waits = [
        ("OPERATOR_FINISH_SECONDS", OPERATOR_FINISH_SECONDS),
        ("OBJECT_GONE_SECONDS", OBJECT_GONE_SECONDS),
        ("POLL_SECONDS", POLL_SECONDS),
    ]
    header = [
        "#!/bin/sh",
        "# Pre-delete cleanup of the MetaX GPU Operator, added by `kubectl metax post-render`.",
        "set -u",
    ]
    header += [f"{variable}={quoted(value)}" for variable, value in settings]
    header += [f': "${{{variable}:={seconds:d}}}"' for variable, seconds in waits]
    return "\n".join(header) + "\n" + _BODY.lstrip("\n")


def _entries(names: Iterable[facts.NamespacedName]) -> List[str]:
    entries = []
    for item in names:
        name = _checked(item.name)
        entries.append(
            f"{_checked(item.namespace, namespace=True)}/{name}" if item.namespace else name
        )
    return entries


def _checked(value: str, *, namespace: bool = False) -> str:
    valid, rule = facts.check_name(value, namespace=namespace)
    if not valid:
        raise UnsafeValue(f"{value!r} cannot go into the cleanup script: {rule}")
    return value
