"""Pure planning of the uninstall cleanup: what to delete or patch, and why.

``planning`` turns a snapshot into a plan, ``rendering`` prints it, and
``backup`` saves the objects a plan touches. The writes themselves are in
``kube.applying``.
"""
