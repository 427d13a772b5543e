package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/loader"
	"github.com/compose-spec/compose-go/v2/types"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	"sigs.k8s.io/yaml"
)

// The Kubernetes manifests are checked by strict decoding into the API's own
// Go types (k8s.io/api): an unknown or misspelt field, a wrong type or a
// duplicate key fails, as 'kubectl apply --validate=strict' would say. It
// needs no network and no vendored JSON schemas (kubeconform would need the
// schemas of every kind, which no reachable package ships). What a schema
// cannot say is checked after: selectors match, the hub's service is
// headless, readiness asks /readyz, every O211_ variable is a flag.

// manifest is one decoded document of a manifests file.
type manifest struct {
	kind string
	obj  any
}

func decodeManifests(t *testing.T, data []byte) []manifest {
	t.Helper()
	var out []manifest
	for i, doc := range regexp.MustCompile(`(?m)^---\s*$`).Split(string(data), -1) {
		if strings.TrimSpace(regexp.MustCompile(`(?m)^#.*$`).ReplaceAllString(doc, "")) == "" {
			continue
		}
		var head struct{ APIVersion, Kind string }
		if err := yaml.Unmarshal([]byte(doc), &head); err != nil {
			t.Fatalf("document %d: %v", i+1, err)
		}
		var obj any
		switch head.APIVersion + "/" + head.Kind {
		case "v1/Service":
			obj = &corev1.Service{}
		case "apps/v1/StatefulSet":
			obj = &appsv1.StatefulSet{}
		case "policy/v1/PodDisruptionBudget":
			obj = &policyv1.PodDisruptionBudget{}
		default:
			t.Fatalf("document %d: unexpected %s %s", i+1, head.APIVersion, head.Kind)
		}
		if err := yaml.UnmarshalStrict([]byte(doc), obj); err != nil {
			t.Fatalf("document %d (%s): %v", i+1, head.Kind, err)
		}
		out = append(out, manifest{head.Kind, obj})
	}
	return out
}

func TestDeploy_KubernetesManifests(t *testing.T) {
	flags := map[string]map[string]bool{"hub": commandFlags(t, "hub"), "node": commandFlags(t, "node")}
	for _, tc := range []struct {
		file     string
		command  string
		replicas int32
	}{
		{"hub.yaml", "hub", 3},
		{"node.yaml", "node", 1},
	} {
		t.Run(tc.file, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join(deployDir, "kubernetes", tc.file))
			if err != nil {
				t.Fatal(err)
			}
			docs := decodeManifests(t, data)
			services := map[string]*corev1.Service{}
			var sets []*appsv1.StatefulSet
			var pdbs []*policyv1.PodDisruptionBudget
			for _, d := range docs {
				switch o := d.obj.(type) {
				case *corev1.Service:
					services[o.Name] = o
				case *appsv1.StatefulSet:
					sets = append(sets, o)
				case *policyv1.PodDisruptionBudget:
					pdbs = append(pdbs, o)
				}
			}
			if len(sets) != 1 {
				t.Fatalf("%d StatefulSets, want 1", len(sets))
			}
			ss := sets[0]
			checkStatefulSet(t, ss, services, flags[tc.command], tc.command, tc.replicas)
			if tc.command == "hub" {
				if svc := services[ss.Spec.ServiceName]; svc == nil || svc.Spec.ClusterIP != corev1.ClusterIPNone {
					t.Errorf("the hub's serviceName %q is not a headless Service (clusterIP: None)", ss.Spec.ServiceName)
				}
				if len(pdbs) != 1 || pdbs[0].Spec.MaxUnavailable == nil || pdbs[0].Spec.MaxUnavailable.IntValue() != 1 ||
					!selects(pdbs[0].Spec.Selector.MatchLabels, ss.Spec.Template.Labels) {
					t.Errorf("the hub needs one PodDisruptionBudget of maxUnavailable 1 over its pods, got %d", len(pdbs))
				}
			}
		})
	}
	t.Run("ACheckThatCanFail", func(t *testing.T) {
		var ss appsv1.StatefulSet
		err := yaml.UnmarshalStrict([]byte("apiVersion: apps/v1\nkind: StatefulSet\nspec:\n  replicass: 3\n"), &ss)
		if err == nil || !strings.Contains(err.Error(), "replicass") {
			t.Fatalf("a misspelt field decoded strictly: %v", err)
		}
	})
}

// selects reports whether every label of the selector is on the pod.
func selects(selector, labels map[string]string) bool {
	if len(selector) == 0 {
		return false
	}
	for k, v := range selector {
		if labels[k] != v {
			return false
		}
	}
	return true
}

func checkStatefulSet(t *testing.T, ss *appsv1.StatefulSet, services map[string]*corev1.Service, flags map[string]bool, command string, replicas int32) {
	t.Helper()
	if ss.Spec.Replicas == nil || *ss.Spec.Replicas != replicas {
		t.Errorf("%s: replicas %v, want %d", ss.Name, ss.Spec.Replicas, replicas)
	}
	if !selects(ss.Spec.Selector.MatchLabels, ss.Spec.Template.Labels) {
		t.Errorf("%s: the selector %v does not match the pod labels %v", ss.Name, ss.Spec.Selector.MatchLabels, ss.Spec.Template.Labels)
	}
	if svc := services[ss.Spec.ServiceName]; svc == nil || !selects(svc.Spec.Selector, ss.Spec.Template.Labels) {
		t.Errorf("%s: serviceName %q names no Service of these pods", ss.Name, ss.Spec.ServiceName)
	}
	pod := ss.Spec.Template.Spec
	if pod.SecurityContext == nil || pod.SecurityContext.RunAsNonRoot == nil || !*pod.SecurityContext.RunAsNonRoot {
		t.Errorf("%s: the pod must run as non-root", ss.Name)
	}
	if len(pod.Containers) != 1 {
		t.Fatalf("%s: %d containers, want 1", ss.Name, len(pod.Containers))
	}
	c := pod.Containers[0]
	if len(c.Args) == 0 || c.Args[0] != command {
		t.Errorf("%s: args %v, want %q first", ss.Name, c.Args, command)
	}
	if c.ReadinessProbe == nil || c.ReadinessProbe.HTTPGet == nil || c.ReadinessProbe.HTTPGet.Path != "/readyz" {
		t.Errorf("%s: readiness must ask /readyz", ss.Name)
	}
	ports := map[string]bool{}
	for _, p := range c.Ports {
		ports[p.Name] = true
	}
	if p := c.ReadinessProbe; p != nil && p.HTTPGet != nil && !ports[p.HTTPGet.Port.String()] {
		t.Errorf("%s: the readiness probe's port %q is not a container port", ss.Name, p.HTTPGet.Port.String())
	}
	sc := c.SecurityContext
	if sc == nil || sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation || sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem {
		t.Errorf("%s: the container must forbid privilege escalation and keep its root filesystem read-only", ss.Name)
	}
	defined := map[string]bool{}
	for _, e := range c.Env {
		if strings.HasPrefix(e.Name, "O211_") && !flags[e.Name] {
			t.Errorf("%s: %s is no flag of 'o211 %s'", ss.Name, e.Name, command)
		}
		for _, ref := range regexp.MustCompile(`\$\(([A-Z0-9_]+)\)`).FindAllStringSubmatch(e.Value, -1) {
			if !defined[ref[1]] {
				t.Errorf("%s: %s refers to $(%s) before it is defined", ss.Name, e.Name, ref[1])
			}
		}
		defined[e.Name] = true
	}
	checkVolumes(t, ss)
}

// checkVolumes checks that the data volume claim is mounted at O211_DATA and
// that every mount names a volume.
func checkVolumes(t *testing.T, ss *appsv1.StatefulSet) {
	t.Helper()
	vols := map[string]bool{}
	for _, v := range ss.Spec.Template.Spec.Volumes {
		vols[v.Name] = true
	}
	for _, v := range ss.Spec.VolumeClaimTemplates {
		vols[v.Name] = true
	}
	c := ss.Spec.Template.Spec.Containers[0]
	data := ""
	for _, e := range c.Env {
		if e.Name == "O211_DATA" {
			data = e.Value
		}
	}
	mountedData := false
	for _, m := range c.VolumeMounts {
		if !vols[m.Name] {
			t.Errorf("%s: mount %q names no volume", ss.Name, m.Name)
		}
		if m.MountPath == data && len(ss.Spec.VolumeClaimTemplates) > 0 && m.Name == ss.Spec.VolumeClaimTemplates[0].Name {
			mountedData = true
		}
	}
	if !mountedData {
		t.Errorf("%s: O211_DATA %q is not the mount of its volume claim", ss.Name, data)
	}
}

// TestDeploy_Compose loads the compose file with compose-go, the Compose
// specification's own loader (which validates against its JSON schema), and
// checks that it runs a province: three hubs and the six regions' nodes.
func TestDeploy_Compose(t *testing.T) {
	dir := filepath.Join(deployDir, "compose")
	abs, err := filepath.Abs(dir)
	if err != nil {
		t.Fatal(err)
	}
	details := types.ConfigDetails{WorkingDir: abs, ConfigFiles: []types.ConfigFile{{Filename: filepath.Join(abs, "compose.yaml")}},
		Environment: types.Mapping{"O211_TOKEN": "test-token"}}
	p, err := loader.LoadWithContext(context.Background(), details, func(o *loader.Options) { o.SetProjectName("o211", true) })
	if err != nil {
		t.Fatalf("compose.yaml: %v", err)
	}
	flags := map[string]map[string]bool{"hub": commandFlags(t, "hub"), "node": commandFlags(t, "node")}
	status := commandFlags(t, "status")
	hubs, regions := 0, map[string]bool{}
	for name, s := range p.Services {
		if s.Image != "o211:latest" {
			t.Errorf("service %s runs image %q, want o211:latest", name, s.Image)
		}
		if len(s.Command) == 0 {
			t.Errorf("service %s has no command", name)
			continue
		}
		command := s.Command[0]
		switch command {
		case "hub":
			hubs++
		case "node":
			if r := s.Environment["O211_REGION"]; r != nil {
				regions[*r] = true
			}
		}
		for k := range s.Environment {
			if strings.HasPrefix(k, "O211_") && !flags[command][k] && !status[k] {
				t.Errorf("service %s sets %s, which is no flag of 'o211 %s' (nor of the health check's 'o211 status')", name, k, command)
			}
		}
	}
	var missing []string
	for _, r := range []string{"central", "central-east", "central-south", "east", "north", "south-west"} {
		if !regions[r] {
			missing = append(missing, r)
		}
	}
	if hubs != 3 || len(missing) > 0 {
		t.Errorf("compose.yaml runs %d hubs (want 3) and lacks the nodes of %v", hubs, missing)
	}
	t.Run("ACheckThatCanFail", func(t *testing.T) {
		bad := filepath.Join(t.TempDir(), "compose.yaml")
		data, _ := os.ReadFile(filepath.Join(abs, "compose.yaml"))
		os.WriteFile(bad, bytes.Replace(data, []byte("restart: unless-stopped"), []byte("restart: unless-stopped\n  restartt: no"), 1), 0o644)
		_, err := loader.LoadWithContext(context.Background(), types.ConfigDetails{WorkingDir: filepath.Dir(bad),
			ConfigFiles: []types.ConfigFile{{Filename: bad}}, Environment: types.Mapping{"O211_TOKEN": "x"}},
			func(o *loader.Options) { o.SetProjectName("o211", true) })
		if err == nil {
			t.Fatal("a misspelt key passed the compose schema")
		}
	})
}

// TestDeploy_Dockerfile checks what the image promises: a static binary,
// a minimal base, a non-root user and a health check. (No Docker daemon runs
// here; 'docker build -f deploy/Dockerfile .' is the README's command.)
func TestDeploy_Dockerfile(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(deployDir, "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	text := string(data)
	for _, want := range []string{"CGO_ENABLED=0", "FROM gcr.io/distroless/static-debian12:nonroot", "USER 65532:65532",
		"HEALTHCHECK ", `ENTRYPOINT ["/usr/local/bin/o211"]`} {
		if !strings.Contains(text, want) {
			t.Errorf("deploy/Dockerfile lacks %q", want)
		}
	}
	froms := regexp.MustCompile(`(?m)^FROM (\S+)`).FindAllStringSubmatch(text, -1)
	if len(froms) < 2 {
		t.Fatalf("deploy/Dockerfile has %d stages, want a build stage and a minimal final one", len(froms))
	}
	// The Go version of the build stage is go.mod's.
	mod, _ := os.ReadFile("../../go.mod")
	if m := regexp.MustCompile(`(?m)^go (\d+\.\d+)`).FindSubmatch(mod); m == nil || !strings.Contains(froms[0][1], "golang:"+string(m[1])) {
		t.Errorf("the build stage %s does not build with go.mod's Go %s", froms[0][1], m)
	}
	node, status := commandFlags(t, "node"), commandFlags(t, "status")
	for _, m := range regexp.MustCompile(`O211_[A-Z0-9_]+`).FindAllString(text, -1) {
		if !node[m] && !status[m] {
			t.Errorf("deploy/Dockerfile sets %s, which is no flag of 'o211 node' or 'o211 status'", m)
		}
	}
}
