package crm

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
)

// Sealer encrypts credentials at rest (AES-256-GCM) with a key kept apart
// from the database: a copy of the database alone reveals no CRM token.
type Sealer struct {
	aead cipher.AEAD
}

// keySize is the key's length in bytes (AES-256).
const keySize = 32

// NewSealer returns a Sealer with a 32-byte key.
func NewSealer(key []byte) (*Sealer, error) {
	if len(key) != keySize {
		return nil, fmt.Errorf("crm: a sealing key is %d bytes, not %d", keySize, len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &Sealer{aead: aead}, nil
}

// LoadKey reads the sealing key at path, making it (owner-only) when the
// file does not exist yet.
func LoadKey(path string) ([]byte, error) {
	key, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		key = make([]byte, keySize)
		rand.Read(key)
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			if errors.Is(err, os.ErrExist) { // made by another process meanwhile
				return LoadKey(path)
			}
			return nil, err
		}
		if _, err := f.Write(key); err != nil {
			f.Close()
			return nil, err
		}
		return key, f.Close()
	}
	if err != nil {
		return nil, err
	}
	if len(key) != keySize {
		return nil, fmt.Errorf("crm: %s holds %d bytes, not a %d-byte key", path, len(key), keySize)
	}
	return key, nil
}

// Seal encrypts plain, bound to label (the account and CRM it belongs
// to: a sealed token moved to another account's row does not open).
func (s *Sealer) Seal(plain []byte, label string) []byte {
	nonce := make([]byte, s.aead.NonceSize())
	rand.Read(nonce)
	return s.aead.Seal(nonce, nonce, plain, []byte(label))
}

// ErrSealed: sealed data that does not open (another key, another label,
// or changed).
var ErrSealed = errors.New("crm: the stored credentials do not open with this server's key")

// Open decrypts what Seal made with the same label.
func (s *Sealer) Open(sealed []byte, label string) ([]byte, error) {
	n := s.aead.NonceSize()
	if len(sealed) < n {
		return nil, ErrSealed
	}
	plain, err := s.aead.Open(nil, sealed[:n], sealed[n:], []byte(label))
	if err != nil {
		return nil, ErrSealed
	}
	return plain, nil
}
