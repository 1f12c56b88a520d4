{{/* Names and labels every object of the chart shares. */}}

{{- define "paysync.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{/* <fullname>-<component>[-<target>]; args: dict "ctx" . "component" "apply" "target" "replica" */}}
{{- define "paysync.name" -}}
{{- $parts := list (include "paysync.fullname" .ctx) .component -}}
{{- if .target }}{{ $parts = append $parts .target }}{{ end -}}
{{- join "-" $parts | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* The labels that select one Deployment's pods; same args as paysync.name. */}}
{{- define "paysync.selectorLabels" -}}
app.kubernetes.io/name: {{ .ctx.Chart.Name }}
app.kubernetes.io/instance: {{ .ctx.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- if .target }}
paysync/target: {{ .target }}
{{- end }}
{{- end -}}

{{- define "paysync.labels" -}}
{{ include "paysync.selectorLabels" . }}
app.kubernetes.io/version: {{ .ctx.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .ctx.Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .ctx.Chart.Name .ctx.Chart.Version }}
{{- end -}}
