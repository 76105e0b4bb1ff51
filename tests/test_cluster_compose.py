"""``docker/cluster/compose.yml``, the cluster layout as one compose project (issue 16 §3),
checked without a Docker engine.

The file is read as YAML (anchors and merge keys resolved, as Compose does) and held to the
files beside it: the configurations it mounts are the ones in ``docker/cluster/``, and the
names in them (HAProxy's servers, Patroni's etcd hosts, Sentinel's master) are services of
the file. The app hosts get every setting the app reads, reach PostgreSQL only through
HAProxy's front of the Patroni leader and Redis only through the Sentinels. Every engine
has a health check and its data on a named volume; no secret is written in the
repository. When a Compose binary is installed, the file is rendered by it as well.
"""

from __future__ import annotations

import ipaddress
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from dispatch_center.bus.sentinel import SentinelTarget
from tests.test_compose import _documented, unreached_settings

ROOT = Path(__file__).resolve().parents[1]
CLUSTER = ROOT / "docker" / "cluster"

ETCD = ("etcd-1", "etcd-2", "etcd-3")
PG = ("pg-1", "pg-2")
REDIS = ("redis-1", "redis-2")
SENTINELS = ("sentinel-1", "sentinel-2", "sentinel-3")
APPS = ("app-1", "app-2")
ALL = (*ETCD, *PG, *REDIS, *SENTINELS, "haproxy", *APPS)


def _compose() -> dict[str, Any]:
    data = yaml.safe_load((CLUSTER / "compose.yml").read_text())
    assert isinstance(data, dict)
    return data


def _services() -> dict[str, dict[str, Any]]:
    services = _compose()["services"]
    assert isinstance(services, dict)
    return services


def _mounts(service: dict[str, Any]) -> dict[str, str]:
    """A service's mounts, target -> source (``./x`` for a file here, else a volume)."""
    mounts = {}
    for entry in service.get("volumes", []):
        source, target, *_ = entry.split(":")
        mounts[target] = source
    return mounts


def _patroni() -> dict[str, Any]:
    data = yaml.safe_load((CLUSTER / "patroni.yml").read_text())
    assert isinstance(data, dict)
    return data


def _haproxy() -> str:
    return (CLUSTER / "haproxy.cfg").read_text()


def _sentinel_conf() -> str:
    return (CLUSTER / "sentinel.conf").read_text()


def _filled(value: str) -> str:
    """``value`` with each ``${NAME...}`` of compose replaced by ``<NAME>``."""
    return re.sub(r"\$\{([A-Z_]+)[^}]*\}", r"<\1>", value)


def test_the_topology_of_scripts_cluster() -> None:
    """Three etcd members, two Patroni nodes, Redis master and replica, three Sentinels,
    HAProxy and two app hosts: what scripts/cluster starts for the fault tests."""
    assert set(_services()) == set(ALL)
    services = _services()
    for name in ETCD:
        assert services[name]["environment"]["ETCD_NAME"] == name
        cluster = services[name]["environment"]["ETCD_INITIAL_CLUSTER"]
        assert cluster == ",".join(f"{n}=http://{n}:2380" for n in ETCD)
    assert "REDIS_REPLICAOF" not in services["redis-1"]["environment"]
    for name in (*PG, *REDIS, *SENTINELS, *ETCD, "haproxy"):
        assert services[name]["image"] == "dispatch-center-engines:latest", name
        assert services[name]["build"]["dockerfile"] == "docker/cluster/Dockerfile", name
    for name in APPS:
        assert services[name]["image"] == "dispatch-center:latest"
        assert services[name]["build"]["dockerfile"] == "docker/Dockerfile"
        assert services[name]["command"][:2] == ["dispatch-center", "serve"]


def test_every_service_has_a_health_check() -> None:
    for name, service in _services().items():
        check = service.get("healthcheck")
        assert check and check.get("test") and not check.get("disable"), name
    services = _services()
    assert "/healthz" in " ".join(services["app-1"]["healthcheck"]["test"])
    assert "8008/health" in " ".join(services["pg-1"]["healthcheck"]["test"])
    assert "endpoint" in services["etcd-1"]["healthcheck"]["test"]
    assert "26379" in " ".join(services["sentinel-1"]["healthcheck"]["test"])
    # The monitor URI the check asks is the one haproxy.cfg serves.
    monitor = re.search(r"bind :(\d+)\n\s+monitor-uri (\S+)", _haproxy())
    assert monitor, "haproxy.cfg has no monitor-uri"
    assert f"127.0.0.1:{monitor[1]}{monitor[2]}" in " ".join(
        services["haproxy"]["healthcheck"]["test"]
    )


def test_the_apps_wait_for_what_they_use() -> None:
    for name in APPS:
        needs = _services()[name]["depends_on"]
        for dependency in ("haproxy", *SENTINELS):
            assert needs[dependency]["condition"] == "service_healthy", (name, dependency)
        for dependency in PG:
            assert needs[dependency]["condition"] == "service_started", (name, dependency)
    for name in PG:
        needs = _services()[name]["depends_on"]
        assert {d: needs[d]["condition"] for d in needs} == dict.fromkeys(ETCD, "service_healthy")


def test_state_lives_on_named_volumes() -> None:
    volumes = _compose()["volumes"]
    data_dir = Path(_patroni()["postgresql"]["data_dir"])
    expected = {
        **{n: "/var/lib/etcd" for n in ETCD},
        **{n: str(data_dir.parent) for n in PG},
        **{n: "/var/lib/redis" for n in (*REDIS, *SENTINELS)},
        **{n: "/var/lib/dispatch" for n in APPS},
    }
    for name, target in expected.items():
        source = _mounts(_services()[name]).get(target)
        assert source == f"{name}-data", (name, target, source)
        assert source in volumes
    for name in APPS:
        assert _services()[name]["environment"]["DISPATCH_DATA_DIR"] == "/var/lib/dispatch"
    for name in ETCD:
        assert _services()[name]["environment"]["ETCD_DATA_DIR"].startswith("/var/lib/etcd/")


def test_the_mounted_configurations_are_the_files_here() -> None:
    """Every file a service mounts exists in docker/cluster/, is mounted where the service's
    command reads it, and every configuration here is mounted by some service."""
    services = _services()
    mounted: set[str] = set()
    for name, service in services.items():
        for source in _mounts(service).values():
            if not source.startswith("./"):
                continue
            if source.startswith("./secrets/"):
                continue  # not in the repository, by design
            assert (CLUSTER / source).is_file(), (name, source)
            mounted.add(source[2:])
    for name in PG:
        mounts = _mounts(services[name])
        assert mounts[services[name]["command"][1]] == "./patroni.yml"
        assert mounts[_patroni()["bootstrap"]["post_bootstrap"]] == "./post-bootstrap.sh"
    command = services["haproxy"]["command"]
    assert _mounts(services["haproxy"])[command[command.index("-f") + 1]] == "./haproxy.cfg"
    for name in SENTINELS:
        mounts = _mounts(services[name])
        assert mounts[services[name]["command"][0]] == "./start-sentinel.sh"
        assert mounts["/etc/redis/dispatch-sentinel.conf"] == "./sentinel.conf"
        assert "/etc/redis/dispatch-sentinel.conf" in (CLUSTER / "start-sentinel.sh").read_text()
    for name in REDIS:
        assert _mounts(services[name])[services[name]["command"][0]] == "./start-redis.sh"
    here = {
        p.name
        for p in CLUSTER.iterdir()
        if p.suffix in (".yml", ".cfg", ".conf", ".sh") and p.name != "compose.yml"
    }
    assert here == mounted, f"not mounted: {here - mounted}; mounted but absent: {mounted - here}"


def test_the_names_in_the_configurations_are_services() -> None:
    services = _services()
    patroni = _patroni()
    assert patroni["etcd3"]["hosts"] == [f"{n}:2379" for n in ETCD]
    for name in PG:
        env = services[name]["environment"]
        # One patroni.yml for both: the node's own name and addresses come from here.
        assert env["PATRONI_NAME"] == name
        assert env["PATRONI_RESTAPI_CONNECT_ADDRESS"] == f"{name}:8008"
        assert env["PATRONI_POSTGRESQL_CONNECT_ADDRESS"] == f"{name}:5432"
    haproxy = _haproxy()
    assert set(re.findall(r"server (pg-\d) \1:5432 check port 8008", haproxy)) == set(PG)
    assert set(re.findall(r"server (app-\d) \1:8000 check", haproxy)) == set(APPS)
    assert "option httpchk GET /primary" in haproxy
    monitor = re.search(r"^sentinel monitor (\S+) (\S+) (\d+) (\d+)$", _sentinel_conf(), re.M)
    assert monitor and monitor[2] == "redis-1" and monitor[3] == "6379", monitor
    assert "sentinel resolve-hostnames yes" in _sentinel_conf()


def test_the_apps_reach_postgresql_through_the_leader_front() -> None:
    """The HAProxy listener that follows Patroni's leader, never a node directly."""
    front = re.search(r"listen postgres\n\s+bind :(\d+)", _haproxy())
    assert front, "haproxy.cfg has no PostgreSQL front"
    for name in APPS:
        raw = _services()[name]["environment"]["DATABASE_URL"]
        assert "${DISPATCH_DB_PASSWORD:?" in raw
        url = urlsplit(_filled(raw))
        assert url.scheme == "postgresql"
        assert url.hostname == "haproxy" and url.port == int(front[1]), url
        assert url.path == "/dispatch"
        assert url.username == "dispatch" and url.password == "<DISPATCH_DB_PASSWORD>"


def _address(name: str) -> str:
    """The fixed address of a service on the backend network."""
    address = _services()[name]["networks"]["backend"]["ipv4_address"]
    assert isinstance(address, str)
    return address


def test_redis_and_sentinel_know_each_other_by_fixed_addresses() -> None:
    """Redis and Sentinel resolve names synchronously: a stopped container's name stalls
    them for the DNS timeout, and Sentinel then never fails over (seen with redis-1 killed).
    So they use addresses, fixed on the backend network."""
    services = _services()
    subnet = _compose()["networks"]["backend"]["ipam"]["config"][0]["subnet"]
    network = ipaddress.ip_network(subnet)
    addresses = [_address(n) for n in (*REDIS, *SENTINELS)]
    assert len(set(addresses)) == len(addresses)
    assert all(ipaddress.ip_address(a) in network for a in addresses)
    assert services["redis-2"]["environment"]["REDIS_REPLICAOF"] == f"{_address('redis-1')} 6379"
    for name in SENTINELS:
        assert services[name]["environment"]["REDIS_MASTER_ADDRESS"] == _address("redis-1")
    assert "REDIS_MASTER_ADDRESS" in (CLUSTER / "start-sentinel.sh").read_text()
    assert "announce-ip" not in (CLUSTER / "start-sentinel.sh").read_text()
    assert "announce-ip" not in (CLUSTER / "start-redis.sh").read_text()


def test_the_apps_reach_redis_through_the_sentinels() -> None:
    port = re.search(r"^port (\d+)$", _sentinel_conf(), re.M)
    monitor = re.search(r"^sentinel monitor (\S+) ", _sentinel_conf(), re.M)
    assert port and monitor
    for name in APPS:
        url = _services()[name]["environment"]["REDIS_URL"]
        assert url.startswith("redis+sentinel://")
        assert "${REDIS_PASSWORD:?" in url
        target = SentinelTarget.parse(_filled(url))
        addresses = [_address(s) for s in SENTINELS]
        assert target.sentinels == [(a, int(port[1])) for a in addresses]
        assert target.service == monitor[1]
        assert target.password == "<REDIS_PASSWORD>" and target.db == 0


def test_every_setting_reaches_the_app_hosts() -> None:
    """As for docker/compose.yml: set by compose, or listed in docker/.env.example, which the
    README copies to docker/cluster/app.env, the hosts' env_file."""
    listed = _documented(ROOT / "docker" / ".env.example")
    for name in APPS:
        app = _services()[name]
        assert app.get("env_file") in ("app.env", ["app.env"]), app.get("env_file")
        missing = unreached_settings(set(app["environment"]), listed)
        assert not missing, f"{name}: settings neither set nor in docker/.env.example: {missing}"
        assert str(app["environment"]["DISPATCH_DEMO"]) == "0"
    assert "cp ../.env.example app.env" in (CLUSTER / "README.md").read_text()


def test_no_secret_is_in_the_repository() -> None:
    """Every password is a required variable of docker/cluster/.env (git-ignored), whose
    example leaves them empty; the TLS key is a git-ignored file; patroni.yml keeps only
    placeholders, which the PATRONI_* variables replace."""
    text = (CLUSTER / "compose.yml").read_text()
    example = {
        k: v
        for k, v in re.findall(r"^([A-Z_]+)=(.*)$", (CLUSTER / ".env.example").read_text(), re.M)
    }
    secrets = [
        "PG_SUPERUSER_PASSWORD",
        "PG_REPLICATION_PASSWORD",
        "PG_REWIND_PASSWORD",
        "DISPATCH_DB_PASSWORD",
        "REDIS_PASSWORD",
        "DISPATCH_SECRET_KEY",
    ]
    for name in secrets:
        assert example.get(name) == "", name
        # ($${NAME} is the container's own variable, not compose's.)
        uses = re.findall(rf"(?<!\$)\$\{{{name}(:\?|:-|-|\}})", text)
        assert uses and set(uses) == {":?"}, (name, uses)
    env = {name: _services()[name]["environment"] for name in PG}
    for name in PG:
        for role in ("SUPERUSER", "REPLICATION", "REWIND"):
            assert env[name][f"PATRONI_{role}_PASSWORD"].startswith(f"${{PG_{role}_PASSWORD:?")
    for role in _patroni()["postgresql"]["authentication"].values():
        assert role["password"].startswith("<rotate"), role
    assert "<the Redis password>" in _sentinel_conf()
    # The apps see the secrets they use, not the engines' (no env_file of this .env).
    for name in APPS:
        assert not any("PG_" in str(v) for v in _services()[name]["environment"].values())
    if shutil.which("git") and (ROOT / ".git").exists():
        paths = ["docker/cluster/.env", "docker/cluster/app.env", "docker/cluster/secrets/x.pem"]
        done = subprocess.run(
            ["git", "check-ignore", *paths], cwd=ROOT, capture_output=True, text=True
        )
        assert done.stdout.split() == paths, done.stdout


def test_pg_hba_admits_the_backend_network() -> None:
    network = _compose()["networks"]["backend"]
    assert network["internal"] is True
    subnet = network["ipam"]["config"][0]["subnet"]
    hba = _patroni()["bootstrap"]["pg_hba"]
    assert f"host all all {subnet} scram-sha-256" in hba
    assert f"host replication replicator {subnet} scram-sha-256" in hba
    assert _compose()["services"]["haproxy"]["ports"] == [
        "${DISPATCH_HTTP_PORT:-80}:80",
        "${DISPATCH_HTTPS_PORT:-443}:443",
    ]
    for name in ALL:
        if name != "haproxy":
            assert "ports" not in _services()[name], f"{name} publishes a port"


def _compose_binary() -> list[str] | None:
    docker = shutil.which("docker")
    if docker:
        done = subprocess.run([docker, "compose", "version"], capture_output=True)
        if done.returncode == 0:
            return [docker, "compose"]
    legacy = shutil.which("docker-compose")
    return [legacy] if legacy else None


@pytest.mark.skipif(_compose_binary() is None, reason="no docker compose / docker-compose")
def test_compose_renders_it(tmp_path: Path) -> None:
    """The file as Compose reads it, with the examples copied as the README says: variables
    substituted, anchors merged, and refused while a secret is empty."""
    binary = _compose_binary()
    assert binary
    stack = tmp_path / "cluster"
    shutil.copytree(CLUSTER, stack)
    compose = stack / "compose.yml"
    if binary[-1].endswith("docker-compose"):
        # Compose v1 (Debian's 1.29) does not know the top-level `name:`.
        compose.write_text(re.sub(r"^name: .*\n", "", compose.read_text(), flags=re.M))
    shutil.copy(ROOT / "docker" / ".env.example", stack / "app.env")
    shutil.copy(stack / ".env.example", stack / ".env")

    def render() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*binary, "-p", "dispatch-cluster", "-f", str(compose), "config"],
            cwd=stack,
            capture_output=True,
            text=True,
            timeout=60,
        )

    refused = render()
    assert refused.returncode != 0
    assert "set PG_SUPERUSER_PASSWORD in docker/cluster/.env" in refused.stderr or (
        "in docker/cluster/.env" in refused.stderr
    ), refused.stderr
    values = {
        "PG_SUPERUSER_PASSWORD": "s" * 24,
        "PG_REPLICATION_PASSWORD": "r" * 24,
        "PG_REWIND_PASSWORD": "w" * 24,
        "DISPATCH_DB_PASSWORD": "d" * 24,
        "REDIS_PASSWORD": "p" * 24,
        "DISPATCH_SECRET_KEY": "k" * 48,
    }
    (stack / ".env").write_text("".join(f"{k}={v}\n" for k, v in values.items()))
    done = render()
    assert done.returncode == 0, done.stderr
    rendered = yaml.safe_load(done.stdout)
    services = rendered["services"]
    assert set(services) == set(ALL)
    app = services["app-1"]["environment"]
    assert app["DATABASE_URL"] == f"postgresql://dispatch:{'d' * 24}@haproxy:5432/dispatch"
    assert app["REDIS_URL"] == (
        f"redis+sentinel://:{'p' * 24}@10.0.0.21:26379,10.0.0.22:26379,10.0.0.23:26379/dispatch/0"
    )
    # env_file merged in (docker/.env.example's keys), compose's own values winning.
    assert app["DISPATCH_SECRET_KEY"] == "k" * 48
    assert app["DISPATCH_WORKERS"] == "2"
    assert services["pg-2"]["environment"]["PATRONI_NAME"] == "pg-2"
    assert services["pg-2"]["environment"]["PATRONI_SUPERUSER_PASSWORD"] == "s" * 24
    assert "PATRONI_SUPERUSER_PASSWORD" not in app
    assert services["sentinel-3"]["environment"]["REDIS_PASSWORD"] == "p" * 24
