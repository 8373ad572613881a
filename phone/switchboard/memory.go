package switchboard

import (
	"runtime/debug"
	"runtime/metrics"
	"time"
)

// Memory a burst of calls or registrations took is given back once the
// burst is over. Go's runtime keeps freed heap for reuse and returns it to
// the system only after a collection, and a switchboard idle after a
// burst allocates too little to start one: it would hold the burst's
// peak (hundreds of MB) for minutes. Every TrimEvery, when no collection
// ran since the last look (the switchboard is quiet) and the heap held is
// well above what was live after the last trim, the heap is collected and
// the free part returned at once. Under load collections run all the time
// and this does nothing; when quiet it trims once per growth of the heap.

// trimAbove is how much held heap above the last trim's is worth a trim.
const trimAbove = 32 << 20

// heapState reads the collections so far, and the heap held (in use, free
// or garbage not yet swept; not returned to the system).
func heapState() (cycles, held uint64) {
	s := []metrics.Sample{
		{Name: "/gc/cycles/total:gc-cycles"},
		{Name: "/memory/classes/heap/free:bytes"},
		{Name: "/memory/classes/heap/objects:bytes"},
	}
	metrics.Read(s)
	return s[0].Value.Uint64(), s[1].Value.Uint64() + s[2].Value.Uint64()
}

// trimmer decides when to give memory back.
type trimmer struct {
	cycles uint64 // collections at the last look
	after  uint64 // heap held after the last trim
}

// tick gives the free heap back if the switchboard has been quiet since
// the last tick and holds much more than after the last trim; it reports
// whether it did.
func (t *trimmer) tick() bool {
	cycles, held := heapState()
	quiet := cycles == t.cycles
	t.cycles = cycles
	if !quiet || held < t.after+trimAbove {
		return false
	}
	debug.FreeOSMemory()
	t.cycles, t.after = heapState() // its own collection is not load
	return true
}

// trims runs the trimmer every TrimEvery until the switchboard closes.
func (s *Server) trims() {
	if s.cfg.TrimEvery < 0 {
		return
	}
	t := time.NewTicker(s.cfg.TrimEvery)
	defer t.Stop()
	var tr trimmer
	for {
		select {
		case <-s.life.Done():
			return
		case <-t.C:
		}
		if tr.tick() {
			s.trimmed.Add(1)
		}
	}
}
