"""Linux implementation of raven's host managers: netlink, WireGuard, iptables and ipset.

Links, addresses, routes, rules, neighbours and FDB entries go through netlink (pyroute2) in the
current network namespace. WireGuard uses the kernel module when ``ip link add type wireguard``
works and ``wireguard-go`` (a userspace TUN implementation) otherwise; both are configured with
``wg``. Marks use ipset ``hash:net`` and iptables; the skip-NAT pairs use upstream's ``hash:net,net``
ipset when the kernel has it and one iptables rule per pair otherwise (same effect, same chain).

Every manager reports only what raven owns (device names, tables 9027/9028, ``raven-*`` ipsets,
``RAVEN-*`` chains, rules carrying a raven comment), so the diff never touches the CNI's state.
"""

from __future__ import annotations

import base64
import hashlib
import ipaddress
import logging
import os
import shlex
import shutil
import socket
import subprocess
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from pyroute2 import IPRoute

from openyurt.adapters.net.host import ComposedHost
from openyurt.core.raven import nodeplan as np
from openyurt.core.raven.nodeplan import (
    Address,
    Chain,
    ChainRule,
    Fdb,
    HostState,
    IpSet,
    IpSetEntry,
    Item,
    MtuFacts,
    Neighbour,
    Op,
    Peer,
    Route,
    Rule,
    SkipNatPair,
    VxlanLink,
    WireGuardLink,
)

log = logging.getLogger(__name__)

NUD_PERMANENT = 0x80
NTF_SELF = 0x02
RTNH_F_ONLINK = 0x04
RT_SCOPE_LINK = 253
RAVEN_TABLES = (np.VXLAN_TABLE, np.WG_TABLE)
RAVEN_DEVICES = (np.VXLAN_DEVICE, np.WG_DEVICE)


def _run(args: Sequence[str], *, check: bool = True, input_text: str | None = None) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(list(args), capture_output=True, text=True, input=input_text, check=False, timeout=30)
    if check and proc.returncode != 0:
        raise RuntimeError(f"{shlex.join(args)}: {proc.stderr.strip() or proc.stdout.strip()}")
    return proc


def _write_sysctl(key: str, value: str) -> None:
    path = "/proc/sys/" + key.replace(".", "/")
    try:
        Path(path).write_text(value)
    except OSError as exc:
        log.warning("cannot set %s=%s: %s", key, value, exc)


def _cidr(addr: str, plen: int) -> str:
    return f"{addr}/{plen}"


# ==================================================================================================
# Netlink: links, addresses, FDB, neighbours, routes, rules


class Netlink:
    """Link and route manager on one pyroute2 socket (the current network namespace)."""

    kinds = frozenset({"vxlan", "address", "fdb", "neighbour"})

    def __init__(self) -> None:
        self.ipr = IPRoute()

    def close_netlink(self) -> None:
        self.ipr.close()

    def _index(self, name: str) -> int | None:
        found = self.ipr.link_lookup(ifname=name)
        return int(found[0]) if found else None

    def _name(self, index: int) -> str:
        links = self.ipr.get_links(index)
        return str(links[0].get_attr("IFLA_IFNAME")) if links else ""

    # -- observe -----------------------------------------------------------------------------------
    def observe(self, hint: HostState) -> Iterable[Item]:
        idx = self._index(np.VXLAN_DEVICE)
        if idx is None:
            return []
        link = self.ipr.get_links(idx)[0]
        info = link.get_attr("IFLA_LINKINFO")
        if info is None or info.get_attr("IFLA_INFO_KIND") != "vxlan":
            # Something else carries our name: report it as a wrong link so the diff re-creates it.
            return [VxlanLink(np.VXLAN_DEVICE, -1, 0, 0, "", "")]
        data = info.get_attr("IFLA_INFO_DATA")
        items: list[Item] = [
            VxlanLink(
                np.VXLAN_DEVICE,
                int(data.get_attr("IFLA_VXLAN_ID") or 0),
                int(data.get_attr("IFLA_VXLAN_PORT") or 0),
                int(link.get_attr("IFLA_MTU") or 0),
                str(link.get_attr("IFLA_ADDRESS") or ""),
                str(data.get_attr("IFLA_VXLAN_LOCAL") or ""),
                data.get_attr("IFLA_VXLAN_GROUP") or None,
            )
        ]
        for a in self.ipr.get_addr(index=idx, family=socket.AF_INET):
            cidr = _cidr(a.get_attr("IFA_ADDRESS"), a["prefixlen"])
            items.append(Address(np.VXLAN_DEVICE, cidr, "link" if a["scope"] == RT_SCOPE_LINK else "universe"))
        for n in self.ipr.get_neighbours(ifindex=idx, family=socket.AF_INET):
            if n["state"] & NUD_PERMANENT and n.get_attr("NDA_LLADDR"):
                items.append(Neighbour(np.VXLAN_DEVICE, n.get_attr("NDA_DST"), n.get_attr("NDA_LLADDR")))
        for n in self.ipr.get_neighbours(ifindex=idx, family=socket.AF_BRIDGE):
            mac = n.get_attr("NDA_LLADDR")
            if n["state"] & NUD_PERMANENT and mac and mac != "00:00:00:00:00:00" and n.get_attr("NDA_DST"):
                items.append(Fdb(np.VXLAN_DEVICE, mac, n.get_attr("NDA_DST")))
        return items

    # -- apply -------------------------------------------------------------------------------------
    def apply(self, op: Op) -> None:
        item = op.item
        if isinstance(item, VxlanLink):
            if op.action == "delete":
                self._delete_link(item.name)
            else:
                self._add_vxlan(item)
            return
        idx = self._index(item.dev) if isinstance(item, Address | Fdb | Neighbour) else None
        if idx is None:
            if op.action == "delete":
                return
            raise RuntimeError(f"device {getattr(item, 'dev', '?')} does not exist")
        if isinstance(item, Address):
            addr, plen = item.cidr.split("/")
            scope = RT_SCOPE_LINK if item.scope == "link" else 0
            if op.action == "delete" or op.action == "replace":
                old = op.old if isinstance(op.old, Address) else item
                o_addr, o_plen = old.cidr.split("/")
                self._quiet(lambda: self.ipr.addr("del", index=idx, address=o_addr, prefixlen=int(o_plen)))
            if op.action != "delete":
                self.ipr.addr("add", index=idx, address=addr, prefixlen=int(plen), scope=scope)
        elif isinstance(item, Neighbour):
            if op.action == "delete":
                self._quiet(lambda: self.ipr.neigh("del", dst=item.ip, lladdr=item.mac, ifindex=idx))
            else:
                self.ipr.neigh("replace", dst=item.ip, lladdr=item.mac, ifindex=idx, state=NUD_PERMANENT)
        elif isinstance(item, Fdb):
            if op.action == "delete":
                self._quiet(
                    lambda: self.ipr.fdb("del", ifindex=idx, lladdr=item.mac, dst=item.dst, state=NUD_PERMANENT)
                )
            else:
                self.ipr.fdb("replace", ifindex=idx, lladdr=item.mac, dst=item.dst, state=NUD_PERMANENT, flags=NTF_SELF)

    @staticmethod
    def _quiet(fn: Any) -> None:
        try:
            fn()
        except Exception as exc:  # already gone is fine when deleting
            log.debug("ignored: %s", exc)

    def _delete_link(self, name: str) -> None:
        idx = self._index(name)
        if idx is not None:
            self.ipr.link("del", index=idx)

    def _add_vxlan(self, link: VxlanLink) -> None:
        self._delete_link(link.name)
        kwargs: dict[str, Any] = {
            "ifname": link.name,
            "kind": "vxlan",
            "vxlan_id": link.vni,
            "vxlan_port": link.port,
            "vxlan_learning": 0,
            "vxlan_ageing": 300,
            "vxlan_local": link.local_ip,
            "address": link.mac,
            "mtu": link.mtu,
        }
        if link.remote:
            kwargs["vxlan_group"] = link.remote
        self.ipr.link("add", **kwargs)
        idx = self._index(link.name)
        _write_sysctl(f"net.ipv4.conf.{link.name}.rp_filter", "2")
        self.ipr.link("set", index=idx, state="up")

    # -- MTU facts ---------------------------------------------------------------------------------
    def _mtu_of(self, index: int) -> int | None:
        links = self.ipr.get_links(index)
        if not links:
            return None
        link = links[0]
        info = link.get_attr("IFLA_LINKINFO")
        if info is not None and info.get_attr("IFLA_INFO_KIND") == "vxlan":
            parent = info.get_attr("IFLA_INFO_DATA").get_attr("IFLA_VXLAN_LINK")
            if parent:
                return self._mtu_of(int(parent))
        mtu = link.get_attr("IFLA_MTU")
        return int(mtu) if mtu else None

    def mtu_facts(self, probe_target: str | None) -> MtuFacts:
        """MTUs from the main table only, never through raven's own devices (that would feed back)."""
        default_mtu = None
        for r in self.ipr.get_routes(family=socket.AF_INET, table=254):
            if (r.get_attr("RTA_TABLE") or r["table"]) != 254 or r["dst_len"] != 0:
                continue
            oif = r.get_attr("RTA_OIF")
            if oif and self._name(int(oif)) not in RAVEN_DEVICES:
                default_mtu = self._mtu_of(int(oif))
                break
        underlay = None
        if probe_target:
            try:
                found = self.ipr.route("get", dst=probe_target)
                oif = found[0].get_attr("RTA_OIF") if found else None
                if oif and self._name(int(oif)) not in RAVEN_DEVICES:
                    underlay = self._mtu_of(int(oif))
            except Exception as exc:
                log.debug("no route to %s: %s", probe_target, exc)
        return MtuFacts(default_route_mtu=default_mtu, underlay_mtu=underlay)


class Routes:
    """Routes of tables 9027/9028 and the rules pointing at them."""

    kinds = frozenset({"route", "rule"})

    def __init__(self, netlink: Netlink) -> None:
        self.nl = netlink

    def observe(self, hint: HostState) -> Iterable[Item]:
        ipr = self.nl.ipr
        items: list[Item] = []
        for table in RAVEN_TABLES:
            for r in ipr.get_routes(family=socket.AF_INET, table=table):
                if (r.get_attr("RTA_TABLE") or r["table"]) != table:
                    continue
                dst = r.get_attr("RTA_DST") or "0.0.0.0"
                oif = r.get_attr("RTA_OIF")
                metrics = r.get_attr("RTA_METRICS")
                mtu = metrics.get_attr("RTAX_MTU") if metrics is not None else None
                items.append(
                    Route(
                        table,
                        _cidr(dst, r["dst_len"]),
                        self.nl._name(int(oif)) if oif else "",
                        via=r.get_attr("RTA_GATEWAY"),
                        onlink=bool(r["flags"] & RTNH_F_ONLINK),
                        mtu=int(mtu or 0),
                    )
                )
        for rule in ipr.get_rules(family=socket.AF_INET):
            table = rule.get_attr("FRA_TABLE") or rule["table"]
            if table in RAVEN_TABLES:
                items.append(Rule(int(rule.get_attr("FRA_PRIORITY") or 0), int(table), rule.get_attr("FRA_FWMARK")))
        return items

    def apply(self, op: Op) -> None:
        ipr = self.nl.ipr
        item = op.item
        if isinstance(item, Rule):
            kwargs: dict[str, Any] = {"table": item.table, "priority": item.priority, "family": socket.AF_INET}
            if item.fwmark is not None:
                kwargs["fwmark"] = item.fwmark
            if op.action == "delete":
                Netlink._quiet(lambda: ipr.rule("del", **kwargs))
            else:
                ipr.rule("add", **kwargs)
            return
        assert isinstance(item, Route)
        if op.action == "delete":
            Netlink._quiet(lambda: ipr.route("del", table=item.table, dst=item.dst))
            return
        idx = self.nl._index(item.dev)
        if idx is None:
            raise RuntimeError(f"device {item.dev} does not exist")
        kwargs = {"table": item.table, "dst": item.dst, "oif": idx}
        if item.via:
            kwargs["gateway"] = item.via
        else:
            kwargs["scope"] = RT_SCOPE_LINK
        if item.onlink:
            kwargs["flags"] = RTNH_F_ONLINK
        if item.mtu:
            kwargs["metrics"] = {"mtu": item.mtu}
        ipr.route("replace", **kwargs)


# ==================================================================================================
# WireGuard


class WireGuard:
    """``raven-wg0`` through ``wg``; kernel device when available, else a ``wireguard-go`` process.

    A fresh private key is made per driver (as upstream) and kept in ``<state_dir>/wg-private.key``
    with mode 0600; an existing device with another key or port is reconfigured, not reused as is.
    """

    kinds = frozenset({"wireguard", "peer"})

    def __init__(self, netlink: Netlink, state_dir: Path, psk: str) -> None:
        self.nl = netlink
        self.state_dir = state_dir
        state_dir.mkdir(parents=True, exist_ok=True)
        os.chmod(state_dir, 0o700)
        self.key_file = state_dir / "wg-private.key"
        self.psk_file = state_dir / "wg-preshared.key"
        private = _run(["wg", "genkey"]).stdout.strip()
        self._write_secret(self.key_file, private)
        self._private = private
        self._public = _run(["wg", "pubkey"], input_text=private + "\n").stdout.strip()
        psk_b64 = base64.b64encode(hashlib.sha256((psk or "openyurt-raven").encode()).digest()).decode()
        self._write_secret(self.psk_file, psk_b64)
        self._proc: subprocess.Popen[bytes] | None = None

    @staticmethod
    def _write_secret(path: Path, text: str) -> None:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(text + "\n")
        os.chmod(path, 0o600)

    def public_key(self) -> str:
        return self._public

    def observe(self, hint: HostState) -> Iterable[Item]:
        idx = self.nl._index(np.WG_DEVICE)
        if idx is None:
            return []
        dump = _run(["wg", "show", np.WG_DEVICE, "dump"], check=False)
        mtu = int(self.nl.ipr.get_links(idx)[0].get_attr("IFLA_MTU") or 0)
        if dump.returncode != 0:
            return [WireGuardLink(np.WG_DEVICE, -1, mtu)]  # not a WireGuard device: re-create
        lines = [ln.split("\t") for ln in dump.stdout.splitlines() if ln.strip()]
        private, _public, port = lines[0][0], lines[0][1], int(lines[0][2] or 0)
        items: list[Item] = [WireGuardLink(np.WG_DEVICE, port if private == self._private else -1, mtu)]
        for f in lines[1:]:
            key, endpoint, allowed, keepalive = f[0], f[2], f[3], f[7]
            allowed_ips = tuple(sorted(a for a in allowed.split(",") if a and a != "(none)"))
            items.append(
                Peer(
                    np.WG_DEVICE,
                    key,
                    "" if endpoint == "(none)" else endpoint,
                    _sort_cidrs(allowed_ips),
                    0 if keepalive == "off" else int(keepalive),
                )
            )
        return items

    def apply(self, op: Op) -> None:
        item = op.item
        if isinstance(item, WireGuardLink):
            if op.action == "delete":
                self._delete()
            elif op.action == "add":
                self._create(item)
            else:
                self._configure(item)
            return
        assert isinstance(item, Peer)
        if op.action == "delete":
            _run(["wg", "set", item.dev, "peer", item.public_key, "remove"], check=False)
            return
        args = ["wg", "set", item.dev, "peer", item.public_key, "preshared-key", str(self.psk_file)]
        if item.endpoint:
            args += ["endpoint", item.endpoint]
        args += ["persistent-keepalive", str(item.keepalive or "off")]
        args += ["allowed-ips", ",".join(item.allowed_ips)]
        _run(args)

    def _create(self, link: WireGuardLink) -> None:
        self._delete()
        try:
            self.nl.ipr.link("add", ifname=link.name, kind="wireguard")
        except Exception:
            self._start_userspace(link.name)
        self._configure(link)

    def _start_userspace(self, name: str) -> None:
        binary = shutil.which("wireguard-go")
        if binary is None:
            raise RuntimeError("the kernel has no WireGuard and wireguard-go is not installed")
        env = dict(os.environ, WG_PROCESS_FOREGROUND="1")
        self._proc = subprocess.Popen(
            [binary, "-f", name], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        sock = Path("/var/run/wireguard") / f"{name}.sock"
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.nl._index(name) is not None and sock.exists():
                return
            if self._proc.poll() is not None:
                raise RuntimeError(f"wireguard-go exited with {self._proc.returncode}")
            time.sleep(0.05)
        raise RuntimeError("wireguard-go did not come up within 10 s")

    def _configure(self, link: WireGuardLink) -> None:
        _run(["wg", "set", link.name, "private-key", str(self.key_file), "listen-port", str(link.listen_port)])
        idx = self.nl._index(link.name)
        self.nl.ipr.link("set", index=idx, mtu=link.mtu)
        self.nl.ipr.link("set", index=idx, state="up")

    def _delete(self) -> None:
        idx = self.nl._index(np.WG_DEVICE)
        if idx is not None:
            self.nl.ipr.link("del", index=idx)
        self._reap()

    def _reap(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.terminate()
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()

    def close(self) -> None:
        self._reap()


def _sort_cidrs(cidrs: Iterable[str]) -> tuple[str, ...]:
    return tuple(sorted(set(cidrs), key=lambda c: ipaddress.ip_network(c, strict=False)))


# ==================================================================================================
# iptables / ipset


class Iptables:
    """Mark and skip-NAT machinery; rules are matched with ``iptables -C`` so spelling never matters."""

    kinds = frozenset({"ipset", "ipset-entry", "chain", "chain-rule", "skip-nat"})
    TABLES = ("mangle", "nat")

    def __init__(self) -> None:
        self.iptables = shutil.which("iptables") or "iptables"
        self.netnet = self._probe_netnet()

    @staticmethod
    def _probe_netnet() -> bool:
        probe = "raven-probe-netnet"
        ok = _run(["ipset", "create", probe, "hash:net,net"], check=False).returncode == 0
        if ok:
            _run(["ipset", "destroy", probe], check=False)
        return ok

    def _ipt(self, table: str, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return _run([self.iptables, "-w", "5", "-t", table, *args], check=check)

    # -- observe -----------------------------------------------------------------------------------
    def observe(self, hint: HostState) -> Iterable[Item]:
        items: list[Item] = []
        names = _run(["ipset", "list", "-n"], check=False).stdout.split()
        if np.MARK_SET in names:
            info = _run(["ipset", "list", np.MARK_SET], check=False).stdout
            items.append(IpSet(np.MARK_SET, _ipset_type(info)))
            items += [IpSetEntry(np.MARK_SET, m) for m in _ipset_members(info)]
        wanted = [i for i in hint.items if isinstance(i, ChainRule)]
        for table in self.TABLES:
            listing = self._ipt(table, "-S", check=False).stdout.splitlines()
            chains = {ln.split()[1] for ln in listing if ln.startswith("-N RAVEN-")}
            items += [Chain(table, c) for c in sorted(chains)]
            # Desired rules that exist (checked by iptables itself), then any other raven rule.
            claimed: set[tuple[str, str]] = set()
            for rule in wanted:
                if rule.table != table or (rule.chain not in chains and not rule.is_jump):
                    continue
                if self._ipt(table, "-C", rule.chain, *rule.args, check=False).returncode == 0:
                    first = self._is_first(listing, rule) if rule.first else False
                    items.append(ChainRule(table, rule.chain, rule.args, first))
                    claimed.add((rule.chain, _comment(rule.args)))
            for ln in listing:
                if not ln.startswith("-A "):
                    continue
                args = tuple(shlex.split(ln))
                chain, rest = args[1], args[2:]
                if chain == np.SKIP_NAT_CHAIN and table == "nat":
                    pair = self._pair_of(rest)
                    if pair is not None:
                        items.append(pair)
                        continue
                    if "--match-set" in rest and np.SKIP_NAT_SET in rest:
                        continue  # the ipset flavour's own rule
                ours = (
                    chain.startswith("RAVEN-")
                    or _comment(rest).startswith("raven")
                    or any(a.startswith("RAVEN-") for a in rest)
                )
                if ours and (chain, _comment(rest)) not in claimed:
                    items.append(ChainRule(table, chain, rest, False))
        if self.netnet and np.SKIP_NAT_SET in names:
            info = _run(["ipset", "list", np.SKIP_NAT_SET], check=False).stdout
            for m in _ipset_members(info):
                src, _, dst = m.partition(",")
                items.append(SkipNatPair(_with_len(src), _with_len(dst)))
        return items

    @staticmethod
    def _is_first(listing: Sequence[str], rule: ChainRule) -> bool:
        rules = [ln for ln in listing if ln.startswith(f"-A {rule.chain} ")]
        return bool(rules) and _comment(tuple(shlex.split(rules[0]))) == _comment(rule.args)

    @staticmethod
    def _pair_of(rest: Sequence[str]) -> SkipNatPair | None:
        if "-s" in rest and "-d" in rest and "ACCEPT" in rest:
            return SkipNatPair(_with_len(rest[rest.index("-s") + 1]), _with_len(rest[rest.index("-d") + 1]))
        return None

    # -- apply -------------------------------------------------------------------------------------
    def apply(self, op: Op) -> None:
        item = op.item
        delete = op.action == "delete"
        if isinstance(item, IpSet):
            if delete:
                _run(["ipset", "destroy", item.name], check=False)
            else:
                _run(["ipset", "create", item.name, item.type, "-exist"])
        elif isinstance(item, IpSetEntry):
            _run(["ipset", "del" if delete else "add", item.set, item.member, "-exist"], check=not delete)
        elif isinstance(item, Chain):
            if delete:
                self._ipt(item.table, "-F", item.name, check=False)
                self._ipt(item.table, "-X", item.name, check=False)
                if item.name == np.SKIP_NAT_CHAIN:
                    _run(["ipset", "destroy", np.SKIP_NAT_SET], check=False)
            else:
                if self._ipt(item.table, "-S", item.name, check=False).returncode != 0:
                    self._ipt(item.table, "-N", item.name)
                if item.name == np.SKIP_NAT_CHAIN and self.netnet:
                    _run(["ipset", "create", np.SKIP_NAT_SET, "hash:net,net", "-exist"])
                    match = ("-m", "set", "--match-set", np.SKIP_NAT_SET, "src,dst", "-j", "ACCEPT")
                    if self._ipt(item.table, "-C", item.name, *match, check=False).returncode != 0:
                        self._ipt(item.table, "-A", item.name, *match)
        elif isinstance(item, ChainRule):
            if delete:
                self._ipt(item.table, "-D", item.chain, *item.args, check=False)
            elif item.first:
                self._ipt(item.table, "-I", item.chain, "1", *item.args)
            else:
                self._ipt(item.table, "-A", item.chain, *item.args)
        elif isinstance(item, SkipNatPair):
            if self.netnet:
                member = f"{item.src},{item.dst}"
                _run(["ipset", "del" if delete else "add", np.SKIP_NAT_SET, member, "-exist"], check=not delete)
            else:
                args = (
                    "-s",
                    item.src,
                    "-d",
                    item.dst,
                    "-m",
                    "comment",
                    "--comment",
                    f"raven skip nat {item.src}-{item.dst}",
                )
                self._ipt("nat", "-D" if delete else "-A", np.SKIP_NAT_CHAIN, *args, "-j", "ACCEPT", check=not delete)


def _comment(args: Sequence[str]) -> str:
    args = list(args)
    if "--comment" in args:
        i = args.index("--comment")
        return args[i + 1] if i + 1 < len(args) else ""
    return ""


def _with_len(addr: str) -> str:
    return addr if "/" in addr else f"{addr}/32"


def _ipset_type(info: str) -> str:
    for ln in info.splitlines():
        if ln.startswith("Type:"):
            return ln.split(":", 1)[1].strip()
    return ""


def _ipset_members(info: str) -> list[str]:
    lines = info.splitlines()
    if "Members:" not in lines:
        return []
    out = []
    for ln in lines[lines.index("Members:") + 1 :]:
        if ln.strip():
            out.append(",".join(_with_len(p) for p in ln.split()[0].split(",")))
    return out


# ==================================================================================================


def linux_host(state_dir: Path, psk: str = "") -> ComposedHost:
    """The real host: netlink + WireGuard + iptables in the current network namespace."""
    nl = Netlink()
    return ComposedHost(
        nl,
        Routes(nl),
        WireGuard(nl, state_dir, psk),
        Iptables(),
        prepare_sysctls=(("net.ipv4.conf.all.send_redirects", "0"), ("net.ipv4.conf.default.rp_filter", "0")),
    )


__all__ = ["Iptables", "Netlink", "Routes", "WireGuard", "linux_host"]
