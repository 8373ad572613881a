package switchboard

import (
	"crypto/rand"
	"encoding/binary"
	"errors"
	"net/netip"
	"slices"
	"sync"
	"time"

	"github.com/pion/rtp"
	"github.com/tetherphone/tether/audio"
	"github.com/tetherphone/tether/phone/media"
)

// A conference's audio is mixed here, in the switchboard, so it works for
// any phone: each member is a relay side (the sockets its phone sends
// to) with the codec its SDP settled on. The mixer reads each member's
// RTP and decodes it into a short queue of 20 ms frames at 8 kHz; every
// 20 ms it takes a frame from each queue (silence from a member with
// none) and sends each member the sum of the others, encoded in that
// member's codec, as one stream (carrying on the SSRC, sequence and
// timestamps of what the phone was getting before, when it was: some
// phones drop a stream whose numbers jump). A member never hears itself, nor the members of its
// group: one person's two legs (a rep in both of the calls joined, one of
// them held) do not echo each other. A queue holds at most
// mixQueue frames: a member whose packets come in bursts loses the
// oldest, so no one's audio falls behind the others'.

const (
	mixRate  = 8000
	mixFrame = mixRate / 50 // 20 ms
	mixQueue = 5            // 100 ms at most waiting in a member's queue
)

// mixMember is one phone in a conference.
type mixMember struct {
	side       *side
	group      int // 0: a group of its own
	enc, dec   audio.Codec
	pt         uint8
	up, down   *audio.Resampler // 8 kHz to the codec's rate and back, when it differs
	mu         sync.Mutex
	queue      [][]int16
	announce   [][]int16 // frames only this member hears, on top of the mix (the low-credit warning)
	seq        uint16
	ts, ssrc   uint32
	mixed, out []int16
	payload    []byte
}

// mixer mixes a conference until closed.
type mixer struct {
	mu      sync.Mutex
	members []*mixMember
	stop    chan struct{}
	wg      sync.WaitGroup
	once    sync.Once
	every   time.Duration // the frame clock (20 ms; tests may slow it)
	groups  int
	started bool
}

func newMixer() *mixer { return &mixer{stop: make(chan struct{}), every: 20 * time.Millisecond} }

// errNoCodec: a member's media cannot be mixed (encrypted, or a codec the
// switchboard does not encode).
var errNoCodec = errors.New("switchboard: this call's audio cannot be mixed (encrypted or an unknown codec)")

// group is a new group for members that must not hear one another.
func (m *mixer) group() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.groups++
	return m.groups
}

// groupOf is the group of the member on sd (0: none, or not a member).
func (m *mixer) groupOf(sd *side) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, mm := range m.members {
		if mm.side == sd {
			return mm.group
		}
	}
	return 0
}

// add makes the phone on sd a member, in group (0: its own); desc is the
// SDP its media was agreed with (the codec). It reads sd's sockets from
// now on: nothing else may. When its sockets close, it leaves; when the
// last leaves, the mixer stops.
func (m *mixer) add(sd *side, desc []byte, group int) error {
	enc, pt := codecForSDP(desc)
	dec, _ := codecForSDP(desc)
	if enc == nil || dec == nil {
		return errNoCodec
	}
	mm := &mixMember{side: sd, group: group, enc: enc, dec: dec, pt: pt}
	if r := enc.SampleRate(); r != mixRate {
		var err error
		if mm.up, err = audio.NewResampler(mixRate, r); err != nil {
			return err
		}
		if mm.down, err = audio.NewResampler(r, mixRate); err != nil {
			return err
		}
	}
	var b [8]byte
	rand.Read(b[:])
	mm.ssrc, mm.ts, mm.seq = binary.BigEndian.Uint32(b[:4]), binary.BigEndian.Uint32(b[4:]), uint16(b[0])<<8|uint16(b[7])
	if last := sd.sent.Load(); last != nil { // carry on the stream the phone was getting
		mm.ssrc, mm.seq, mm.ts = last.ssrc, last.seq+1, last.ts+uint32(enc.ClockRate()/50)
	}
	m.mu.Lock()
	m.members = append(m.members, mm)
	m.mu.Unlock()
	m.wg.Add(2)
	go m.read(mm)
	go m.drain(sd)
	return nil
}

// start runs the frame clock until close (once).
func (m *mixer) start() {
	m.mu.Lock()
	started := m.started
	m.started = true
	m.mu.Unlock()
	if started {
		return
	}
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		tick := time.NewTicker(m.every)
		defer tick.Stop()
		for {
			select {
			case <-m.stop:
				return
			case <-tick.C:
				m.mix()
			}
		}
	}()
}

// read decodes what a member's phone sends into its queue, latching onto
// the address it really sends from (symmetric RTP).
func (m *mixer) read(mm *mixMember) {
	defer m.wg.Done()
	defer m.leave(mm)
	buf := make([]byte, 2048)
	pcm := make([]int16, 2*1920) // up to 40 ms at 48 kHz
	down := make([]int16, len(pcm))
	var pkt rtp.Packet
	for {
		n, src, err := mm.side.rtp.ReadFromUDPAddrPort(buf)
		if err != nil {
			return
		}
		src = netip.AddrPortFrom(src.Addr().Unmap(), src.Port())
		if p := mm.side.peerRTP.Load(); p == nil || *p != src {
			mm.side.peerRTP.Store(&src)
		}
		b := buf[:n]
		if len(b) < 12 || b[1]&0x7f != mm.pt || media.IsRTCP(b) || pkt.Unmarshal(b) != nil {
			continue // (telephone-event, comfort noise: not mixed)
		}
		k, err := mm.dec.Decode(pkt.Payload, pcm)
		if err != nil || k == 0 {
			continue
		}
		frame := pcm[:k]
		if mm.down != nil {
			frame = down[:mm.down.Process(frame, down)]
		}
		mm.mu.Lock()
		for len(frame) > 0 {
			f := make([]int16, mixFrame)
			c := copy(f, frame)
			frame = frame[c:]
			mm.queue = append(mm.queue, f)
		}
		if over := len(mm.queue) - mixQueue; over > 0 {
			mm.queue = mm.queue[over:]
		}
		mm.mu.Unlock()
	}
}

// announce plays pcm (8 kHz) to the member on sd alone, over the mix: a
// conference's low-credit warning, heard by the one who pays.
func (m *mixer) announce(sd *side, pcm []int16) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, mm := range m.members {
		if mm.side != sd {
			continue
		}
		mm.mu.Lock()
		for i := 0; i < len(pcm); i += mixFrame {
			f := make([]int16, mixFrame)
			copy(f, pcm[i:])
			mm.announce = append(mm.announce, f)
		}
		mm.mu.Unlock()
		return true
	}
	return false
}

// leave takes a member out; the last to leave stops the mixer.
func (m *mixer) leave(mm *mixMember) {
	m.mu.Lock()
	m.members = slices.DeleteFunc(m.members, func(x *mixMember) bool { return x == mm })
	empty := len(m.members) == 0
	m.mu.Unlock()
	if empty {
		m.close()
	}
}

// drain reads a member's RTCP (latching its address) and lets it go: the
// mixer's streams are its own.
func (m *mixer) drain(sd *side) {
	defer m.wg.Done()
	buf := make([]byte, 2048)
	for {
		_, src, err := sd.rtcp.ReadFromUDPAddrPort(buf)
		if err != nil {
			return
		}
		src = netip.AddrPortFrom(src.Addr().Unmap(), src.Port())
		sd.peerRTCP.Store(&src)
	}
}

// mix sends each member one frame of the others.
func (m *mixer) mix() {
	m.mu.Lock()
	members := append([]*mixMember(nil), m.members...)
	m.mu.Unlock()
	frames := make([][]int16, len(members))
	for i, mm := range members {
		mm.mu.Lock()
		if len(mm.queue) > 0 {
			frames[i], mm.queue = mm.queue[0], mm.queue[1:]
		}
		mm.mu.Unlock()
	}
	for i, mm := range members {
		var extra []int16
		mm.mu.Lock()
		if len(mm.announce) > 0 {
			extra, mm.announce = mm.announce[0], mm.announce[1:]
		}
		mm.mu.Unlock()
		if cap(mm.mixed) < mixFrame {
			mm.mixed = make([]int16, mixFrame)
		}
		sum := mm.mixed[:mixFrame]
		for s := range sum {
			v := 0
			for j, f := range frames {
				if j != i && f != nil && (mm.group == 0 || members[j].group != mm.group) {
					v += int(f[s])
				}
			}
			if extra != nil {
				v += int(extra[s])
			}
			sum[s] = int16(max(-32768, min(32767, v)))
		}
		m.send(mm, sum)
	}
}

// send encodes a frame for a member and sends it to its phone.
func (m *mixer) send(mm *mixMember, frame []int16) {
	dst := mm.side.peerRTP.Load()
	if dst == nil || !dst.IsValid() {
		return
	}
	pcm := frame
	if mm.up != nil {
		if cap(mm.out) < 8*mixFrame {
			mm.out = make([]int16, 8*mixFrame)
		}
		pcm = mm.out[:mm.up.Process(frame, mm.out[:8*mixFrame])]
	}
	if cap(mm.payload) < 4*len(pcm)+64 {
		mm.payload = make([]byte, 4*len(pcm)+64)
	}
	n, err := mm.enc.Encode(pcm, mm.payload)
	if err != nil {
		return
	}
	pkt := rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: mm.pt, SequenceNumber: mm.seq, Timestamp: mm.ts, SSRC: mm.ssrc},
		Payload: mm.payload[:n]}
	mm.seq++
	mm.ts += uint32(mm.enc.ClockRate() / 50)
	if b, err := pkt.Marshal(); err == nil {
		mm.side.rtp.WriteToUDPAddrPort(b, *dst)
	}
}

// close stops the mixing; the members' sockets are closed by their owners
// (closing them ends the readers).
func (m *mixer) close() {
	m.once.Do(func() { close(m.stop) })
}

// wait waits for the readers, once the sockets are closed.
func (m *mixer) wait() { m.wg.Wait() }
