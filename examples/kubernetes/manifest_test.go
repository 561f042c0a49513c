package kubernetes

import (
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// TestLoadJob: the manifest is a batch/v1 Job in Indexed completion mode whose pods each run one
// shard of N, N being its completions and parallelism, with the secret from a Kubernetes Secret
// and the result on standard output for thingsim merge.
func TestLoadJob(t *testing.T) {
	b, err := os.ReadFile("load-job.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var job struct {
		APIVersion string `yaml:"apiVersion"`
		Kind       string `yaml:"kind"`
		Spec       struct {
			CompletionMode string `yaml:"completionMode"`
			Completions    int    `yaml:"completions"`
			Parallelism    int    `yaml:"parallelism"`
			Template       struct {
				Spec struct {
					RestartPolicy string `yaml:"restartPolicy"`
					Containers    []struct {
						Command []string `yaml:"command"`
						Env     []struct {
							Name      string `yaml:"name"`
							ValueFrom struct {
								SecretKeyRef struct {
									Name, Key string
								} `yaml:"secretKeyRef"`
							} `yaml:"valueFrom"`
						} `yaml:"env"`
					} `yaml:"containers"`
				} `yaml:"spec"`
			} `yaml:"template"`
		} `yaml:"spec"`
	}
	dec := yaml.NewDecoder(strings.NewReader(string(b)))
	dec.KnownFields(false)
	if err := dec.Decode(&job); err != nil {
		t.Fatal(err)
	}
	s := job.Spec
	if job.APIVersion != "batch/v1" || job.Kind != "Job" || s.CompletionMode != "Indexed" || s.Completions < 2 ||
		s.Parallelism != s.Completions || s.Template.Spec.RestartPolicy != "Never" || len(s.Template.Spec.Containers) != 1 {
		t.Fatalf("not an Indexed Job of its shards: %+v", job)
	}
	c := s.Template.Spec.Containers[0]
	at := slices.Index(c.Command, "--shard")
	if at < 0 || c.Command[at+1] != "auto/"+strconv.Itoa(s.Completions) {
		t.Errorf("the pods do not run shard auto/%d: %q", s.Completions, c.Command)
	}
	if r := slices.Index(c.Command, "--result"); r < 0 || c.Command[r+1] != "-" {
		t.Errorf("no --result -: %q", c.Command)
	}
	env := slices.Index(c.Command, "--secret-env")
	if env < 0 || len(c.Env) == 0 || c.Env[0].Name != c.Command[env+1] || c.Env[0].ValueFrom.SecretKeyRef.Name == "" {
		t.Errorf("the secret does not come from a Kubernetes Secret: %+v", c.Env)
	}
}
