package rating

import (
	"bytes"
	_ "embed"
	"fmt"
)

// The sample decks are illustrative rates for the demo and the tests; the
// files say so in their headers. Operators import their carrier's decks.
var (
	//go:embed decks/sample-voice.csv
	sampleVoiceCSV []byte
	//go:embed decks/sample-sms.csv
	sampleSMSCSV []byte
)

// SampleDeck returns the built-in sample voice deck.
func SampleDeck() *Deck {
	d, err := ReadDeck(bytes.NewReader(sampleVoiceCSV))
	if err != nil {
		panic(fmt.Sprintf("rating: built-in sample deck: %v", err))
	}
	return d
}

// SampleSMSDeck returns the built-in sample SMS deck.
func SampleSMSDeck() *SMSDeck {
	d, err := ReadSMSDeck(bytes.NewReader(sampleSMSCSV))
	if err != nil {
		panic(fmt.Sprintf("rating: built-in sample SMS deck: %v", err))
	}
	return d
}

// SampleRater returns a rater on the sample decks and default prices, with
// the United States and Canada as the domestic regions.
func SampleRater() *Rater {
	return &Rater{Voice: SampleDeck(), SMS: SampleSMSDeck(), Prices: DefaultPrices(), Domestic: []string{"US", "CA"}}
}
