#!/usr/bin/env bash
# A one-node Kubernetes 1.20 test cluster on this machine, its pods run by the local
# Docker engine (dockershim), so every image of the engine is usable with
# imagePullPolicy Never.
#
#   .ci/kube.sh up     build or reuse the cached binaries (.ci/kube/build.sh), make the
#                      PKI, start etcd, kube-apiserver, kube-controller-manager,
#                      kube-scheduler, the kubelet and the cluster-name server
#                      (.ci/kube/dns.py), wait for the node to be Ready; prints the admin
#                      kubeconfig's path (export it as KUBECONFIG)
#   .ci/kube.sh down   stop every process it started (by PID), remove the pods'
#                      containers, restore the sysctls the kubelet changed, remove the
#                      directories it created
#   .ci/kube.sh status
#
# Both are idempotent. Needs root (the kubelet) and a running Docker engine.
# etcd and the other components listen on 127.0.0.1; the API server, the kubelet and
# the name server on the address of Docker's bridge on this machine (172.17.0.1 as a
# rule), which the pods reach too (no kube-proxy: ClusterIPs do not route; pods get
# KUBERNETES_SERVICE_HOST/PORT overridden where they talk to the API server).
#   KUBE_STATE   the cluster's directory (default /var/lib/chordflow-kube)
#   KUBE_CACHE   see .ci/kube/build.sh
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
STATE=${KUBE_STATE:-/var/lib/chordflow-kube}
NODE=chordflow-node
ETCD_PORT=12379
API_PORT=6443
COMPONENTS=(etcd kube-apiserver kube-controller-manager kube-scheduler kubelet dns.py)
# What the kubelet changes on the host: restored / removed by `down`.
SYSCTLS=(vm.overcommit_memory kernel.panic kernel.panic_on_oops)
HOST_DIRS=(/var/log/pods /var/log/containers /var/lib/kubelet/device-plugins
           /var/lib/kubelet /usr/libexec/kubernetes)

log() { echo "kube: $*" >&2; }
die() { log "$*"; exit 1; }

alive() {  # alive COMPONENT: its recorded process runs (and is that binary)
  local pidfile=$STATE/run/$1.pid pid
  [ -f "$pidfile" ] || return 1
  pid=$(cat "$pidfile")
  [ -r "/proc/$pid/cmdline" ] && tr '\0' ' ' < "/proc/$pid/cmdline" | grep -q "/$1 "
}

bridge_address() {
  local name
  name=$(docker network inspect bridge -f '{{index .Options "com.docker.network.bridge.name"}}' \
    2>/dev/null || true)
  ip -4 -o addr show "${name:-docker0}" 2>/dev/null | awk '{print $4}' | cut -d/ -f1 | head -1
}

kubectl_() { "$KUBECTL" --kubeconfig "$STATE/admin.kubeconfig" "$@"; }

wait_for() {  # wait_for SECONDS WHAT COMMAND...
  local seconds=$1 what=$2 end
  shift 2
  end=$(( $(date +%s) + seconds ))
  until "$@" >/dev/null 2>&1; do
    if [ "$(date +%s)" -ge "$end" ]; then
      log "timed out after ${seconds}s waiting for $what; logs in $STATE/logs"
      tail -n 20 "$STATE"/logs/*.log >&2 || true
      return 1
    fi
    sleep 0.5
  done
}

pki() {
  local p=$STATE/pki
  [ -f "$p/.complete" ] && return 0
  mkdir -p "$p"
  (
    cd "$p"
    openssl req -x509 -new -nodes -newkey rsa:2048 -sha256 -days 30 -keyout ca.key \
      -out ca.crt -subj "/CN=chordflow-kube-ca" 2>/dev/null
    cert() {  # cert NAME SUBJECT EXTENSIONS
      openssl req -new -nodes -newkey rsa:2048 -keyout "$1.key" -out "$1.csr" \
        -subj "$2" 2>/dev/null
      printf '%b' "$3" > "$1.ext"
      openssl x509 -req -in "$1.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -sha256 \
        -days 30 -extfile "$1.ext" -out "$1.crt" 2>/dev/null
      rm -f "$1.csr" "$1.ext"
    }
    local client="basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=clientAuth\n"
    cert apiserver "/CN=kube-apiserver" "basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,IP:$API_ADDRESS,IP:10.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc\n"
    cert admin "/O=system:masters/CN=chordflow-admin" "$client"
    cert apiserver-kubelet "/O=system:masters/CN=kube-apiserver-kubelet-client" "$client"
    cert controller-manager "/CN=system:kube-controller-manager" "$client"
    cert scheduler "/CN=system:kube-scheduler" "$client"
    cert kubelet "/O=system:nodes/CN=system:node:$NODE" "$client"
    openssl genrsa -out sa.key 2048 2>/dev/null
    openssl rsa -in sa.key -pubout -out sa.pub 2>/dev/null
    chmod 0600 ./*.key
  )
  local who
  for who in admin controller-manager scheduler kubelet; do
    kubeconfig "$who" > "$STATE/$who.kubeconfig"
    chmod 0600 "$STATE/$who.kubeconfig"
  done
  touch "$p/.complete"
}

kubeconfig() {  # the kubeconfig of a client certificate, certificates inlined
  local p=$STATE/pki
  cat <<EOF
apiVersion: v1
kind: Config
clusters:
- name: chordflow-kube
  cluster:
    server: https://$API_ADDRESS:$API_PORT
    certificate-authority-data: $(base64 -w0 < "$p/ca.crt")
users:
- name: $1
  user:
    client-certificate-data: $(base64 -w0 < "$p/$1.crt")
    client-key-data: $(base64 -w0 < "$p/$1.key")
contexts:
- name: chordflow-kube
  context: {cluster: chordflow-kube, user: $1}
current-context: chordflow-kube
EOF
}

start() {  # start COMPONENT ARGS...: in the background, PID recorded, log kept
  local name=$1
  shift
  alive "$name" && return 0
  local binary=$BIN/$name
  [ "$name" = dns.py ] && binary=$here/kube/dns.py
  setsid "$binary" "$@" > "$STATE/logs/$name.log" 2>&1 < /dev/null &
  echo $! > "$STATE/run/$name.pid"
}

record_host() {  # once per cluster: what `down` must put back
  [ -f "$STATE/run/host" ] && return 0
  local s d
  {
    for s in "${SYSCTLS[@]}"; do echo "sysctl $s $(sysctl -n "$s")"; done
    for d in "${HOST_DIRS[@]}"; do [ -e "$d" ] || echo "dir $d"; done
  } > "$STATE/run/host"
}

pause_image() {
  PAUSE_IMAGE=chordflow/kube-pause:$(sha256sum "$BIN/pause" | cut -c1-12)
  docker image inspect "$PAUSE_IMAGE" >/dev/null 2>&1 && return 0
  local d
  d=$(mktemp -d)
  cp "$BIN/pause" "$d/pause"
  tar -C "$d" -c pause | docker import -c 'ENTRYPOINT ["/pause"]' - "$PAUSE_IMAGE" >/dev/null
  rm -rf "$d"
}

up() {
  local t0
  t0=$(date +%s)
  [ "$(id -u)" = 0 ] || die "needs root (the kubelet runs pods through the Docker engine)"
  docker info >/dev/null 2>&1 || die "no Docker engine reachable"
  BIN=$(bash "$here/kube/build.sh")
  KUBECTL=$BIN/kubectl
  [ -x "$KUBECTL" ] || KUBECTL=$(command -v kubectl) \
    || die "no kubectl: remove $BIN to have it built with the cluster"
  API_ADDRESS=${KUBE_API_ADDRESS:-$(bridge_address)}
  [ -n "$API_ADDRESS" ] || die "no address of Docker's bridge network found (set KUBE_API_ADDRESS)"
  if all_alive && kubectl_ get node "$NODE" >/dev/null 2>&1; then
    log "already up"
    echo "$STATE/admin.kubeconfig"
    return 0
  fi
  mkdir -p "$STATE/logs" "$STATE/run"
  record_host
  pki
  pause_image
  local p=$STATE/pki
  start etcd --name chordflow --data-dir "$STATE/etcd" \
    --listen-client-urls "http://127.0.0.1:$ETCD_PORT" \
    --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" \
    --listen-peer-urls http://127.0.0.1:12380 --initial-advertise-peer-urls http://127.0.0.1:12380 \
    --initial-cluster chordflow=http://127.0.0.1:12380 --listen-metrics-urls http://127.0.0.1:12381
  start kube-apiserver --etcd-servers "http://127.0.0.1:$ETCD_PORT" \
    --bind-address "$API_ADDRESS" --advertise-address "$API_ADDRESS" --secure-port "$API_PORT" \
    --insecure-port 0 --authorization-mode Node,RBAC --allow-privileged=true \
    --client-ca-file "$p/ca.crt" --tls-cert-file "$p/apiserver.crt" \
    --tls-private-key-file "$p/apiserver.key" \
    --kubelet-client-certificate "$p/apiserver-kubelet.crt" \
    --kubelet-client-key "$p/apiserver-kubelet.key" \
    --kubelet-preferred-address-types InternalIP,Hostname \
    --service-cluster-ip-range 10.0.0.0/24 \
    --service-account-key-file "$p/sa.pub" --service-account-signing-key-file "$p/sa.key" \
    --service-account-issuer https://kubernetes.default.svc --api-audiences https://kubernetes.default.svc \
    --enable-admission-plugins NodeRestriction
  wait_for 60 "the API server" kubectl_ get --raw /readyz
  start kube-controller-manager --kubeconfig "$STATE/controller-manager.kubeconfig" \
    --authentication-kubeconfig "$STATE/controller-manager.kubeconfig" \
    --authorization-kubeconfig "$STATE/controller-manager.kubeconfig" \
    --bind-address 127.0.0.1 --port 0 --leader-elect=false --use-service-account-credentials \
    --service-account-private-key-file "$p/sa.key" --root-ca-file "$p/ca.crt" \
    --cluster-signing-cert-file "$p/ca.crt" --cluster-signing-key-file "$p/ca.key" \
    --controllers '*,-nodeipam,-service,-route,-cloud-node-lifecycle'
  start kube-scheduler --kubeconfig "$STATE/scheduler.kubeconfig" \
    --authentication-kubeconfig "$STATE/scheduler.kubeconfig" \
    --authorization-kubeconfig "$STATE/scheduler.kubeconfig" \
    --bind-address 127.0.0.1 --port 0 --leader-elect=false
  mkdir -p "$STATE/kubelet/volume-plugins" "$STATE/dockershim"
  start kubelet --kubeconfig "$STATE/kubelet.kubeconfig" --hostname-override "$NODE" \
    --node-ip "$API_ADDRESS" --address "$API_ADDRESS" --read-only-port 0 --healthz-bind-address 127.0.0.1 \
    --anonymous-auth=false --client-ca-file "$p/ca.crt" --authorization-mode AlwaysAllow \
    --root-dir "$STATE/kubelet" --cert-dir "$STATE/kubelet/pki" \
    --volume-plugin-dir "$STATE/kubelet/volume-plugins" \
    --container-runtime docker --docker-endpoint unix:///var/run/docker.sock \
    --container-runtime-endpoint "unix://$STATE/run/dockershim.sock" \
    --experimental-dockershim-root-directory "$STATE/dockershim" \
    --pod-infra-container-image "$PAUSE_IMAGE" \
    --cgroup-driver cgroupfs --fail-swap-on=false --cgroups-per-qos=false \
    --enforce-node-allocatable= --make-iptables-util-chains=false \
    --image-gc-high-threshold 100 --image-gc-low-threshold 99 \
    --eviction-hard 'memory.available<100Mi,nodefs.available<1%,imagefs.available<1%' \
    --serialize-image-pulls=false --max-pods 60 \
    --cluster-dns "$API_ADDRESS" --cluster-domain cluster.local
  start dns.py "$STATE/admin.kubeconfig" "$API_ADDRESS" "$API_ADDRESS"
  wait_for 90 "node $NODE to be Ready" \
    kubectl_ wait --for condition=Ready "node/$NODE" --timeout 5s
  wait_for 60 "the default service account" kubectl_ get serviceaccount default
  log "up in $(( $(date +%s) - t0 )) s; export KUBECONFIG=$STATE/admin.kubeconfig"
  echo "$STATE/admin.kubeconfig"
}

all_alive() {
  local c
  for c in "${COMPONENTS[@]}"; do alive "$c" || return 1; done
}

stop() {  # stop COMPONENT: SIGTERM, then SIGKILL after 20 s
  local pidfile=$STATE/run/$1.pid pid i
  [ -f "$pidfile" ] || return 0
  if alive "$1"; then
    pid=$(cat "$pidfile")
    kill -TERM "$pid" 2>/dev/null || true
    for i in $(seq 200); do alive "$1" || break; sleep 0.1; done
    alive "$1" && kill -KILL "$pid" 2>/dev/null || true
    for i in $(seq 50); do alive "$1" || break; sleep 0.1; done
  fi
  rm -f "$pidfile"
}

down() {
  [ -d "$STATE" ] || { log "not up"; return 0; }
  local i c kind name value
  for (( i=${#COMPONENTS[@]}-1; i>=0; i-- )); do stop "${COMPONENTS[$i]}"; done
  # The pods' containers (and sandboxes): dockershim labels every one it makes.
  local ids
  ids=$(docker ps -aq --filter label=io.kubernetes.docker.type 2>/dev/null || true)
  [ -n "$ids" ] && docker rm -f $ids >/dev/null 2>&1 || true
  # Secret and emptyDir volumes are mounts under the kubelet's root.
  local m
  for m in $(findmnt -rn -o TARGET | grep "^$STATE/" | sort -r || true); do
    umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true
  done
  if [ -f "$STATE/run/host" ]; then
    while read -r kind name value; do
      case $kind in
        sysctl) sysctl -q -w "$name=$value" >/dev/null ;;
        dir) rm -rf "$name" ;;
      esac
    done < "$STATE/run/host"
  fi
  rm -rf "$STATE"
  log "down"
}

status() {
  local c
  for c in "${COMPONENTS[@]}"; do
    if alive "$c"; then echo "$c running (pid $(cat "$STATE/run/$c.pid"))"
    else echo "$c stopped"; fi
  done
}

case ${1:-} in
  up) up ;;
  down) down ;;
  status) status ;;
  *) echo "usage: $0 up|down|status" >&2; exit 2 ;;
esac
