package api

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	"github.com/tetherphone/tether/account/team"
	"github.com/tetherphone/tether/audio"
)

// A number's own voicemail greeting: a recording uploaded as WAV (any PCM
// rate and channels), kept at 8 kHz mono under DATA/greetings/ and played
// by the switchboard in place of the standard chime before the beep.
const (
	maxGreetingBytes = 12 << 20 // a minute of 48 kHz stereo, and some
	maxGreetingSecs  = 60
)

// GreetingRate is the rate a greeting is kept at (the switchboard's).
const GreetingRate = 8000

func (s *Server) greetingURL(n team.Number) string {
	if n.OwnGreeting() == "" {
		return ""
	}
	return "/v1/numbers/" + n.E164 + "/greeting"
}

// ReadGreeting reads an uploaded greeting: a WAV file of half a second to
// a minute, made 8 kHz mono. Its errors say what is wrong for a person.
func ReadGreeting(r io.Reader) ([]int16, error) {
	p, err := audio.ReadWAV(r)
	if err != nil {
		return nil, errors.New("a greeting is a WAV file of 16-bit PCM; this one does not read as one (" + strings.TrimPrefix(err.Error(), "audio: ") + ")")
	}
	mono := p.Mono()
	switch {
	case len(mono) < p.Rate/2:
		return nil, errors.New("the greeting is under half a second")
	case len(mono) > p.Rate*maxGreetingSecs:
		return nil, errors.New("a greeting is at most a minute")
	}
	if p.Rate == GreetingRate {
		return mono, nil
	}
	rs, err := audio.NewResampler(p.Rate, GreetingRate)
	if err != nil {
		return nil, errors.New("the greeting's sample rate cannot be used: " + strings.TrimPrefix(err.Error(), "audio: "))
	}
	out := make([]int16, 0, rs.OutLen(len(mono))+1)
	buf := make([]int16, rs.OutLen(p.Rate)+2)
	for i := 0; i < len(mono); i += p.Rate { // a second at a time
		n := rs.Process(mono[i:min(i+p.Rate, len(mono))], buf)
		out = append(out, buf[:n]...)
	}
	return out, nil
}

func (s *Server) putGreeting(w http.ResponseWriter, r *http.Request, u caller) {
	n, ok := s.pathNumber(w, r, u)
	if !ok {
		return
	}
	if s.cfg.DataDir == "" {
		writeErr(w, http.StatusNotFound, "not_found", "this server keeps no recordings")
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxGreetingBytes))
	if err != nil {
		writeErr(w, http.StatusRequestEntityTooLarge, "too_large", "a greeting is at most a minute of WAV (12 MB)")
		return
	}
	pcm, err := ReadGreeting(bytes.NewReader(body))
	if err != nil {
		writeErr(w, http.StatusBadRequest, "bad_input", "%v", err)
		return
	}
	id := make([]byte, 8)
	rand.Read(id)
	rel := filepath.Join(team.GreetingDir, strings.TrimPrefix(n.E164, "+")+"-"+hex.EncodeToString(id)+".wav")
	path := filepath.Join(s.cfg.DataDir, rel)
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		s.fail(w, err, "keep the greeting")
		return
	}
	if err := audio.SaveWAV(path, &audio.PCM{Rate: GreetingRate, Channels: 1, Samples: pcm}); err != nil {
		s.fail(w, err, "keep the greeting")
		return
	}
	s.replaceGreeting(w, r, u, n, rel, "a recording of %d s", len(pcm)/GreetingRate)
}

func (s *Server) deleteGreeting(w http.ResponseWriter, r *http.Request, u caller) {
	n, ok := s.pathNumber(w, r, u)
	if !ok {
		return
	}
	s.replaceGreeting(w, r, u, n, "", "the standard greeting")
}

// replaceGreeting sets the number's greeting to rel ("" the standard
// one), then removes the recording it replaces.
func (s *Server) replaceGreeting(w http.ResponseWriter, r *http.Request, u caller, n team.Number, rel, what string, a ...any) {
	old := n
	n.Greeting = rel
	ctx := u.audit(r.Context(), "number.greeting", n.E164, what, a...)
	if err := s.cfg.Users.UpdateNumber(ctx, n); err != nil {
		if rel != "" {
			os.Remove(filepath.Join(s.cfg.DataDir, rel))
		}
		s.fail(w, err, "change the greeting")
		return
	}
	if p := old.OwnGreeting(); p != "" && p != rel {
		os.Remove(filepath.Join(s.cfg.DataDir, p))
	}
	s.number(w, r, u)
}

func (s *Server) getGreeting(w http.ResponseWriter, r *http.Request, u caller) {
	n, ok := s.pathNumber(w, r, u)
	if !ok {
		return
	}
	if n.OwnGreeting() == "" || s.cfg.DataDir == "" {
		writeErr(w, http.StatusNotFound, "not_found", "the number has the standard greeting")
		return
	}
	f, err := os.Open(filepath.Join(s.cfg.DataDir, n.OwnGreeting()))
	if err != nil {
		writeErr(w, http.StatusNotFound, "not_found", "the greeting is missing")
		return
	}
	defer f.Close()
	st, _ := f.Stat()
	w.Header().Set("Content-Type", "audio/wav")
	http.ServeContent(w, r, "greeting.wav", st.ModTime(), f)
}
