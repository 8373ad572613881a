# Tether: a business phone system. `make run` and `make test` set up a fresh
# Debian 12 machine themselves (Debian packages and Go tools they need).

SHELL := /bin/bash
GO ?= go
# Fyne reads the locale at start-up and cannot parse C or C.UTF-8.
export LANG := en_US.UTF-8
export GOFLAGS := -buildvcs=false
GOBIN := $(shell $(GO) env GOPATH)/bin
STATICCHECK := $(GOBIN)/staticcheck
STATICCHECK_VERSION := v0.8.2
# Stripe's API as its specification describes it, for the payment tests
# (internal/peers.StripeMockVersion names the same version).
STRIPEMOCK := $(GOBIN)/stripe-mock
STRIPEMOCK_VERSION := v0.203.0
# The Fyne packaging tool, for make package (and its test).
FYNE := $(GOBIN)/fyne
FYNE_TOOLS_VERSION := v1.7.4
DATA ?= $(HOME)/.local/share/tether

.PHONY: all deps tools build run test vet lint unit race bench fuzz screenshot package clean

all: build

# Debian packages the build and the tests need (installed when missing).
deps:
	@./scripts/deps.sh

$(STATICCHECK):
	$(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)

$(STRIPEMOCK):
	$(GO) install github.com/stripe/stripe-mock@$(STRIPEMOCK_VERSION)

$(FYNE):
	$(GO) install fyne.io/tools/cmd/fyne@$(FYNE_TOOLS_VERSION)

tools: $(STATICCHECK) $(STRIPEMOCK) $(FYNE)

# The desktop app as a Linux tarball (fyne package) and a .deb, in dist/.
package: deps $(FYNE)
	FYNE=$(FYNE) ./scripts/package.sh dist

build: deps
	$(GO) build ./...

# The desktop app on the demo account. Without a display it runs on a
# virtual one (Xvfb) and says so.
run: deps
	$(GO) build -o bin/softphone ./cmd/softphone
	@if [ -n "$$DISPLAY" ] || [ -n "$$WAYLAND_DISPLAY" ]; then \
		./bin/softphone --demo --data "$(DATA)"; \
	else \
		echo "run: no display found, so the app runs on a virtual one (xvfb-run); stop it with Ctrl-C."; \
		echo "run: use a desktop session to see the window, or 'make screenshot' for a picture of it."; \
		xvfb-run -a -s "-screen 0 1280x1024x24" ./bin/softphone --demo --data "$(DATA)"; \
	fi

# Pictures of the app on a throwaway demo account, for the README.
SHOT_DATA := /tmp/tether-shot
SHOT := SETTLE=2 ./scripts/screenshot.sh
screenshot: deps
	$(GO) build -o bin/softphone ./cmd/softphone
	$(GO) build -o bin/switchboard ./cmd/switchboard
	rm -rf $(SHOT_DATA)
	$(SHOT) docs/sign-in.png env HOME=$(SHOT_DATA)/home ./bin/softphone
	$(SHOT) docs/dialer.png ./bin/softphone --demo --data $(SHOT_DATA) --audio-backend null --dial "+44 20 7946 0958"
	$(SHOT) docs/credits.png ./bin/softphone --demo --data $(SHOT_DATA) --audio-backend null --tab Credits
	$(SHOT) docs/numbers.png ./bin/softphone --demo --data $(SHOT_DATA) --audio-backend null --tab Numbers
	$(SHOT) docs/team.png ./bin/softphone --demo --data $(SHOT_DATA) --audio-backend null --tab Team
	$(SHOT) docs/account.png ./bin/softphone --demo --data $(SHOT_DATA) --audio-backend null --tab Account
	$(SHOT) docs/settings.png ./bin/softphone --demo --data $(SHOT_DATA) --audio-backend null --tab Settings
	$(SHOT) docs/call.png ./bin/softphone --demo --data $(SHOT_DATA) --audio-backend null --call "+44 20 7946 0958" --quit-after 20s
	@# The picture was taken with the call up and the app then stopped: a
	@# start settles that call (as after a crash) before the balance is read.
	xvfb-run -a ./bin/softphone --demo --data $(SHOT_DATA) --audio-backend null --quit-after 1s >/dev/null
	./bin/switchboard adjust --data $(SHOT_DATA) --account demo --amount "-$$(./bin/switchboard balance --data $(SHOT_DATA) --account demo)" --reason "screenshot: zero balance"
	$(SHOT) docs/zero-balance.png ./bin/softphone --demo --data $(SHOT_DATA) --audio-backend null --as rep --dial "+44 20 7946 0958"
	$(SHOT) docs/calls.png ./bin/softphone --demo --data $(SHOT_DATA) --audio-backend null --tab Calls
	$(SHOT) docs/activity.png ./bin/softphone --demo --data $(SHOT_DATA) --audio-backend null --tab Activity

vet: deps
	$(GO) vet ./...

lint: vet tools
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(STATICCHECK) ./...

unit: deps tools
	$(GO) test -count=1 -timeout 30m ./...

# The money and media code again under the race detector (the concurrency
# test runs 500 calls against one balance; media runs a network goroutine
# beside the audio pump).
race: deps tools
	$(GO) test -count=1 -race -timeout 30m ./account/... ./audio/... ./phone/... ./ui/...

test: lint unit race

# Benchmarks, printed as a table (scripts/benchtable.awk).
bench: deps
	$(GO) test -run '^$$' -bench . -benchtime 40000x -count 3 ./account/sqlite/ | tee /tmp/tether-bench.txt | awk -f scripts/benchtable.awk
	$(GO) test -run '^$$' -bench . -benchmem ./account/rating/ ./account/sms/ ./account/billing/ ./audio/ | tee -a /tmp/tether-bench.txt | awk -f scripts/benchtable.awk
	@echo "Mouth-to-ear: phonectl on PulseAudio null sinks calling baresip's echo server (ms-round-trip; the phone's %cpu of one core)"
	$(GO) test -run '^$$' -bench MouthToEar -benchtime 3x -timeout 20m ./cmd/phonectl/ | tee -a /tmp/tether-bench.txt | grep -E '^Benchmark'
	$(GO) test -run '^$$' -bench EchoCancellation -benchtime 2x -timeout 10m ./cmd/phonectl/ | tee -a /tmp/tether-bench.txt | grep -E '^Benchmark'
	@echo "Switchboard under sipp on loopback: authenticated REGISTER/s and calls/s (gate, B2BUA, media relay), failures, p99"
	$(GO) test -run '^$$' -bench Sipp -benchtime 1x -count 3 -timeout 20m ./phone/switchboard/ 2>/dev/null | tee -a /tmp/tether-bench.txt | grep -E '^Benchmark'
	@echo "Overload, beside Kamailio in the same run: 1,000 users registering at 4,000 and 8,000/s, calling at 750 and 1,500/s held 1 s; the switchboard's memory after the load, and closing with 2,000 calls up"
	$(GO) test -run '^$$' -bench Overload -benchtime 1x -timeout 40m ./phone/switchboard/ 2>/dev/null | tee -a /tmp/tether-bench.txt | grep -E '^Benchmark'
	@echo "Call set-up through the switchboard on loopback, INVITE sent to the callee's audio arriving: UDP phones, and a WebRTC phone (ICE, DTLS-SRTP) calling a UDP one"
	$(GO) test -run '^$$' -bench CallSetup -benchtime 20x -count 3 ./phone/switchboard/ 2>/dev/null | tee -a /tmp/tether-bench.txt | grep -E '^Benchmark'
	@echo "Speech: PocketSphinx's word error rate on flite's speech at 16 kHz and through the telephone band (8 kHz PCMU), and its real-time factor"
	$(GO) test -run '^$$' -bench Transcription -benchtime 1x ./speech/ | tee -a /tmp/tether-bench.txt | grep -E '^Benchmark'
	@echo "Desktop app under Xvfb on the in-process demo: launch to registered (warm), memory idle and registered"
	$(GO) test -run '^$$' -bench Launch -benchtime 3x -timeout 10m ./cmd/softphone/ 2>/dev/null | tee -a /tmp/tether-bench.txt | grep -E '^Benchmark'

# Each fuzz target for a while (FUZZTIME each).
FUZZTIME ?= 30s
fuzz: deps
	$(GO) test -run '^$$' -fuzz '^FuzzReadDeck$$' -fuzztime $(FUZZTIME) ./account/rating/
	$(GO) test -run '^$$' -fuzz '^FuzzParseNumber$$' -fuzztime $(FUZZTIME) ./account/rating/
	$(GO) test -run '^$$' -fuzz '^FuzzCount$$' -fuzztime $(FUZZTIME) ./account/sms/
	$(GO) test -run '^$$' -fuzz '^FuzzParseMenu$$' -fuzztime $(FUZZTIME) ./account/team/
	$(GO) test -run '^$$' -fuzz '^FuzzParseReason$$' -fuzztime $(FUZZTIME) ./phone/
	$(GO) test -run '^$$' -fuzz '^FuzzParseInfo$$' -fuzztime $(FUZZTIME) ./phone/dtmf/
	$(GO) test -run '^$$' -fuzz '^FuzzParseSipfrag$$' -fuzztime $(FUZZTIME) ./phone/
	$(GO) test -run '^$$' -fuzz '^FuzzReadWAV$$' -fuzztime $(FUZZTIME) ./audio/
	$(GO) test -run '^$$' -fuzz '^FuzzParse$$' -fuzztime $(FUZZTIME) ./phone/dtmf/
	$(GO) test -run '^$$' -fuzz '^FuzzParse$$' -fuzztime $(FUZZTIME) ./phone/sdp/
	$(GO) test -run '^$$' -fuzz '^FuzzReceive$$' -fuzztime $(FUZZTIME) ./phone/media/
	$(GO) test -run '^$$' -fuzz '^FuzzReceiveRTCP$$' -fuzztime $(FUZZTIME) ./phone/media/
	$(GO) test -run '^$$' -fuzz '^FuzzParseHours$$' -fuzztime $(FUZZTIME) ./account/team/
	$(GO) test -run '^$$' -fuzz '^FuzzAudioFormats$$' -fuzztime $(FUZZTIME) ./phone/webrtcgw/
	$(GO) test -run '^$$' -fuzz '^FuzzParseICEServer$$' -fuzztime $(FUZZTIME) ./phone/webrtcgw/

clean:
	rm -rf bin dist
