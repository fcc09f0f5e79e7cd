package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"

	"gopkg.in/yaml.v3"
)

// kubeClient is a minimal Kubernetes REST client built from one kubeconfig context.
type kubeClient struct {
	server string
	token  string
	http   *http.Client
}

type kubeconfig struct {
	CurrentContext string `yaml:"current-context"`
	Clusters       []struct {
		Name    string `yaml:"name"`
		Cluster struct {
			Server   string `yaml:"server"`
			CAData   string `yaml:"certificate-authority-data"`
			CAFile   string `yaml:"certificate-authority"`
			Insecure bool   `yaml:"insecure-skip-tls-verify"`
		} `yaml:"cluster"`
	} `yaml:"clusters"`
	Users []struct {
		Name string `yaml:"name"`
		User struct {
			CertData string `yaml:"client-certificate-data"`
			CertFile string `yaml:"client-certificate"`
			KeyData  string `yaml:"client-key-data"`
			KeyFile  string `yaml:"client-key"`
			Token    string `yaml:"token"`
		} `yaml:"user"`
	} `yaml:"users"`
	Contexts []struct {
		Name    string `yaml:"name"`
		Context struct {
			Cluster string `yaml:"cluster"`
			User    string `yaml:"user"`
		} `yaml:"context"`
	} `yaml:"contexts"`
}

// pemFrom returns inline base64 data when set, else the named file's content.
func pemFrom(data, file string) ([]byte, error) {
	if data != "" {
		return base64.StdEncoding.DecodeString(data)
	}
	if file != "" {
		return os.ReadFile(file)
	}
	return nil, nil
}

func newKubeClient(path, contextName string) (*kubeClient, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("kubeconfig: %w", err)
	}
	var cfg kubeconfig
	if err := yaml.Unmarshal(raw, &cfg); err != nil {
		return nil, fmt.Errorf("kubeconfig %s: %w", path, err)
	}
	if contextName == "" {
		contextName = cfg.CurrentContext
	}
	var clusterName, userName string
	for _, c := range cfg.Contexts {
		if c.Name == contextName {
			clusterName, userName = c.Context.Cluster, c.Context.User
		}
	}
	if clusterName == "" {
		return nil, fmt.Errorf("kubeconfig %s: context %q not found", path, contextName)
	}
	client := &kubeClient{}
	tlsConfig := &tls.Config{MinVersion: tls.VersionTLS12}
	for _, c := range cfg.Clusters {
		if c.Name != clusterName {
			continue
		}
		client.server = c.Cluster.Server
		tlsConfig.InsecureSkipVerify = c.Cluster.Insecure //nolint:gosec // only when the kubeconfig says so
		ca, err := pemFrom(c.Cluster.CAData, c.Cluster.CAFile)
		if err != nil {
			return nil, fmt.Errorf("kubeconfig CA: %w", err)
		}
		if ca != nil {
			pool := x509.NewCertPool()
			pool.AppendCertsFromPEM(ca)
			tlsConfig.RootCAs = pool
		}
	}
	for _, u := range cfg.Users {
		if u.Name != userName {
			continue
		}
		client.token = u.User.Token
		cert, err := pemFrom(u.User.CertData, u.User.CertFile)
		if err != nil {
			return nil, fmt.Errorf("kubeconfig client certificate: %w", err)
		}
		key, err := pemFrom(u.User.KeyData, u.User.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("kubeconfig client key: %w", err)
		}
		if cert != nil && key != nil {
			pair, err := tls.X509KeyPair(cert, key)
			if err != nil {
				return nil, fmt.Errorf("kubeconfig client key pair: %w", err)
			}
			tlsConfig.Certificates = []tls.Certificate{pair}
		}
	}
	if client.server == "" {
		return nil, fmt.Errorf("kubeconfig %s: cluster %q has no server", path, clusterName)
	}
	client.http = &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{TLSClientConfig: tlsConfig}}
	return client, nil
}

// do sends one request; out (may be nil) receives the JSON body of a 2xx answer. It returns the status code.
func (k *kubeClient) do(ctx context.Context, method, path string, body, out any) (int, error) {
	var reader io.Reader
	if body != nil {
		raw, err := json.Marshal(body)
		if err != nil {
			return 0, err
		}
		reader = bytes.NewReader(raw)
	}
	req, err := http.NewRequestWithContext(ctx, method, k.server+path, reader)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	if k.token != "" {
		req.Header.Set("Authorization", "Bearer "+k.token)
	}
	resp, err := k.http.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return resp.StatusCode, err
	}
	if resp.StatusCode >= 300 {
		var status struct {
			Message string `json:"message"`
		}
		_ = json.Unmarshal(raw, &status)
		return resp.StatusCode, fmt.Errorf("%s %s: %d %s", method, path, resp.StatusCode, status.Message)
	}
	if out != nil {
		return resp.StatusCode, json.Unmarshal(raw, out)
	}
	return resp.StatusCode, nil
}
