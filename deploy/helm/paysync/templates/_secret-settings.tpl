{{/*
The settings paysync treats as secrets (`secret: true` where libs/config and the services define
them): they come only through `secrets`, never as plain `settings`, so no secret value is ever in
a pod spec or in values. test/unit/helm/chart-settings.test.ts holds this list to the code's.
*/}}
{{- define "paysync.secretSettings" -}}
PAYSYNC_ADMIN_TOKEN
PAYSYNC_COLUMN_HASH_KEY
PAYSYNC_DRILL_PUSHGATEWAY_URL
PAYSYNC_KAFKA_SASL_PASSWORD
PAYSYNC_KAFKA_SSL_KEY_FILE
PAYSYNC_RECONCILE_WEBHOOK_URL
PAYSYNC_SCHEMA_REGISTRY_PASSWORD
PAYSYNC_SCHEMA_REGISTRY_TOKEN
PAYSYNC_SCHEMA_REGISTRY_URL
PAYSYNC_SOURCE_URL
PAYSYNC_STATUS_TARGET_URLS
PAYSYNC_TARGET_URL
{{- end -}}
