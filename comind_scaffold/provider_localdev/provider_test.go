package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

func TestRandomString(t *testing.T) {
	for _, length := range []int{16, 32, 128} {
		value, err := randomString(length)
		if err != nil {
			t.Fatal(err)
		}
		if len(value) != length {
			t.Errorf("length %d, want %d", len(value), length)
		}
		if strings.Trim(value, passwordAlphabet) != "" {
			t.Errorf("%q has characters outside letters and digits", value)
		}
		again, _ := randomString(length)
		if again == value {
			t.Errorf("two draws of %d characters are equal", length)
		}
	}
}

func TestSQLQuoting(t *testing.T) {
	cases := []struct{ in, ident, literal string }{
		{"shop_dev", `"shop_dev"`, `'shop_dev'`},
		{`we"ird`, `"we""ird"`, `'we"ird'`},
		{"o'brien", `"o'brien"`, `'o''brien'`},
		{"", `""`, `''`},
	}
	for _, c := range cases {
		if got := ident(c.in); got != c.ident {
			t.Errorf("ident(%q) = %s, want %s", c.in, got, c.ident)
		}
		if got := literal(c.in); got != c.literal {
			t.Errorf("literal(%q) = %s, want %s", c.in, got, c.literal)
		}
	}
}

func TestOrDefault(t *testing.T) {
	cases := []struct {
		name  string
		value types.String
		want  string
	}{
		{"set", types.StringValue("minio"), "minio"},
		{"empty", types.StringValue(""), "local"},
		{"null", types.StringNull(), "local"},
		{"unknown", types.StringUnknown(), "local"},
	}
	for _, c := range cases {
		if got := orDefault(c.value, "local"); got != c.want {
			t.Errorf("%s: %q, want %q", c.name, got, c.want)
		}
	}
}

func TestQueueAttributes(t *testing.T) {
	cases := []struct {
		name  string
		model queueModel
		want  map[string]string
	}{
		{
			name:  "no dead-letter queue",
			model: queueModel{VisibilityTimeout: types.Int64Value(30), RetentionSeconds: types.Int64Value(345600)},
			want:  map[string]string{"VisibilityTimeout": "30", "MessageRetentionPeriod": "345600"},
		},
		{
			name: "with a dead-letter queue",
			model: queueModel{
				VisibilityTimeout: types.Int64Value(60), RetentionSeconds: types.Int64Value(86400),
				DeadLetterQueueARN: types.StringValue("arn:aws:sqs:elasticmq:000000000000:shop-dev-dlq"),
				MaxReceiveCount:    types.Int64Value(5),
			},
			want: map[string]string{
				"VisibilityTimeout": "60", "MessageRetentionPeriod": "86400",
				"RedrivePolicy": `{"deadLetterTargetArn":"arn:aws:sqs:elasticmq:000000000000:shop-dev-dlq","maxReceiveCount":"5"}`,
			},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := c.model.attributes()
			if err != nil {
				t.Fatal(err)
			}
			want, _ := json.Marshal(c.want)
			if have, _ := json.Marshal(got); string(have) != string(want) {
				t.Errorf("attributes %s, want %s", have, want)
			}
		})
	}
}

func TestNames(t *testing.T) {
	if got := policyOf("shop-dev"); got != "shop-dev-rw" {
		t.Errorf("policyOf = %q", got)
	}
	m := &secretModel{Namespace: types.StringValue("shop-dev"), Name: types.StringValue("shop-db")}
	if got := secretPath(m); got != "/api/v1/namespaces/shop-dev/secrets/shop-db" {
		t.Errorf("secretPath = %q", got)
	}
}

// The struct tags cannot name the constants of services_gen.go; the schema, keyed by them, must list the same names.
func TestConfigTagsAreTheSchemaAttributes(t *testing.T) {
	var tags []string
	model := reflect.TypeOf(providerModel{})
	for i := range model.NumField() {
		tags = append(tags, model.Field(i).Tag.Get("tfsdk"))
	}
	var resp provider.SchemaResponse
	(&localdevProvider{}).Schema(context.Background(), provider.SchemaRequest{}, &resp)
	var attrs []string
	for name := range resp.Schema.Attributes {
		attrs = append(attrs, name)
	}
	slices.Sort(tags)
	slices.Sort(attrs)
	if !slices.Equal(tags, attrs) {
		t.Errorf("providerModel tags %v, schema attributes %v", tags, attrs)
	}
}

func TestPemFrom(t *testing.T) {
	file := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(file, []byte("from the file"), 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, data, file, want string
		fails                  bool
	}{
		{name: "inline base64 wins", data: "aW5saW5l", file: file, want: "inline"},
		{name: "file", file: file, want: "from the file"},
		{name: "neither", want: ""},
		{name: "bad base64", data: "not base64!", fails: true},
		{name: "missing file", file: filepath.Join(t.TempDir(), "absent.pem"), fails: true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := pemFrom(c.data, c.file)
			if (err != nil) != c.fails {
				t.Fatalf("error %v, want failure %v", err, c.fails)
			}
			if !c.fails && string(got) != c.want {
				t.Errorf("%q, want %q", got, c.want)
			}
		})
	}
}
