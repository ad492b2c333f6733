{{- define "metax-operator.labels" -}}
app.kubernetes.io/name: metax-operator
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "metax-operator.helmMetadata" -}}
meta.helm.sh/release-name: {{ .Release.Name }}
meta.helm.sh/release-namespace: {{ .Release.Namespace }}
{{- end -}}

{{- define "metax-operator.image" -}}
{{ .root.Values.registry }}/{{ .component }}:{{ .root.Values.operatorVersion }}-{{ .root.Values.arch }}
{{- end -}}
