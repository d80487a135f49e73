package secrets

import (
	"bytes"
	"context"
	"encoding/base64"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/picloud/picloud/db/store"
)

func TestSealOpen(t *testing.T) {
	b, err := New(bytes.Repeat([]byte{7}, KeySize))
	if err != nil {
		t.Fatal(err)
	}
	sealed := b.Seal(1, "TOKEN", []byte("s3cr3t"))
	if bytes.Contains(sealed, []byte("s3cr3t")) {
		t.Fatal("the plaintext is in the ciphertext")
	}
	if got, err := b.Open(1, "TOKEN", sealed); err != nil || string(got) != "s3cr3t" {
		t.Fatalf("Open = %q, %v", got, err)
	}
	if again := b.Seal(1, "TOKEN", []byte("s3cr3t")); bytes.Equal(again, sealed) {
		t.Fatal("two seals of one value are equal: the nonce is not fresh")
	}
	for _, tc := range []struct {
		app  int64
		name string
		data []byte
	}{
		{2, "TOKEN", sealed}, {1, "OTHER", sealed}, {1, "TOKEN", append(append([]byte{}, sealed[:len(sealed)-1]...), sealed[len(sealed)-1]^1)}, {1, "TOKEN", sealed[:5]},
	} {
		if _, err := b.Open(tc.app, tc.name, tc.data); err != ErrOpen {
			t.Errorf("Open(%d, %s): %v, want ErrOpen", tc.app, tc.name, err)
		}
	}
	other, _ := New(bytes.Repeat([]byte{8}, KeySize))
	if _, err := other.Open(1, "TOKEN", sealed); err != ErrOpen {
		t.Errorf("another key: %v", err)
	}
	if _, err := New(make([]byte, 16)); err == nil {
		t.Error("a 16-byte key accepted")
	}
}

func TestLoadKey(t *testing.T) {
	dir := t.TempDir()
	k, gen, err := LoadKey("", dir)
	if err != nil || !gen || len(k) != KeySize {
		t.Fatalf("first start: %v %v %d", err, gen, len(k))
	}
	fi, err := os.Stat(filepath.Join(dir, KeyFile))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v %v", fi.Mode(), err)
	}
	k2, gen, err := LoadKey("", dir)
	if err != nil || gen || !bytes.Equal(k, k2) {
		t.Fatalf("second start: %v %v", err, gen)
	}
	want := bytes.Repeat([]byte{1}, KeySize)
	k3, gen, err := LoadKey(base64.StdEncoding.EncodeToString(want), dir)
	if err != nil || gen || !bytes.Equal(k3, want) {
		t.Fatalf("configured: %v", err)
	}
	for _, bad := range []string{"nope!", base64.StdEncoding.EncodeToString(make([]byte, 16))} {
		if _, _, err := LoadKey(bad, dir); err == nil {
			t.Errorf("LoadKey(%q) accepted", bad)
		}
	}
}

type fakeLister struct {
	calls int
	list  []store.Secret
}

func (f *fakeLister) List(context.Context, int64) ([]store.Secret, error) {
	f.calls++
	return f.list, nil
}

func TestSource(t *testing.T) {
	b, _ := New(bytes.Repeat([]byte{7}, KeySize))
	l := &fakeLister{list: []store.Secret{{Name: "T", Sealed: b.Seal(3, "T", []byte("v"))}}}
	s := NewSource(b, l, time.Hour)
	for range 2 {
		got, err := s.Secrets(context.Background(), 3)
		if err != nil || got["T"] != "v" {
			t.Fatalf("Secrets = %v, %v", got, err)
		}
	}
	if l.calls != 1 {
		t.Fatalf("%d lists, want 1 (cached)", l.calls)
	}
	if _, err := s.Secrets(context.Background(), 4); err != ErrOpen {
		t.Fatalf("another app's ciphertext: %v", err)
	}
	var none *Source
	if got, err := none.Secrets(context.Background(), 3); got != nil || err != nil {
		t.Fatal("nil Source")
	}
	env := Env(map[string]string{"A": "1", "T": "plain"}, map[string]string{"T": "secret"})
	if env["A"] != "1" || env["T"] != "secret" {
		t.Fatalf("Env = %v", env)
	}
}
