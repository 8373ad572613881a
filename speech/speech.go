// Package speech turns speech into text and text into speech, for
// voicemail transcripts, greetings and the voice agent. Each side is an
// interface with an embedded default that runs here with nothing
// downloaded at run time (PocketSphinx and flite from Debian, supervised
// as subprocesses), and an HTTP implementation for production (any
// service speaking the OpenAI-compatible /v1/audio/transcriptions API,
// which self-hosted Whisper servers also serve).
package speech

import (
	"context"
	"errors"
	"strings"
	"unicode"

	"github.com/tetherphone/tether/audio"
)

// Recognizer turns recorded speech into text.
type Recognizer interface {
	Transcribe(ctx context.Context, pcm *audio.PCM) (string, error)
}

// Synthesizer speaks text.
type Synthesizer interface {
	Speak(ctx context.Context, text string) (*audio.PCM, error)
}

// ErrUnavailable: the engine is not installed or not answering.
var ErrUnavailable = errors.New("speech: the engine is not available")

// Words splits text into lower-case words, punctuation dropped.
func Words(text string) []string {
	return strings.FieldsFunc(strings.ToLower(text), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '\'' })
}

// WER is the word error rate of got against want: the least number of
// words substituted, deleted and inserted to make one the other, over
// the number of words wanted (1 when want is empty and got is not).
func WER(want, got string) (errs, words int) {
	w, g := Words(want), Words(got)
	prev := make([]int, len(g)+1)
	cur := make([]int, len(g)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(w); i++ {
		cur[0] = i
		for j := 1; j <= len(g); j++ {
			sub := prev[j-1]
			if w[i-1] != g[j-1] {
				sub++
			}
			cur[j] = min(sub, prev[j]+1, cur[j-1]+1)
		}
		prev, cur = cur, prev
	}
	return prev[len(g)], len(w)
}
