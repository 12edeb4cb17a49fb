{{/*
Names, labels and the table of Ward's services. Every per-service template
ranges over "ward.services", so a service's port, entry point and the
environment variables behind its settings are stated once, here.
*/}}

{{- define "ward.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "ward.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/* The name of a service's objects: <fullname>-<service>, at most 63 characters. */}}
{{- define "ward.componentName" -}}
{{- printf "%s-%s" (include "ward.fullname" .root) .component | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "ward.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Labels that select every pod of this release (Deployments and hook Jobs). */}}
{{- define "ward.instanceSelector" -}}
app.kubernetes.io/name: {{ include "ward.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "ward.labels" -}}
{{ include "ward.instanceSelector" . }}
app.kubernetes.io/part-of: ward
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ include "ward.chart" . }}
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/* Selector of one service's pods; call with (dict "root" $ "component" "fusion"). */}}
{{- define "ward.componentSelector" -}}
{{ include "ward.instanceSelector" .root }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{- define "ward.componentLabels" -}}
{{ include "ward.labels" .root }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{/*
The services. values: the key of its settings in values.yaml; port: its PORT
default; redis: whether it uses Redis; tokens: environment variable of each
bearer token (by values key); config: environment variable of each setting
under <values>.config.
*/}}
{{- define "ward.services" -}}
sentinel-ingest:
  values: sentinelIngest
  entry: apps/sentinel-ingest/src/main.ts
  redis: true
  tokens:
    adminToken: INGEST_ADMIN_TOKEN
  config:
    maxBodyBytes: INGEST_MAX_BODY_BYTES
    maxRecords: INGEST_MAX_RECORDS
    maxRecordBytes: INGEST_MAX_RECORD_BYTES
    maxFutureSkewSeconds: INGEST_MAX_FUTURE_SKEW_SECONDS
    defaultTenant: INGEST_DEFAULT_TENANT
    apiKeyCacheSeconds: INGEST_API_KEY_CACHE_SECONDS
    rateLimitEventsPerSecond: INGEST_RATE_LIMIT_EVENTS_PER_SECOND
    rateLimitBurst: INGEST_RATE_LIMIT_BURST
    dedupWindowSeconds: INGEST_DEDUP_WINDOW_SECONDS
    redact: INGEST_REDACT
    injectionMinScore: INGEST_INJECTION_MIN_SCORE
    rawTopicEnabled: INGEST_RAW_TOPIC_ENABLED
    consumerGroup: INGEST_CONSUMER_GROUP
    filePatterns: INGEST_FILE_PATTERNS
    fileSource: INGEST_FILE_SOURCE
    fileTenant: INGEST_FILE_TENANT
    filePollMs: INGEST_FILE_POLL_MS
    fileStartAt: INGEST_FILE_START_AT
behavioral-monitor:
  values: behavioralMonitor
  entry: apps/behavioral-monitor/src/main.ts
  redis: true
  tokens:
    adminToken: MONITOR_ADMIN_TOKEN
  config:
    consumerGroup: MONITOR_CONSUMER_GROUP
    dedupWindowSeconds: MONITOR_DEDUP_WINDOW_SECONDS
    refreshSeconds: MONITOR_REFRESH_SECONDS
    alertCooldownSeconds: MONITOR_ALERT_COOLDOWN_SECONDS
    checkpointIntervalMs: MONITOR_CHECKPOINT_INTERVAL_MS
    partitionsConcurrently: MONITOR_PARTITIONS_CONCURRENTLY
  detectors:
    windowSeconds: MONITOR_WINDOW_SECONDS
    allowedLatenessSeconds: MONITOR_ALLOWED_LATENESS_SECONDS
    emaAlpha: MONITOR_EMA_ALPHA
    sigma: MONITOR_SIGMA
    warmupWindows: MONITOR_WARMUP_WINDOWS
    weights: MONITOR_WEIGHTS
    compositeThreshold: MONITOR_COMPOSITE_THRESHOLD
    minCallsForRates: MONITOR_MIN_CALLS_FOR_RATES
    driftWindows: MONITOR_DRIFT_WINDOWS
    toolMixThreshold: MONITOR_TOOL_MIX_THRESHOLD
    promotionWindows: MONITOR_PROMOTION_WINDOWS
fusion:
  values: fusion
  entry: apps/fusion/src/main.ts
  redis: false
  tokens:
    adminToken: FUSION_ADMIN_TOKEN
  config:
    consumerGroup: FUSION_CONSUMER_GROUP
    correlationWindowSeconds: FUSION_CORRELATION_WINDOW_SECONDS
  intel:
    refreshSeconds: FUSION_INTEL_REFRESH_SECONDS
    minConfidence: FUSION_INTEL_MIN_CONFIDENCE
    defaultConfidence: FUSION_INTEL_DEFAULT_CONFIDENCE
    allowHosts: FUSION_INTEL_ALLOW_HOSTS
    allowPrivate: FUSION_INTEL_ALLOW_PRIVATE
response-engine:
  values: responseEngine
  entry: apps/response-engine/src/main.ts
  redis: true
  tokens:
    adminToken: RESPONSE_ADMIN_TOKEN
  config:
    consumerGroup: RESPONSE_CONSUMER_GROUP
    reloadSeconds: RESPONSE_RELOAD_SECONDS
    dryRun: RESPONSE_DRY_RUN
    destinationFailureLimit: RESPONSE_DESTINATION_FAILURE_LIMIT
    outboundAllowHosts: RESPONSE_OUTBOUND_ALLOW_HOSTS
    outboundAllowPrivate: RESPONSE_OUTBOUND_ALLOW_PRIVATE
    sweepSeconds: RESPONSE_SWEEP_SECONDS
policy-generator:
  values: policyGenerator
  entry: apps/policy-generator/src/main.ts
  redis: false
  tokens:
    adminToken: POLICY_ADMIN_TOKEN
    bundleToken: POLICY_BUNDLE_TOKEN
  config:
    consumerGroup: POLICY_CONSUMER_GROUP
    windowSeconds: POLICY_WINDOW_SECONDS
    minConfidence: POLICY_MIN_CONFIDENCE
    expirySeconds: POLICY_EXPIRY_SECONDS
    autoActivate: POLICY_AUTO_ACTIVATE
    dryRunMaxEvents: POLICY_DRY_RUN_MAX_EVENTS
{{- end }}

{{/*
A setting as the services parse it: lists comma-joined, maps as key=value
pairs (sorted), whole numbers without an exponent (YAML numbers reach
templates as float64, which would print 10485760 as 1.048576e+07).
*/}}
{{- define "ward.envValue" -}}
{{- if kindIs "slice" . -}}
{{- $items := list -}}
{{- range . }}{{ $items = append $items (include "ward.scalar" .) }}{{ end -}}
{{- join "," $items -}}
{{- else if kindIs "map" . -}}
{{- $pairs := list -}}
{{- range $key, $value := . }}{{ $pairs = append $pairs (printf "%s=%s" $key (include "ward.scalar" $value)) }}{{ end -}}
{{- join "," $pairs -}}
{{- else -}}
{{- include "ward.scalar" . -}}
{{- end -}}
{{- end }}

{{- define "ward.scalar" -}}
{{- if and (kindIs "float64" .) (eq (float64 (int64 .)) .) -}}
{{- int64 . -}}
{{- else -}}
{{- . -}}
{{- end -}}
{{- end }}

{{/* Environment entries (KEY: "value") for the settings in .values, named by .names. */}}
{{- define "ward.settingsEnv" -}}
{{- range $key, $value := .values }}
{{- if not (kindIs "invalid" $value) }}
{{- $env := get $.names $key }}
{{- if not $env }}
{{- fail (printf "%s: unknown setting %s" $.where $key) }}
{{- end }}
{{ $env }}: {{ include "ward.envValue" $value | quote }}
{{- end }}
{{- end }}
{{- end }}

{{/* The image of a service: its own repository and tag, else the global ones. */}}
{{- define "ward.image" -}}
{{- $repository := .image.repository | default (printf "%s/%s" (trimSuffix "/" .root.Values.image.repositoryBase) .component) }}
{{- if .image.digest }}
{{- printf "%s@%s" $repository .image.digest }}
{{- else }}
{{- printf "%s:%s" $repository (.image.tag | default .root.Values.image.tag | default .root.Chart.AppVersion) }}
{{- end }}
{{- end }}

{{- define "ward.databaseSecretName" -}}
{{- .Values.database.existingSecret | default (printf "%s-database" (include "ward.fullname" .)) }}
{{- end }}

{{- define "ward.redisSecretName" -}}
{{- .Values.redis.existingSecret | default (printf "%s-redis" (include "ward.fullname" .)) }}
{{- end }}

{{/*
The Kafka client certificate Secret of one Kafka client: `values` is a
service's values (sentinelIngest, ...) or hooks.topics. Its own
kafka.clientCertSecret (its own principal, so its own ACLs), field by field
over kafka.tls.clientCertSecret. As YAML: name, certKey, keyKey.
*/}}
{{- define "ward.kafkaClientCert" -}}
{{- $global := .root.Values.kafka.tls.clientCertSecret }}
{{- $own := dig "kafka" "clientCertSecret" dict (.values | default dict) }}
name: {{ $own.name | default $global.name | quote }}
certKey: {{ $own.certKey | default $global.certKey | quote }}
keyKey: {{ $own.keyKey | default $global.keyKey | quote }}
{{- end }}

{{/* Non-secret Kafka settings every Kafka client needs (services and the topics hook); `values` as for ward.kafkaClientCert. */}}
{{- define "ward.kafkaEnv" -}}
{{- $root := .root }}
{{- $cert := include "ward.kafkaClientCert" . | fromYaml }}
KAFKA_BROKERS: {{ join "," $root.Values.kafka.brokers | quote }}
{{- with $root.Values.kafka.topicPrefix }}
KAFKA_TOPIC_PREFIX: {{ . | quote }}
{{- end }}
{{- if $root.Values.kafka.tls.enabled }}
KAFKA_SSL: "true"
{{- if $root.Values.kafka.tls.caSecret.name }}
KAFKA_SSL_CA_FILE: {{ printf "/etc/ward/kafka-ca/%s" $root.Values.kafka.tls.caSecret.key | quote }}
{{- end }}
{{- if $cert.name }}
KAFKA_SSL_CERT_FILE: "/etc/ward/kafka-client/tls.crt"
KAFKA_SSL_KEY_FILE: "/etc/ward/kafka-client/tls.key"
{{- end }}
{{- end }}
{{- if $root.Values.kafka.sasl.enabled }}
KAFKA_SASL_MECHANISM: {{ $root.Values.kafka.sasl.mechanism | quote }}
{{- end }}
{{- end }}

{{/* The SASL user name, as a container env entry (not a secret the services read from a file). */}}
{{- define "ward.kafkaUsernameEnv" -}}
{{- if .Values.kafka.sasl.enabled }}
- name: KAFKA_SASL_USERNAME
  valueFrom:
    secretKeyRef:
      name: {{ required "kafka.sasl.existingSecret is required when kafka.sasl.enabled" .Values.kafka.sasl.existingSecret }}
      key: {{ .Values.kafka.sasl.usernameKey }}
{{- end }}
{{- end }}

{{/* The Kafka SASL password as a secret reference (a list of at most one; see ward.secretEnv). */}}
{{- define "ward.kafkaPasswordRef" -}}
{{- if .Values.kafka.sasl.enabled }}
- env: KAFKA_SASL_PASSWORD
  secret: {{ required "kafka.sasl.existingSecret is required when kafka.sasl.enabled" .Values.kafka.sasl.existingSecret }}
  key: {{ .Values.kafka.sasl.passwordKey }}
{{- end }}
{{- end }}

{{/*
The secrets one service reads, as a YAML list of {env, secret, key}: its
database and Redis URLs, its tokens, METRICS_TOKEN and the Kafka SASL
password. Call with (dict "root" $ "svc" <entry of ward.services>).
*/}}
{{- define "ward.serviceSecretRefs" -}}
{{- $root := .root }}
{{- $v := index $root.Values .svc.values }}
- env: DATABASE_URL
  secret: {{ include "ward.databaseSecretName" $root }}
  key: {{ $root.Values.database.key }}
{{- if .svc.redis }}
- env: REDIS_URL
  secret: {{ include "ward.redisSecretName" $root }}
  key: {{ $root.Values.redis.key }}
{{- end }}
{{- range $valuesKey, $env := .svc.tokens }}
{{- $token := index $v $valuesKey }}
{{- if $token.existingSecret }}
- env: {{ $env }}
  secret: {{ $token.existingSecret }}
  key: {{ $token.key }}
{{- end }}
{{- end }}
{{- with $root.Values.metrics.token.existingSecret }}
- env: METRICS_TOKEN
  secret: {{ . }}
  key: {{ $root.Values.metrics.token.key }}
{{- end }}
{{- with include "ward.kafkaPasswordRef" $root | trim }}
{{ . }}
{{- end }}
{{- end }}

{{/* The file a secret is mounted as with secretFiles.enabled: DATABASE_URL -> <mountPath>/database-url. */}}
{{- define "ward.secretFileName" -}}
{{- . | lower | replace "_" "-" }}
{{- end }}

{{/*
Container env entries for secret references (dict "root" $ "refs" <list>):
<NAME> from its Secret, or with secretFiles.enabled <NAME>_FILE naming the
mounted file (libs/config reads it), never both.
*/}}
{{- define "ward.secretEnv" -}}
{{- $files := .root.Values.secretFiles }}
{{- range .refs }}
{{- if $files.enabled }}
- name: {{ .env }}_FILE
  value: {{ printf "%s/%s" $files.mountPath (include "ward.secretFileName" .env) | quote }}
{{- else }}
- name: {{ .env }}
  valueFrom:
    secretKeyRef:
      name: {{ .secret }}
      key: {{ .key }}
{{- end }}
{{- end }}
{{- end }}

{{/* With secretFiles.enabled: one read-only projected volume of every referenced Secret key (dict "root" $ "refs" <list>). */}}
{{- define "ward.secretFilesVolume" -}}
{{- if and .root.Values.secretFiles.enabled .refs }}
{{- $bySecret := dict }}
{{- range .refs }}
{{- $items := get $bySecret .secret | default list }}
{{- $_ := set $bySecret .secret (append $items (dict "key" .key "path" (include "ward.secretFileName" .env))) }}
{{- end }}
- name: secret-files
  projected:
    # Readable by the pod's fsGroup only (0440).
    defaultMode: 288
    sources:
      {{- range $name, $items := $bySecret }}
      - secret:
          name: {{ $name }}
          items:
            {{- toYaml $items | nindent 12 }}
      {{- end }}
{{- end }}
{{- end }}

{{- define "ward.secretFilesMount" -}}
{{- if and .root.Values.secretFiles.enabled .refs }}
- name: secret-files
  mountPath: {{ .root.Values.secretFiles.mountPath }}
  readOnly: true
{{- end }}
{{- end }}

{{/* Kafka's CA and client certificate, mounted where KAFKA_SSL_CA_FILE, KAFKA_SSL_CERT_FILE and KAFKA_SSL_KEY_FILE point; `values` as for ward.kafkaClientCert. */}}
{{- define "ward.kafkaTlsVolumes" -}}
{{- $tls := .root.Values.kafka.tls }}
{{- $cert := include "ward.kafkaClientCert" . | fromYaml }}
{{- if and $tls.enabled $tls.caSecret.name }}
- name: kafka-ca
  secret:
    secretName: {{ $tls.caSecret.name }}
    items:
      - key: {{ $tls.caSecret.key }}
        path: {{ $tls.caSecret.key }}
{{- end }}
{{- if and $tls.enabled $cert.name }}
- name: kafka-client-cert
  secret:
    secretName: {{ $cert.name }}
    # The private key: readable by the pod's fsGroup only (0440).
    defaultMode: 288
    items:
      - key: {{ $cert.certKey }}
        path: tls.crt
      - key: {{ $cert.keyKey }}
        path: tls.key
{{- end }}
{{- end }}

{{- define "ward.kafkaTlsMounts" -}}
{{- $tls := .root.Values.kafka.tls }}
{{- $cert := include "ward.kafkaClientCert" . | fromYaml }}
{{- if and $tls.enabled $tls.caSecret.name }}
- name: kafka-ca
  mountPath: /etc/ward/kafka-ca
  readOnly: true
{{- end }}
{{- if and $tls.enabled $cert.name }}
- name: kafka-client-cert
  mountPath: /etc/ward/kafka-client
  readOnly: true
{{- end }}
{{- end }}

{{/* Redis's CA (REDIS_TLS_CA_FILE), from redis.tls.caSecret or redis.tls.caConfigMap. */}}
{{- define "ward.redisCaKey" -}}
{{- $tls := .Values.redis.tls }}
{{- if $tls.caSecret.name }}{{ $tls.caSecret.key }}{{ else if $tls.caConfigMap.name }}{{ $tls.caConfigMap.key }}{{ end }}
{{- end }}

{{- define "ward.redisCaVolume" -}}
{{- $tls := .Values.redis.tls }}
{{- if $tls.caSecret.name }}
- name: redis-ca
  secret:
    secretName: {{ $tls.caSecret.name }}
    items:
      - key: {{ $tls.caSecret.key }}
        path: {{ $tls.caSecret.key }}
{{- else if $tls.caConfigMap.name }}
- name: redis-ca
  configMap:
    name: {{ $tls.caConfigMap.name }}
    items:
      - key: {{ $tls.caConfigMap.key }}
        path: {{ $tls.caConfigMap.key }}
{{- end }}
{{- end }}

{{- define "ward.redisCaMount" -}}
{{- if include "ward.redisCaKey" . }}
- name: redis-ca
  mountPath: /etc/ward/redis-ca
  readOnly: true
{{- end }}
{{- end }}

{{/* The OIDC settings every service shares (AUTH_OIDC_*), as ConfigMap data. */}}
{{- define "ward.authEnv" -}}
{{- $oidc := .Values.auth.oidc }}
{{- with $oidc.issuer }}
AUTH_OIDC_ISSUER: {{ . | quote }}
{{- end }}
{{- with $oidc.audience }}
AUTH_OIDC_AUDIENCE: {{ . | quote }}
{{- end }}
{{- with $oidc.jwksUrl }}
AUTH_OIDC_JWKS_URL: {{ . | quote }}
{{- end }}
{{- with $oidc.tenantClaim }}
AUTH_OIDC_TENANT_CLAIM: {{ . | quote }}
{{- end }}
{{- with $oidc.rolesClaim }}
AUTH_OIDC_ROLES_CLAIM: {{ . | quote }}
{{- end }}
{{- end }}

{{/*
DATABASE_URL from its Secret, as an env entry: the migrations hook reads the
variable itself (libs/persistence's migrate.ts), not DATABASE_URL_FILE.
*/}}
{{/* The migrations hook's one secret, DATABASE_URL, as a {env, secret, key} list like ward.serviceSecretRefs. */}}
{{- define "ward.databaseRef" -}}
- env: DATABASE_URL
  secret: {{ include "ward.databaseSecretName" . }}
  key: {{ .Values.database.key }}
{{- end }}

{{- define "ward.serviceAccountName" -}}
{{- $v := index .root.Values .values }}
{{- if $v.serviceAccount.create }}
{{- $v.serviceAccount.name | default (include "ward.componentName" .) }}
{{- else }}
{{- $v.serviceAccount.name | default "default" }}
{{- end }}
{{- end }}

{{/* Paths of fusion's threat-intel feeds: the mounted files, then the URLs. */}}
{{- define "ward.intelFeeds" -}}
{{- $feeds := list }}
{{- range $file, $_ := .Values.fusion.intel.feeds }}
{{- $feeds = append $feeds (printf "/etc/ward/intel/%s" $file) }}
{{- end }}
{{- join "," (concat $feeds .Values.fusion.intel.urls) }}
{{- end }}

{{- define "ward.playbookDirs" -}}
{{- $dirs := list "/etc/ward/playbooks" }}
{{- if .Values.responseEngine.playbooks.existingConfigMap }}
{{- $dirs = append $dirs "/etc/ward/playbooks-custom" }}
{{- end }}
{{- join "," $dirs }}
{{- end }}

{{/*
The non-secret environment of one service, the data of its ConfigMap; call
with (dict "root" $ "component" <name> "svc" <entry of ward.services>).
*/}}
{{- define "ward.envData" -}}
{{- $root := .root }}
{{- $svc := .svc }}
{{- $v := index $root.Values $svc.values }}
LOG_LEVEL: {{ $v.logLevel | default $root.Values.logLevel | quote }}
{{ include "ward.kafkaEnv" (dict "root" $root "values" $v) }}
{{- include "ward.authEnv" $root }}
{{- if and $svc.redis (not (kindIs "invalid" $root.Values.redis.keyPrefix)) }}
REDIS_KEY_PREFIX: {{ $root.Values.redis.keyPrefix | quote }}
{{- end }}
{{- if $svc.redis }}
{{- with include "ward.redisCaKey" $root }}
REDIS_TLS_CA_FILE: {{ printf "/etc/ward/redis-ca/%s" . | quote }}
{{- end }}
{{- end }}
{{- include "ward.settingsEnv" (dict "values" $v.config "names" $svc.config "where" (printf "%s.config" $svc.values)) }}
{{- if eq .component "fusion" }}
{{- with include "ward.intelFeeds" $root }}
FUSION_INTEL_FEEDS: {{ . | quote }}
{{- end }}
{{- include "ward.settingsEnv" (dict "values" $v.intel.settings "names" $svc.intel "where" "fusion.intel.settings") }}
{{- end }}
{{- if eq .component "response-engine" }}
RESPONSE_PLAYBOOK_DIRS: {{ include "ward.playbookDirs" $root | quote }}
{{- if $v.destinations }}
RESPONSE_DESTINATIONS_FILE: /etc/ward/destinations/destinations.yaml
{{- end }}
{{- end }}
{{- end }}

{{- define "ward.detectorData" -}}
{{- include "ward.settingsEnv" (dict "values" .Values.behavioralMonitor.detectors "names" (get (include "ward.services" . | fromYaml) "behavioral-monitor").detectors "where" "behavioralMonitor.detectors") }}
{{- end }}

{{- define "ward.destinationsFile" -}}
{{- $secretEnvs := list }}
{{- range .Values.responseEngine.destinationSecrets }}
{{- $secretEnvs = append $secretEnvs .env }}
{{- end }}
{{- range $name, $destination := .Values.responseEngine.destinations }}
{{- if and $destination.secretEnv (not (has $destination.secretEnv $secretEnvs)) }}
{{- fail (printf "responseEngine.destinations.%s: secretEnv %s has no entry in responseEngine.destinationSecrets" $name $destination.secretEnv) }}
{{- end }}
{{- end }}
{{- toYaml (dict "destinations" .Values.responseEngine.destinations) }}
{{- end }}
