"""Pure functions over a cluster snapshot: no HTTP and no ``kubernetes`` import.

``snapshot`` defines the saved structure, ``records`` reduces raw API
objects to it, and the finding modules (``install``, ``webhooks``,
``stuck``, ``workloads``) read it. ``kube.collecting`` fills it.
"""
