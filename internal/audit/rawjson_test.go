package audit

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// writerCases are packs whose bytes the writers change: Java numbers, escapes, non-ASCII, numbers
// at the edges of each library's notation.
var writerCases = []string{
	`[{"bn":"urn:dev:DEVEUI:0000000000000000:","bt":1.58565075E9},{"n":"temperature","v":21.22,"u":"Celsius"}]`,
	`[{"bn":"urn:dev:DVNUUID:737b588b-547e-45d3-96d0-f79723291bf1:","bt":1.713193637E9,"n":"battery","u":"%","vs":"32.0"},{"n":"accelerationX","u":"m/s2","v":0.39}]`,
	`[{"n":"label","vs":"caf\u00e9 é über 👍 \ud83d\udc4d"},{"n":"ctl","vs":"a\"b\\c\n\t\r\b\f\u0001\u001f\u007f/<>&"}]`,
	`[{"v":3.0},{"v":1.0E-4},{"v":1.0E7},{"v":1.0E-5},{"v":1.0E-7},{"v":1.0E16},{"v":1.0E21},{"v":1.0E22},{"v":-0.0},{"v":0},{"v":-0},{"v":12345678901234567890},{"v":1.5e300},{"v":-2.5E-10},{"v":123456.789}]`,
	`{"b":true,"a":[null,false,{}],"c":[]}`,
}

// TestWritersAsTheLibrariesWrite compares the JavaScript and Python writers with the real thing,
// where Node.js and Python are installed (.ci/run installs both).
func TestWritersAsTheLibrariesWrite(t *testing.T) {
	input := filepath.Join(t.TempDir(), "in.jsonl")
	os.WriteFile(input, []byte(strings.Join(writerCases, "\n")+"\n"), 0o644)
	for _, tool := range []struct {
		writer int
		cmd    []string
	}{
		{0, []string{"node", "-e", `require("fs").readFileSync(process.argv[1], "utf8").trim().split("\n").forEach(l => console.log(JSON.stringify(JSON.parse(l))))`, input}},
		{1, []string{"python3", "-c", "import json,sys\nfor l in open(sys.argv[1], encoding='utf-8'): print(json.dumps(json.loads(l)))", input}},
	} {
		t.Run(writers[tool.writer].name, func(t *testing.T) {
			path, err := exec.LookPath(tool.cmd[0])
			if err != nil {
				t.Skipf("%s is missing: .ci/run installs it", tool.cmd[0])
			}
			out, err := exec.Command(path, tool.cmd[1:]...).Output()
			if err != nil {
				t.Fatalf("%s: %v", tool.cmd[0], err)
			}
			want := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
			for i, c := range writerCases {
				n, err := parseRaw([]byte(c))
				if err != nil {
					t.Fatal(err)
				}
				if got := string(writers[tool.writer].fn(n)); got != want[i] {
					t.Errorf("case %d:\n got %s\nwant %s", i, got, want[i])
				}
			}
		})
	}
}

func TestRawTreeKeepsBytes(t *testing.T) {
	for _, c := range writerCases {
		n, err := parseRaw([]byte(c))
		if err != nil {
			t.Fatal(err)
		}
		if got := n.append(nil, rawStyle{}); string(got) != c {
			t.Errorf("got %s want %s", got, c)
		}
	}
	if n, _ := parseRaw([]byte(` [ {"a" : 1 , "b":[ ] } ] `)); string(n.append(nil, rawStyle{})) != `[{"a":1,"b":[]}]` {
		t.Errorf("white space kept: %s", n.append(nil, rawStyle{}))
	}
	n, _ := parseRaw([]byte(`[{"bn":"x","bt":1.0E9},{"n":"t","u":"Cel","v":2.0}]`))
	if got := n.append(nil, rawStyle{spaced: true, reversed: true}); !bytes.Equal(got, []byte(`[{"bt": 1.0E9, "bn": "x"}, {"v": 2.0, "u": "Cel", "n": "t"}]`)) {
		t.Errorf("spaced and reversed: %s", got)
	}
	if _, err := parseRaw([]byte(`[1,]`)); err == nil {
		t.Error("invalid JSON parsed")
	}
}

// FuzzRawTree: audit derives its probes from packs users give; no input may panic it, and a
// tree written back compactly is valid JSON.
func FuzzRawTree(f *testing.F) {
	for _, c := range writerCases {
		f.Add([]byte(c))
	}
	f.Add([]byte(`[{"bn":"x\u00e9","bt":1}]`))
	f.Fuzz(func(t *testing.T, body []byte) {
		tree, err := parseRaw(body)
		if err != nil {
			return
		}
		for _, s := range []rawStyle{{}, {spaced: true}, {reversed: true}} {
			if b := tree.append(nil, s); !json.Valid(b) {
				t.Fatalf("%s written as %s", body, b)
			}
		}
		for _, w := range writers {
			w.fn(tree)
		}
		if tree.kind == '[' {
			for _, v := range variants(body, tree) {
				if !json.Valid(v.body) {
					t.Fatalf("%s: %s gives %s", body, v.what, v.body)
				}
			}
			if b, _, _ := tamper(body, tree); b != nil && !json.Valid(b) {
				t.Fatalf("%s tampered: %s", body, b)
			}
		}
	})
}

// TestTamperChangesMeaning: the tampered number parses to another double, also where the last
// digit of a 17-digit value is below what a double can tell apart.
func TestTamperChangesMeaning(t *testing.T) {
	for _, c := range []struct{ body, from, to string }{
		{`[{"bn":"urn:dev:x:","bt":1.7E9},{"n":"t","v":21.22}]`, "21.22", "21.23"},
		{`[{"bn":"urn:dev:x:","bt":1.7E9},{"n":"t","v":21.500000000000004}]`, "21.500000000000004", "21.500000000000014"},
		{`[{"bn":"urn:dev:x:","bt":1.7E9},{"n":"t","v":1.0E7}]`, "1.0E7", "1.1E7"},
		{`[{"bn":"urn:dev:x:","bt":1.7E9},{"n":"t","v":19}]`, "19", "10"},
	} {
		tree, err := parseRaw([]byte(c.body))
		if err != nil {
			t.Fatal(err)
		}
		changed, from, to := tamper([]byte(c.body), tree)
		if from != c.from || to != c.to {
			t.Errorf("%s: %s changed to %s, want %s to %s", c.body, from, to, c.from, c.to)
		}
		if want := strings.Replace(c.body, c.from, c.to, 1); string(changed) != want {
			t.Errorf("%s: %s, want %s", c.body, changed, want)
		}
	}
	if b, _, _ := tamper([]byte(`[{"bn":"urn:dev:x:"},{"n":"s","vs":"text"}]`), mustParse(t, `[{"bn":"urn:dev:x:"},{"n":"s","vs":"text"}]`)); b != nil {
		t.Errorf("a pack without numbers tampered: %s", b)
	}
}

func mustParse(t *testing.T, s string) *node {
	t.Helper()
	tree, err := parseRaw([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return tree
}
