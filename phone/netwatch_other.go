//go:build !linux

package phone

import "errors"

type netWatch struct{ C chan struct{} }

func watchNetwork() (*netWatch, error) {
	return nil, errors.New("network changes are watched on Linux only")
}

func (w *netWatch) Close() {}
