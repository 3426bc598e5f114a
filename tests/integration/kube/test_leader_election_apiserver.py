"""Leader election on the embedded API server with short leases (3 s lease, 2 s deadline, 0.5 s retry).

Cases: two electors -> exactly one leader, sampled throughout; a blip (the server frozen for 1 s,
shorter than the renew deadline) keeps the leader and its lease; two ``openyurt manager --leader-elect``
processes -> one leader, kill -9 it -> the other leads within leaseDuration plus one retry period (plus
process slack); SIGTERM on a leader releases the lease and exits 0; health and metrics endpoints.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from openyurt.adapters.clock import RealClock
from openyurt.adapters.kube.asyncio_client import AsyncioClient
from openyurt.core.leaderelection import LeaseConfig
from openyurt.runtime.leaderelection import LeaderElector

from .conftest import MANAGER_CMD, ApiServerProcess, env_without_pytest, wait_for

CFG = LeaseConfig(lease_duration=3, renew_deadline=2.0, retry_period=0.5)


async def lease_holder(client: AsyncioClient) -> str | None:
    try:
        lease = await client.get("coordination.k8s.io/v1", "Lease", "yurt-manager", "kube-system")
    except Exception:
        return None
    return str((lease.get("spec") or {}).get("holderIdentity") or "")


def make(client: AsyncioClient, identity: str) -> LeaderElector:
    return LeaderElector(
        client, namespace="kube-system", name="yurt-manager", identity=identity, config=CFG, clock=RealClock()
    )


async def test_two_electors_one_leader_and_a_blip_keeps_it(fresh_apiserver: ApiServerProcess) -> None:
    clients = [await AsyncioClient.from_kubeconfig(fresh_apiserver.kubeconfig, request_timeout=5) for _ in range(2)]
    electors = [make(c, f"e{i}") for i, c in enumerate(clients)]
    tasks = [asyncio.create_task(e.run()) for e in electors]
    try:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 10
        while not any(e.is_leader for e in electors):
            assert loop.time() < deadline, "nobody became leader"
            await asyncio.sleep(0.02)
        leader = next(e for e in electors if e.is_leader)
        end = loop.time() + 2.0
        while loop.time() < end:  # through several renewals
            assert sum(e.is_leader for e in electors) == 1
            await asyncio.sleep(0.02)
        transitions = (await clients[0].get("coordination.k8s.io/v1", "Lease", "yurt-manager", "kube-system"))["spec"][
            "leaseTransitions"
        ]

        fresh_apiserver.pause()
        try:
            end = loop.time() + 1.0
            while loop.time() < end:
                assert leader.is_leader and sum(e.is_leader for e in electors) == 1
                await asyncio.sleep(0.02)
        finally:
            fresh_apiserver.resume()
        end = loop.time() + 3.0
        while loop.time() < end:
            assert leader.is_leader and sum(e.is_leader for e in electors) == 1
            await asyncio.sleep(0.02)
        lease = await clients[0].get("coordination.k8s.io/v1", "Lease", "yurt-manager", "kube-system")
        assert lease["spec"]["holderIdentity"] == leader.identity
        assert lease["spec"]["leaseTransitions"] == transitions
    finally:
        for e in electors:
            e.stop()
        await asyncio.gather(*tasks, return_exceptions=True)
        for c in clients:
            await c.close()


class ManagerProcess:
    def __init__(self, kubeconfig: Path, identity: str, tmp: Path) -> None:
        env = env_without_pytest()
        env.update(
            OPENYURT_LEASE_DURATION=str(CFG.lease_duration),
            OPENYURT_RENEW_DEADLINE=str(CFG.renew_deadline),
            OPENYURT_RETRY_PERIOD=str(CFG.retry_period),
        )
        self.identity = identity
        self.out = tmp / f"{identity}.out"
        with open(self.out, "wb") as out:
            self.proc = subprocess.Popen(
                [
                    *MANAGER_CMD,
                    "--kubeconfig",
                    str(kubeconfig),
                    "--leader-elect",
                    "--identity",
                    identity,
                    "--health-port",
                    "0",
                    "--metrics-port",
                    "0",
                ],
                stdout=out,
                stderr=subprocess.STDOUT,
                env=env,
                start_new_session=True,
            )
        line = wait_for(self._banner, 30, f"manager {identity} to serve")
        self.health = line.split("health ")[1].split(",")[0]
        self.metrics = line.split("metrics ")[1].strip()

    def _banner(self) -> str | None:
        if self.proc.poll() is not None:
            raise AssertionError(f"manager exited {self.proc.returncode}: {self.out.read_text()[-2000:]}")
        for line in self.out.read_text().splitlines():
            if line.startswith("manager ") and " health " in line:
                return line
        return None

    def get(self, url: str) -> tuple[int, str]:
        try:
            with urllib.request.urlopen(url, timeout=5) as resp:
                return resp.status, resp.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode()

    def leader_metric(self) -> float | None:
        _, text = self.get(self.metrics + "/metrics")
        for line in text.splitlines():
            if line.startswith('leader_election_master_status{name="yurt-manager"}'):
                return float(line.split()[-1])
        return None

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)


@pytest.fixture
def managers(fresh_apiserver: ApiServerProcess, tmp_path: Path) -> Iterator[list[ManagerProcess]]:
    started: list[ManagerProcess] = []
    try:
        for name in ("m1", "m2"):
            started.append(ManagerProcess(fresh_apiserver.kubeconfig, name, tmp_path))
        yield started
    finally:
        for m in started:
            m.stop()


def read_holder(server: ApiServerProcess) -> str | None:
    req = urllib.request.Request(
        f"{server.url}/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/yurt-manager",
        headers={"Authorization": f"Bearer {server.token}"},
    )
    try:
        with urllib.request.urlopen(req, timeout=5) as resp:
            data: dict[str, Any] = json.loads(resp.read())
    except (urllib.error.URLError, OSError):
        return None
    return str((data.get("spec") or {}).get("holderIdentity") or "")


def test_kill_9_leader_hands_over_within_a_lease(
    fresh_apiserver: ApiServerProcess, managers: list[ManagerProcess]
) -> None:
    holder = wait_for(lambda: read_holder(fresh_apiserver), 15, "a leader")
    leader = next(m for m in managers if m.identity == holder)
    standby = next(m for m in managers if m.identity != holder)
    wait_for(lambda: leader.leader_metric() == 1.0, 10, "the leader's metric")
    assert standby.leader_metric() == 0.0
    assert leader.get(leader.health + "/healthz") == (200, "ok")
    assert standby.get(standby.health + "/readyz")[0] == 200

    killed = time.monotonic()
    os.kill(leader.proc.pid, signal.SIGKILL)
    wait_for(lambda: read_holder(fresh_apiserver) == standby.identity, 15, "the standby to take over")
    took = time.monotonic() - killed
    # lease + one retry period after the kill, plus slack for process scheduling and HTTP round trips
    assert took <= CFG.lease_duration + CFG.retry_period + 1.0, took
    wait_for(lambda: standby.leader_metric() == 1.0, 10, "the new leader's metric")

    # a clean stop releases the lease and exits 0
    standby.proc.send_signal(signal.SIGTERM)
    assert standby.proc.wait(15) == 0
    assert read_holder(fresh_apiserver) == ""
