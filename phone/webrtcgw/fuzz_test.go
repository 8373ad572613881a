package webrtcgw

import "testing"

// FuzzAudioFormats: any description is read without panicking, and what
// is read holds only formats a gateway carries.
func FuzzAudioFormats(f *testing.F) {
	f.Add("v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=fingerprint:sha-256 AB\r\na=ice-ufrag:x\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111 0 101\r\na=rtpmap:111 opus/48000/2\r\na=rtpmap:101 telephone-event/8000\r\na=sendonly\r\n")
	f.Add("a=ice-ufrag:a=fingerprint:")
	f.Fuzz(func(t *testing.T, s string) {
		formats, _, err := audioFormats([]byte(s))
		if err != nil {
			return
		}
		if len(supported(formats)) != len(formats) {
			t.Fatalf("unsupported formats read: %+v", formats)
		}
	})
}

// FuzzParseICEServer: no panic; what parses has a URL.
func FuzzParseICEServer(f *testing.F) {
	for _, s := range []string{"stun:127.0.0.1:3478", "turn:a:b@127.0.0.1:3478?transport=udp", "turns:h", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		srv, err := ParseICEServer(s)
		if err == nil && srv.URL == "" {
			t.Fatal("parsed with no URL")
		}
	})
}
