package rating

// Usage is a type of chargeable use, as the brief lists them. Each has its
// own revenue account in the ledger.
type Usage string

// Usage types.
const (
	DomesticCall      Usage = "domestic-call"      // US/CA calls; bundle first, then credits
	InternationalCall Usage = "international-call" // per destination, per minute
	PremiumCall       Usage = "premium-call"       // premium-rate and shared-cost numbers
	ForwardedCall     Usage = "forwarded-call"     // forwarding to an external number, per minute
	TollFreeInbound   Usage = "toll-free-inbound"  // calls into our toll-free numbers
	DomesticSMS       Usage = "domestic-sms"       // US/CA texts; bundle first, then credits
	InternationalSMS  Usage = "international-sms"  // per country, per segment
	BulkSMS           Usage = "bulk-sms"           // campaigns, per message segment
	Transcription     Usage = "voicemail-transcription"
	AIAgent           Usage = "ai-agent" // AI voice agent minutes; bundle first, then $0.99/min
)

// Usages lists every usage type, in the order reports show them.
var Usages = []Usage{
	DomesticCall, InternationalCall, PremiumCall, ForwardedCall, TollFreeInbound,
	DomesticSMS, InternationalSMS, BulkSMS, Transcription, AIAgent,
}

// Valid reports whether u is a known usage type.
func (u Usage) Valid() bool {
	for _, v := range Usages {
		if v == u {
			return true
		}
	}
	return false
}

// Pool names a bundle allowance that a usage type may draw from.
type Pool string

// Bundle pools. PoolNone means the usage is always paid from credits.
const (
	PoolNone    Pool = ""
	PoolVoice   Pool = "voice-seconds"
	PoolSMS     Pool = "sms-segments"
	PoolAIAgent Pool = "ai-agent-seconds"
)
