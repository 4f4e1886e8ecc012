{{/* Names, labels and the wiring every component shares. */}}

{{- define "chordflow.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* The release's base name; component names add a suffix, so keep room for it. */}}
{{- define "chordflow.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 40 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 40 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 40 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "chordflow.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "chordflow.selectorLabels" -}}
app.kubernetes.io/name: {{ include "chordflow.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "chordflow.labels" -}}
helm.sh/chart: {{ include "chordflow.chart" . }}
{{ include "chordflow.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: chordflow
{{- end -}}

{{/* Labels of one component: (dict "ctx" $ "component" "worker"). */}}
{{- define "chordflow.componentLabels" -}}
{{ include "chordflow.labels" .ctx }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "chordflow.componentSelector" -}}
{{ include "chordflow.selectorLabels" .ctx }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "chordflow.image" -}}
{{- printf "%s:%s" .Values.image.repository (toString .Values.image.tag) -}}
{{- end -}}

{{- define "chordflow.runtimeImage" -}}
{{- printf "%s:%s" .Values.runtimeImage.repository (toString .Values.runtimeImage.tag) -}}
{{- end -}}

{{- define "chordflow.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "chordflow.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* Namespace of task pods. */}}
{{- define "chordflow.taskNamespace" -}}
{{- default .Release.Namespace .Values.config.kubernetesNamespace -}}
{{- end -}}

{{- define "chordflow.taskServiceAccountName" -}}
{{- default (printf "%s-task" (include "chordflow.fullname" .)) .Values.taskPods.serviceAccount.name -}}
{{- end -}}

{{- define "chordflow.podRunner" -}}
{{- if eq .Values.config.runner "kubernetes" }}true{{ end -}}
{{- end -}}

{{/* ---- Checks: refuse to render a cluster that cannot work or is not protected. ---- */}}
{{- define "chordflow.validate" -}}
{{- $f := .Values.flower.basicAuth -}}
{{- if and .Values.flower.enabled (not $f.existingSecret) (not (and $f.username $f.password)) -}}
{{- fail "flower.basicAuth: Flower is never served without authentication; set flower.basicAuth.username and flower.basicAuth.password, or flower.basicAuth.existingSecret (a Secret whose key holds user:password), or flower.enabled=false" -}}
{{- end -}}
{{- $wa := .Values.webserver.auth -}}
{{- if and .Values.webserver.enabled (not $wa.existingSecret) (not (and $wa.username $wa.password)) -}}
{{- fail "webserver.auth: the web server is never served without a login; set webserver.auth.username and webserver.auth.password, or webserver.auth.existingSecret (a Secret with username, password and secret-key), or webserver.enabled=false" -}}
{{- end -}}
{{- $db := .Values.externalDatabase -}}
{{- if and .Values.postgresql.enabled (or $db.url $db.existingSecret) -}}
{{- fail "externalDatabase is set while postgresql.enabled is true: set postgresql.enabled=false to use the external database" -}}
{{- end -}}
{{- if and (not .Values.postgresql.enabled) (not (or $db.url $db.existingSecret)) -}}
{{- fail "no database: set externalDatabase.url or externalDatabase.existingSecret, or postgresql.enabled=true" -}}
{{- end -}}
{{- $r := .Values.externalRedis -}}
{{- if and .Values.redis.enabled (or $r.url $r.existingSecret) -}}
{{- fail "externalRedis is set while redis.enabled is true: set redis.enabled=false to use the external Redis" -}}
{{- end -}}
{{- if and (not .Values.redis.enabled) (not (or $r.url $r.existingSecret)) -}}
{{- fail "no broker: set externalRedis.url or externalRedis.existingSecret, or redis.enabled=true" -}}
{{- end -}}
{{- if and .Values.keda.enabled (not .Values.redis.enabled) (not $r.url) (not .Values.keda.redis.address) -}}
{{- fail "keda.redis.address is needed when the Redis URL comes from externalRedis.existingSecret" -}}
{{- end -}}
{{- if and (ne .Values.flower.service.type "NodePort") .Values.flower.service.nodePort -}}
{{- fail "flower.service.nodePort is set but flower.service.type is not NodePort" -}}
{{- end -}}
{{- end -}}

{{/* ---- Passwords: given, or read back from the release's Secret, or generated once. ---- */}}

{{/* A value generated once per render, shared by every template that asks for it. */}}
{{- define "chordflow.generated" -}}
{{- $cache := .ctx.Values -}}
{{- if not (hasKey $cache "__generated") -}}
{{- $_ := set $cache "__generated" dict -}}
{{- end -}}
{{- $gen := get $cache "__generated" -}}
{{- if not (hasKey $gen .key) -}}
{{- $_ := set $gen .key (randAlphaNum 32) -}}
{{- end -}}
{{- get $gen .key -}}
{{- end -}}

{{/* (dict "ctx" $ "given" VALUE "secret" NAME "key" KEY): the given value, else the one
     stored in Secret NAME under KEY by an earlier release, else a new random one. */}}
{{- define "chordflow.stableSecret" -}}
{{- if .given -}}
{{- .given -}}
{{- else -}}
{{- $stored := dig "data" .key "" (lookup "v1" "Secret" .ctx.Release.Namespace .secret) -}}
{{- if $stored -}}
{{- $stored | b64dec -}}
{{- else -}}
{{- include "chordflow.generated" (dict "ctx" .ctx "key" (printf "%s/%s" .secret .key)) -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "chordflow.postgresql.fullname" -}}
{{- printf "%s-postgresql" (include "chordflow.fullname" .) -}}
{{- end -}}

{{- define "chordflow.redis.fullname" -}}
{{- printf "%s-redis" (include "chordflow.fullname" .) -}}
{{- end -}}

{{- define "chordflow.postgresql.secretName" -}}
{{- default (include "chordflow.postgresql.fullname" .) .Values.postgresql.auth.existingSecret -}}
{{- end -}}

{{- define "chordflow.postgresql.secretKey" -}}
{{- if .Values.postgresql.auth.existingSecret }}{{ .Values.postgresql.auth.existingSecretKey }}{{ else }}password{{ end -}}
{{- end -}}

{{- define "chordflow.redis.secretName" -}}
{{- default (include "chordflow.redis.fullname" .) .Values.redis.auth.existingSecret -}}
{{- end -}}

{{- define "chordflow.redis.secretKey" -}}
{{- if .Values.redis.auth.existingSecret }}{{ .Values.redis.auth.existingSecretKey }}{{ else }}password{{ end -}}
{{- end -}}

{{- define "chordflow.postgresql.password" -}}
{{- include "chordflow.stableSecret" (dict "ctx" . "given" .Values.postgresql.auth.password "secret" (include "chordflow.postgresql.fullname" .) "key" "password") -}}
{{- end -}}

{{- define "chordflow.redis.password" -}}
{{- include "chordflow.stableSecret" (dict "ctx" . "given" .Values.redis.auth.password "secret" (include "chordflow.redis.fullname" .) "key" "password") -}}
{{- end -}}

{{/* Fernet keys are 32 bytes, URL-safe base64. */}}
{{- define "chordflow.fernetKey" -}}
{{- $generated := include "chordflow.generated" (dict "ctx" . "key" "fernet") | b64enc | replace "+" "-" | replace "/" "_" -}}
{{- $stored := dig "data" "CHORDFLOW_FERNET_KEY" "" (lookup "v1" "Secret" .Release.Namespace (include "chordflow.fullname" .)) -}}
{{- if .Values.fernetKey.value -}}
{{- .Values.fernetKey.value -}}
{{- else if $stored -}}
{{- $stored | b64dec -}}
{{- else -}}
{{- $generated -}}
{{- end -}}
{{- end -}}

{{/* ---- URLs. They carry passwords, so no ConfigMap ever holds one. ---- */}}

{{/* Where a URL comes from: "chart" (the chart's Secret), "existing" (a Secret the
     user made) or "expand" (built in the pod from a password in an existing Secret,
     through Kubernetes' $(VAR) expansion). */}}
{{- define "chordflow.databaseUrlSource" -}}
{{- if .Values.postgresql.enabled -}}
{{- if .Values.postgresql.auth.existingSecret }}expand{{ else }}chart{{ end -}}
{{- else -}}
{{- if .Values.externalDatabase.existingSecret }}existing{{ else }}chart{{ end -}}
{{- end -}}
{{- end -}}

{{- define "chordflow.brokerUrlSource" -}}
{{- if .Values.redis.enabled -}}
{{- if .Values.redis.auth.existingSecret }}expand{{ else }}chart{{ end -}}
{{- else -}}
{{- if .Values.externalRedis.existingSecret }}existing{{ else }}chart{{ end -}}
{{- end -}}
{{- end -}}

{{- define "chordflow.databaseUrl" -}}
{{- if .Values.postgresql.enabled -}}
{{- $a := .Values.postgresql.auth -}}
{{- $password := "$(CHORDFLOW_POSTGRES_PASSWORD)" -}}
{{- if not $a.existingSecret -}}
{{- $password = include "chordflow.postgresql.password" . | urlquery -}}
{{- end -}}
{{- printf "postgresql://%s:%s@%s:5432/%s" $a.username $password (include "chordflow.postgresql.fullname" .) $a.database -}}
{{- else -}}
{{- .Values.externalDatabase.url -}}
{{- end -}}
{{- end -}}

{{/* (dict "ctx" $ "db" N) */}}
{{- define "chordflow.bundledRedisUrl" -}}
{{- $password := "$(CHORDFLOW_REDIS_PASSWORD)" -}}
{{- if not .ctx.Values.redis.auth.existingSecret -}}
{{- $password = include "chordflow.redis.password" .ctx | urlquery -}}
{{- end -}}
{{- printf "redis://:%s@%s:6379/%d" $password (include "chordflow.redis.fullname" .ctx) (int .db) -}}
{{- end -}}

{{- define "chordflow.brokerUrl" -}}
{{- if .Values.redis.enabled -}}
{{- include "chordflow.bundledRedisUrl" (dict "ctx" . "db" 0) -}}
{{- else -}}
{{- .Values.externalRedis.url -}}
{{- end -}}
{{- end -}}

{{- define "chordflow.resultBackend" -}}
{{- if .Values.redis.enabled -}}
{{- include "chordflow.bundledRedisUrl" (dict "ctx" . "db" 1) -}}
{{- else -}}
{{- default .Values.externalRedis.url .Values.externalRedis.resultBackendUrl -}}
{{- end -}}
{{- end -}}

{{/* One env entry (dict "ctx" $ "name" VAR "source" SRC "key" CHART_KEY "secret" NAME
     "secretKey" KEY "value" EXPANDED). */}}
{{- define "chordflow.urlEnv" -}}
- name: {{ .name }}
{{- if eq .source "expand" }}
  value: {{ .value | quote }}
{{- else }}
  valueFrom:
    secretKeyRef:
{{- if eq .source "existing" }}
      name: {{ .secret }}
      key: {{ .secretKey }}
{{- else }}
      name: {{ include "chordflow.fullname" .ctx }}
      key: {{ .name }}
{{- end }}
{{- end }}
{{- end -}}

{{/* (dict "name" VAR "secret" NAME "key" KEY) */}}
{{- define "chordflow.secretKeyEnv" -}}
- name: {{ .name }}
  valueFrom:
    secretKeyRef:
      name: {{ .secret }}
      key: {{ .key }}
{{- end -}}

{{/* The database URL alone (the migration Job needs nothing else). */}}
{{- define "chordflow.databaseEnv" -}}
{{- $source := include "chordflow.databaseUrlSource" . -}}
{{- if eq $source "expand" -}}
{{ include "chordflow.secretKeyEnv" (dict "name" "CHORDFLOW_POSTGRES_PASSWORD" "secret" .Values.postgresql.auth.existingSecret "key" .Values.postgresql.auth.existingSecretKey) }}
{{ end -}}
{{ include "chordflow.urlEnv" (dict "ctx" . "name" "CHORDFLOW_DATABASE_URL" "source" $source "secret" .Values.externalDatabase.existingSecret "secretKey" .Values.externalDatabase.existingSecretKey "value" (include "chordflow.databaseUrl" .)) }}
{{- end -}}

{{/* The broker and result backend URLs (all Flower needs). */}}
{{- define "chordflow.brokerEnv" -}}
{{- $source := include "chordflow.brokerUrlSource" . -}}
{{- $r := .Values.externalRedis -}}
{{- if eq $source "expand" -}}
{{ include "chordflow.secretKeyEnv" (dict "name" "CHORDFLOW_REDIS_PASSWORD" "secret" .Values.redis.auth.existingSecret "key" .Values.redis.auth.existingSecretKey) }}
{{ end -}}
{{ include "chordflow.urlEnv" (dict "ctx" . "name" "CHORDFLOW_BROKER_URL" "source" $source "secret" $r.existingSecret "secretKey" $r.existingSecretBrokerKey "value" (include "chordflow.brokerUrl" .)) }}
{{ include "chordflow.urlEnv" (dict "ctx" . "name" "CHORDFLOW_RESULT_BACKEND" "source" $source "secret" $r.existingSecret "secretKey" (default $r.existingSecretBrokerKey $r.existingSecretResultBackendKey) "value" (include "chordflow.resultBackend" .)) }}
{{- end -}}

{{/* Every secret setting, by reference, never inline. */}}
{{- define "chordflow.secretEnv" -}}
{{ include "chordflow.databaseEnv" . }}
{{ include "chordflow.brokerEnv" . }}
{{ if .Values.fernetKey.existingSecret -}}
{{ include "chordflow.secretKeyEnv" (dict "name" "CHORDFLOW_FERNET_KEY" "secret" .Values.fernetKey.existingSecret "key" .Values.fernetKey.existingSecretKey) }}
{{- else -}}
{{ include "chordflow.secretKeyEnv" (dict "name" "CHORDFLOW_FERNET_KEY" "secret" (include "chordflow.fullname" .) "key" "CHORDFLOW_FERNET_KEY") }}
{{- end }}
{{- end -}}

{{- define "chordflow.envFrom" -}}
- configMapRef:
    name: {{ include "chordflow.fullname" . }}
{{- end -}}

{{/* Roll pods when their configuration changes. */}}
{{- define "chordflow.configChecksums" -}}
checksum/config: {{ include (print .Template.BasePath "/configmap.yaml") . | sha256sum }}
checksum/secret: {{ include (print .Template.BasePath "/secret.yaml") . | sha256sum }}
{{- end -}}

{{- define "chordflow.podSecurityContext" -}}
{{- toYaml .Values.podSecurityContext -}}
{{- end -}}

{{- define "chordflow.containerSecurityContext" -}}
{{- toYaml .Values.securityContext -}}
{{- end -}}

{{/* Use as: {{- with .Values.imagePullSecrets }}{{ include ... }}{{ end }} */}}
{{- define "chordflow.imagePullSecrets" -}}
imagePullSecrets:
{{- toYaml .Values.imagePullSecrets | nindent 2 }}
{{- end -}}

{{/* Writable scratch space on a read-only root filesystem. */}}
{{- define "chordflow.tmpVolumeMount" -}}
- name: tmp
  mountPath: /tmp
{{- end -}}

{{- define "chordflow.dagsClaimName" -}}
{{- default (printf "%s-dags" (include "chordflow.fullname" .)) .Values.dags.persistence.existingClaim -}}
{{- end -}}

{{- define "chordflow.volumes" -}}
- name: tmp
  emptyDir: {}
{{- if .Values.dags.persistence.enabled }}
- name: dags
  persistentVolumeClaim:
    claimName: {{ include "chordflow.dagsClaimName" . }}
    readOnly: true
{{- end }}
{{- end -}}

{{- define "chordflow.volumeMounts" -}}
{{ include "chordflow.tmpVolumeMount" . }}
{{- if .Values.dags.persistence.enabled }}
- name: dags
  mountPath: {{ .Values.dags.path }}
  readOnly: true
{{- end }}
{{- end -}}

{{/* API versions by what the cluster serves: policy/v1 and autoscaling/v2 from 1.21 and
1.23, the beta versions (same fields) on older clusters such as 1.20. */}}
{{- define "chordflow.pdbApiVersion" -}}
{{- if .Capabilities.APIVersions.Has "policy/v1" -}}
policy/v1
{{- else -}}
policy/v1beta1
{{- end -}}
{{- end -}}

{{- define "chordflow.hpaApiVersion" -}}
{{- if .Capabilities.APIVersions.Has "autoscaling/v2" -}}
autoscaling/v2
{{- else -}}
autoscaling/v2beta2
{{- end -}}
{{- end -}}
