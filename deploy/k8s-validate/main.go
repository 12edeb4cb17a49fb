// Command k8s-validate checks rendered Kubernetes manifests offline, without a
// cluster: every document of a multi-document YAML stream on stdin is decoded
// strictly (unknown or duplicate fields, wrong types and case-mismatched names
// are errors) into the upstream Go type of its apiVersion and kind, then
// checked for what an API server or controller would refuse or silently
// ignore: object metadata, container names and images, probe and Service
// ports, volume mounts, env sources, label selectors that select nothing, and
// references between the objects of the stream.
//
// It prints a JSON report {"objects": [...], "errors": [...]} and exits 1 when
// there is any error, 2 when stdin cannot be read.
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path"
	"sort"
	"strings"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	apivalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	sigsjson "sigs.k8s.io/json"
	sigsyaml "sigs.k8s.io/yaml"
)

// The largest ConfigMap the API server stores (etcd's object limit).
const maxConfigMapBytes = 1024 * 1024

type objectRef struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Namespace  string `json:"namespace,omitempty"`
	Name       string `json:"name"`
}

type report struct {
	Objects []objectRef `json:"objects"`
	Errors  []string    `json:"errors"`
}

type decoded struct {
	ref objectRef
	obj runtime.Object
}

func newScheme() *runtime.Scheme {
	scheme := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{
		corev1.AddToScheme,
		appsv1.AddToScheme,
		batchv1.AddToScheme,
		autoscalingv2.AddToScheme,
		policyv1.AddToScheme,
		networkingv1.AddToScheme,
		monitoringv1.AddToScheme,
	} {
		if err := add(scheme); err != nil {
			panic(err)
		}
	}
	return scheme
}

var clusterScoped = map[string]bool{
	"Namespace":        true,
	"Node":             true,
	"PersistentVolume": true,
	"ComponentStatus":  true,
}

func main() {
	checkRefs := flag.Bool("check-refs", true, "require ConfigMaps, ServiceAccounts and scale targets that pods and autoscalers name to be in the stream")
	flag.Parse()
	out := report{Objects: []objectRef{}, Errors: []string{}}
	objects, err := decodeStream(os.Stdin, newScheme(), &out)
	if err != nil {
		fmt.Fprintln(os.Stderr, "k8s-validate:", err)
		os.Exit(2)
	}
	v := &validator{objects: objects, checkRefs: *checkRefs}
	for _, d := range objects {
		out.Objects = append(out.Objects, d.ref)
		for _, problem := range v.check(d) {
			out.Errors = append(out.Errors, fmt.Sprintf("%s/%s: %s", d.ref.Kind, d.ref.Name, problem))
		}
	}
	out.Errors = append(out.Errors, v.duplicates()...)
	encoder := json.NewEncoder(os.Stdout)
	encoder.SetIndent("", "  ")
	if err := encoder.Encode(out); err != nil {
		os.Exit(2)
	}
	if len(out.Errors) > 0 {
		os.Exit(1)
	}
}

// decodeStream returns the typed objects of the stream; documents that fail
// to decode are reported in out.Errors (numbered from 1) and left out.
func decodeStream(in io.Reader, scheme *runtime.Scheme, out *report) ([]decoded, error) {
	reader := utilyaml.NewYAMLReader(bufio.NewReader(in))
	var objects []decoded
	for index := 1; ; index++ {
		doc, err := reader.Read()
		if errors.Is(err, io.EOF) {
			return objects, nil
		}
		if err != nil {
			return nil, err
		}
		d, problem := decodeDocument(doc, scheme)
		if problem != "" {
			out.Errors = append(out.Errors, fmt.Sprintf("document %d%s: %s", index, describe(d), problem))
			continue
		}
		if d != nil {
			objects = append(objects, *d)
		}
	}
}

func describe(d *decoded) string {
	if d == nil || d.ref.Kind == "" {
		return ""
	}
	return fmt.Sprintf(" (%s/%s)", d.ref.Kind, d.ref.Name)
}

// decodeDocument returns nil and no problem for a document holding only comments.
func decodeDocument(doc []byte, scheme *runtime.Scheme) (*decoded, string) {
	// YAMLToJSONStrict refuses duplicate keys, which plain YAML decoding would silently merge.
	raw, err := sigsyaml.YAMLToJSONStrict(doc)
	if err != nil {
		return nil, "not valid YAML: " + err.Error()
	}
	if bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
		return nil, ""
	}
	var meta struct {
		metav1.TypeMeta `json:",inline"`
		Metadata        struct {
			Name      string `json:"name"`
			Namespace string `json:"namespace"`
		} `json:"metadata"`
	}
	if err := json.Unmarshal(raw, &meta); err != nil {
		return nil, "not an object: " + err.Error()
	}
	ref := objectRef{APIVersion: meta.APIVersion, Kind: meta.Kind, Namespace: meta.Metadata.Namespace, Name: meta.Metadata.Name}
	d := &decoded{ref: ref}
	if meta.APIVersion == "" || meta.Kind == "" {
		return d, "apiVersion and kind are required"
	}
	gv, err := schema.ParseGroupVersion(meta.APIVersion)
	if err != nil {
		return d, err.Error()
	}
	obj, err := scheme.New(gv.WithKind(meta.Kind))
	if err != nil {
		return d, fmt.Sprintf("unknown kind %s in %s", meta.Kind, meta.APIVersion)
	}
	strict, err := sigsjson.UnmarshalStrict(raw, obj)
	if err != nil {
		return d, err.Error()
	}
	if len(strict) > 0 {
		messages := make([]string, len(strict))
		for i, e := range strict {
			messages[i] = e.Error()
		}
		return d, strings.Join(messages, "; ")
	}
	d.obj = obj
	return d, ""
}

type validator struct {
	objects   []decoded
	checkRefs bool
}

func (v *validator) duplicates() []string {
	seen := map[objectRef]int{}
	var problems []string
	for _, d := range v.objects {
		key := objectRef{Kind: d.ref.Kind, Namespace: d.ref.Namespace, Name: d.ref.Name}
		seen[key]++
		if seen[key] == 2 {
			problems = append(problems, fmt.Sprintf("%s/%s: defined more than once", key.Kind, key.Name))
		}
	}
	return problems
}

func (v *validator) check(d decoded) []string {
	accessor, ok := d.obj.(metav1.Object)
	if !ok {
		return []string{"has no object metadata"}
	}
	nameFn := apivalidation.NameIsDNSSubdomain
	if _, isService := d.obj.(*corev1.Service); isService {
		nameFn = apivalidation.NameIsDNS1035Label
	}
	var problems []string
	for _, e := range apivalidation.ValidateObjectMetaAccessor(accessor, !clusterScoped[d.ref.Kind], nameFn, nil) {
		problems = append(problems, "metadata."+e.Error())
	}
	switch o := d.obj.(type) {
	case *appsv1.Deployment:
		problems = append(problems, v.deployment(o)...)
	case *batchv1.Job:
		problems = append(problems, v.job(o)...)
	case *corev1.Service:
		problems = append(problems, v.service(o)...)
	case *corev1.ConfigMap:
		problems = append(problems, configMap(o)...)
	case *autoscalingv2.HorizontalPodAutoscaler:
		problems = append(problems, v.hpa(o)...)
	case *policyv1.PodDisruptionBudget:
		problems = append(problems, v.pdb(o)...)
	case *networkingv1.NetworkPolicy:
		problems = append(problems, networkPolicy(o)...)
	case *networkingv1.Ingress:
		problems = append(problems, v.ingress(o)...)
	case *monitoringv1.ServiceMonitor:
		problems = append(problems, v.serviceMonitor(o)...)
	case *monitoringv1.PrometheusRule:
		problems = append(problems, prometheusRule(o)...)
	}
	return problems
}

func (v *validator) deployment(o *appsv1.Deployment) []string {
	var problems []string
	if o.Spec.Replicas != nil && *o.Spec.Replicas < 0 {
		problems = append(problems, "spec.replicas must not be negative")
	}
	problems = append(problems, selectorMatches("spec.selector", o.Spec.Selector, o.Spec.Template.Labels)...)
	return append(problems, v.podSpec("spec.template.spec", &o.Spec.Template.Spec)...)
}

func (v *validator) job(o *batchv1.Job) []string {
	var problems []string
	policy := o.Spec.Template.Spec.RestartPolicy
	if policy != corev1.RestartPolicyNever && policy != corev1.RestartPolicyOnFailure {
		problems = append(problems, fmt.Sprintf("spec.template.spec.restartPolicy must be Never or OnFailure for a Job, got %q", policy))
	}
	return append(problems, v.podSpec("spec.template.spec", &o.Spec.Template.Spec)...)
}

func selectorMatches(where string, selector *metav1.LabelSelector, podLabels map[string]string) []string {
	if selector == nil || (len(selector.MatchLabels) == 0 && len(selector.MatchExpressions) == 0) {
		return []string{where + " is required and must not be empty"}
	}
	s, err := metav1.LabelSelectorAsSelector(selector)
	if err != nil {
		return []string{fmt.Sprintf("%s: %v", where, err)}
	}
	if !s.Matches(labels.Set(podLabels)) {
		return []string{where + " does not match the pod template's labels"}
	}
	return nil
}

func (v *validator) podSpec(where string, spec *corev1.PodSpec) []string {
	var problems []string
	add := func(format string, args ...any) {
		problems = append(problems, where+"."+fmt.Sprintf(format, args...))
	}
	volumes := map[string]bool{}
	for i, volume := range spec.Volumes {
		for _, msg := range validation.IsDNS1123Label(volume.Name) {
			add("volumes[%d].name %q: %s", i, volume.Name, msg)
		}
		if volumes[volume.Name] {
			add("volumes[%d].name %q is duplicated", i, volume.Name)
		}
		volumes[volume.Name] = true
		if n := countSources(volume.VolumeSource); n != 1 {
			add("volumes[%d] (%s) must have exactly one source, has %d", i, volume.Name, n)
		}
		if cm := volume.ConfigMap; cm != nil {
			problems = append(problems, v.configMapRef(fmt.Sprintf("%s.volumes[%d]", where, i), cm.Name, cm.Optional, itemKeys(cm.Items))...)
		}
		if projected := volume.Projected; projected != nil {
			for j, source := range projected.Sources {
				if cm := source.ConfigMap; cm != nil {
					problems = append(problems, v.configMapRef(fmt.Sprintf("%s.volumes[%d].projected.sources[%d]", where, i, j), cm.Name, cm.Optional, itemKeys(cm.Items))...)
				}
				if secret := source.Secret; secret != nil && secret.Name == "" {
					add("volumes[%d].projected.sources[%d].secret.name is required", i, j)
				}
			}
		}
		if secret := volume.Secret; secret != nil && secret.SecretName == "" {
			add("volumes[%d].secret.secretName is required", i)
		}
	}
	if v.checkRefs && spec.ServiceAccountName != "" && spec.ServiceAccountName != "default" && !v.has("ServiceAccount", spec.ServiceAccountName) {
		add("serviceAccountName %q is not defined in the stream", spec.ServiceAccountName)
	}
	if len(spec.Containers) == 0 {
		add("containers must not be empty")
	}
	names := map[string]bool{}
	all := append(append([]corev1.Container{}, spec.InitContainers...), spec.Containers...)
	for i := range all {
		c := &all[i]
		cw := fmt.Sprintf("%s.containers[%s]", where, c.Name)
		if names[c.Name] {
			problems = append(problems, cw+": name is duplicated")
		}
		names[c.Name] = true
		problems = append(problems, v.container(cw, c, volumes)...)
	}
	return problems
}

func itemKeys(items []corev1.KeyToPath) []string {
	keys := make([]string, len(items))
	for i, item := range items {
		keys[i] = item.Key
	}
	return keys
}

func countSources(source corev1.VolumeSource) int {
	raw, err := json.Marshal(source)
	if err != nil {
		return 0
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil {
		return 0
	}
	return len(fields)
}

func (v *validator) has(kind, name string) bool {
	for _, d := range v.objects {
		if d.ref.Kind == kind && d.ref.Name == name {
			return true
		}
	}
	return false
}

func (v *validator) configMapRef(where, name string, optional *bool, keys []string) []string {
	if name == "" {
		return []string{where + ": ConfigMap name is required"}
	}
	if !v.checkRefs || (optional != nil && *optional) {
		return nil
	}
	for _, d := range v.objects {
		if cm, ok := d.obj.(*corev1.ConfigMap); ok && cm.Name == name {
			var problems []string
			for _, key := range keys {
				_, inData := cm.Data[key]
				_, inBinary := cm.BinaryData[key]
				if !inData && !inBinary {
					problems = append(problems, fmt.Sprintf("%s: ConfigMap %s has no key %q", where, name, key))
				}
			}
			return problems
		}
	}
	return []string{fmt.Sprintf("%s: ConfigMap %s is not defined in the stream", where, name)}
}

func (v *validator) container(where string, c *corev1.Container, volumes map[string]bool) []string {
	var problems []string
	add := func(format string, args ...any) {
		problems = append(problems, where+"."+fmt.Sprintf(format, args...))
	}
	for _, msg := range validation.IsDNS1123Label(c.Name) {
		add("name %q: %s", c.Name, msg)
	}
	if strings.TrimSpace(c.Image) == "" {
		add("image is required")
	}
	portNames := map[string]bool{}
	portNumbers := map[int32]bool{}
	for i, port := range c.Ports {
		for _, msg := range validation.IsValidPortNum(int(port.ContainerPort)) {
			add("ports[%d].containerPort: %s", i, msg)
		}
		if port.Name != "" {
			for _, msg := range validation.IsValidPortName(port.Name) {
				add("ports[%d].name %q: %s", i, port.Name, msg)
			}
			if portNames[port.Name] {
				add("ports[%d].name %q is duplicated", i, port.Name)
			}
			portNames[port.Name] = true
		}
		portNumbers[port.ContainerPort] = true
	}
	probes := map[string]*corev1.Probe{"livenessProbe": c.LivenessProbe, "readinessProbe": c.ReadinessProbe, "startupProbe": c.StartupProbe}
	for _, kind := range []string{"livenessProbe", "readinessProbe", "startupProbe"} {
		probe := probes[kind]
		if probe == nil {
			continue
		}
		handlers := 0
		var port *intstr.IntOrString
		if probe.HTTPGet != nil {
			handlers++
			port = &probe.HTTPGet.Port
			if !strings.HasPrefix(probe.HTTPGet.Path, "/") {
				add("%s.httpGet.path %q must start with /", kind, probe.HTTPGet.Path)
			}
		}
		if probe.TCPSocket != nil {
			handlers++
			port = &probe.TCPSocket.Port
		}
		if probe.GRPC != nil {
			handlers++
		}
		if probe.Exec != nil {
			handlers++
		}
		if handlers != 1 {
			add("%s must have exactly one handler, has %d", kind, handlers)
		}
		if port != nil {
			problems = append(problems, probePort(where+"."+kind, *port, portNames, portNumbers)...)
		}
		if kind != "readinessProbe" && probe.SuccessThreshold > 1 {
			add("%s.successThreshold must be 1", kind)
		}
	}
	envNames := map[string]bool{}
	for i, e := range c.Env {
		for _, msg := range validation.IsEnvVarName(e.Name) {
			add("env[%d].name %q: %s", i, e.Name, msg)
		}
		if envNames[e.Name] {
			add("env[%d].name %q is set twice (the later one wins silently)", i, e.Name)
		}
		envNames[e.Name] = true
		if e.ValueFrom == nil {
			continue
		}
		if e.Value != "" {
			add("env[%s] may not have both value and valueFrom", e.Name)
		}
		sources := 0
		if ref := e.ValueFrom.SecretKeyRef; ref != nil {
			sources++
			if ref.Name == "" || ref.Key == "" {
				add("env[%s].valueFrom.secretKeyRef needs name and key", e.Name)
			}
		}
		if ref := e.ValueFrom.ConfigMapKeyRef; ref != nil {
			sources++
			problems = append(problems, v.configMapRef(fmt.Sprintf("%s.env[%s]", where, e.Name), ref.Name, ref.Optional, []string{ref.Key})...)
		}
		if e.ValueFrom.FieldRef != nil {
			sources++
		}
		if e.ValueFrom.ResourceFieldRef != nil {
			sources++
		}
		if e.ValueFrom.FileKeyRef != nil {
			sources++
		}
		if sources != 1 {
			add("env[%s].valueFrom must have exactly one source, has %d", e.Name, sources)
		}
	}
	for i, from := range c.EnvFrom {
		if from.ConfigMapRef != nil {
			problems = append(problems, v.configMapRef(fmt.Sprintf("%s.envFrom[%d]", where, i), from.ConfigMapRef.Name, from.ConfigMapRef.Optional, nil)...)
		}
		if from.SecretRef != nil && from.SecretRef.Name == "" {
			add("envFrom[%d].secretRef.name is required", i)
		}
	}
	mountPaths := map[string]bool{}
	for i, mount := range c.VolumeMounts {
		if !volumes[mount.Name] {
			add("volumeMounts[%d] names volume %q, which the pod does not define", i, mount.Name)
		}
		if !path.IsAbs(mount.MountPath) {
			add("volumeMounts[%d].mountPath %q must be absolute", i, mount.MountPath)
		}
		if mountPaths[mount.MountPath] {
			add("volumeMounts[%d].mountPath %q is used twice", i, mount.MountPath)
		}
		mountPaths[mount.MountPath] = true
	}
	for name, limit := range c.Resources.Limits {
		if request, ok := c.Resources.Requests[name]; ok && request.Cmp(limit) > 0 {
			add("resources.requests.%s (%s) exceeds its limit (%s)", name, request.String(), limit.String())
		}
	}
	return problems
}

func probePort(where string, port intstr.IntOrString, names map[string]bool, numbers map[int32]bool) []string {
	if port.Type == intstr.String {
		if !names[port.StrVal] {
			return []string{fmt.Sprintf("%s: port %q is not a named port of the container", where, port.StrVal)}
		}
		return nil
	}
	if !numbers[port.IntVal] {
		return []string{fmt.Sprintf("%s: port %d is not a declared containerPort", where, port.IntVal)}
	}
	return nil
}

func (v *validator) service(o *corev1.Service) []string {
	var problems []string
	if o.Spec.Type != corev1.ServiceTypeExternalName && len(o.Spec.Ports) == 0 {
		problems = append(problems, "spec.ports must not be empty")
	}
	names := map[string]bool{}
	for i, port := range o.Spec.Ports {
		for _, msg := range validation.IsValidPortNum(int(port.Port)) {
			problems = append(problems, fmt.Sprintf("spec.ports[%d].port: %s", i, msg))
		}
		if len(o.Spec.Ports) > 1 && port.Name == "" {
			problems = append(problems, fmt.Sprintf("spec.ports[%d].name is required when there are several ports", i))
		}
		if names[port.Name] {
			problems = append(problems, fmt.Sprintf("spec.ports[%d].name %q is duplicated", i, port.Name))
		}
		names[port.Name] = true
		if port.TargetPort.Type == intstr.String {
			for _, msg := range validation.IsValidPortName(port.TargetPort.StrVal) {
				problems = append(problems, fmt.Sprintf("spec.ports[%d].targetPort %q: %s", i, port.TargetPort.StrVal, msg))
			}
		}
	}
	if len(o.Spec.Selector) > 0 && !v.anyPodTemplate(labels.SelectorFromSet(o.Spec.Selector), o.Spec.Ports) {
		problems = append(problems, "spec.selector matches no pod template in the stream that exposes its target ports")
	}
	return problems
}

// anyPodTemplate says whether a Deployment's pods match selector and, when ports
// are given, have every named target port.
func (v *validator) anyPodTemplate(selector labels.Selector, ports []corev1.ServicePort) bool {
	for _, d := range v.objects {
		deployment, ok := d.obj.(*appsv1.Deployment)
		if !ok || !selector.Matches(labels.Set(deployment.Spec.Template.Labels)) {
			continue
		}
		named := map[string]bool{}
		for _, c := range deployment.Spec.Template.Spec.Containers {
			for _, p := range c.Ports {
				named[p.Name] = true
			}
		}
		complete := true
		for _, p := range ports {
			if p.TargetPort.Type == intstr.String && !named[p.TargetPort.StrVal] {
				complete = false
			}
		}
		if complete {
			return true
		}
	}
	return false
}

func configMap(o *corev1.ConfigMap) []string {
	var problems []string
	size := 0
	for key, value := range o.Data {
		for _, msg := range validation.IsConfigMapKey(key) {
			problems = append(problems, fmt.Sprintf("data key %q: %s", key, msg))
		}
		size += len(key) + len(value)
	}
	for key, value := range o.BinaryData {
		if _, clash := o.Data[key]; clash {
			problems = append(problems, fmt.Sprintf("key %q is in both data and binaryData", key))
		}
		size += len(key) + len(value)
	}
	if size > maxConfigMapBytes {
		problems = append(problems, fmt.Sprintf("holds %d bytes, more than the %d a ConfigMap may", size, maxConfigMapBytes))
	}
	return problems
}

func (v *validator) hpa(o *autoscalingv2.HorizontalPodAutoscaler) []string {
	var problems []string
	target := o.Spec.ScaleTargetRef
	if target.Kind == "" || target.Name == "" {
		problems = append(problems, "spec.scaleTargetRef needs kind and name")
	} else if v.checkRefs && !v.has(target.Kind, target.Name) {
		problems = append(problems, fmt.Sprintf("spec.scaleTargetRef %s/%s is not defined in the stream", target.Kind, target.Name))
	}
	if o.Spec.MaxReplicas < 1 {
		problems = append(problems, "spec.maxReplicas must be at least 1")
	}
	if o.Spec.MinReplicas != nil && (*o.Spec.MinReplicas < 1 || *o.Spec.MinReplicas > o.Spec.MaxReplicas) {
		problems = append(problems, fmt.Sprintf("spec.minReplicas %d must be between 1 and maxReplicas %d", *o.Spec.MinReplicas, o.Spec.MaxReplicas))
	}
	for i, metric := range o.Spec.Metrics {
		if metric.Type == autoscalingv2.ResourceMetricSourceType {
			if metric.Resource == nil || metric.Resource.Name == "" {
				problems = append(problems, fmt.Sprintf("spec.metrics[%d]: a Resource metric needs resource.name", i))
			} else if metric.Resource.Target.Type == autoscalingv2.UtilizationMetricType && metric.Resource.Target.AverageUtilization == nil {
				problems = append(problems, fmt.Sprintf("spec.metrics[%d]: a Utilization target needs averageUtilization", i))
			}
		}
	}
	return problems
}

func (v *validator) pdb(o *policyv1.PodDisruptionBudget) []string {
	var problems []string
	if (o.Spec.MinAvailable == nil) == (o.Spec.MaxUnavailable == nil) {
		problems = append(problems, "spec needs exactly one of minAvailable and maxUnavailable")
	}
	if o.Spec.Selector == nil {
		return append(problems, "spec.selector is required")
	}
	selector, err := metav1.LabelSelectorAsSelector(o.Spec.Selector)
	if err != nil {
		return append(problems, "spec.selector: "+err.Error())
	}
	if !v.anyPodTemplate(selector, nil) {
		problems = append(problems, "spec.selector matches no pod template in the stream")
	}
	return problems
}

func networkPolicy(o *networkingv1.NetworkPolicy) []string {
	var problems []string
	for i, t := range o.Spec.PolicyTypes {
		if t != networkingv1.PolicyTypeIngress && t != networkingv1.PolicyTypeEgress {
			problems = append(problems, fmt.Sprintf("spec.policyTypes[%d] %q must be Ingress or Egress", i, t))
		}
	}
	checkPorts := func(where string, ports []networkingv1.NetworkPolicyPort) {
		for i, port := range ports {
			if port.Protocol != nil && *port.Protocol != corev1.ProtocolTCP && *port.Protocol != corev1.ProtocolUDP && *port.Protocol != corev1.ProtocolSCTP {
				problems = append(problems, fmt.Sprintf("%s.ports[%d].protocol %q is not TCP, UDP or SCTP", where, i, *port.Protocol))
			}
			if port.Port != nil && port.Port.Type == intstr.Int {
				for _, msg := range validation.IsValidPortNum(int(port.Port.IntVal)) {
					problems = append(problems, fmt.Sprintf("%s.ports[%d].port: %s", where, i, msg))
				}
			}
		}
	}
	checkPeers := func(where string, peers []networkingv1.NetworkPolicyPeer) {
		for i, peer := range peers {
			if peer.IPBlock != nil && (peer.PodSelector != nil || peer.NamespaceSelector != nil) {
				problems = append(problems, fmt.Sprintf("%s[%d]: ipBlock may not be combined with selectors", where, i))
			}
			if peer.IPBlock == nil && peer.PodSelector == nil && peer.NamespaceSelector == nil {
				problems = append(problems, fmt.Sprintf("%s[%d] is empty", where, i))
			}
		}
	}
	for i, rule := range o.Spec.Ingress {
		checkPorts(fmt.Sprintf("spec.ingress[%d]", i), rule.Ports)
		checkPeers(fmt.Sprintf("spec.ingress[%d].from", i), rule.From)
	}
	for i, rule := range o.Spec.Egress {
		checkPorts(fmt.Sprintf("spec.egress[%d]", i), rule.Ports)
		checkPeers(fmt.Sprintf("spec.egress[%d].to", i), rule.To)
	}
	return problems
}

func (v *validator) ingress(o *networkingv1.Ingress) []string {
	var problems []string
	for i, rule := range o.Spec.Rules {
		if rule.Host != "" {
			check := validation.IsDNS1123Subdomain
			if strings.HasPrefix(rule.Host, "*.") {
				check = validation.IsWildcardDNS1123Subdomain
			}
			for _, msg := range check(rule.Host) {
				problems = append(problems, fmt.Sprintf("spec.rules[%d].host %q: %s", i, rule.Host, msg))
			}
		}
		if rule.HTTP == nil {
			continue
		}
		for j, p := range rule.HTTP.Paths {
			where := fmt.Sprintf("spec.rules[%d].http.paths[%d]", i, j)
			if p.PathType == nil {
				problems = append(problems, where+".pathType is required")
			}
			if !strings.HasPrefix(p.Path, "/") {
				problems = append(problems, fmt.Sprintf("%s.path %q must start with /", where, p.Path))
			}
			if p.Backend.Service == nil {
				continue
			}
			problems = append(problems, v.servicePort(where+".backend.service", p.Backend.Service.Name, p.Backend.Service.Port.Name, p.Backend.Service.Port.Number)...)
		}
	}
	return problems
}

// servicePort checks that a Service of the stream exposes the named or numbered port.
func (v *validator) servicePort(where, name, portName string, portNumber int32) []string {
	if !v.checkRefs {
		return nil
	}
	for _, d := range v.objects {
		s, ok := d.obj.(*corev1.Service)
		if !ok || s.Name != name {
			continue
		}
		for _, p := range s.Spec.Ports {
			if (portName != "" && p.Name == portName) || (portName == "" && p.Port == portNumber) {
				return nil
			}
		}
		return []string{fmt.Sprintf("%s: Service %s has no port %s", where, name, strings.TrimSpace(portName+" "+fmt.Sprint(portNumber)))}
	}
	return []string{fmt.Sprintf("%s: Service %s is not defined in the stream", where, name)}
}

func (v *validator) serviceMonitor(o *monitoringv1.ServiceMonitor) []string {
	var problems []string
	if len(o.Spec.Endpoints) == 0 {
		problems = append(problems, "spec.endpoints must not be empty")
	}
	selector, err := metav1.LabelSelectorAsSelector(&o.Spec.Selector)
	if err != nil {
		return append(problems, "spec.selector: "+err.Error())
	}
	if selector.Empty() {
		problems = append(problems, "spec.selector must not be empty (it would scrape every Service)")
	}
	var matched []*corev1.Service
	for _, d := range v.objects {
		if s, ok := d.obj.(*corev1.Service); ok && selector.Matches(labels.Set(s.Labels)) {
			matched = append(matched, s)
		}
	}
	if len(matched) == 0 {
		problems = append(problems, "spec.selector matches no Service in the stream")
	}
	for i, endpoint := range o.Spec.Endpoints {
		if endpoint.Port == "" && endpoint.TargetPort == nil {
			problems = append(problems, fmt.Sprintf("spec.endpoints[%d] needs port or targetPort", i))
			continue
		}
		if endpoint.Port == "" {
			continue
		}
		for _, s := range matched {
			found := false
			for _, p := range s.Spec.Ports {
				found = found || p.Name == endpoint.Port
			}
			if !found {
				problems = append(problems, fmt.Sprintf("spec.endpoints[%d].port %q is not a port of Service %s", i, endpoint.Port, s.Name))
			}
		}
	}
	return problems
}

func prometheusRule(o *monitoringv1.PrometheusRule) []string {
	var problems []string
	if len(o.Spec.Groups) == 0 {
		problems = append(problems, "spec.groups must not be empty")
	}
	groups := map[string]bool{}
	for i, group := range o.Spec.Groups {
		if group.Name == "" || groups[group.Name] {
			problems = append(problems, fmt.Sprintf("spec.groups[%d].name %q must be set and unique", i, group.Name))
		}
		groups[group.Name] = true
		for j, rule := range group.Rules {
			where := fmt.Sprintf("spec.groups[%s].rules[%d]", group.Name, j)
			if (rule.Alert == "") == (rule.Record == "") {
				problems = append(problems, where+" needs exactly one of alert and record")
			}
			if strings.TrimSpace(rule.Expr.String()) == "" {
				problems = append(problems, where+".expr is required")
			}
			if rule.Record != "" && (len(rule.Annotations) > 0 || rule.For != nil) {
				problems = append(problems, where+": a recording rule takes no annotations or for")
			}
		}
	}
	sort.Strings(problems)
	return problems
}
