"""Command line of the one-machine edge cluster: ``up``, ``down``, ``cut``, ``heal``, ``status``.

Kept apart from ``openyurt/runtime/cli.py`` so the main CLI only mounts it (``register(app)``); the same
commands also run as ``python -m openyurt.runtime.up``, which is what ``--detach`` starts.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

DataDir = Annotated[Path, typer.Option("--data-dir", help="Where the store, kubeconfig, caches and up.json live.")]
DEFAULT_DATA = Path(".openyurt")


def up(
    pools: Annotated[int, typer.Option("--pools", help="Number of edge NodePools (pool-1..pool-N).")] = 2,
    pool_name: Annotated[
        list[str] | None, typer.Option("--pool-name", help="Name the pools instead (repeatable; overrides --pools).")
    ] = None,
    nodes_per_pool: Annotated[int, typer.Option("--nodes-per-pool", help="Simulated nodes in each pool.")] = 3,
    data_dir: DataDir = DEFAULT_DATA,
    port: Annotated[int, typer.Option("--port", help="API server port on 127.0.0.1; 0 picks a free one.")] = 0,
    detach: Annotated[
        bool, typer.Option("--detach", help="Run in the background; return once all nodes are Ready.")
    ] = False,
    node_grace: Annotated[
        float, typer.Option("--node-grace", help="Seconds of silence before a node is NotReady.")
    ] = 40.0,
    monitor_period: Annotated[
        float | None, typer.Option("--monitor-period", help="Node lifecycle check interval (s).")
    ] = None,
    lease_interval: Annotated[
        float, typer.Option("--lease-interval", help="Lease renewal / hub heartbeat (s).")
    ] = 10.0,
    status_interval: Annotated[
        float, typer.Option("--status-interval", help="Node status report interval (s).")
    ] = 10.0,
    controllers: Annotated[
        str, typer.Option("--controllers", help="yurt-manager controllers ('*', 'a,b', '*,-a').")
    ] = "*",
    ready_timeout: Annotated[
        float | None, typer.Option("--ready-timeout", help="Give up (exit 1) if nodes are not all Ready by then (s).")
    ] = None,
    plain: Annotated[bool, typer.Option("--plain", help="Log lines even on a terminal.")] = False,
) -> None:
    """Start a whole edge cluster on this machine: API server, yurt-manager, per-node hubs and agents."""
    from openyurt.runtime.up.cluster import UpConfig
    from openyurt.runtime.up.runner import run_detached, run_foreground

    if nodes_per_pool < 1 or (not pool_name and pools < 1):
        typer.echo("openyurt up: need at least one pool and one node per pool", err=True)
        raise typer.Exit(2)
    cfg = UpConfig(
        data_dir=data_dir,
        pools=UpConfig.pool_names(pools, pool_name),
        nodes_per_pool=nodes_per_pool,
        port=port,
        node_grace=node_grace,
        monitor_period=monitor_period,
        lease_interval=lease_interval,
        status_interval=status_interval,
        controllers=controllers,
    )
    if detach:
        args = [
            "--nodes-per-pool", str(nodes_per_pool), "--data-dir", str(data_dir), "--port", str(port),
            "--node-grace", str(node_grace), "--lease-interval", str(lease_interval),
            "--status-interval", str(status_interval), "--controllers", controllers,
        ]  # fmt: skip
        for p in cfg.pools:
            args += ["--pool-name", p]
        if monitor_period is not None:
            args += ["--monitor-period", str(monitor_period)]
        raise typer.Exit(run_detached(cfg, args, timeout=ready_timeout or 120.0))
    raise typer.Exit(run_foreground(cfg, live=False if plain else None, ready_timeout=ready_timeout))


def down(data_dir: DataDir = DEFAULT_DATA) -> None:
    """Stop the cluster `openyurt up` runs on this data directory."""
    from openyurt.runtime.up.runner import down as do_down

    raise typer.Exit(do_down(data_dir))


def _links(cut: bool, nodes: list[str] | None, pool: str | None, all_nodes: bool, data_dir: Path) -> None:
    from openyurt.runtime.up.control import ControlError
    from openyurt.runtime.up.runner import control_call

    body = {"nodes": nodes or [], "pool": pool, "all": all_nodes}
    try:
        got = control_call(data_dir, "POST", "/cut" if cut else "/heal", body)
    except ControlError as exc:
        typer.echo(f"openyurt {'cut' if cut else 'heal'}: {exc}", err=True)
        raise typer.Exit(1) from exc
    for n in got["nodes"]:
        typer.echo(f"{n}: link {'cut' if cut else 'healed'}")


def cut(
    nodes: Annotated[list[str] | None, typer.Argument(help="Nodes whose cloud link to cut.")] = None,
    pool: Annotated[str | None, typer.Option("--pool", help="Cut every node of this pool.")] = None,
    all_nodes: Annotated[bool, typer.Option("--all", help="Cut every node.")] = False,
    data_dir: DataDir = DEFAULT_DATA,
) -> None:
    """Cut nodes' links to the cloud: live connections close, new ones are refused."""
    _links(True, nodes, pool, all_nodes, data_dir)


def heal(
    nodes: Annotated[list[str] | None, typer.Argument(help="Nodes whose cloud link to restore.")] = None,
    pool: Annotated[str | None, typer.Option("--pool", help="Heal every node of this pool.")] = None,
    all_nodes: Annotated[bool, typer.Option("--all", help="Heal every node.")] = False,
    data_dir: DataDir = DEFAULT_DATA,
) -> None:
    """Restore nodes' links to the cloud."""
    _links(False, nodes, pool, all_nodes, data_dir)


def status(
    data_dir: DataDir = DEFAULT_DATA,
    as_json: Annotated[bool, typer.Option("--json", help="Print the full status as JSON.")] = False,
) -> None:
    """Show the nodes of the running cluster: Ready, link, hub, pods."""
    from openyurt.runtime.up.control import ControlError
    from openyurt.runtime.up.runner import control_call

    try:
        snap = control_call(data_dir, "GET", "/status")
    except ControlError as exc:
        typer.echo(f"openyurt status: {exc}", err=True)
        raise typer.Exit(1) from exc
    if as_json:
        json.dump(snap, sys.stdout, indent=2)
        typer.echo()
        return
    typer.echo(f"apiserver {snap['apiserver']}  kubeconfig {snap['kubeconfig']}")
    typer.echo(f"{'NODE':<24} {'POOL':<12} {'STATUS':<9} {'LINK':<5} {'HUB':<8} {'PODS':>5} {'FROM-CLOUD':>11}")
    for n in snap["nodes"]:
        typer.echo(
            f"{n['name']:<24} {n['pool']:<12} {'Ready' if n['ready'] else 'NotReady':<9} "
            f"{'cut' if n['cut'] else 'up':<5} {'online' if n['hub_online'] else 'offline':<8} "
            f"{n['pods']:>5} {n['bytes_from_cloud']:>11}"
        )


def register(app: typer.Typer) -> None:
    """Add ``up``, ``down``, ``cut``, ``heal`` and ``status`` to ``app``."""
    app.command("up")(up)
    app.command("down")(down)
    app.command("cut")(cut)
    app.command("heal")(heal)
    app.command("status")(status)


def main() -> None:
    app = typer.Typer(name="openyurt-up", no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False)
    register(app)
    app()
