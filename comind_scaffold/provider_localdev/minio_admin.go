package main

// A client for the few MinIO admin API calls a bucket user needs (add/remove user and canned policy, attach,
// user info), written from the protocol: requests are SigV4-signed like S3 requests, and bodies that carry
// secrets are sealed with a key derived from the admin secret (argon2id) in 16 KiB AES-GCM chunks.

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"golang.org/x/crypto/argon2"
)

type minioAdmin struct {
	endpoint  string // http://host:port
	accessKey string
	secretKey string
	region    string
	http      *http.Client
}

// adminError is MinIO's JSON error body ("XMinioAdminNoSuchUser", …) with the HTTP status.
type adminError struct {
	Status  int
	Code    string `json:"Code"`
	Message string `json:"Message"`
}

func (e *adminError) Error() string {
	return fmt.Sprintf("%s (HTTP %d): %s", e.Code, e.Status, e.Message)
}

const sealChunk = 16 * 1024

// seal encrypts payload the way the admin API expects: salt(32) | aead id(1) | nonce(8) | chunks, each chunk
// sealed with the nonce followed by its 1-based index (little endian) and, as associated data, a flag byte
// (0x80 on the last chunk) followed by the tag of an empty message under index 0.
func seal(payload []byte, password string) ([]byte, error) {
	salt, nonce := make([]byte, 32), make([]byte, 8)
	if _, err := rand.Read(salt); err != nil {
		return nil, err
	}
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	return sealWith(payload, password, salt, nonce)
}

// sealWith is seal with the given salt (32 bytes) and nonce (8 bytes).
func sealWith(payload []byte, password string, salt, nonce []byte) ([]byte, error) {
	block, err := aes.NewCipher(argon2.IDKey([]byte(password), salt, 1, 64*1024, 4, 32))
	if err != nil {
		return nil, err
	}
	gcm, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	indexed := func(i uint32) []byte {
		n := make([]byte, 12)
		copy(n, nonce)
		binary.LittleEndian.PutUint32(n[8:], i)
		return n
	}
	ad := append([]byte{0x00}, gcm.Seal(nil, indexed(0), nil, nil)...)
	out := append(append(append([]byte{}, salt...), 0x00), nonce...)
	for i, start := uint32(1), 0; ; i, start = i+1, start+sealChunk {
		end := min(start+sealChunk, len(payload))
		last := end == len(payload)
		if last {
			ad[0] = 0x80
		}
		out = gcm.Seal(out, indexed(i), payload[start:end], ad)
		if last {
			return out, nil
		}
	}
}

func (a *minioAdmin) call(ctx context.Context, method, command string, query url.Values, body []byte) ([]byte, error) {
	target := fmt.Sprintf("%s/minio/admin/v3/%s", strings.TrimRight(a.endpoint, "/"), command)
	if len(query) > 0 {
		target += "?" + query.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, method, target, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(body)
	hash := hex.EncodeToString(sum[:])
	req.Header.Set("X-Amz-Content-Sha256", hash)
	req.Header.Set("Content-Type", "application/octet-stream")
	creds := aws.Credentials{AccessKeyID: a.accessKey, SecretAccessKey: a.secretKey}
	if err := v4.NewSigner().SignHTTP(ctx, creds, req, hash, "s3", a.region, time.Now()); err != nil {
		return nil, err
	}
	resp, err := a.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode >= 300 {
		failure := &adminError{Status: resp.StatusCode}
		if json.Unmarshal(data, failure) != nil || failure.Code == "" {
			failure.Code, failure.Message = http.StatusText(resp.StatusCode), strings.TrimSpace(string(data))
		}
		return nil, failure
	}
	return data, nil
}

func isAdminCode(err error, code string) bool {
	failure, ok := err.(*adminError)
	return ok && failure.Code == code
}

// userPolicies returns the canned policies attached to user; found is false when there is no such user.
func (a *minioAdmin) userPolicies(ctx context.Context, user string) (policies []string, found bool, err error) {
	data, err := a.call(ctx, http.MethodGet, "user-info", url.Values{"accessKey": {user}}, nil)
	if isAdminCode(err, "XMinioAdminNoSuchUser") {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	var info struct {
		PolicyName string `json:"policyName"`
	}
	if err := json.Unmarshal(data, &info); err != nil {
		return nil, false, fmt.Errorf("user-info %s: %w", user, err)
	}
	for _, name := range strings.Split(info.PolicyName, ",") {
		if name = strings.TrimSpace(name); name != "" {
			policies = append(policies, name)
		}
	}
	return policies, true, nil
}

// putUser creates the canned policy and the user (or sets an existing user's secret) and attaches the policy.
func (a *minioAdmin) putUser(ctx context.Context, user, secret, policyName, policy string) error {
	if _, err := a.call(ctx, http.MethodPut, "add-canned-policy", url.Values{"name": {policyName}}, []byte(policy)); err != nil {
		return fmt.Errorf("policy %s: %w", policyName, err)
	}
	body, err := json.Marshal(map[string]string{"secretKey": secret, "status": "enabled"})
	if err == nil {
		body, err = seal(body, a.secretKey)
	}
	if err == nil {
		_, err = a.call(ctx, http.MethodPut, "add-user", url.Values{"accessKey": {user}}, body)
	}
	if err != nil {
		return fmt.Errorf("user %s: %w", user, err)
	}
	attach, err := json.Marshal(map[string]any{"policies": []string{policyName}, "user": user})
	if err == nil {
		attach, err = seal(attach, a.secretKey)
	}
	if err == nil {
		_, err = a.call(ctx, http.MethodPost, "idp/builtin/policy/attach", nil, attach)
	}
	if err != nil && !isAdminCode(err, "XMinioAdminPolicyChangeAlreadyApplied") {
		return fmt.Errorf("attach %s to %s: %w", policyName, user, err)
	}
	return nil
}

func (a *minioAdmin) removeUser(ctx context.Context, user, policyName string) error {
	if _, err := a.call(ctx, http.MethodDelete, "remove-user", url.Values{"accessKey": {user}}, nil); err != nil &&
		!isAdminCode(err, "XMinioAdminNoSuchUser") {
		return fmt.Errorf("remove user %s: %w", user, err)
	}
	if _, err := a.call(ctx, http.MethodDelete, "remove-canned-policy", url.Values{"name": {policyName}}, nil); err != nil &&
		!isAdminCode(err, "XMinioAdminNoSuchPolicy") {
		return fmt.Errorf("remove policy %s: %w", policyName, err)
	}
	return nil
}
