#!/bin/sh
# Install and configure podman for hwb's container tests (Debian bookworm, run as root).
#
# What works on these machines (see DESIGN.md, "Containers"): Debian's podman with the runc
# runtime and a containers.conf that sets default ulimits; crun and --cgroups=disabled do not.
# No image registry is reachable, so images are built locally from debootstrap (the tests do
# that themselves, once, and cache the result).
#
# Idempotent and fast when everything is already in place.  Prints the CONTAINERS_CONF path to
# export as its last line.
set -eu

CONF="${HWB_CONTAINERS_CONF:-/etc/containers/hwb-containers.conf}"
PACKAGES="podman runc debootstrap uidmap slirp4netns fuse-overlayfs containernetworking-plugins"

# Refresh the package lists only when they are missing or older than a day.
refresh_lists() {
    if [ -z "$(find /var/lib/apt/lists -maxdepth 1 -name '*_Packages*' -mtime -1 2>/dev/null)" ]
    then
        apt-get update -qq
    fi
}

missing=""
for pkg in $PACKAGES; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $pkg"
    fi
done

if [ -n "$missing" ]; then
    if [ "$(id -u)" -ne 0 ]; then
        echo "setup-containers: need root to install:$missing" >&2
        exit 1
    fi
    echo "setup-containers: installing$missing" >&2
    export DEBIAN_FRONTEND=noninteractive
    refresh_lists
    # shellcheck disable=SC2086
    apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi

# A docker CLI lets the tests drive podman's Docker-compatible socket (DOCKER_HOST).  Debian
# ships it in docker.io; the policy-rc.d keeps its daemon from being started here.
if ! command -v docker >/dev/null 2>&1 && [ "$(id -u)" -eq 0 ]; then
    echo "setup-containers: installing docker.io (for the docker CLI)" >&2
    made_policy=0
    if [ ! -e /usr/sbin/policy-rc.d ]; then
        printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
        chmod +x /usr/sbin/policy-rc.d
        made_policy=1
    fi
    refresh_lists
    # Best effort: without a docker CLI only the DOCKER_HOST test skips, and says why.
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends docker.io \
        >/dev/null || echo "setup-containers: could not install docker.io" >&2
    if [ "$made_policy" = 1 ]; then
        rm -f /usr/sbin/policy-rc.d
    fi
fi

mkdir -p "$(dirname "$CONF")"
want=$(cat <<'EOF'
# Written by hwb's .ci/setup-containers.sh: podman with runc (crun does not work here).
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]

[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
EOF
)
if [ ! -f "$CONF" ] || [ "$(cat "$CONF")" != "$want" ]; then
    printf '%s\n' "$want" > "$CONF"
fi

CONTAINERS_CONF="$CONF" podman info --format '{{.Host.OCIRuntime.Name}}' >/dev/null
echo "CONTAINERS_CONF=$CONF"
