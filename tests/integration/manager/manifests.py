"""Manifests the manager integration tests ``kubectl apply``, as YAML text."""

from __future__ import annotations

NODEPOOLS = """
apiVersion: apps.openyurt.io/v1beta2
kind: NodePool
metadata:
  name: hangzhou
spec:
  type: Edge
  labels:
    region: hangzhou
  annotations:
    openyurt.io/note: pooled
  taints:
  - key: edge
    value: "true"
    effect: NoSchedule
---
apiVersion: apps.openyurt.io/v1beta2
kind: NodePool
metadata:
  name: beijing
spec:
  type: Edge
"""

NODEPOOL_HANGZHOU_BARE = """
apiVersion: apps.openyurt.io/v1beta2
kind: NodePool
metadata:
  name: hangzhou
spec:
  type: Edge
  labels: {}
  annotations: {}
  taints: []
"""

NODES = """
apiVersion: v1
kind: Node
metadata:
  name: hz-1
  labels:
    apps.openyurt.io/nodepool: hangzhou
---
apiVersion: v1
kind: Node
metadata:
  name: hz-2
  labels:
    apps.openyurt.io/nodepool: hangzhou
---
apiVersion: v1
kind: Node
metadata:
  name: bj-1
  labels:
    apps.openyurt.io/nodepool: beijing
"""

YURTAPPSET = """
apiVersion: apps.openyurt.io/v1beta1
kind: YurtAppSet
metadata:
  name: web
  namespace: default
spec:
  pools: [hangzhou, beijing]
  workload:
    workloadTemplate:
      deploymentTemplate:
        metadata:
          labels:
            app: web
        spec:
          replicas: 1
          selector:
            matchLabels:
              app: web
          template:
            metadata:
              labels:
                app: web
            spec:
              containers:
              - name: web
                image: nginx:1.25
    workloadTweaks:
    - pools: [beijing]
      tweaks:
        replicas: 3
"""

YURTAPPDAEMON = """
apiVersion: apps.openyurt.io/v1alpha1
kind: YurtAppDaemon
metadata:
  name: agent
  namespace: default
spec:
  selector:
    matchLabels:
      app: agent
  nodepoolSelector:
    matchLabels:
      agent: "yes"
  workloadTemplate:
    statefulSetTemplate:
      metadata:
        labels:
          app: agent
      spec:
        serviceName: agent
        selector:
          matchLabels:
            app: agent
        template:
          metadata:
            labels:
              app: agent
          spec:
            containers:
            - name: agent
              image: busybox:1.36
"""

AGENT_POOL = """
apiVersion: apps.openyurt.io/v1beta2
kind: NodePool
metadata:
  name: shanghai
  labels:
    agent: "yes"
spec:
  type: Edge
"""

AUTONOMY = """
apiVersion: v1
kind: Node
metadata:
  name: edge-auto
  labels:
    openyurt.io/is-edge-worker: "true"
  annotations:
    node.openyurt.io/autonomy-duration: 6h
---
apiVersion: v1
kind: Pod
metadata:
  name: bound
  namespace: default
spec:
  nodeName: edge-auto
  containers:
  - name: c
    image: busybox:1.36
  tolerations:
  - key: node.kubernetes.io/not-ready
    operator: Exists
    effect: NoExecute
    tolerationSeconds: 300
  - key: node.kubernetes.io/unreachable
    operator: Exists
    effect: NoExecute
    tolerationSeconds: 300
"""

SERVICE = """
apiVersion: v1
kind: Service
metadata:
  name: topo
  namespace: default
spec:
  ports:
  - port: 80
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: topo-abcde
  namespace: default
  labels:
    kubernetes.io/service-name: topo
addressType: IPv4
endpoints:
- addresses: [10.0.0.9]
  nodeName: hz-1
ports:
- port: 80
  protocol: TCP
"""
