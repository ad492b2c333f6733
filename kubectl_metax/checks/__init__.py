"""The doctor's checks: pure functions over a cluster snapshot, one module per area.

``model`` defines findings, ``registry`` the check table and how checks run
(including the finding for a check whose data could not be collected), and
``operator``, ``helm``, ``uninstall``, ``nodes`` and ``workloads`` hold the
checks. Importing ``kubectl_metax.checks.catalog`` registers all of them.
Nothing here talks to a cluster.
"""
