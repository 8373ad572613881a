package speech

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"

	"github.com/tetherphone/tether/audio"
)

// Flite speaks US English with flite from Debian (its "rms" voice: the
// clearest to PocketSphinx of those packaged), or espeak-ng when Bin says
// so.
type Flite struct {
	Bin   string // "flite" (default) or "espeak-ng"
	Voice string // flite's -voice (rms when empty); espeak-ng's -v
}

// Speak implements Synthesizer: the speech at flite's own rate (16 kHz;
// espeak-ng's 22,050 Hz), mono.
func (f *Flite) Speak(ctx context.Context, text string) (*audio.PCM, error) {
	bin := f.Bin
	if bin == "" {
		bin = "flite"
	}
	path, err := exec.LookPath(bin)
	if err != nil {
		return nil, fmt.Errorf("%w: %s is not installed: %v", ErrUnavailable, bin, err)
	}
	dir, err := os.MkdirTemp("", "tether-tts-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	out := filepath.Join(dir, "out.wav")
	var cmd *exec.Cmd
	switch bin {
	case "espeak-ng":
		args := []string{"-w", out}
		if f.Voice != "" {
			args = append(args, "-v", f.Voice)
		}
		cmd = exec.CommandContext(ctx, path, append(args, "--", text)...)
	default:
		voice := f.Voice
		if voice == "" {
			voice = "rms"
		}
		cmd = exec.CommandContext(ctx, path, "-voice", voice, "-t", text, "-o", out)
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	var errOut bytes.Buffer
	cmd.Stderr = &errOut
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("speech: %s: %v: %.300s", bin, err, errOut.String())
	}
	return audio.LoadWAV(out)
}

var _ Synthesizer = (*Flite)(nil)
