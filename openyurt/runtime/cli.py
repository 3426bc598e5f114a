"""The one ``openyurt`` command.

Each subcommand imports what it needs inside its body, so ``openyurt hub`` on a small edge machine
never pays for the API server or the CRD generator. Implementations live in their own modules; this
file only declares the command line.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(
    name="openyurt",
    help="OpenYurt in Python: edge autonomy, pools, cross-pool networking, device sync.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.command()
def version() -> None:
    """Print the openyurt version."""
    from openyurt import __version__

    typer.echo(__version__)


@app.command()
def crds(
    out: Annotated[Path | None, typer.Option("--out", help="Directory to write one YAML file per CRD into.")] = None,
) -> None:
    """Generate the CRD manifests of every OpenYurt kind from the models."""
    from openyurt.runtime import cmd_crds

    raise typer.Exit(cmd_crds.run(out))


@app.command()
def validate(
    file: Annotated[str, typer.Option("-f", "--filename", help="YAML or JSON file, multi-document; '-' for stdin.")],
) -> None:
    """Validate manifests as the API server and OpenYurt's webhooks would; print the normalised objects."""
    from openyurt.runtime import cmd_validate

    raise typer.Exit(cmd_validate.run(file))


@app.command()
def apiserver(
    data_dir: Annotated[
        Path, typer.Option("--data-dir", help="Where the SQLite store, kubeconfig and apiserver.json live.")
    ],
    host: Annotated[str, typer.Option("--host", help="Address to bind; loopback unless told otherwise.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Port to bind; 0 picks a free one.")] = 6443,
    token: Annotated[
        str | None, typer.Option("--token", help="Bearer token clients must send (random if unset).")
    ] = None,
    tls_cert_file: Annotated[
        Path | None, typer.Option("--tls-cert-file", help="Serve HTTPS with this certificate.")
    ] = None,
    tls_private_key_file: Annotated[
        Path | None, typer.Option("--tls-private-key-file", help="Key of --tls-cert-file.")
    ] = None,
    version_minor: Annotated[
        int, typer.Option("--version-minor", help="Kubernetes minor version reported by /version.")
    ] = 31,
    compact_keep: Annotated[int, typer.Option("--compact-keep", help="Revisions of history kept for watches.")] = 1000,
    self_signed_tls: Annotated[
        bool,
        typer.Option(
            "--self-signed-tls", help="Serve HTTPS with a certificate made once in DATA_DIR/tls (for kubectl)."
        ),
    ] = False,
) -> None:
    """Run the embedded Kubernetes-compatible API server (the local default control plane)."""
    from openyurt.runtime.apiserver import main as apiserver_main

    raise typer.Exit(
        apiserver_main.run(
            data_dir=data_dir,
            host=host,
            port=port,
            token=token,
            tls_cert_file=tls_cert_file,
            tls_private_key_file=tls_private_key_file,
            version_minor=version_minor,
            compact_keep=compact_keep,
            self_signed_tls=self_signed_tls,
        )
    )


@app.command()
def manager(
    kubeconfig: Annotated[Path, typer.Option("--kubeconfig", help="Kubeconfig of the cluster to manage.")],
    leader_elect: Annotated[bool, typer.Option("--leader-elect", help="Run as one leader among replicas.")] = False,
    controllers: Annotated[str, typer.Option("--controllers", help="Comma list of controllers, '*' for all.")] = "*",
    health_port: Annotated[int, typer.Option("--health-port", help="Port of /healthz (0 picks one).")] = 10272,
    metrics_port: Annotated[int, typer.Option("--metrics-port", help="Port of Prometheus /metrics.")] = 10271,
    identity: Annotated[str | None, typer.Option("--identity", help="Leader-election identity.")] = None,
) -> None:
    """Run yurt-manager: OpenYurt's controllers, optionally leader-elected."""
    from openyurt.runtime.manager import main as manager_main

    raise typer.Exit(
        manager_main.run(
            kubeconfig=kubeconfig,
            leader_elect=leader_elect,
            controllers=controllers,
            health_port=health_port,
            metrics_port=metrics_port,
            identity=identity,
        )
    )


def _mount_subcommands() -> None:
    # Sub-apps whose modules are small and import their heavy dependencies lazily.
    from openyurt.runtime.raven.cli import raven_app

    app.add_typer(raven_app, name="raven")

    from openyurt.runtime.up.cli import register as register_up

    register_up(app)  # up, down, cut, heal, status


_mount_subcommands()


def _split(values: list[str]) -> list[str]:
    return [v for item in values for v in item.split(",") if v]


@app.command()
def hub(
    kubeconfig: Annotated[Path, typer.Option("--kubeconfig", help="Kubeconfig of the cloud API server(s).")],
    node_name: Annotated[str, typer.Option("--node-name", help="The node this hub serves.")],
    cache_dir: Annotated[Path, typer.Option("--cache-dir", help="Where cached objects live (root-only files).")],
    bind: Annotated[str, typer.Option("--bind", help="Address of the proxy listener.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Proxy port node agents talk to.")] = 10261,
    admin_port: Annotated[int, typer.Option("--admin-port", help="Loopback admin port (health, metrics).")] = 10267,
    nodepool: Annotated[str | None, typer.Option("--nodepool", help="NodePool of this node.")] = None,
    cache_agents: Annotated[list[str], typer.Option("--cache-agents", help="Extra components to cache.")] = [],  # noqa: B006
    disable_filters: Annotated[list[str], typer.Option("--disable-filters", help="Filters to turn off.")] = [],  # noqa: B006
    server: Annotated[list[str], typer.Option("--server", help="Extra cloud API server URL (repeatable).")] = [],  # noqa: B006
    static_pod_manifests_dir: Annotated[
        Path, typer.Option("--static-pod-manifests-dir", help="kubelet's static pod manifests (OTA upgrades).")
    ] = Path("/etc/kubernetes/manifests"),
    ota_staging_dir: Annotated[
        Path, typer.Option("--ota-staging-dir", help="Where OTA stages and backs up static pod manifests.")
    ] = Path("/tmp/manifests"),
) -> None:
    """Run yurthub: the node's caching proxy to the cloud, with offline autonomy and response filters."""
    from openyurt.runtime.hub.main import run as run_hub

    raise typer.Exit(
        run_hub(
            kubeconfig=kubeconfig,
            node_name=node_name,
            cache_dir=cache_dir,
            bind=bind,
            port=port,
            admin_port=admin_port,
            nodepool=nodepool,
            cache_agents=_split(cache_agents),
            disable_filters=_split(disable_filters),
            servers=_split(server),
            manifest_dir=static_pod_manifests_dir,
            ota_staging_dir=ota_staging_dir,
        )
    )


def main() -> None:
    app()


if __name__ == "__main__":
    main()
