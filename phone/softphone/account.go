package softphone

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/tetherphone/tether/account/api"
	"github.com/tetherphone/tether/phone"
	"github.com/tetherphone/tether/phone/webrtcgw"
)

// Account is a user signed in to the switchboard's account API, with SIP
// credentials of this device's own.
type Account struct {
	Client *api.Client
	Me     api.UserInfo
	Device api.DeviceCredentials
}

// SignIn signs in as email and has the switchboard issue SIP credentials
// for a device named deviceName ("desktop on HOST"). Release undoes both.
// A wrong password is an *api.Error with Status 401.
func SignIn(ctx context.Context, server, email, password, deviceName string) (*Account, error) {
	c, err := api.NewClient(server)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	sess, err := c.SignIn(ctx, email, password)
	if err != nil {
		return nil, err
	}
	d, err := c.NewDevice(ctx, deviceName)
	var ae *api.Error
	if errors.As(err, &ae) && ae.Code == "limit" && forgetOldest(ctx, c, deviceName) {
		// This app's own credentials left behind by runs that never
		// signed out (a crash, a power cut): the oldest makes room.
		d, err = c.NewDevice(ctx, deviceName)
	}
	if err != nil {
		c.SignOut(ctx)
		return nil, fmt.Errorf("device credentials: %w", err)
	}
	return &Account{Client: c, Me: sess.User, Device: d}, nil
}

// forgetOldest deletes the user's oldest device named name, and reports
// whether there was one.
func forgetOldest(ctx context.Context, c *api.Client, name string) bool {
	ds, err := c.Devices(ctx)
	if err != nil {
		return false
	}
	for _, d := range ds {
		if d.Name == name {
			return c.DeleteDevice(ctx, d.Username) == nil
		}
	}
	return false
}

// Release deletes the device's credentials and signs out (within 10 s).
func (a *Account) Release() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	a.Client.DeleteDevice(ctx, a.Device.Username)
	a.Client.SignOut(ctx)
}

// Route is how to register: over transport ("" to do as the switchboard
// says for media) with media ("rtp", "webrtc", or "" as the switchboard
// says).
func (a *Account) Route(transport, media string) (api.PhoneRoute, error) {
	if transport == "" {
		return a.Device.Route(media)
	}
	addr, ok := a.Device.SIP[transport]
	if !ok {
		return api.PhoneRoute{}, fmt.Errorf("the switchboard has no %s listener", transport)
	}
	r := api.PhoneRoute{Transport: transport, Addr: addr, Media: media, ICE: a.Device.ICE}
	if r.Media == "" {
		r.Media = "rtp"
	}
	return r, nil
}

// PhoneConfig is the configuration of a phone registering with these
// credentials over route (its ICE servers parsed; on a loopback
// switchboard, listening on loopback too). The caller adds the rest.
func (a *Account) PhoneConfig(route api.PhoneRoute) (phone.Config, error) {
	cfg := phone.Config{User: fmt.Sprintf("sip:%s@%s", a.Device.Username, route.Addr), Password: a.Device.Password,
		Transport: route.Transport, Media: route.Media}
	for _, u := range route.ICE {
		srv, err := webrtcgw.ParseICEServer(u)
		if err != nil {
			return cfg, fmt.Errorf("the switchboard's ICE server: %w", err)
		}
		cfg.ICEServers = append(cfg.ICEServers, srv)
	}
	if h, _, err := net.SplitHostPort(route.Addr); err == nil && net.ParseIP(h).IsLoopback() {
		cfg.Listen = "127.0.0.1:0"
	}
	return cfg, nil
}
