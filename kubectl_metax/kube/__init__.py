"""The only layer that talks to the Kubernetes API.

``connection`` builds a client from kubectl-style flags, ``transport`` sends
requests with bounded retries and translates API errors once (``errors``),
``collecting`` gathers a cluster snapshot, ``writing`` performs the guarded
writes of a cleanup. Only these modules import ``kubernetes``; importing this
package itself stays cheap, so ``--help`` does not pay for the client.
"""
