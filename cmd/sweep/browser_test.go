package main

import (
	"bytes"
	"context"
	"encoding/json"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/infomax/infomax/experiments/engine/sweep"
	"github.com/infomax/infomax/reports"
)

// Environment of TestPageInChromium: the browser to run, and where to keep
// the screenshots (default: a temporary directory).
const (
	chromiumEnv = "SWEEP_CHROMIUM"
	shotsEnv    = "SWEEP_PAGE_SHOTS"
)

// dimTiny is a Deep InfoMax sweep small enough for a test: two estimators,
// two seeds, 256 MNIST images, three epochs of a narrow encoder.
const dimTiny = `name = "dim-tiny"
task = "dim"
description = "A tiny DIM(L) sweep for the page's browser test: jsd and infonce, 2 seeds"
seeds = [0, 1]
[base]
train_subset = 256
test_subset = 128
preset = "dim-l"
local_critic = "encode-and-dot"
conv1 = 8
conv2 = 16
conv3 = 16
fc = 32
code = 16
mi_units = 16
global_units = 32
prior_hidden = [32, 16]
epochs = 3
batch_size = 32
lr = 2e-3
probe_epochs = 2
probe_features = ["conv", "y"]
[parameters.estimator]
values = ["jsd", "infonce"]
[[figures]]
kind = "curves"
name = "training"
y = ["loss", "mi_local"]
group = "estimator"
[[tables]]
kind = "table"
name = "probes"
rows = "estimator"
columns = ["linear_y_acc", "mlp_y_acc"]
scale = 100
`

// TestPageInChromium looks at the page as a person would: it runs a
// shortened gaussian-quick and a tiny DIM sweep, renders each page in
// headless Chromium to a screenshot and to its DOM, and checks that the DOM
// holds every run's row, every figure and table and the training curves,
// and that the page made no network request: no src or href leaves the
// machine, and Chromium's net log has no request from the page (the
// browser's own background requests aside). .ci/run sets SWEEP_CHROMIUM;
// without it the test is skipped.
func TestPageInChromium(t *testing.T) {
	chromium := os.Getenv(chromiumEnv)
	if chromium == "" {
		t.Skipf("set %s to a Chromium binary to render the sweep pages in a browser (.ci/run does)", chromiumEnv)
	}
	shots := os.Getenv(shotsEnv)
	if shots == "" {
		shots = t.TempDir()
	} else if err := os.MkdirAll(shots, 0o755); err != nil {
		t.Fatal(err)
	}
	// The net-log check must see a request when a page makes one.
	control := filepath.Join(t.TempDir(), "control.html")
	os.WriteFile(control, []byte(`<!DOCTYPE html><p>control</p><img src="http://example.invalid/x.png">`), 0o644)
	if _, reqs := renderPage(t, chromium, control, ""); len(reqs) == 0 {
		t.Fatal("the net log shows no request from a page with an external image: the check below would prove nothing")
	}

	gaussian, err := os.ReadFile("../../sweeps/gaussian-quick.toml")
	if err != nil {
		t.Fatal(err)
	}
	short := strings.Replace(string(gaussian), "steps_per_level = 800", "steps_per_level = 40", 1)
	if short == string(gaussian) {
		t.Fatal("sweeps/gaussian-quick.toml no longer sets steps_per_level = 800; shorten it another way")
	}
	for name, src := range map[string]string{"gaussian-quick": short, "dim-tiny": dimTiny} {
		t.Run(name, func(t *testing.T) {
			s, page := runForPage(t, name, src)
			dom, reqs := renderPage(t, chromium, page, filepath.Join(shots, name+".png"))
			checkDOM(t, s, dom)
			for _, r := range reqs {
				t.Errorf("the page requested %s", r)
			}
		})
	}
}

// runForPage runs the sweep src, written to name.toml, and returns it and
// the path of its page.
func runForPage(t *testing.T, name, src string) (*sweep.Sweep, string) {
	t.Helper()
	dir := t.TempDir()
	f := filepath.Join(dir, name+".toml")
	if err := os.WriteFile(f, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "runs")
	if code, stdout, errs := runCLI("run", f, "--out", out); code != exitOK {
		t.Fatalf("sweep run %s: exit %d\n%s%s", name, code, stdout, errs)
	}
	s, err := sweep.Load(f)
	if err != nil {
		t.Fatal(err)
	}
	return s, filepath.Join(s.Dir(out), sweep.ReportsDir, reports.PageFile)
}

// renderPage opens page in headless Chromium twice: once to dump its DOM,
// logging the network, and, when shot is set, once to screenshot it there
// (1280 x 2000 pixels). It returns the DOM and the URLs of the http(s)
// requests the page made.
func renderPage(t *testing.T, chromium, page, shot string) (dom string, requests []string) {
	t.Helper()
	tmp := t.TempDir()
	netlog := filepath.Join(tmp, "netlog.json")
	url := "file://" + page
	out := chromiumRun(t, chromium, tmp, "--log-net-log="+netlog, "--net-log-capture-mode=Everything", "--dump-dom", url)
	if shot != "" {
		chromiumRun(t, chromium, tmp, "--hide-scrollbars", "--window-size=1280,2000", "--screenshot="+shot, url)
		b, err := os.ReadFile(shot)
		if err != nil {
			t.Fatalf("Chromium wrote no screenshot: %v", err)
		}
		img, err := png.Decode(bytes.NewReader(b))
		if err != nil || img.Bounds().Dx() != 1280 || img.Bounds().Dy() != 2000 {
			t.Errorf("screenshot %s: %v, %v; want a 1280 x 2000 PNG", shot, err, img.Bounds())
		}
	}
	return out, pageRequests(t, netlog)
}

// chromiumRun runs headless Chromium with args and a profile in dir, and
// returns its standard output.
func chromiumRun(t *testing.T, chromium, dir string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	base := []string{"--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-extensions",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir=" + filepath.Join(dir, "profile")}
	cmd := exec.CommandContext(ctx, chromium, append(base, args...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %v: %v\n%s", chromium, args, err, stderr.Bytes())
	}
	return stdout.String()
}

// pageRequests reads Chromium's net log and returns the http(s) URLs a page
// asked for: those of requests with an initiator. The browser's own
// requests (its component updater, say) have "not an origin".
func pageRequests(t *testing.T, netlog string) []string {
	t.Helper()
	b, err := os.ReadFile(netlog)
	if err != nil {
		t.Fatalf("Chromium wrote no net log: %v", err)
	}
	var log struct {
		Constants struct {
			LogEventTypes map[string]int `json:"logEventTypes"`
		} `json:"constants"`
		Events []struct {
			Type   int `json:"type"`
			Params struct {
				URL       string `json:"url"`
				Initiator string `json:"initiator"`
			} `json:"params"`
		} `json:"events"`
	}
	if err := json.Unmarshal(b, &log); err != nil {
		// A log cut short at exit lacks its closing brackets.
		if err = json.Unmarshal(append(bytes.TrimRight(bytes.TrimSpace(b), ","), "]}"...), &log); err != nil {
			t.Fatalf("reading the net log: %v", err)
		}
	}
	start, ok := log.Constants.LogEventTypes["URL_REQUEST_START_JOB"]
	if !ok {
		t.Fatal("the net log has no URL_REQUEST_START_JOB event type")
	}
	var urls []string
	for _, e := range log.Events {
		p := e.Params
		if e.Type == start && strings.HasPrefix(p.URL, "http") && p.Initiator != "not an origin" {
			urls = append(urls, p.URL)
		}
	}
	return urls
}

// externalLink matches a src or href that leaves the machine.
var externalLink = regexp.MustCompile(`(?i)\b(src|href)="(https?:)?//`)

// checkDOM checks that the page's DOM, as Chromium built it, has a row for
// every run of s, every declared figure and table, a sparkline per
// configuration and column, and no external src or href.
func checkDOM(t *testing.T, s *sweep.Sweep, dom string) {
	t.Helper()
	if !strings.Contains(dom, "<h1>"+s.Name+"</h1>") {
		t.Fatalf("the DOM is not the sweep's page:\n%.2000s", dom)
	}
	for _, r := range s.Runs {
		if !strings.Contains(dom, `<tr id="run-`+r.ID+`">`) {
			t.Errorf("the DOM has no row for run %s", r.ID)
		}
	}
	for _, f := range s.Figures {
		if !strings.Contains(dom, `<svg class="figure" role="img" aria-label="`+f.Name+`"`) {
			t.Errorf("the DOM lacks figure %s", f.Name)
		}
	}
	for _, tb := range s.Tables {
		i := strings.Index(dom, `id="report-`+tb.Name+`"`)
		if i < 0 || !strings.Contains(dom[i:], "<table>") {
			t.Errorf("the DOM lacks table %s", tb.Name)
		}
	}
	// One configuration per estimator; every column has a line.
	sparks := strings.Count(dom, `<svg class="spark"`)
	if sparks == 0 || sparks%len(s.Params[0].Values) != 0 || strings.Count(dom, "<polyline") < sparks {
		t.Errorf("the DOM has %d sparklines and %d lines for %d configurations", sparks, strings.Count(dom, "<polyline"), len(s.Params[0].Values))
	}
	if m := externalLink.FindString(dom); m != "" {
		t.Errorf("the DOM links outside: %s", m)
	}
}
