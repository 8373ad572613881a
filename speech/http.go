package speech

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"strings"

	"github.com/tetherphone/tether/audio"
)

// HTTP recognises speech with a service speaking the OpenAI-compatible
// transcription API: POST BASE/v1/audio/transcriptions, multipart with
// the audio as "file" (WAV) and "model", answered {"text": ...}. OpenAI's
// own and self-hosted Whisper servers speak it.
type HTTP struct {
	Base   string // https://api.openai.com, http://whisper.internal:8000
	Key    string // sent as Authorization: Bearer when not empty
	Model  string // "whisper-1" when empty
	Client *http.Client
}

// Transcribe implements Recognizer.
func (h *HTTP) Transcribe(ctx context.Context, pcm *audio.PCM) (string, error) {
	var wav bytes.Buffer
	if err := audio.WriteWAV(&wav, pcm); err != nil {
		return "", err
	}
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	mw.WriteField("model", cmp.Or(h.Model, "whisper-1"))
	mw.WriteField("response_format", "json")
	fw, err := mw.CreateFormFile("file", "audio.wav")
	if err != nil {
		return "", err
	}
	fw.Write(wav.Bytes())
	if err := mw.Close(); err != nil {
		return "", err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(h.Base, "/")+"/v1/audio/transcriptions", &body)
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	if h.Key != "" {
		req.Header.Set("Authorization", "Bearer "+h.Key)
	}
	client := h.Client
	if client == nil {
		client = http.DefaultClient
	}
	res, err := client.Do(req)
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	if res.StatusCode != http.StatusOK {
		return "", fmt.Errorf("speech: the transcription service answered %s: %.300s", res.Status, b)
	}
	var out struct {
		Text string `json:"text"`
	}
	if err := json.Unmarshal(b, &out); err != nil {
		return "", fmt.Errorf("speech: the transcription service's answer: %v", err)
	}
	return strings.TrimSpace(out.Text), nil
}

var _ Recognizer = (*HTTP)(nil)
