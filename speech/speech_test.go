package speech_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/tetherphone/tether/audio"
	"github.com/tetherphone/tether/speech"
)

func TestWER(t *testing.T) {
	for _, c := range []struct {
		want, got   string
		errs, words int
	}{
		{"please call me back", "please call me back", 0, 4},
		{"please call me back", "Please, call me back!", 0, 4},
		{"please call me back", "please call back", 1, 4},
		{"please call me back", "please call me right back", 1, 4},
		{"please call me back", "these fall me back", 2, 4},
		{"please call me back", "", 4, 4},
		{"", "noise", 1, 0},
	} {
		if e, w := speech.WER(c.want, c.got); e != c.errs || w != c.words {
			t.Errorf("WER(%q, %q) = %d/%d, want %d/%d", c.want, c.got, e, w, c.errs, c.words)
		}
	}
}

// Sentences a voicemail might say, for the recogniser's measurements.
var Sentences = []string{
	"please call me back tomorrow about the invoice for the new phones",
	"hello this is john from acme calling about my order",
	"we would like to book a meeting next week to discuss the contract",
	"my number is four one five five five five zero one nine nine",
	"the delivery arrived late and two of the boxes were damaged",
	"can you send me the price list for the small business plan",
}

// TestSphinxWideband: flite speaks the sentences, PocketSphinx writes
// them down: at 16 kHz (a wideband call's recording) the word error rate
// stays under 15% (measured about 6% on this machine).
func TestSphinxWideband(t *testing.T) {
	ctx := context.Background()
	tts, stt := &speech.Flite{}, &speech.Sphinx{}
	var errs, words int
	var spoken, took time.Duration
	for _, s := range Sentences {
		pcm, err := tts.Speak(ctx, s)
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		got, err := stt.Transcribe(ctx, pcm)
		if err != nil {
			t.Fatal(err)
		}
		took += time.Since(start)
		spoken += time.Duration(len(pcm.Samples)) * time.Second / time.Duration(pcm.Rate*pcm.Channels)
		e, w := speech.WER(s, got)
		errs, words = errs+e, words+w
		t.Logf("%q -> %q (%d/%d)", s, got, e, w)
	}
	t.Logf("WER %d/%d = %.1f%%, real-time factor %.2f", errs, words, 100*float64(errs)/float64(words), took.Seconds()/spoken.Seconds())
	if errs*100 > words*15 {
		t.Errorf("WER %d/%d, over 15%%", errs, words)
	}
}

// TestSphinxCancelled: a cancelled transcription stops its process and
// returns at once.
func TestSphinxCancelled(t *testing.T) {
	long := &audio.PCM{Rate: 16000, Channels: 1, Samples: make([]int16, 16000*600)} // ten minutes
	audio.Sine(long.Samples, 300, 16000, 3000, 0)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := (&speech.Sphinx{}).Transcribe(ctx, long)
		done <- err
	}()
	time.Sleep(200 * time.Millisecond)
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("cancelled: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the transcription outlived its context")
	}
}

// TestHTTPRecognizer: the OpenAI-compatible request as such services
// read it (multipart: the WAV as "file", "model", Bearer key), the
// answer's text; a refusal or an answer that does not read is an error.
func TestHTTPRecognizer(t *testing.T) {
	pcm := &audio.PCM{Rate: 8000, Channels: 1, Samples: make([]int16, 8000)}
	audio.Sine(pcm.Samples, 440, 8000, 8000, 0)
	answer := `{"text": " please call me back "}`
	status := http.StatusOK
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != "/v1/audio/transcriptions" || r.Header.Get("Authorization") != "Bearer sk-test" {
			t.Errorf("%s %s %q", r.Method, r.URL.Path, r.Header.Get("Authorization"))
		}
		mr, err := r.MultipartReader()
		if err != nil {
			t.Fatal(err)
		}
		fields := map[string]string{}
		for {
			p, err := mr.NextPart()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			if p.FormName() == "file" {
				got, err := audio.ReadWAV(p)
				if err != nil || got.Rate != 8000 || len(got.Samples) != 8000 || p.FileName() == "" {
					t.Errorf("the file part: %v %+v", err, got)
				}
				fields["file"] = "wav"
				continue
			}
			b, _ := io.ReadAll(p)
			fields[p.FormName()] = string(b)
		}
		if fields["file"] != "wav" || fields["model"] != "whisper-1" || fields["response_format"] != "json" {
			t.Errorf("fields %v", fields)
		}
		w.WriteHeader(status)
		io.WriteString(w, answer)
	}))
	defer srv.Close()
	h := &speech.HTTP{Base: srv.URL + "/", Key: "sk-test"}
	if got, err := h.Transcribe(context.Background(), pcm); err != nil || got != "please call me back" {
		t.Fatalf("%q %v", got, err)
	}
	status, answer = http.StatusTooManyRequests, `{"error": {"message": "slow down"}}`
	if _, err := h.Transcribe(context.Background(), pcm); err == nil || !strings.Contains(err.Error(), "429") {
		t.Errorf("a refusal: %v", err)
	}
	status, answer = http.StatusOK, "<html>"
	if _, err := h.Transcribe(context.Background(), pcm); err == nil {
		t.Error("an answer that does not read was taken")
	}

}

// BenchmarkTranscription (make bench): PocketSphinx's word error rate on
// the sentences at 16 kHz and through the telephone band (8 kHz PCMU,
// as a carrier's call is recorded), and its real-time factor.
func BenchmarkTranscription(b *testing.B) {
	ctx := context.Background()
	tts, stt := &speech.Flite{}, &speech.Sphinx{}
	var speech16, phone [][]int16
	for _, s := range Sentences {
		pcm, err := tts.Speak(ctx, s)
		if err != nil {
			b.Fatal(err)
		}
		wide, _ := speech.To16k(pcm)
		speech16 = append(speech16, wide)
		r, _ := audio.NewResampler(pcm.Rate, 8000)
		narrow := make([]int16, r.OutLen(len(pcm.Samples))+1)
		narrow = narrow[:r.Process(pcm.Mono(), narrow)]
		enc := make([]byte, len(narrow))
		n, _ := audio.PCMU{}.Encode(narrow, enc)
		audio.PCMU{}.Decode(enc[:n], narrow)
		phone = append(phone, narrow)
	}
	measure := func(rate int, set [][]int16) (wer, rtf float64) {
		var errs, words int
		var spoken, took time.Duration
		for i, s := range Sentences {
			start := time.Now()
			got, err := stt.Transcribe(ctx, &audio.PCM{Rate: rate, Channels: 1, Samples: set[i]})
			if err != nil {
				b.Fatal(err)
			}
			took += time.Since(start)
			spoken += time.Duration(len(set[i])) * time.Second / time.Duration(rate)
			e, w := speech.WER(s, got)
			errs, words = errs+e, words+w
		}
		return 100 * float64(errs) / float64(words), took.Seconds() / spoken.Seconds()
	}
	for range b.N {
		wide, rtf := measure(16000, speech16)
		narrow, _ := measure(8000, phone)
		b.ReportMetric(wide, "wer-16k-%")
		b.ReportMetric(narrow, "wer-phone-%")
		b.ReportMetric(rtf, "rtf")
	}
}
