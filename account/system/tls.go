package system

import (
	"crypto/tls"
	"fmt"
	"os"
	"path/filepath"

	"github.com/tetherphone/tether/phone/selfcert"
)

// ServerTLS loads the certificate for tls:// and wss:// listeners from
// certFile and keyFile, or, when both are empty, uses a self-signed one
// made on first use and kept in dir/tls/ (phones trust it with its
// switchboard.crt). It returns the self-signed certificate's path, "" for
// the operator's own.
func ServerTLS(dir, certFile, keyFile string) (*tls.Config, string, error) {
	if (certFile == "") != (keyFile == "") {
		return nil, "", fmt.Errorf("%w: a TLS certificate and its key go together", ErrServe)
	}
	self := ""
	if certFile == "" {
		tdir := filepath.Join(dir, "tls")
		certFile, keyFile = filepath.Join(tdir, "switchboard.crt"), filepath.Join(tdir, "switchboard.key")
		self = certFile
		if _, err := os.Stat(certFile); err != nil {
			c, err := selfcert.New()
			if err == nil {
				err = os.MkdirAll(tdir, 0o700)
			}
			if err == nil {
				err = os.WriteFile(keyFile, c.KeyPEM, 0o600)
			}
			if err == nil {
				err = os.WriteFile(certFile, c.CertPEM, 0o644)
			}
			if err != nil {
				return nil, "", fmt.Errorf("system: a self-signed certificate: %w", err)
			}
		}
	}
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, "", fmt.Errorf("%w: TLS certificate: %v", ErrServe, err)
	}
	return &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}, self, nil
}
