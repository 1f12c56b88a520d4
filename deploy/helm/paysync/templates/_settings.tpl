{{/* Settings: merging the blocks of values, checking them, and turning them into env and mounts. */}}

{{/*
Copies each map of the list after the first into the first, later ones winning whole entries.
Used for its effect on the first map (a template can only return text): values keep their types.
*/}}
{{- define "paysync.mergeInto" -}}
{{- $into := first . -}}
{{- range rest . }}{{ range $k, $v := (. | default dict) }}{{ $_ := set $into $k $v }}{{ end }}{{ end -}}
{{- end -}}

{{/* A setting's text: Helm reads every number of values as a float, which would print as 8.388608e+06; a list is joined with commas. */}}
{{- define "paysync.settingValue" -}}
{{- if kindIs "float64" . -}}
{{- if eq . (floor .) }}{{ printf "%d" (int64 .) }}{{ else }}{{ . }}{{ end -}}
{{- else if kindIs "slice" . -}}
{{- join "," . -}}
{{- else -}}
{{- . -}}
{{- end -}}
{{- end -}}

{{/* The port of every service's /healthz, /readyz and /metrics; the chart sets PAYSYNC_HTTP_PORT to it. */}}
{{- define "paysync.httpPort" -}}8080{{- end -}}

{{/*
PAYSYNC_DRAIN_TIMEOUT_MS for a pod's terminationGracePeriodSeconds: 5 s below it (at least 1 s), so
a stop that cannot finish exits by itself, saying what held it, before Kubernetes kills it.
*/}}
{{- define "paysync.drainTimeoutMs" -}}
{{- mul (max 1 (sub (int .) 5)) 1000 -}}
{{- end -}}

{{/* Where a Secret is mounted: one folder per Secret, one file per key. */}}
{{- define "paysync.secretDir" -}}
{{- printf "/etc/paysync/secrets/%s" . -}}
{{- end -}}

{{/*
Fails the render on settings that would go wrong at run time: a secret given as plain text, a
setting the chart sets itself, a setting given both ways, a secret without its Secret or key.
args: dict "where" "targets[replica].apply" "settings" $settings "secrets" $secrets "managed" $managed
*/}}
{{- define "paysync.checkSettings" -}}
{{- $secretNames := include "paysync.secretSettings" . | splitList "\n" -}}
{{- range $k, $_ := .settings -}}
{{- if has $k $secretNames }}{{ fail (printf "%s: %s is a secret: give it under secrets as {existingSecret, key}, not under settings" $.where $k) }}{{ end -}}
{{- if hasKey $.secrets $k }}{{ fail (printf "%s: %s is given both under settings and under secrets" $.where $k) }}{{ end -}}
{{- end -}}
{{- range $k, $v := .secrets -}}
{{- if not (and (kindIs "map" $v) $v.existingSecret $v.key) }}{{ fail (printf "%s: secrets.%s needs existingSecret and key" $.where $k) }}{{ end -}}
{{- end -}}
{{- range $k, $_ := .managed -}}
{{- if or (hasKey $.settings $k) (hasKey $.secrets $k) }}{{ fail (printf "%s: %s is set by the chart; leave it out" $.where $k) }}{{ end -}}
{{- end -}}
{{- end -}}

{{/*
A container's settings from blocks of values (maps with optional settings and secrets), later
blocks winning whole entries, checked as paysync.checkSettings does. chartSecrets are secrets the
chart gives from values of its own ({existingSecret, key} each): like managed, no block may give them.
args: dict "where" "capture" "blocks" (list .Values.shared .Values.capture) "managed" $managed
  "chartSecrets" {}; returns YAML {settings, secrets} for fromYaml
*/}}
{{- define "paysync.blockSettings" -}}
{{- $settings := dict -}}
{{- $secrets := dict -}}
{{- range .blocks }}{{ include "paysync.mergeInto" (list $settings .settings) }}{{ include "paysync.mergeInto" (list $secrets .secrets) }}{{ end -}}
{{- $chartSecrets := .chartSecrets | default dict -}}
{{- $chartSet := dict -}}
{{- include "paysync.mergeInto" (list $chartSet .managed $chartSecrets) -}}
{{- include "paysync.checkSettings" (dict "where" .where "settings" $settings "secrets" $secrets "managed" $chartSet) -}}
{{- include "paysync.mergeInto" (list $secrets $chartSecrets) -}}
{{- toYaml (dict "settings" $settings "secrets" $secrets) -}}
{{- end -}}

{{/* The container's env: the chart's own settings, the plain ones, then each secret as the path of its file. */}}
{{- define "paysync.env" -}}
{{- $all := dict -}}
{{- include "paysync.mergeInto" (list $all .managed .settings) -}}
{{- range $k := keys $all | sortAlpha }}
- name: {{ $k }}
  value: {{ include "paysync.settingValue" (get $all $k) | quote }}
{{- end }}
{{- range $k := keys .secrets | sortAlpha }}
- name: {{ if hasSuffix "_FILE" $k }}{{ $k }}{{ else }}{{ $k }}_FILE{{ end }}
  {{- $secret := get $.secrets $k }}
  value: {{ printf "%s/%s" (include "paysync.secretDir" $secret.existingSecret) $secret.key | quote }}
{{- end }}
{{- end -}}

{{/* The Secrets the settings name, sorted: volume i mounts the i-th. */}}
{{- define "paysync.secretNames" -}}
{{- $names := list -}}
{{- range .secrets }}{{ $names = append $names .existingSecret }}{{ end -}}
{{- $names | uniq | sortAlpha | join "\n" -}}
{{- end -}}

{{/* One read-only volume per Secret, holding only the keys the settings name. */}}
{{- define "paysync.secretVolumes" -}}
{{- range $i, $name := include "paysync.secretNames" . | splitList "\n" | compact }}
- name: secret-{{ $i }}
  secret:
    secretName: {{ $name }}
    defaultMode: 288 # 0440: the owner and the pod's fsGroup
    items:
    {{- $keys := list }}
    {{- range $.secrets }}{{ if eq .existingSecret $name }}{{ $keys = append $keys .key }}{{ end }}{{ end }}
    {{- range $keys | uniq | sortAlpha }}
      - key: {{ . }}
        path: {{ . }}
    {{- end }}
{{- end }}
{{- end -}}

{{- define "paysync.secretMounts" -}}
{{- range $i, $name := include "paysync.secretNames" . | splitList "\n" | compact }}
- name: secret-{{ $i }}
  mountPath: {{ include "paysync.secretDir" $name }}
  readOnly: true
{{- end }}
{{- end -}}
