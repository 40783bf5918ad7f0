"""The resource families of the sandbox cluster, each with its controller behaviour.

``context`` holds what they share (scenario, object store, clock, seeded random source, pod
simulation state). A family is a class that takes the context and the families it calls, so the
dependencies run one way: events and nodes first, then the kubelet and pods, then the workload
controllers (replicasets, deployments, statefulsets), then the REST storage that the API writes use.
``sandbox.cluster.Cluster`` builds them and runs their ``reconcile`` in order.
"""
