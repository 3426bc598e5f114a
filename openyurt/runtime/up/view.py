"""What ``openyurt up`` shows while it runs: a live table on a terminal, log lines otherwise.

On a terminal people watch nodes go Ready/NotReady and links get cut, so a rich table refreshes in
place (pools, nodes, pods per pool, hubs online, bytes each relay carried from the cloud). When stdout
is a file or a pipe (CI, ``--detach``'s log), every change is one ``key=value`` line that grep and
tests can read.
"""

from __future__ import annotations

import sys
import time
from typing import Any, Protocol

from rich.console import Console, Group
from rich.live import Live
from rich.table import Table
from rich.text import Text


class View(Protocol):
    def progress(self, msg: str) -> None: ...

    def update(self, snap: dict[str, Any]) -> None: ...

    def event(self, msg: str) -> None: ...

    def close(self) -> None: ...


def _kv(**fields: Any) -> str:
    parts = []
    for k, v in fields.items():
        s = str(v).lower() if isinstance(v, bool) else str(v)
        parts.append(f"{k}={s!r}" if (" " in s or not s) else f"{k}={s}")
    return " ".join(parts)


class PlainView:
    """One line per start step and per change of a node's state."""

    def __init__(self) -> None:
        self._last: dict[str, tuple[Any, ...]] = {}
        self._ready: bool | None = None

    def _emit(self, line: str) -> None:
        print(f"{time.strftime('%Y-%m-%dT%H:%M:%S')} openyurt-up {line}", flush=True)

    def progress(self, msg: str) -> None:
        self._emit(_kv(event="start", step=msg))

    def event(self, msg: str) -> None:
        self._emit(_kv(event="info", msg=msg))

    def update(self, snap: dict[str, Any]) -> None:
        for n in snap["nodes"]:
            state = (n["ready"], n["cut"], n["hub_online"], n["pods"], n["pods_running"])
            if self._last.get(n["name"]) != state:
                self._last[n["name"]] = state
                self._emit(
                    _kv(
                        event="node",
                        node=n["name"],
                        pool=n["pool"],
                        ready=n["ready"],
                        cut=n["cut"],
                        hub="online" if n["hub_online"] else "offline",
                        pods=n["pods"],
                        running=n["pods_running"],
                        bytes_from_cloud=n["bytes_from_cloud"],
                    )
                )
        if snap["ready"] != self._ready:
            self._ready = snap["ready"]
            ready = sum(1 for n in snap["nodes"] if n["ready"])
            self._emit(_kv(event="cluster", ready=snap["ready"], nodes_ready=ready, nodes=len(snap["nodes"])))

    def close(self) -> None:
        pass


def _size(n: int) -> str:
    size = float(n)
    for unit in ("B", "KiB", "MiB"):
        if size < 1024:
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} GiB"


class LiveView:
    """A rich table redrawn in place; start steps and events print above it."""

    def __init__(self) -> None:
        self.console = Console()
        self._snap: dict[str, Any] | None = None
        self._events: list[str] = []
        self._live = Live(self._render(), console=self.console, refresh_per_second=4, transient=False)
        self._live.start()

    def progress(self, msg: str) -> None:
        self.console.log(f"[bold]starting[/] {msg}")

    def event(self, msg: str) -> None:
        self.console.log(msg)

    def update(self, snap: dict[str, Any]) -> None:
        self._snap = snap
        self._live.update(self._render())

    def _render(self) -> Any:
        snap = self._snap
        if snap is None:
            return Text("starting…")
        table = Table(title=f"openyurt up — {snap['apiserver']}", expand=False)
        for col in ("pool", "node", "status", "link", "hub", "pods", "from cloud"):
            table.add_column(col)
        pools: dict[str, list[int]] = {}
        for n in snap["nodes"]:
            status = Text("Ready", "green") if n["ready"] else Text("NotReady", "red")
            link = Text("cut", "bold red") if n["cut"] else Text("up", "green")
            hub = Text("online", "green") if n["hub_online"] else Text("offline", "yellow")
            table.add_row(
                n["pool"],
                n["name"],
                status,
                link,
                hub,
                f"{n['pods_running']}/{n['pods']}",
                _size(int(n["bytes_from_cloud"])),
            )
            agg = pools.setdefault(n["pool"], [0, 0, 0])
            agg[0] += 1 if n["ready"] else 0
            agg[1] += 1
            agg[2] += int(n["pods"])
        summary = "  ".join(f"{p}: {r}/{t} Ready, {k} pods" for p, (r, t, k) in pools.items())
        footer = Text(f"{summary}\nkubectl --kubeconfig {snap['kubeconfig']} get nodes,nodepools   (Ctrl-C stops)")
        return Group(table, footer)

    def close(self) -> None:
        self._live.stop()


def make_view(live: bool | None = None) -> View:
    """The live table when ``live`` (default: stdout is a terminal), else plain lines."""
    if live is None:
        live = sys.stdout.isatty()
    return LiveView() if live else PlainView()
