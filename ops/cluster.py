"""``vmeste cluster``: several replicas of each service behind nginx, on one machine.

The production shape in miniature: one PostgreSQL and one Redis shared by N polls replicas and
M discussions replicas (each a granian process), with nginx balancing across them, and two
independent witnesses (each with its own key and database) that must both cosign a final
checkpoint. Used to show that replicas are stateless, that the integrator lease moves when its
holder dies, and that nothing accepted is lost.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

from ops.keys import ensure_keys
from ops.local_witness import LocalWitness, prepare_witness, witnesses_env
from ops.localproc import (
    SERVICE_APPS,
    PostgresProcess,
    RedisProcess,
    free_port,
    granian_command,
    start_postgres,
    start_redis,
    wait_listening,
)
from shared.db.migrate import migrate

__all__ = ("Cluster", "Replica")


@dataclass
class Replica:
    service: str
    index: int
    port: int
    process: subprocess.Popen[bytes]

    @property
    def name(self) -> str:
        return f"{self.service}-{self.index}"

    def alive(self) -> bool:
        return self.process.poll() is None

    def kill(self) -> None:
        """SIGKILL to the replica's whole process group (granian's master and its workers):
        it dies mid-request, as on a node failure."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(10)


@dataclass
class Cluster:
    folder: Path
    replicas: dict[str, int] = field(default_factory=lambda: {"polls": 3, "discussions": 2})
    workers: int = 1
    postgres: PostgresProcess | None = None
    redis: RedisProcess | None = None
    nodes: list[Replica] = field(default_factory=list)
    ports: dict[str, int] = field(default_factory=dict)
    nginx: subprocess.Popen[bytes] | None = None
    env: dict[str, str] = field(default_factory=dict)
    extra_env: dict[str, str] = field(default_factory=dict)
    """Set for every replica after the defaults (e.g. ``VMESTE_RATE_LIMITS=off`` for drills)."""
    witness_count: int = 2
    """Independent witnesses; every one must cosign a final checkpoint (quorum = count)."""
    witnesses: list[Replica] = field(default_factory=list)
    _local_witnesses: list[LocalWitness] = field(default_factory=list)

    def url(self, service: str) -> str:
        """The balancer's address for a service."""
        return f"http://127.0.0.1:{self.ports[service]}"

    def database_url(self, component: str) -> str:
        assert self.postgres is not None
        return self.postgres.url(component)

    def start(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        self.postgres = start_postgres()
        self.redis = start_redis(self.folder / "redis")
        for component in ("identity", "polls", "discussions"):
            self.postgres.sql(f"CREATE DATABASE {component}")
            migrate(component, self.postgres.url(component))
        ensure_keys(self.folder / "keys")
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("VMESTE_")},
            "VMESTE_ENV": "dev",
            "VMESTE_DATA_DIR": str(self.folder),
            "VMESTE_REDIS_URL": self.redis.url,
            **{
                f"VMESTE_{c.upper()}_DATABASE_URL": self.postgres.url(c)
                for c in ("identity", "polls", "discussions")
            },
            **self.extra_env,
        }
        self.ports = {service: free_port() for service in SERVICE_APPS}
        self.env["VMESTE_POLLS_PUBLIC_URL"] = self.url("polls")
        self.env["VMESTE_DISCUSSIONS_PUBLIC_URL"] = self.url("discussions")
        self._local_witnesses = [
            prepare_witness(
                self.folder / f"witness-{n}",
                f"witness-{n}.vmeste.test",
                free_port(),
                self.folder / "keys",
                {s: self.url(s) for s in SERVICE_APPS},
                self.env,
            )
            for n in range(self.witness_count)
        ]
        for n in range(self.witness_count):
            self.witnesses.append(self._start_witness(n))
        self.env.update(witnesses_env(self._local_witnesses, quorum=self.witness_count))
        for service, count in self.replicas.items():
            for index in range(count):
                self.nodes.append(self._start_replica(service, index, free_port()))
        for node in self.nodes:
            wait_listening(node.port, node.process, node.name, 60)
        self._start_nginx()

    def _start_replica(self, service: str, index: int, port: int) -> Replica:
        env = {**self.env, "VMESTE_REPLICA_ID": f"{service}-{index}"}
        process = subprocess.Popen(
            granian_command(service, "127.0.0.1", port, self.workers),
            env=env,
            start_new_session=True,  # its own process group, so kill() reaches the workers
        )
        return Replica(service, index, port, process)

    def _start_witness(self, n: int) -> Replica:
        local = self._local_witnesses[n]
        witness = Replica("witness", n, local.port, local.start())
        wait_listening(witness.port, witness.process, witness.name, 60)
        return witness

    def restart_witness(self, witness: Replica) -> Replica:
        """Start a dead witness again, on its port, with its key and database."""
        fresh = self._start_witness(witness.index)
        self.witnesses[self.witnesses.index(witness)] = fresh
        return fresh

    def restart(self, replica: Replica) -> Replica:
        """Start a dead replica again on its port (as Kubernetes would reschedule it)."""
        fresh = self._start_replica(replica.service, replica.index, replica.port)
        wait_listening(fresh.port, fresh.process, fresh.name, 60)
        self.nodes[self.nodes.index(replica)] = fresh
        return fresh

    def _start_nginx(self) -> None:
        binary = shutil.which("nginx") or "/usr/sbin/nginx"
        conf = self.folder / "nginx.conf"
        upstreams = "\n".join(
            f"upstream {service} {{\n"
            + "".join(
                f"    server 127.0.0.1:{n.port} max_fails=1 fail_timeout=2s;\n"
                for n in self.nodes
                if n.service == service
            )
            + "}\n"
            + f"server {{\n    listen 127.0.0.1:{self.ports[service]};\n"
            f"    location / {{ proxy_pass http://{service}; }}\n}}"
            for service in SERVICE_APPS
        )
        runs_as = "user root;" if os.geteuid() == 0 else ""
        temp = self.folder / "nginx-temp"
        temp.mkdir(exist_ok=True)
        conf.write_text(
            textwrap.dedent(f"""\
            {runs_as}
            worker_processes 1;
            daemon off;
            pid {self.folder}/nginx.pid;
            error_log {self.folder}/nginx-error.log warn;
            events {{ worker_connections 1024; }}
            http {{
                access_log off;
                client_body_temp_path {temp}/body;
                proxy_temp_path {temp}/proxy;
                fastcgi_temp_path {temp}/fastcgi;
                uwsgi_temp_path {temp}/uwsgi;
                scgi_temp_path {temp}/scgi;
                proxy_http_version 1.1;
                proxy_set_header Connection "";
                proxy_set_header Host $http_host;
                proxy_set_header X-Forwarded-For $remote_addr;
                # A dead replica's connection is refused: retry elsewhere. POSTs are retried
                # only when nothing was sent, so a cast is never delivered twice by nginx.
                proxy_next_upstream error timeout http_502 http_503;
                proxy_connect_timeout 1s;
            """)
            + textwrap.indent(upstreams, "    ")
            + "\n}\n"
        )
        self.nginx = subprocess.Popen(
            [binary, "-p", str(self.folder), "-c", str(conf)], start_new_session=True
        )
        for port in self.ports.values():
            wait_listening(port, self.nginx, "nginx", 20)

    def stop(self) -> None:
        procs = [n.process for n in [*self.nodes, *self.witnesses] if n.alive()]
        if self.nginx is not None:
            procs.append(self.nginx)
        for proc in procs:
            proc.send_signal(signal.SIGTERM)
        for proc in procs:
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(10)
        if self.redis is not None:
            self.redis.stop()
        if self.postgres is not None:
            self.postgres.destroy()
