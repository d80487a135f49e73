// Package secrets encrypts app secrets at rest with AES-256-GCM under the
// server's key, and loads that key: from configuration (PICLOUD_SECRET_KEY,
// base64 of 32 bytes) or from a file in the data directory, generated with
// mode 0600 on first start.
//
// Each value is sealed with a fresh random 96-bit nonce and bound to its app
// and name as additional data, so a ciphertext copied to another app or
// name does not open.
package secrets

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// KeySize is the key's length: AES-256.
const KeySize = 32

// KeyFile is the key's file name in the data directory.
const KeyFile = "secret.key"

// EnvKey is the environment variable that holds the key.
const EnvKey = "PICLOUD_SECRET_KEY"

// ErrOpen: a ciphertext does not open under the key (another key, or
// tampered with).
var ErrOpen = errors.New("secrets: the value does not decrypt under this server's key")

// Box seals and opens secret values.
type Box struct{ aead cipher.AEAD }

// New returns a Box for a 32-byte key.
func New(key []byte) (*Box, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("secrets: the key is %d bytes, want %d", len(key), KeySize)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &Box{aead: aead}, nil
}

func ad(appID int64, name string) []byte {
	return []byte(strconv.FormatInt(appID, 10) + "\x00" + name)
}

// Seal encrypts value for app appID's secret name: nonce || ciphertext.
func (b *Box) Seal(appID int64, name string, value []byte) []byte {
	nonce := make([]byte, b.aead.NonceSize(), b.aead.NonceSize()+len(value)+b.aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		panic("secrets: no randomness: " + err.Error()) // crypto/rand never fails on supported systems
	}
	return b.aead.Seal(nonce, nonce, value, ad(appID, name))
}

// Open decrypts what Seal returned for the same app and name.
func (b *Box) Open(appID int64, name string, sealed []byte) ([]byte, error) {
	n := b.aead.NonceSize()
	if len(sealed) < n+b.aead.Overhead() {
		return nil, ErrOpen
	}
	out, err := b.aead.Open(nil, sealed[:n], sealed[n:], ad(appID, name))
	if err != nil {
		return nil, ErrOpen
	}
	return out, nil
}

// ParseKey decodes a base64 key (standard or URL alphabet, padded or not).
func ParseKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if k, err := enc.DecodeString(s); err == nil {
			if len(k) != KeySize {
				return nil, fmt.Errorf("secrets: the key is %d bytes, want %d (base64 of 32 random bytes: openssl rand -base64 32)", len(k), KeySize)
			}
			return k, nil
		}
	}
	return nil, errors.New("secrets: the key is not base64 (want 32 random bytes: openssl rand -base64 32)")
}

// LoadKey returns the server's key: configured when not empty (the flag
// or PICLOUD_SECRET_KEY), else read from dataDir/secret.key, which is
// generated with mode 0600 when it does not exist. generated reports the
// latter.
func LoadKey(configured, dataDir string) (key []byte, generated bool, err error) {
	if configured != "" {
		k, err := ParseKey(configured)
		return k, false, err
	}
	path := filepath.Join(dataDir, KeyFile)
	if b, err := os.ReadFile(path); err == nil {
		k, err := ParseKey(string(b))
		if err != nil {
			return nil, false, fmt.Errorf("%s: %w", path, err)
		}
		return k, false, nil
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, false, err
	}
	k := make([]byte, KeySize)
	if _, err := rand.Read(k); err != nil {
		return nil, false, err
	}
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, false, err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		if errors.Is(err, os.ErrExist) { // another process won the race
			return LoadKey("", dataDir)
		}
		return nil, false, err
	}
	if _, err := f.WriteString(base64.StdEncoding.EncodeToString(k) + "\n"); err != nil {
		f.Close()
		return nil, false, err
	}
	if err := f.Close(); err != nil {
		return nil, false, err
	}
	return k, true, nil
}
