package speech

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"

	"github.com/tetherphone/tether/audio"
)

// Sphinx recognises US English with CMU PocketSphinx (Debian's
// pocketsphinx and pocketsphinx-en-us), one pocketsphinx_continuous
// process per recording, killed with its context. Its model is
// wideband: audio is fed at 16 kHz, and telephone-band (8 kHz) audio
// comes back far less accurately (see the package's tests).
type Sphinx struct {
	Bin string // pocketsphinx_continuous when empty
	// Slots bounds how many run at once (the CPUs when 0): a burst of
	// voicemails queues rather than starves calls of CPU.
	Slots int

	once  sync.Once
	slots chan struct{}
}

// sphinxRate is the rate the model was trained at.
const sphinxRate = 16000

func (s *Sphinx) slot(ctx context.Context) (func(), error) {
	s.once.Do(func() {
		n := s.Slots
		if n <= 0 {
			n = runtime.NumCPU()
		}
		s.slots = make(chan struct{}, n)
	})
	select {
	case s.slots <- struct{}{}:
		return func() { <-s.slots }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// To16k returns pcm (mono) at 16 kHz.
func To16k(pcm *audio.PCM) ([]int16, error) {
	mono := pcm.Mono()
	if pcm.Rate == sphinxRate {
		return mono, nil
	}
	r, err := audio.NewResampler(pcm.Rate, sphinxRate)
	if err != nil {
		return nil, err
	}
	out := make([]int16, r.OutLen(len(mono))+1)
	n := r.Process(mono, out)
	return out[:n], nil
}

// Transcribe implements Recognizer.
func (s *Sphinx) Transcribe(ctx context.Context, pcm *audio.PCM) (string, error) {
	bin := s.Bin
	if bin == "" {
		bin = "pocketsphinx_continuous"
	}
	path, err := exec.LookPath(bin)
	if err != nil {
		return "", fmt.Errorf("%w: %s is not installed (Debian's pocketsphinx, pocketsphinx-en-us): %v", ErrUnavailable, bin, err)
	}
	samples, err := To16k(pcm)
	if err != nil {
		return "", err
	}
	release, err := s.slot(ctx)
	if err != nil {
		return "", err
	}
	defer release()
	dir, err := os.MkdirTemp("", "tether-sphinx-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(dir)
	in := filepath.Join(dir, "in.wav")
	if err := audio.SaveWAV(in, &audio.PCM{Rate: sphinxRate, Channels: 1, Samples: samples}); err != nil {
		return "", err
	}
	cmd := exec.CommandContext(ctx, path, "-infile", in, "-logfn", "/dev/null")
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return "", ctx.Err()
		}
		return "", fmt.Errorf("speech: pocketsphinx: %v: %.300s", err, errOut.String())
	}
	// One line per utterance.
	return strings.Join(strings.Fields(out.String()), " "), nil
}

var _ Recognizer = (*Sphinx)(nil)
