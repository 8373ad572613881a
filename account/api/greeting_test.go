package api_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tetherphone/tether/account/api"
	"github.com/tetherphone/tether/account/demo"
	"github.com/tetherphone/tether/audio"
)

// tone700 and tone500 fill a buffer with a tone at rate.
func tone700(b []int16, rate int) { audio.Sine(b, 700, rate, 10000, 0) }
func tone500(b []int16, rate int) { audio.Sine(b, 500, rate, 10000, 0) }

// wavOf is a WAV file of ms milliseconds of a tone, at rate, in channels.
func wavOf(t *testing.T, tone func([]int16, int), rate, channels, ms int) []byte {
	t.Helper()
	mono := make([]int16, rate*ms/1000)
	tone(mono, rate)
	samples := make([]int16, 0, len(mono)*channels)
	for _, s := range mono {
		for range channels {
			samples = append(samples, s)
		}
	}
	var b bytes.Buffer
	if err := audio.WriteWAV(&b, &audio.PCM{Rate: rate, Channels: channels, Samples: samples}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestGreetingAPI (issue 15, defect 7): an admin uploads a number's own
// voicemail greeting as WAV (here 16 kHz stereo); it is kept at 8 kHz
// mono with its tone, shown on the number, served back, replaced (the old
// file removed) and taken off again. Bad uploads are refused with what is
// wrong; a rep may not; the greeting is no longer free text.
func TestGreetingAPI(t *testing.T) {
	srv, pw, _, dir := startIn(t)
	ctx := context.Background()
	as := func(email string) *api.Client {
		c, _ := api.NewClient(srv.URL)
		if _, err := c.SignIn(ctx, email, pw[email]); err != nil {
			t.Fatal(err)
		}
		return c
	}
	admin, rep := as("admin@demo.test"), as("rep@demo.test")
	num := demo.Numbers[0]
	n, err := admin.SetGreeting(ctx, num, wavOf(t, tone700, 16000, 2, 2000))
	if err != nil || n.Greeting != "/v1/numbers/"+num+"/greeting" {
		t.Fatalf("upload: %+v %v", n, err)
	}
	got, err := admin.Greeting(ctx, num)
	if err != nil {
		t.Fatal(err)
	}
	p, err := audio.ReadWAV(bytes.NewReader(got))
	if err != nil || p.Rate != 8000 || p.Channels != 1 || len(p.Samples) < 15000 || len(p.Samples) > 17000 {
		t.Fatalf("kept: %v, %+v", err, p)
	}
	if share := audio.ToneShare(p.Samples[4000:12000], 700, 8000); share < 0.9 {
		t.Errorf("the kept greeting holds 700 Hz at share %.2f", share)
	}
	files := func() []string {
		m, _ := filepath.Glob(filepath.Join(dir, "greetings", "*.wav"))
		return m
	}
	first := files()
	if len(first) != 1 {
		t.Fatalf("greeting files: %v", first)
	}
	if _, err := admin.SetGreeting(ctx, num, wavOf(t, tone500, 8000, 1, 1000)); err != nil {
		t.Fatal(err)
	}
	if now := files(); len(now) != 1 || now[0] == first[0] {
		t.Errorf("after a replacement: %v (was %v)", now, first)
	}
	for _, bad := range []struct {
		body []byte
		says string
	}{
		{[]byte("not a wav"), "WAV file"},
		{wavOf(t, tone500, 8000, 1, 200), "under half a second"},
		{wavOf(t, tone500, 8000, 1, 61000), "at most a minute"},
	} {
		if _, err := admin.SetGreeting(ctx, num, bad.body); apiErr(err) == nil || apiErr(err).Status != 400 || !strings.Contains(apiErr(err).Message, bad.says) {
			t.Errorf("%q: %v", bad.says, err)
		}
	}
	if _, err := rep.SetGreeting(ctx, num, wavOf(t, tone500, 8000, 1, 1000)); apiErr(err) == nil || apiErr(err).Status != 403 {
		t.Errorf("a rep uploads a greeting: %v", err)
	}
	text := "Thanks for calling"
	if _, err := admin.NumberSettings(ctx, num, api.SettingsRequest{Greeting: &text}); apiErr(err) == nil || !strings.Contains(apiErr(err).Message, "recording") {
		t.Errorf("a text greeting: %v", err)
	}
	n, err = admin.RemoveGreeting(ctx, num)
	if err != nil || n.Greeting != "" || len(files()) != 0 {
		t.Errorf("the standard greeting back: %+v %v, files %v", n, err, files())
	}
	if _, err := admin.Greeting(ctx, num); apiErr(err) == nil || apiErr(err).Status != 404 {
		t.Errorf("no greeting to fetch: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "greetings")); err != nil {
		t.Error(err)
	}
}
