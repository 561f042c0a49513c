// Package jvmtest compiles the Java programs of thingsim's tests against Debian's Jackson, the
// JSON library the platform writes its packs with. Tests skip, naming what .ci/run installs,
// where the JDK or Jackson is missing.
package jvmtest

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// jars are Jackson's, as Debian's libjackson2-databind-java installs them.
var jars = []string{"jackson-databind", "jackson-core", "jackson-annotations"}

// Compile compiles the Java source file src against Jackson and returns the class path that runs
// it: `java -cp CLASSPATH ClassName`.
func Compile(t testing.TB, src string) string {
	t.Helper()
	javac, err := exec.LookPath("javac")
	if err != nil {
		t.Skip("javac is missing: .ci/run installs it (Debian default-jdk-headless)")
	}
	var cp []string
	for _, name := range jars {
		path := filepath.Join("/usr/share/java", name+".jar")
		if _, err := os.Stat(path); err != nil {
			t.Skipf("%s is missing: .ci/run installs it (Debian libjackson2-databind-java)", path)
		}
		cp = append(cp, path)
	}
	dir := t.TempDir()
	if out, err := exec.Command(javac, "-cp", strings.Join(cp, ":"), "-d", dir, src).CombinedOutput(); err != nil {
		t.Fatalf("javac %s: %v\n%s", src, err, out)
	}
	return strings.Join(append([]string{dir}, cp...), ":")
}
