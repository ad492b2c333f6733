"""Background controllers of kubesim: namespace lifecycle, garbage collection, CRD cleanup, actors."""
