{{/*
The pod template every Deployment and the drill's CronJob use: the image's `paysync <command>` as uid
1000 (deploy/Dockerfile's user `node`) on a read-only root filesystem (paysync writes no file),
settings as env, secrets as files. A Deployment's service serves /healthz and /readyz: readinessPath
gives its port and probes. The drill serves nothing (it ends by itself), so it gives none, and
restartPolicy Never.
args: dict "ctx" $ "component" "apply" "target" "replica" "command" "apply" "settings" {} "secrets" {}
  "managed" {} "resources" {} "grace" 60 "readinessPath" "/readyz" "affinity" {} "restartPolicy" "Never"
*/}}
{{- define "paysync.podTemplate" -}}
metadata:
  labels:
    {{- include "paysync.labels" . | nindent 4 }}
    # The PodMonitor's job: one per workload, what deploy/prometheus/alerts.yml groups by.
    paysync/job: {{ include "paysync.name" . }}
spec:
  # No paysync service talks to the Kubernetes API.
  automountServiceAccountToken: false
  # Only the settings below in the environment: no <SERVICE>_PORT variables of other Services.
  enableServiceLinks: false
  {{- with .ctx.Values.imagePullSecrets }}
  imagePullSecrets:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  terminationGracePeriodSeconds: {{ .grace }}
  {{- with .restartPolicy }}
  restartPolicy: {{ . }}
  {{- end }}
  securityContext:
    runAsNonRoot: true
    runAsUser: 1000
    runAsGroup: 1000
    # The group that may read the mounted secrets.
    fsGroup: 1000
    seccompProfile:
      type: RuntimeDefault
  containers:
    - name: {{ .component }}
      image: {{ printf "%s:%s" .ctx.Values.image.repository (.ctx.Values.image.tag | default .ctx.Chart.AppVersion) | quote }}
      imagePullPolicy: {{ .ctx.Values.image.pullPolicy }}
      args: [{{ .command | quote }}]
      env:
        {{- include "paysync.env" . | trim | nindent 8 }}
      {{- if .readinessPath }}
      ports:
        - name: http
          containerPort: {{ include "paysync.httpPort" . }}
      # The health server starts before anything else; a slow start is a slow node, not a failure.
      startupProbe:
        httpGet: {path: /healthz, port: http}
        periodSeconds: 2
        failureThreshold: 30
      livenessProbe:
        httpGet: {path: /healthz, port: http}
        periodSeconds: 10
        timeoutSeconds: 5
        failureThreshold: 3
      readinessProbe:
        httpGet: {path: {{ .readinessPath }}, port: http}
        periodSeconds: 5
        timeoutSeconds: 5
        failureThreshold: 2
      {{- end }}
      resources:
        {{- toYaml .resources | nindent 8 }}
      securityContext:
        allowPrivilegeEscalation: false
        readOnlyRootFilesystem: true
        capabilities:
          drop: [ALL]
      {{- with include "paysync.secretMounts" . }}
      volumeMounts:
        {{- . | trim | nindent 8 }}
      {{- end }}
  {{- with include "paysync.secretVolumes" . }}
  volumes:
    {{- . | trim | nindent 4 }}
  {{- end }}
  {{- with .affinity }}
  affinity:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with .ctx.Values.nodeSelector }}
  nodeSelector:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with .ctx.Values.tolerations }}
  tolerations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
{{- end -}}
