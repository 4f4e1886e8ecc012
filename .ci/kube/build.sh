#!/usr/bin/env bash
# Builds the Kubernetes 1.20 binaries the test cluster runs, from Debian bookworm's own
# source package, with Debian's Go 1.19, and caches them: the cache key is the source
# version plus the hash of RECIPE and the patch next to it, so a valid cache is never
# rebuilt (bump RECIPE when a change here changes what is built). Nothing of the
# system's apt setup is touched (private sources list,
# lists and cache under the cache directory); no package is installed.
#
#   KUBE_CACHE   cache directory (default /var/cache/chordflow-kube as root,
#                else $HOME/.cache/chordflow/kube)
#
# Prints the directory holding the binaries (kube-apiserver, kube-controller-manager,
# kube-scheduler, kubelet, etcd, pause; kubectl too when the machine has none).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)

if [ -z "${KUBE_CACHE:-}" ]; then
  if [ "$(id -u)" = 0 ]; then KUBE_CACHE=/var/cache/chordflow-kube
  else KUBE_CACHE=$HOME/.cache/chordflow/kube; fi
fi
SUITE=bookworm
MIRROR=${KUBE_DEBIAN_MIRROR:-http://deb.debian.org/debian}
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg
RECIPE="1: Go 1.19, reflect2 1.0.2, oom-score-adj.patch"
BINS=(kube-apiserver kube-controller-manager kube-scheduler kubelet)

log() { echo "kube-build: $*" >&2; }

apt_private() {
  local a=$KUBE_CACHE/apt
  mkdir -p "$a/lists/partial" "$a/cache/archives/partial"
  if [ ! -f "$a/sources.list" ]; then
    printf 'deb [signed-by=%s] %s %s main\ndeb-src [signed-by=%s] %s %s main\n' \
      "$KEYRING" "$MIRROR" "$SUITE" "$KEYRING" "$MIRROR" "$SUITE" > "$a/sources.list"
  fi
  APT_OPTS=(-o "Dir::Etc::sourcelist=$a/sources.list" -o Dir::Etc::sourceparts=-
            -o "Dir::State::Lists=$a/lists" -o "Dir::Cache=$a/cache")
  if [ ! -e "$a/lists/updated" ] || [ -n "${KUBE_APT_REFRESH:-}" ]; then
    apt-get "${APT_OPTS[@]}" update -qq
    touch "$a/lists/updated"
  fi
}

# Unpacks Debian binary packages (never installed) into $KUBE_CACHE/root.
unpack_debs() {
  mkdir -p "$KUBE_CACHE/debs" "$KUBE_CACHE/root"
  local pkg deb
  for pkg in "$@"; do
    deb=$(ls "$KUBE_CACHE/debs/${pkg}_"*.deb 2>/dev/null | head -1 || true)
    if [ -z "$deb" ]; then
      (cd "$KUBE_CACHE/debs" && apt-get "${APT_OPTS[@]}" download -qq "$pkg" 2>&1 \
         | grep -v 'unsandboxed' >&2 || true)
      deb=$(ls "$KUBE_CACHE/debs/${pkg}_"*.deb | head -1)
      dpkg -x "$deb" "$KUBE_CACHE/root"
    elif [ ! -e "$KUBE_CACHE/root/.unpacked-$(basename "$deb")" ]; then
      dpkg -x "$deb" "$KUBE_CACHE/root"
    fi
    touch "$KUBE_CACHE/root/.unpacked-$(basename "$deb")"
  done
}

apt_private
version=$(apt-cache "${APT_OPTS[@]}" showsrc kubernetes 2>/dev/null \
  | awk '/^Version:/ {print $2; exit}')
[ -n "$version" ] || { log "no kubernetes source package in $SUITE"; exit 1; }
recipe=$( (echo "$RECIPE"; cat "$here"/*.patch) | sha256sum | cut -c1-12)
out=$KUBE_CACHE/bin/${version//[:+~]/_}-$recipe

if [ -f "$out/.complete" ]; then
  echo "$out"
  exit 0
fi

start=$(date +%s)
# Any kubectl talks to 1.20 (one of 1.32 was tried); without one, build it as well.
command -v kubectl >/dev/null || BINS+=(kubectl)
unpack_debs golang-1.19-go golang-1.19-src golang-github-modern-go-reflect2-dev etcd-server

src=$KUBE_CACHE/src/$version
if [ ! -f "$src/.prepared-$recipe" ]; then
  log "fetching kubernetes $version source"
  rm -rf "$src"
  mkdir -p "$src.dl"
  (cd "$src.dl" && apt-get "${APT_OPTS[@]}" source --download-only -qq kubernetes="$version" 2>&1 \
     | grep -v 'unsandboxed' >&2 || true)
  dpkg-source -q -x "$src.dl"/kubernetes_*.dsc "$src" >/dev/null
  # (1) reflect2 1.0.1 crashes under Go >= 1.18 (SIGSEGV in UnsafeIterate): use 1.0.2.
  r2=$src/vendor/github.com/modern-go/reflect2
  rm -f "$r2"/*.go "$r2"/*.s
  cp "$KUBE_CACHE"/root/usr/share/gocode/src/github.com/modern-go/reflect2/*.go \
     "$KUBE_CACHE"/root/usr/share/gocode/src/github.com/modern-go/reflect2/*.s "$r2/"
  sed -i 's|github.com/modern-go/reflect2 v1.0.1|github.com/modern-go/reflect2 v1.0.2|g' \
    "$src/go.mod" "$src/vendor/modules.txt"
  # (2) oom_score_adj never negative (hosts that refuse it make runc fail).
  patch -s -d "$src" -p1 < "$here/oom-score-adj.patch"
  touch "$src/.prepared-$recipe"
fi

export GOROOT=$KUBE_CACHE/root/usr/lib/go-1.19
export PATH=$GOROOT/bin:$PATH
export GOPATH=$src/.go GOCACHE=$KUBE_CACHE/gocache GOFLAGS=-mod=vendor CGO_ENABLED=0
export GOTOOLCHAIN=local
mkdir -p "$GOPATH/src/k8s.io"
[ -L "$GOPATH/src/k8s.io/kubernetes" ] || ln -s ../../.. "$GOPATH/src/k8s.io/kubernetes"
upstream=${version#*really}; upstream=v${upstream%%-*}
minor=${upstream#v1.}; minor=${minor%%.*}
cat > "$src/.version" <<VERSION
KUBE_GIT_VERSION='$upstream'
KUBE_GIT_COMMIT='debian-$version'
KUBE_GIT_TREE_STATE='clean'
KUBE_GIT_MAJOR='1'
KUBE_GIT_MINOR='$minor'
VERSION
export KUBE_GIT_VERSION_FILE=$src/.version
for b in "${BINS[@]}"; do
  t0=$(date +%s)
  log "building $b"
  (cd "$src" && HOME=${HOME:-/root} make -s WHAT="cmd/$b" >&2)
  log "built $b in $(( $(date +%s) - t0 )) s"
done

mkdir -p "$out.tmp"
for b in "${BINS[@]}"; do cp "$src/_output/bin/$b" "$out.tmp/"; done
cp "$KUBE_CACHE/root/usr/bin/etcd" "$out.tmp/"
gcc -Os -static -DVERSION="$upstream" -o "$out.tmp/pause" "$src/build/pause/linux/pause.c"
strip "$out.tmp/pause" "$out.tmp"/kube* 2>/dev/null || true
touch "$out.tmp/.complete"
rm -rf "$out"
mv "$out.tmp" "$out"
# Drop the source tree: the binaries are what is kept (the Go build cache stays).
rm -rf "$src" "$src.dl"
log "built in $(( $(date +%s) - start )) s into $out"
echo "$out"
