"""Every well-known label, annotation, taint, finalizer, condition and object name OpenYurt uses.

These strings are the contract between components that never import each other (yurt-manager,
yurthub, raven, kubelet, users' manifests), so a typo is a silent bug: the one place they are spelled
is here. Each group says who writes the key and who reads it. Values are exact wire strings; a name
that is an alias of another (same string, different role) is assigned from it, not re-spelled.
"""

from __future__ import annotations

from typing import Final

# ==================================================================================================
# Native Kubernetes keys we read or write

#: Node label set by kubelet; also a service-topology value meaning "this node only".
LABEL_HOSTNAME: Final = "kubernetes.io/hostname"
#: EndpointSlice label naming its Service (set by the endpointslice controller; yurthub filters read it).
LABEL_SERVICE_NAME: Final = "kubernetes.io/service-name"
#: EndpointSlice label naming the controller that manages it.
LABEL_ENDPOINTSLICE_MANAGED_BY: Final = "endpointslice.kubernetes.io/managed-by"
#: Value of LABEL_ENDPOINTSLICE_MANAGED_BY for slices made by Kubernetes' own controller.
ENDPOINTSLICE_CONTROLLER_NAME: Final = "endpointslice-controller.k8s.io"
#: Node zone label; node-conversion sets it to the pool name so native topology routing is pool-local.
LABEL_TOPOLOGY_ZONE: Final = "topology.kubernetes.io/zone"
#: Pod/ControllerRevision label written by the DaemonSet/StatefulSet controllers; daemon-pod-updater reads it.
LABEL_CONTROLLER_REVISION_HASH_NATIVE: Final = "controller-revision-hash"
#: Pod label written by the DaemonSet controller (template generation); daemon-pod-updater reads it.
LABEL_POD_TEMPLATE_GENERATION: Final = "pod-template-generation"
#: Deployment/ReplicaSet pod label carrying the template hash.
LABEL_POD_TEMPLATE_HASH: Final = "pod-template-hash"
#: DaemonSet annotation with the template generation; compared with LABEL_POD_TEMPLATE_GENERATION.
ANNOTATION_DAEMONSET_TEMPLATE_GENERATION: Final = "deprecated.daemonset.template.generation"
#: Static/mirror pod annotations written by kubelet; static-pod detection and pod-binding skip read them.
ANNOTATION_CONFIG_SOURCE: Final = "kubernetes.io/config.source"
ANNOTATION_CONFIG_MIRROR: Final = "kubernetes.io/config.mirror"
#: kubectl apply bookkeeping; kept as sent.
ANNOTATION_LAST_APPLIED_CONFIGURATION: Final = "kubectl.kubernetes.io/last-applied-configuration"
#: Node role label prefix (``node-role.kubernetes.io/<role>``); informational only.
LABEL_NODE_ROLE_PREFIX: Final = "node-role.kubernetes.io/"
LABEL_NODE_ROLE_CONTROL_PLANE: Final = "node-role.kubernetes.io/control-plane"

#: Node taints the node lifecycle controller adds; pod-binding rewrites pods' NoExecute tolerations.
TAINT_NODE_NOT_READY: Final = "node.kubernetes.io/not-ready"
TAINT_NODE_UNREACHABLE: Final = "node.kubernetes.io/unreachable"
TAINT_NODE_UNSCHEDULABLE_NATIVE: Final = "node.kubernetes.io/unschedulable"
TAINT_EFFECT_NO_SCHEDULE: Final = "NoSchedule"
TAINT_EFFECT_PREFER_NO_SCHEDULE: Final = "PreferNoSchedule"
TAINT_EFFECT_NO_EXECUTE: Final = "NoExecute"

#: Node and Pod condition type "Ready" (kubelet writes it; nodepool status, gateway election, leader
#: election and endpoints readiness read it).
CONDITION_READY: Final = "Ready"
#: Node conditions kubelet reports beside Ready.
CONDITION_MEMORY_PRESSURE: Final = "MemoryPressure"
CONDITION_DISK_PRESSURE: Final = "DiskPressure"
CONDITION_PID_PRESSURE: Final = "PIDPressure"
CONDITION_NETWORK_UNAVAILABLE: Final = "NetworkUnavailable"
#: Pod conditions kubelet and the scheduler report.
CONDITION_POD_SCHEDULED: Final = "PodScheduled"
CONDITION_POD_INITIALIZED: Final = "Initialized"
CONDITION_CONTAINERS_READY: Final = "ContainersReady"

#: Node address types (status.addresses[].type).
NODE_ADDRESS_INTERNAL_IP: Final = "InternalIP"
NODE_ADDRESS_EXTERNAL_IP: Final = "ExternalIP"
NODE_ADDRESS_HOSTNAME: Final = "Hostname"

#: Namespaces with a fixed role: yurthub's ConfigMaps, raven objects and Jobs live in kube-system;
#: node Leases (heartbeats) live in kube-node-lease.
NAMESPACE_KUBE_SYSTEM: Final = "kube-system"
NAMESPACE_KUBE_NODE_LEASE: Final = "kube-node-lease"
NAMESPACE_DEFAULT: Final = "default"

# ==================================================================================================
# Node labels (openyurt-api §7.1)

#: Marks an edge node ("true"/"false"); yurtadm join / node-conversion write it; pod-binding,
#: yurthub's Autonomy condition, the node webhook and node-conversion read it.
LABEL_EDGE_WORKER: Final = "openyurt.io/is-edge-worker"
#: Pool membership of a node (value: NodePool name); users/yurtadm/node webhook write it; nodepool,
#: nodebucket, hubleader, yurt-app-set (nodeSelector), service topology filters, iot-dock read it.
LABEL_NODEPOOL: Final = "apps.openyurt.io/nodepool"
#: Requested pool; the node mutating webhook copies it into LABEL_NODEPOOL when that is absent.
LABEL_DESIRED_NODEPOOL: Final = "apps.openyurt.io/desired-nodepool"
#: "true" on nodes of a hostNetwork pool (node webhook writes; pod webhook and users' affinities read);
#: immutable once set.
LABEL_HOSTNETWORK: Final = "nodepool.openyurt.io/hostnetwork"
#: Which raven Gateway a node belongs to (users write; gateway-pickup reads); also put on raven's
#: generated LB Services/Endpoints, and merged into a Gateway's default nodeSelector.
LABEL_GATEWAY: Final = "raven.openyurt.io/gateway"
#: Legacy: node runs a yurt-tunnel agent (no writer in repo).
LABEL_EDGE_ENABLE_REVERSE_TUNNEL_CLIENT: Final = "openyurt.io/edge-enable-reverseTunnel-client"
#: On node-servant conversion Jobs and their pods (not Nodes): the node the Job converts.
LABEL_CONVERSION_NODE: Final = "openyurt.io/conversion-node"

# ==================================================================================================
# Node annotations, conditions and taints (openyurt-api §7.2, §7.3)

#: Recommended autonomy switch (Go duration; "0"/negative = unlimited); users write it; pod-binding,
#: node-life-cycle and the endpoints webhooks read it.
ANNOTATION_AUTONOMY_DURATION: Final = "node.openyurt.io/autonomy-duration"
#: Deprecated autonomy switch ("true" = unlimited; wins over the duration).
ANNOTATION_BINDING: Final = "apps.openyurt.io/binding"
#: Oldest autonomy switch ("true"); the only key yurthub's Autonomy node condition looks at.
ANNOTATION_AUTONOMY_LEGACY: Final = "node.beta.openyurt.io/autonomy"
#: JSON {"labels":{},"annotations":{},"taints":[]} of what the nodepool-controller last pushed.
ANNOTATION_PREVIOUS_ATTRIBUTES: Final = "nodepool.openyurt.io/previous-attributes"

#: Node condition yurthub writes (via nodes/status) when answering kubelet's GET of its Node.
CONDITION_AUTONOMY: Final = "Autonomy"
REASON_AUTONOMY_ENABLED: Final = "autonomy enabled successfully"
REASON_AUTONOMY_DISABLED: Final = "autonomy disabled"
REASON_AUTONOMY_CACHE_FAILED: Final = "cache failed"

#: Node condition of the yurt-node-conversion-controller (False while converting/after success,
#: True on failure).
CONDITION_YURT_NODE_CONVERSION_FAILED: Final = "YurtNodeConversionFailed"
REASON_CONVERTING: Final = "Converting"
REASON_CONVERTED: Final = "Converted"
REASON_REVERTING: Final = "Reverting"
REASON_REVERTED: Final = "Reverted"
REASON_CONVERT_FAILED: Final = "ConvertFailed"
REASON_REVERT_FAILED: Final = "RevertFailed"

#: Legacy OpenYurt taint (value "true", NoSchedule) set by the removed delegate-lease controller.
TAINT_OPENYURT_UNSCHEDULABLE: Final = "node.openyurt.io/unschedulable"

# ==================================================================================================
# Pod keys and the OTA / DaemonSet upgrade model (openyurt-api §7.4)

#: Pod annotation: the pod webhook adds required affinity NotIn hostnetwork=true.
ANNOTATION_EXCLUDE_HOST_NETWORK_POOL: Final = "apps.openyurt.io/exclude-host-network-pool"
#: Pod annotations where pod-binding saves the original tolerationSeconds before autonomy overrides them.
ANNOTATION_ORIGINAL_NOT_READY_TOLERATION_DURATION: Final = "apps.openyurt.io/original-not-ready-toleration-duration"
ANNOTATION_ORIGINAL_UNREACHABLE_TOLERATION_DURATION: Final = "apps.openyurt.io/original-unreachable-toleration-duration"
#: Static-pod manifest hash on static pods, worker pods and the yurt-static-set-<name> ConfigMap.
ANNOTATION_STATIC_POD_HASH: Final = "openyurt.io/static-pod-hash"

#: Pod condition: True when the pod is older than its owner (daemon-pod-updater / yurt-static-set write;
#: yurthub OTA API and image-preheat read). Message is CONDITION_MESSAGE_REVISION_PREFIX + hash.
CONDITION_POD_NEED_UPGRADE: Final = "PodNeedUpgrade"
#: Pod condition: image pre-pull state (yurthub imagepull sets False; image-preheat sets True/False).
CONDITION_POD_IMAGE_READY: Final = "PodImageReady"
REASON_PULL_IMAGE_SUCCESS: Final = "PullImageSuccess"
REASON_PULL_IMAGE_FAIL: Final = "PullImageFail"
REASON_WAIT_PULL_IMAGE: Final = "WaitPullImage"
#: Prefix of PodNeedUpgrade / PodImageReady messages, followed by the revision hash.
CONDITION_MESSAGE_REVISION_PREFIX: Final = "controllerrevision: "

#: DaemonSet annotations read by daemon-pod-updater (only with spec.updateStrategy.type OnDelete).
ANNOTATION_UPDATE_STRATEGY: Final = "apps.openyurt.io/update-strategy"
ANNOTATION_MAX_UNAVAILABLE: Final = "apps.openyurt.io/max-unavailable"
#: Values of ANNOTATION_UPDATE_STRATEGY (compared case-insensitively); "Auto" is our synonym of
#: AdvancedRollingUpdate (original design).
UPDATE_STRATEGY_OTA: Final = "OTA"
UPDATE_STRATEGY_ADVANCED_ROLLING_UPDATE: Final = "AdvancedRollingUpdate"
UPDATE_STRATEGY_AUTO: Final = "Auto"
#: Budget used when ANNOTATION_MAX_UNAVAILABLE is missing, "0" or "0%".
DEFAULT_MAX_UNAVAILABLE: Final = "10%"

# ==================================================================================================
# YurtAppSet workloads, NodePool, NodeBucket, PoolService (openyurt-api §3, §5, §7.5)

#: Label on YurtAppSet workloads, their selectors and pod templates: the pool.
LABEL_POOL_NAME: Final = "apps.openyurt.io/pool-name"
#: Label on YurtAppSet workloads and pod templates: the ControllerRevision *name*.
LABEL_CONTROLLER_REVISION_HASH: Final = "apps.openyurt.io/controller-revision-hash"
#: Label on YurtAppSet workloads and ControllerRevisions: the owning YurtAppSet.
LABEL_REF_YURTAPPSET: Final = "apps.openyurt.io/ref-yurtappset"
#: Annotation on YurtAppSet workloads: the pool (informational).
ANNOTATION_REF_NODEPOOL: Final = "apps.openyurt.io/ref-nodepool"
#: Legacy annotation on v1alpha1-era pool workloads (JSON patch).
ANNOTATION_PATCH: Final = "apps.openyurt.io/patch"
#: Text inside YurtAppSet tweak patch values replaced by the pool name.
NODEPOOL_NAME_PLACEHOLDER: Final = "{{nodepool-name}}"

#: YurtAppSet condition types and reasons (yurt-app-set-controller).
CONDITION_POOL_FOUND: Final = "PoolFound"
CONDITION_APP_DISPATCHED: Final = "AppDispatched"
CONDITION_APP_DELETED: Final = "AppDeleted"
CONDITION_APP_UPDATED: Final = "AppUpdated"
CONDITION_APP_READY: Final = "AppReady"
REASON_FIND_POOLS: Final = "FindPools"
REASON_NO_FIND_POOLS: Final = "NoFindPools"
REASON_CREATE_WORKLOAD_ERROR: Final = "CreateWorkloadError"
REASON_DELETE_WORKLOAD_ERROR: Final = "DeleteWorkloadError"
REASON_UPDATE_WORKLOAD_ERROR: Final = "UpdateWorkloadError"
REASON_ALL_WORKLOADS_READY: Final = "AllWorkloadsReady"
REASON_NOT_ALL_WORKLOADS_READY: Final = "NotAllWorkloadsReady"
REASON_NO_WORKLOAD_FOUND: Final = "NoWorkloadFound"
#: YurtAppSet event reasons (note the spaces, as upstream writes them).
EVENT_FAILED_REVISION_PROVISION: Final = "FailedRevisionProvision"
EVENT_SUCCESSFUL_CREATE_WORKLOAD: Final = "Successful CreateWorkload"
EVENT_SUCCESSFUL_UPDATE_WORKLOAD: Final = "Successful UpdateWorkload"
EVENT_SUCCESSFUL_DELETE_WORKLOAD: Final = "Successful DeleteWorkload"
#: YurtAppSet v1alpha1 / YurtAppDaemon condition types.
CONDITION_POOL_PROVISIONED: Final = "PoolProvisioned"
CONDITION_POOL_UPDATED: Final = "PoolUpdated"
CONDITION_POOL_FAILURE: Final = "PoolFailure"
CONDITION_WORKLOAD_PROVISIONED: Final = "WorkLoadProvisioned"
CONDITION_WORKLOAD_UPDATED: Final = "WorkLoadUpdated"
CONDITION_WORKLOAD_FAILURE: Final = "WorkLoadFailure"

#: Label on NodePools: lower-cased spec.type ("edge"/"cloud"), set by the NodePool webhook on create.
LABEL_NODEPOOL_TYPE: Final = "nodepool.openyurt.io/type"
#: Annotation on v1alpha1/v1beta1 NodePools carrying hostNetwork across versions (same string as the
#: node label, different object and role).
ANNOTATION_NODEPOOL_HOSTNETWORK: Final = LABEL_HOSTNETWORK
#: NodePool condition type declared upstream but never set.
CONDITION_LEADER_READY: Final = "LeaderReady"

#: Label on NodeBucket and PoolService: the pool (nodebucket / load-balancer-set controllers).
LABEL_OPENYURT_POOL_NAME: Final = "openyurt.io/pool-name"
#: Label on PoolService: the Service name.
LABEL_OPENYURT_SERVICE_NAME: Final = "openyurt.io/service-name"
#: Label on PoolService: ownership marker, value POOLSERVICE_MANAGER.
LABEL_POOLSERVICE_MANAGED_BY: Final = "poolservice.openyurt.io/managed-by"
POOLSERVICE_MANAGER: Final = "load-balancer-set-controller"
#: Service annotation (users): label-selector string choosing the pools that get a PoolService.
ANNOTATION_NODEPOOL_LABEL_SELECTOR: Final = "service.openyurt.io/nodepool-labelselector"
#: Prefix of Service annotations/labels aggregated from PoolServices (``aggregated.<key>``).
AGGREGATED_PREFIX: Final = "aggregated."
#: Event reason when no NodePool matches a LB-set Service.
EVENT_NO_MATCH_NODEPOOL: Final = "NoMatchNodePool"

# ==================================================================================================
# Services, Endpoints, EndpointSlices, Leases, ConfigMaps (openyurt-api §7.5, §7.6)

#: Service annotation (users; platform-admin): service topology; yurthub's servicetopology filter reads.
ANNOTATION_TOPOLOGY_KEYS: Final = "openyurt.io/topologyKeys"
#: Values of ANNOTATION_TOPOLOGY_KEYS: this node only / this node's pool / same as pool.
TOPOLOGY_HOSTNAME: Final = LABEL_HOSTNAME
TOPOLOGY_NODEPOOL: Final = "openyurt.io/nodepool"
TOPOLOGY_ZONE: Final = "kubernetes.io/zone"
#: Endpoints/EndpointSlice annotation (Unix seconds) the service-topology controllers bump so yurthubs
#: re-filter after a Service's topology annotation changed.
ANNOTATION_UPDATE_TRIGGER: Final = "openyurt.io/update-trigger"
#: Service annotation "true": yurthub's discardcloudservice filter hides LB services from edge kube-proxy.
ANNOTATION_DISCARD: Final = "svc.openyurt.io/discard"
#: Service always hidden by the discardcloudservice filter (namespace kube-system).
SERVICE_X_TUNNEL_SERVER_INTERNAL: Final = "x-tunnel-server-internal-svc"
#: Service annotation: comma list of pools where a NodePort/LB service listens ("-name" excludes, "*" all).
ANNOTATION_NODEPORT_LISTEN: Final = "nodeport.openyurt.io/listen"
#: Lease annotation "true": the pool leader renews this member's cloud Lease for it (original design).
ANNOTATION_DELEGATE_HEARTBEAT: Final = "openyurt.io/delegate-heartbeat"
#: ConfigMap label selecting the ConfigMaps yurthub watches (value: the ConfigMap's name).
LABEL_CONFIGMAP_NAME: Final = "openyurt.io/configmap-name"
#: Label on PlatformAdmin-generated objects; values below.
LABEL_IOT_GENERATE: Final = "iot.openyurt.io/generate"
IOT_GENERATE_CONFIGMAP: Final = "Configmap"
IOT_GENERATE_SERVICE: Final = "Service"
IOT_GENERATE_DEPLOYMENT: Final = "Deployment"
IOT_GENERATE_FRAMEWORK: Final = "Framework"
#: Legacy PlatformAdmin v1alpha1 label (unused at HEAD).
LABEL_EDGEX_GENERATE_LEGACY: Final = "www.edgexfoundry.org/generate"
#: Label on Device/DeviceService/DeviceProfile: the EdgeX object's original name.
LABEL_EDGEX_OBJECT_NAME: Final = "yurt-iot-dock/edgex-object.name"
#: PlatformAdmin v1alpha2 annotation with extra pools (JSON array).
ANNOTATION_ADDITIONAL_NODEPOOLS: Final = "AdditionalNodepools"
#: Annotation on the webhook configurations holding the original webhook list.
ANNOTATION_YURT_MANAGER_TEMPLATE: Final = "yurt-manager-template"

# ==================================================================================================
# Raven (raven.md §2.4, openyurt-api §4, §7.5)

#: Labels on raven's generated Services/Endpoints.
LABEL_GATEWAY_TYPE: Final = "raven.openyurt.io/gateway-type"
LABEL_ENDPOINTS_NAME: Final = "raven.openyurt.io/endpoints-name"
#: Gateway annotation: comma-separated CIDRs appended to the active tunnel node's subnets.
ANNOTATION_EXTRA_ALLOWED_SOURCE_CIDRS: Final = "raven.openyurt.io/extra-allowed-source-cidrs"
#: Service annotation read by the raven proxy server to add certificate SANs.
ANNOTATION_PUBLIC_SERVICE_EXTERNAL_IP: Final = "raven.openyurt.io/public-service-external-ip"
#: Gateway endpoint types (also the values of LABEL_GATEWAY_TYPE).
GATEWAY_TYPE_PROXY: Final = "proxy"
GATEWAY_TYPE_TUNNEL: Final = "tunnel"
#: Gateway event reasons.
EVENT_ACTIVE_ENDPOINT_ELECTED: Final = "ActiveEndpointElected"
EVENT_ACTIVE_ENDPOINT_LOST: Final = "ActiveEndpointLost"

#: ConfigMap kube-system/raven-cfg: switches for endpoint election (absent = both off).
CONFIGMAP_RAVEN_CFG: Final = "raven-cfg"
RAVEN_KEY_ENABLE_L7_PROXY: Final = "enable-l7-proxy"
RAVEN_KEY_ENABLE_L3_TUNNEL: Final = "enable-l3-tunnel"
#: ConfigMap kube-system/raven-agent-config: agent settings (host:port strings for the addresses).
CONFIGMAP_RAVEN_AGENT_CONFIG: Final = "raven-agent-config"
RAVEN_KEY_VPN_DRIVER: Final = "vpn-driver"
RAVEN_KEY_FORWARD_NODE_IP: Final = "forward-node-ip"
RAVEN_KEY_NAT_TRAVERSAL: Final = "nat-traversal"
RAVEN_KEY_METRIC_BIND_ADDR: Final = "metric-bind-addr"
RAVEN_KEY_TUNNEL_BIND_ADDR: Final = "tunnel-bind-addr"
RAVEN_KEY_PROXY_EXTERNAL_ADDR: Final = "proxy-external-addr"
RAVEN_KEY_PROXY_INTERNAL_INSECURE_ADDR: Final = "proxy-internal-insecure-addr"
RAVEN_KEY_PROXY_INTERNAL_SECURE_ADDR: Final = "proxy-internal-secure-addr"
#: ConfigMap kube-system/edge-tunnel-nodes written by the gateway DNS controller.
CONFIGMAP_EDGE_TUNNEL_NODES: Final = "edge-tunnel-nodes"
RAVEN_KEY_TUNNEL_NODES: Final = "tunnel-nodes"
#: Secret kube-system/raven-agent-secret with the VPN pre-shared key.
SECRET_RAVEN_AGENT: Final = "raven-agent-secret"
RAVEN_KEY_VPN_CONNECTION_PSK: Final = "vpn-connection-psk"
#: Internal ClusterIP Service of the raven L7 proxy (kube-system, label app=raven).
SERVICE_RAVEN_PROXY_INTERNAL: Final = "x-raven-proxy-internal-svc"
#: Name prefixes of the per-Gateway LoadBalancer Services (``<prefix><gw>-<8 hex>``).
SERVICE_RAVEN_PROXY_PREFIX: Final = "x-raven-proxy-svc-"
SERVICE_RAVEN_TUNNEL_PREFIX: Final = "x-raven-tunnel-svc-"

# ==================================================================================================
# Yurthub configuration (yurthub.md, openyurt-api §7.8)

#: ConfigMap <yurthub namespace>/yurt-hub-cfg (labelled LABEL_CONFIGMAP_NAME=yurt-hub-cfg).
CONFIGMAP_YURTHUB: Final = "yurt-hub-cfg"
#: Key: comma list of extra user agents whose responses yurthub caches.
YURTHUB_KEY_CACHE_AGENTS: Final = "cache_agents"
#: Keys named after response filters: comma lists of extra user agents the filter applies to.
FILTER_MASTER_SERVICE: Final = "masterservice"
FILTER_DISCARD_CLOUD_SERVICE: Final = "discardcloudservice"
FILTER_SERVICE_TOPOLOGY: Final = "servicetopology"
FILTER_IN_CLUSTER_CONFIG: Final = "inclusterconfig"
FILTER_NODEPORT_ISOLATION: Final = "nodeportisolation"
FILTER_FORWARD_KUBE_SVC_TRAFFIC: Final = "forwardkubesvctraffic"
FILTER_SERVICE_ENV_UPDATER: Final = "serviceenvupdater"

#: ConfigMap <ns>/leader-hub-<pool> written by hubleaderconfig-controller, watched by yurthub.
CONFIGMAP_LEADER_HUB_PREFIX: Final = "leader-hub-"
LEADER_HUB_KEY_LEADERS: Final = "leaders"
LEADER_HUB_KEY_POOL_SCOPED_METADATA: Final = "pool-scoped-metadata"
LEADER_HUB_KEY_INTERCONNECTIVITY: Final = "interconnectivity"
LEADER_HUB_KEY_ENABLE_LEADER_ELECTION: Final = "enable-leader-election"
#: ClusterRole granting list/watch on the union of pools' poolScopeMetadata.
CLUSTERROLE_YURT_HUB_MULTIPLEXER: Final = "yurt-hub-multiplexer"

# ==================================================================================================
# Other well-known object names

#: ConfigMap <ns>/yurt-static-set-<name>: one key, the static pod manifest name.
CONFIGMAP_YURT_STATIC_SET_PREFIX: Final = "yurt-static-set-"
#: Job kube-system/node-servant-conversion-<node>.
JOB_NODE_CONVERSION_PREFIX: Final = "node-servant-conversion-"
#: Job <ns>/image-pre-pull-<pod>-<hash>.
JOB_IMAGE_PRE_PULL_PREFIX: Final = "image-pre-pull-"
#: ConfigMap platformadmin-framework and its data key.
CONFIGMAP_PLATFORMADMIN_FRAMEWORK: Final = "platformadmin-framework"
PLATFORMADMIN_KEY_FRAMEWORK: Final = "framework"

# ==================================================================================================
# Finalizers (openyurt-api §7.7)

FINALIZER_PLATFORMADMIN: Final = "iot.openyurt.io"
FINALIZER_PLATFORMADMIN_FRAMEWORK: Final = "kubernetes.io/platformadmin-framework"
FINALIZER_DEVICE: Final = "iot.openyurt.io/device"
FINALIZER_DEVICE_SERVICE: Final = "iot.openyurt.io/deviceservice"
FINALIZER_DEVICE_PROFILE: Final = "iot.openyurt.io/deviceprofile"
FINALIZER_POOLSERVICE_RESOURCES: Final = "poolservice.openyurt.io/resources"
FINALIZER_NODE_CONVERSION: Final = "openyurt.io/node-conversion"
FINALIZER_EDGEX_LEGACY: Final = "edgex.edgexfoundry.org"
#: Kubernetes' own finalizers we honour.
FINALIZER_KUBERNETES_NAMESPACE: Final = "kubernetes"
FINALIZER_FOREGROUND_DELETION: Final = "foregroundDeletion"
FINALIZER_ORPHAN: Final = "orphan"

# ==================================================================================================
# IoT condition types and reasons (openyurt-api §6)

CONDITION_CONFIGMAP_AVAILABLE: Final = "ConfigmapAvailable"
CONDITION_COMPONENT_AVAILABLE: Final = "ComponentAvailable"
CONDITION_SERVICE_AVAILABLE: Final = "ServiceAvailable"
CONDITION_DEPLOYMENT_AVAILABLE: Final = "DeploymentAvailable"
REASON_CONFIGMAP_PROVISIONING: Final = "ConfigmapProvisioning"
REASON_CONFIGMAP_PROVISIONING_FAILED: Final = "ConfigmapProvisioningFailed"
REASON_COMPONENT_PROVISIONING: Final = "ComponentProvisioning"
REASON_COMPONENT_PROVISIONING_FAILED: Final = "ComponentProvisioningFailed"

CONDITION_DEVICE_SYNCED: Final = "DeviceSynced"
CONDITION_DEVICE_MANAGING: Final = "DeviceManaging"
REASON_DEVICE_MANAGING: Final = "This device is not managed by openyurt"
REASON_DEVICE_CREATE_SYNCED: Final = "Failed to create device on edge platform"
REASON_DEVICE_VISITED_CORE_METADATA_SYNCED: Final = "Failed to visit the EdgeX core-metadata-service"
REASON_DEVICE_UPDATE_STATE: Final = "Failed to update AdminState or OperatingState of device on edge platform"
CONDITION_DEVICE_SERVICE_SYNCED: Final = "DeviceServiceSynced"
CONDITION_DEVICE_SERVICE_MANAGING: Final = "DeviceServiceManaging"
REASON_DEVICE_SERVICE_MANAGING: Final = "This deviceService is not managed by openyurt"
REASON_DEVICE_SERVICE_CREATE_SYNCED: Final = "Failed to add DeviceService to EdgeX"
REASON_DEVICE_SERVICE_UPDATE_STATUS_SYNCED: Final = "Failed to update DeviceService status"
