package sweep

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"golang.org/x/term"
)

// IsTerminal reports whether f is a terminal, for choosing between a live
// progress line and plain log lines. It asks the operating system for the
// terminal's settings, so other character devices, such as /dev/null, are
// not terminals.
func IsTerminal(f *os.File) bool {
	return term.IsTerminal(int(f.Fd()))
}

// progress shows how far the current run has come: on a terminal a line
// redrawn in place at most ten times a second, otherwise a plain line at
// every tenth of the run or every 30 seconds.
type progress struct {
	r     *Runner
	k, n  int
	id    string
	start time.Time
	// avgRun is the mean time of the runs finished so far in this process
	// (0 when none), and remaining the runs left after this one, for the
	// sweep's ETA.
	avgRun    time.Duration
	remaining int

	mu        sync.Mutex
	firstStep int
	seen      bool
	lastDraw  time.Time
	lastTenth int
	drawn     bool
}

// Update implements tasks.Progress.
func (p *progress) Update(step, total int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := time.Now()
	if !p.seen {
		p.seen, p.firstStep, p.lastDraw = true, step, now
		if p.start.IsZero() {
			p.start = now
		}
	}
	if total <= 0 {
		return
	}
	tenth := min(10, max(0, step*10/total))
	if p.r.live {
		if now.Sub(p.lastDraw) < 100*time.Millisecond && step < total {
			return
		}
	} else if tenth <= p.lastTenth && now.Sub(p.lastDraw) < 30*time.Second {
		return
	}
	p.lastDraw, p.lastTenth = now, tenth
	line := fmt.Sprintf("[%d/%d] %s: step %d/%d", p.k, p.n, p.id, step, total)
	if !p.r.live {
		line += fmt.Sprintf(" (%d%%)", tenth*10)
	}
	elapsed := now.Sub(p.start).Seconds()
	if done := step - p.firstStep; done > 0 && elapsed > 0 {
		rate := float64(done) / elapsed
		eta := time.Duration(float64(total-step) / rate * float64(time.Second))
		line += fmt.Sprintf(", %.1f steps/s, ETA %s", rate, formatETA(eta))
		if p.remaining > 0 {
			perRun := p.avgRun
			if perRun == 0 {
				perRun = time.Duration(float64(total-p.firstStep) / rate * float64(time.Second))
			}
			line += fmt.Sprintf("; sweep ETA %s", formatETA(eta+time.Duration(p.remaining)*perRun))
		}
	}
	w := p.r.stdout()
	if p.r.live {
		io.WriteString(w, "\r"+line+"\033[K")
		p.drawn = true
	} else {
		fmt.Fprintln(w, line)
	}
}

// finish clears the live line.
func (p *progress) finish() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.r.live && p.drawn {
		io.WriteString(p.r.stdout(), "\r\033[K")
	}
}

// formatETA writes a duration as h:mm:ss or m:ss.
func formatETA(d time.Duration) string {
	d = d.Round(time.Second)
	h, m, s := int(d.Hours()), int(d.Minutes())%60, int(d.Seconds())%60
	if h > 0 {
		return fmt.Sprintf("%d:%02d:%02d", h, m, s)
	}
	return fmt.Sprintf("%d:%02d", m, s)
}
