package system

import (
	"context"

	"github.com/tetherphone/tether/account/billing"
	"github.com/tetherphone/tether/phone/switchboard"
)

// SwitchboardBilling is the billing engine as the switchboard asks for it
// (switchboard.Billing): calls come back as the meter interface the
// switchboard defines, not as the engine's own type.
func SwitchboardBilling(e *billing.Engine) switchboard.Billing { return switchboardBilling{e} }

type switchboardBilling struct{ *billing.Engine }

func (b switchboardBilling) StartCall(ctx context.Context, s billing.CallStart) (switchboard.Metered, billing.Grant, error) {
	c, g, err := b.Engine.StartCall(ctx, s)
	if c == nil {
		return nil, g, err // a nil interface, not an interface holding a nil *billing.Call
	}
	return c, g, err
}

func (b switchboardBilling) Resume(ctx context.Context, snap []byte) (switchboard.Metered, error) {
	c, err := b.Engine.Resume(ctx, snap)
	if c == nil {
		return nil, err
	}
	return c, err
}
