"""Background controllers of kubesim: namespaces, garbage collection, CRD cleanup, actors."""
