package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"testing"
)

// Known answers for seal, computed apart from this code: Python's cryptography (AESGCM) and argon2-cffi following
// the format of madmin-go's EncryptData (salt | AEAD id 0x00 | 8-byte nonce | 16 KiB AES-GCM fragments), and
// checked to decrypt to the payload with MinIO's own Python SDK (minio.crypto.decrypt); tests/test_minio_seal.py
// repeats both. The long ones are given as length and SHA-256 of the sealed bytes.
var sealVectors = []struct {
	name     string
	password string
	payload  []byte
	length   int
	sealed   string // hex, for the short ones
	digest   string // SHA-256 of the sealed bytes, hex
}{
	{
		name:     "add-user body",
		password: "minio-admin-secret",
		payload:  []byte(`{"secretKey":"s3cr3t-value","status":"enabled"}`),
		length:   104,
		sealed: "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f00a0a1a2a3a4a5a6a7" +
			"b3957653bb75492c3af91e6190b56b0c22814c18821548ff64c665fd3db359cf1de2aa8aa68c78ed491192bebfcc21" +
			"bf2567f5e5af5ca2de963afa8e9eca27",
		digest: "ca58931333cdc73084443beabe589dd618e1b2ae1f73deb7a7dacb68621254dc",
	},
	{
		name:     "empty payload: one final fragment holding only its tag",
		password: "minio-admin-secret",
		payload:  []byte{},
		length:   57,
		sealed:   "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f00a0a1a2a3a4a5a6a7adc36a3a6ab924cc95c412606db8576c",
		digest:   "0430e350aad907d2f17ffe4ee8994c3200f7c743df2b0d6ddb9eb58d0c127249",
	},
	{
		name:     "exactly one 16 KiB fragment",
		password: "another password",
		payload:  pattern(16384),
		length:   16441,
		digest:   "0ee5b8b36d7e4238747b50ace553faa40a3f302d0859440360c571e2ae11d7aa",
	},
	{
		name:     "three fragments, the last of 5 bytes",
		password: "another password",
		payload:  pattern(2*16384 + 5),
		length:   32862,
		digest:   "571468562e106b71afb922f833e1344e4f9047bbbae6f4a323d64729ff0c6f6f",
	},
}

// pattern is n bytes 0, 1, …, 250, 0, 1, …
func pattern(n int) []byte {
	out := make([]byte, n)
	for i := range out {
		out[i] = byte(i % 251)
	}
	return out
}

func vectorSalt() []byte {
	salt := make([]byte, 32)
	for i := range salt {
		salt[i] = byte(i)
	}
	return salt
}

var vectorNonce = []byte{0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7}

func TestSealKnownAnswers(t *testing.T) {
	for _, v := range sealVectors {
		t.Run(v.name, func(t *testing.T) {
			got, err := sealWith(v.payload, v.password, vectorSalt(), vectorNonce)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != v.length {
				t.Errorf("length %d, want %d", len(got), v.length)
			}
			if v.sealed != "" && hex.EncodeToString(got) != v.sealed {
				t.Errorf("sealed\n got %x\nwant %s", got, v.sealed)
			}
			if sum := sha256.Sum256(got); hex.EncodeToString(sum[:]) != v.digest {
				t.Errorf("SHA-256 %x, want %s", sum, v.digest)
			}
		})
	}
}

func TestSealDrawsAFreshSaltAndNonce(t *testing.T) {
	first, err := seal([]byte("same"), "pw")
	if err != nil {
		t.Fatal(err)
	}
	second, err := seal([]byte("same"), "pw")
	if err != nil {
		t.Fatal(err)
	}
	if len(first) != 32+1+8+4+16 || first[32] != 0x00 {
		t.Fatalf("header: length %d, AEAD id %#x", len(first), first[32])
	}
	if bytes.Equal(first[:32], second[:32]) || bytes.Equal(first[33:41], second[33:41]) {
		t.Error("two seals share a salt or a nonce")
	}
}

func TestAdminErrors(t *testing.T) {
	noUser := &adminError{Status: 404, Code: "XMinioAdminNoSuchUser", Message: "no such user"}
	cases := []struct {
		name string
		err  error
		code string
		want bool
	}{
		{"same code", noUser, "XMinioAdminNoSuchUser", true},
		{"other code", noUser, "XMinioAdminNoSuchPolicy", false},
		{"not an admin error", errors.New("XMinioAdminNoSuchUser"), "XMinioAdminNoSuchUser", false},
		{"nil", nil, "XMinioAdminNoSuchUser", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := isAdminCode(c.err, c.code); got != c.want {
				t.Errorf("isAdminCode = %v, want %v", got, c.want)
			}
		})
	}
	if got, want := noUser.Error(), "XMinioAdminNoSuchUser (HTTP 404): no such user"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}
