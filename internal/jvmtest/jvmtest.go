// Package jvmtest compiles the Java programs of thingsim's tests against Debian's Jackson, the
// JSON library the platform writes its packs with. Tests skip, naming what .ci/run installs,
// where the JDK or Jackson is missing.
package jvmtest

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// jars are Jackson's, as Debian's libjackson2-databind-java installs them.
var jars = []string{"jackson-databind", "jackson-core", "jackson-annotations"}

// Compile compiles the Java source file src against Jackson and returns the class path that runs
// it: `java -cp CLASSPATH ClassName`.
func Compile(t testing.TB, src string) string {
	t.Helper()
	var cp []string
	for _, name := range jars {
		path := filepath.Join("/usr/share/java", name+".jar")
		if _, err := os.Stat(path); err != nil {
			t.Skipf("%s is missing: .ci/run installs it (Debian libjackson2-databind-java)", path)
		}
		cp = append(cp, path)
	}
	return compile(t, src, cp)
}

// CompileJDK compiles the Java source file src, which needs nothing beyond the JDK, and returns
// the class path that runs it.
func CompileJDK(t testing.TB, src string) string {
	t.Helper()
	return compile(t, src, nil)
}

func compile(t testing.TB, src string, cp []string) string {
	t.Helper()
	javac, err := exec.LookPath("javac")
	if err != nil {
		t.Skip("javac is missing: .ci/run installs it (Debian default-jdk-headless)")
	}
	dir := t.TempDir()
	args := []string{"-d", dir, src}
	if len(cp) > 0 {
		args = append([]string{"-cp", strings.Join(cp, ":")}, args...)
	}
	if out, err := exec.Command(javac, args...).CombinedOutput(); err != nil {
		t.Fatalf("javac %s: %v\n%s", src, err, out)
	}
	return strings.Join(append([]string{dir}, cp...), ":")
}

// Feature returns the feature release of the installed java (17 for 17.0.15), skipping the test
// where there is none.
func Feature(t testing.TB) int {
	t.Helper()
	out, err := exec.Command("java", "-XshowSettings:properties", "-version").CombinedOutput()
	if err != nil {
		t.Skipf("java is missing: .ci/run installs it (Debian default-jdk-headless): %v", err)
	}
	for _, line := range strings.Split(string(out), "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "java.specification.version = "); ok {
			v = strings.TrimPrefix(v, "1.")
			if n, err := strconv.Atoi(v); err == nil {
				return n
			}
		}
	}
	t.Fatalf("java -XshowSettings:properties names no java.specification.version:\n%s", out)
	return 0
}
