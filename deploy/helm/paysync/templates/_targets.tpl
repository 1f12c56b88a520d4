{{/* Target entries: checked once, and a service's values with the target's overrides applied. */}}

{{- define "paysync.checkTargets" -}}
{{- $seen := list -}}
{{- range .Values.targets -}}
{{- if not (regexMatch "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$" (.name | default "" | toString)) }}{{ fail (printf "targets: name %q must be a DNS label (lowercase letters, digits, -): it names the target's Deployments" (.name | default "")) }}{{ end -}}
{{- if has .name $seen }}{{ fail (printf "targets: %s is listed twice" .name) }}{{ end -}}
{{- $seen = append $seen .name -}}
{{- end -}}
{{- end -}}

{{/*
A target's apply or reconciler: the defaults of .Values.<service>, each key the target's entry
gives replacing the default's (settings and secrets are merged by the caller).
args: dict "defaults" .Values.apply "override" $target.apply; returns YAML for fromYaml
*/}}
{{- define "paysync.targetService" -}}
{{- $part := dict -}}
{{- include "paysync.mergeInto" (list $part (omit .defaults "settings" "secrets") (omit (.override | default dict) "settings" "secrets")) -}}
{{- toYaml $part -}}
{{- end -}}

{{/* Every Deployment the values turn on, as a YAML list of {component, target} (for fromYamlArray). */}}
{{- define "paysync.workloads" -}}
{{- $all := list -}}
{{- if .Values.capture.enabled }}{{ $all = append $all (dict "component" "capture") }}{{ end -}}
{{- range $target := .Values.targets -}}
{{- range $service := list "apply" "reconciler" -}}
{{- $values := include "paysync.targetService" (dict "defaults" (get $.Values $service) "override" (get $target $service)) | fromYaml -}}
{{- if $values.enabled }}{{ $all = append $all (dict "component" $service "target" $target.name) }}{{ end -}}
{{- end -}}
{{- end -}}
{{- toYaml $all -}}
{{- end -}}
