"""``openyurt raven``: the agent, the offline planner and a standalone gateway-pickup loop.

Mounted by the main CLI as ``app.add_typer(raven_app, name="raven")``; also runnable on its own with
``python3 -m openyurt.runtime.raven.cli``. Heavy imports stay inside the commands.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated, Any

import typer

raven_app = typer.Typer(
    name="raven",
    help="Raven cross-pool networking: the node agent and its planner.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@raven_app.command()
def agent(
    kubeconfig: Annotated[Path, typer.Option("--kubeconfig", help="Kubeconfig of the API server.")],
    node_name: Annotated[str, typer.Option("--node-name", envvar="NODE_NAME", help="This node's name.")],
    vpn_driver: Annotated[str, typer.Option("--vpn-driver", help="VPN driver (only wireguard).")] = "wireguard",
    forward_node_ip: Annotated[
        bool, typer.Option("--forward-node-ip", help="Also route remote nodes' private IPs (/32).")
    ] = False,
    vpn_bind_port: Annotated[int, typer.Option("--vpn-bind-port", help="WireGuard listen port.")] = 4500,
    public_ip: Annotated[
        str | None,
        typer.Option("--public-ip", envvar="RAVEN_PUBLIC_IP", help="Public address to publish (else discovered)."),
    ] = None,
    state_dir: Annotated[
        Path, typer.Option("--state-dir", help="Private key (0600) and status.json live here.")
    ] = Path("/var/lib/raven"),
    mac_prefix: Annotated[str, typer.Option("--customized-mac-prefix", help="VTEP MAC prefix.")] = "aa:0f",
    keep_alive_interval: Annotated[int, typer.Option("--keep-alive-interval", help="Edge peer keep-alive (s).")] = 0,
    resync_period: Annotated[float, typer.Option("--sync-period", help="Full resync period in seconds.")] = 600.0,
    log_level: Annotated[str, typer.Option("--log-level")] = "INFO",
) -> None:
    """Run the raven agent on this node (needs root: links, routes, iptables, WireGuard)."""
    import asyncio
    import logging
    import signal

    from openyurt.adapters.kube.asyncio_client import AsyncioClient
    from openyurt.adapters.net.linux import linux_host
    from openyurt.core.raven.network import AgentConfig
    from openyurt.runtime.raven.agent import AgentOptions, RavenAgent

    if vpn_driver != "wireguard":
        typer.echo(f"unsupported --vpn-driver {vpn_driver!r}: only wireguard is implemented", err=True)
        raise typer.Exit(2)
    logging.basicConfig(level=log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    state_dir.mkdir(parents=True, exist_ok=True)
    os.chmod(state_dir, 0o700)
    config = AgentConfig(
        forward_node_ip=forward_node_ip,
        vpn_driver=vpn_driver,
        listen_port=vpn_bind_port,
        mac_prefix=mac_prefix,
        keep_alive_interval=keep_alive_interval,
    )
    options = AgentOptions(
        node_name=node_name,
        config=config,
        public_ip=public_ip,
        resync_period=max(resync_period, 1.0),
        status_file=state_dir / "status.json",
    )

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        client = await AsyncioClient.from_kubeconfig(kubeconfig)
        psk = os.environ.get("VPN_CONNECTION_PSK", "")
        try:
            await RavenAgent(client, lambda: linux_host(state_dir, psk), options).run(stop)
        finally:
            await client.close()

    asyncio.run(main())


def _load_objects(path: Path) -> list[dict[str, Any]]:
    import yaml

    out: list[dict[str, Any]] = []
    for doc in yaml.safe_load_all(path.read_text()):
        if doc is None:
            continue
        docs = doc if isinstance(doc, list) else [doc]
        for d in docs:
            if isinstance(d, dict) and isinstance(d.get("items"), list) and str(d.get("kind", "")).endswith("List"):
                out.extend(d["items"])
            elif isinstance(d, dict):
                out.append(d)
    return out


@raven_app.command()
def plan(
    gateways: Annotated[Path, typer.Option("--gateways", help="YAML/JSON with the Gateways (list or multi-doc).")],
    node: Annotated[str, typer.Option("--node", help="The node to plan for.")],
    nodes: Annotated[
        Path | None,
        typer.Option("--nodes", help="Nodes: when given, Gateway status is recomputed by the pickup planner."),
    ] = None,
    config: Annotated[
        Path | None,
        typer.Option("--config", help="ConfigMaps raven-cfg (switches) and/or raven-agent-config (agent settings)."),
    ] = None,
    mtu: Annotated[int, typer.Option("--mtu", help="MTU of the default-route interface.")] = 1500,
    underlay_mtu: Annotated[
        int | None, typer.Option("--underlay-mtu", help="MTU towards the domain's other nodes (default: --mtu).")
    ] = None,
    public_key: Annotated[str, typer.Option("--public-key", help="This node's WireGuard public key.")] = "",
) -> None:
    """Print a node's desired raven plan as JSON, from the same planner the agent uses."""
    from openyurt.core import wellknown
    from openyurt.core.api.core_v1 import Node
    from openyurt.core.api.raven_v1beta1 import Gateway
    from openyurt.core.raven.election import RavenSwitches, pickup
    from openyurt.core.raven.network import AgentConfig, compute_network
    from openyurt.core.raven.nodeplan import MtuFacts, build_plan, mtu_probe_target, plan_to_json

    gws = [Gateway.model_validate(o) for o in _load_objects(gateways) if o.get("kind") == "Gateway"]
    cfg_maps = {
        str((o.get("metadata") or {}).get("name")): dict(o.get("data") or {})
        for o in (_load_objects(config) if config else [])
        if o.get("kind") == "ConfigMap"
    }
    agent_cfg = cfg_maps.get(wellknown.CONFIGMAP_RAVEN_AGENT_CONFIG, {})
    bind = agent_cfg.get(wellknown.RAVEN_KEY_TUNNEL_BIND_ADDR, "")
    port = int(bind.rpartition(":")[2]) if bind.rpartition(":")[2].isdigit() else 4500
    settings = AgentConfig(
        forward_node_ip=agent_cfg.get(wellknown.RAVEN_KEY_FORWARD_NODE_IP, "").lower() == "true",
        vpn_driver=agent_cfg.get(wellknown.RAVEN_KEY_VPN_DRIVER) or "wireguard",
        listen_port=port,
    )
    if nodes is not None:
        node_objs = [Node.model_validate(o) for o in _load_objects(nodes) if o.get("kind") == "Node"]
        raven_cfg = cfg_maps.get(wellknown.CONFIGMAP_RAVEN_CFG)
        switches = (
            RavenSwitches.from_data(raven_cfg)
            if raven_cfg is not None
            else RavenSwitches(enable_proxy=False, enable_tunnel=True)
        )
        gws = [g.evolve(status=pickup(g, node_objs, switches).status) for g in gws]
    net = compute_network(node, gws, settings)
    probe = mtu_probe_target(net, node)
    facts = MtuFacts(default_route_mtu=mtu, underlay_mtu=(underlay_mtu or mtu) if probe else None)
    result = build_plan(node, net, settings, facts, public_key=public_key)
    typer.echo(json.dumps(plan_to_json(result), indent=2))


@raven_app.command()
def pickup(
    kubeconfig: Annotated[Path, typer.Option("--kubeconfig", help="Kubeconfig of the API server.")],
    log_level: Annotated[str, typer.Option("--log-level")] = "INFO",
) -> None:
    """Run only the gateway-pickup controller (what yurt-manager's ``gateway-pickup`` does)."""
    import asyncio
    import logging
    import random
    import signal

    from openyurt.adapters.clock import RealClock
    from openyurt.adapters.kube.asyncio_client import AsyncioClient
    from openyurt.adapters.kube.informer import InformerFactory
    from openyurt.runtime.controller import EventRecorder
    from openyurt.runtime.manager.metrics import ManagerMetrics
    from openyurt.runtime.manager.registry import ControllerContext
    from openyurt.runtime.raven.pickup import build_controller

    logging.basicConfig(level=log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        client = await AsyncioClient.from_kubeconfig(kubeconfig)
        clock = RealClock()
        factory = InformerFactory(client, clock=clock)
        ctx = ControllerContext(
            client=client,
            informers=factory,
            clock=clock,
            metrics=ManagerMetrics(),
            rng=random.Random(),
            recorder=lambda name: EventRecorder(client, name, clock),
        )
        controller = build_controller(ctx)
        factory.start()
        task = asyncio.create_task(controller.run())
        try:
            await stop.wait()
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            for inf in factory.informers:
                await inf.stop()
            await client.close()

    asyncio.run(main())


if __name__ == "__main__":
    raven_app()
