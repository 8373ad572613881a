package phone_test

import (
	"os"

	"github.com/emiago/sipgo/sip"
)

func init() {
	// SIP_DEBUG=1 logs every SIP message the tests send and receive.
	sip.SIPDebug = os.Getenv("SIP_DEBUG") != ""
}
