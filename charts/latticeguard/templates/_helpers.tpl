{{/*
Names and labels shared by every template.
*/}}

{{/* The chart name, or nameOverride. */}}
{{- define "latticeguard.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
The full name of the release's objects: fullnameOverride, else the release name when it already contains
the chart name (release "latticeguard" gives "latticeguard"), else "<release>-<chart>".
*/}}
{{- define "latticeguard.fullname" -}}
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

{{/* "<chart>-<version>" for the helm.sh/chart label. */}}
{{- define "latticeguard.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Labels that select the operator's pods. */}}
{{- define "latticeguard.selectorLabels" -}}
app.kubernetes.io/name: {{ include "latticeguard.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: operator
{{- end }}

{{/*
Labels of every object, except app.kubernetes.io/managed-by (see latticeguard.labels). The generated CRD
templates (hack/generate.ts) rely on this helper emitting app.kubernetes.io/name and
app.kubernetes.io/part-of.
*/}}
{{- define "latticeguard.commonLabels" -}}
helm.sh/chart: {{ include "latticeguard.chart" . }}
app.kubernetes.io/name: {{ include "latticeguard.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/part-of: latticeguard
{{- end }}

{{/* Labels of every object Helm alone manages. */}}
{{- define "latticeguard.labels" -}}
{{ include "latticeguard.commonLabels" . }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{/* The operator's ServiceAccount. */}}
{{- define "latticeguard.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "latticeguard.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- required "serviceAccount.name must name an existing ServiceAccount when serviceAccount.create is false" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* The ValidatingWebhookConfiguration's name (--webhook-configuration). */}}
{{- define "latticeguard.webhookConfigurationName" -}}
{{- default (include "latticeguard.fullname" .) .Values.webhook.configurationName }}
{{- end }}

{{/*
The namespaceSelector of every LatticeGuard webhook, as webhookNamespaceSelector() in
webhook/configuration.ts builds it: kube-system and LatticeGuard's own namespace are never sent, so the
cluster can always recover; with watchNamespaces, only those namespaces are.
*/}}
{{- define "latticeguard.webhookNamespaceSelector" -}}
namespaceSelector:
  matchExpressions:
    - key: kubernetes.io/metadata.name
      operator: NotIn
      values: [kube-system, {{ .Release.Namespace }}]
    {{- with .Values.watchNamespaces }}
    - key: kubernetes.io/metadata.name
      operator: In
      values: {{ uniq . | toJson }}
    {{- end }}
{{- end }}

{{/* The cert-manager Certificate of the webhook (cert-manager mode). */}}
{{- define "latticeguard.webhookCertificateName" -}}
{{- printf "%s-webhook" (include "latticeguard.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Whether the operator serves the webhook with self-managed certificates. */}}
{{- define "latticeguard.webhookSelfManaged" -}}
{{- if and .Values.webhook.enabled (eq .Values.webhook.tls.mode "self-managed") }}true{{ end }}
{{- end }}

{{/* Whether the webhook's certificate comes from cert-manager. */}}
{{- define "latticeguard.webhookCertManager" -}}
{{- if and .Values.webhook.enabled (eq .Values.webhook.tls.mode "cert-manager") }}true{{ end }}
{{- end }}

{{/* The image reference: repository, then @digest if set, else :tag (default the appVersion). */}}
{{- define "latticeguard.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{/*
The image of LatticeGuard's proxy (--proxy-image): the operator's own image, which carries
`latticeguard proxy`, unless proxy.image names another; a repository alone takes the chart's appVersion.
*/}}
{{- define "latticeguard.proxyImage" -}}
{{- with .Values.proxy.image }}
{{- if not (or .repository .tag .digest) }}
{{- include "latticeguard.image" $ }}
{{- else if .digest }}
{{- printf "%s@%s" (default $.Values.image.repository .repository) .digest }}
{{- else }}
{{- printf "%s:%s" (default $.Values.image.repository .repository) (default $.Chart.AppVersion .tag) }}
{{- end }}
{{- end }}
{{- end }}

{{/* The name of the Lease the replicas elect a leader on (LEASE_NAME in operator/operator.ts). */}}
{{- define "latticeguard.leaseName" -}}
latticeguard-operator
{{- end }}
