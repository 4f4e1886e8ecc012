"""The administrator's DockerOperator policy: refused mounts, networks and root users."""
import pytest

from cluster.errors import ConfigError
from workers.docker_policy import DockerPolicy, DockerPolicyError


def check(policy, volumes=(), mounts=(), network=None, user=None, image_user=None):
    policy.check("t", list(volumes), list(mounts), network, user, image_user)


def test_the_default_keeps_data_directories_user_networks_and_root_images():
    default = DockerPolicy.from_env({})
    check(default, volumes=["/tmp/chordflow/movielens:/data", "/srv/data:/in:ro", "named:/x"],
          network="cfml-1a2b3c", user=None, image_user="")
    check(default, network="bridge", user="0")
    check(default, network="none")


@pytest.mark.parametrize("spec, words", [
    ("/var/run/docker.sock:/var/run/docker.sock", "Docker socket"),
    ("/run/docker.sock:/d.sock", "Docker socket"),
    ("/:/host", "host system directory"),
    ("/etc:/etc", "host system directory"),
    ("/proc/1:/p", "host system directory"),
    ("/var:/v", "contains host system directories"),
    ("/tmp/../etc:/e", "host system directory"),
])
def test_the_docker_socket_and_system_directories_are_never_mounted(spec, words):
    with pytest.raises(DockerPolicyError, match=words) as raised:
        check(DockerPolicy.from_env({}), volumes=[spec])
    assert "DockerOperator('t')" in str(raised.value)
    with pytest.raises(DockerPolicyError):
        check(DockerPolicy.from_env({}),
              mounts=[{"Type": "bind", "Source": spec.split(":")[0], "Target": "/x"}])


def test_host_networking_needs_naming_and_the_allowed_list_is_exact():
    with pytest.raises(DockerPolicyError, match="network_mode='host'"):
        check(DockerPolicy.from_env({}), network="host")
    with pytest.raises(DockerPolicyError, match="container:db"):
        check(DockerPolicy.from_env({}), network="container:db")
    allowed = DockerPolicy.from_env({"CHORDFLOW_DOCKER_ALLOWED_NETWORKS": "host,etl"})
    check(allowed, network="host")
    check(allowed, network="etl")
    with pytest.raises(DockerPolicyError, match="CHORDFLOW_DOCKER_ALLOWED_NETWORKS=host,etl"):
        check(allowed, network="other")


def test_allowed_volume_prefixes_and_root():
    policy = DockerPolicy.from_env({"CHORDFLOW_DOCKER_ALLOWED_VOLUMES": "/srv/data",
                                    "CHORDFLOW_DOCKER_ALLOW_ROOT": "false"})
    check(policy, volumes=["/srv/data/day1:/in"], user="1000:1000")
    with pytest.raises(DockerPolicyError, match="outside the host paths"):
        check(policy, volumes=["/srv/database:/in"], user="1000")
    with pytest.raises(DockerPolicyError, match="runs as root"):
        check(policy, user="0")
    with pytest.raises(DockerPolicyError, match="image's default user"):
        check(policy, user=None, image_user="")
    check(policy, user=None, image_user="app")
    with pytest.raises(ConfigError, match="CHORDFLOW_DOCKER_ALLOW_ROOT"):
        DockerPolicy.from_env({"CHORDFLOW_DOCKER_ALLOW_ROOT": "maybe"})
    with pytest.raises(ConfigError, match="absolute"):
        DockerPolicy.from_env({"CHORDFLOW_DOCKER_ALLOWED_VOLUMES": "data"})
