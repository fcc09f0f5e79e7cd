package main

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/provider/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

// managedTag marks everything this provider creates; it deletes nothing without it.
const (
	managedKey   = "app.kubernetes.io/managed-by"
	managedValue = "comind"
)

type localdevProvider struct{ version string }

type providerModel struct {
	PostgresURL    types.String `tfsdk:"postgres_url"`
	S3Endpoint     types.String `tfsdk:"s3_endpoint"`
	S3Region       types.String `tfsdk:"s3_region"`
	S3AccessKey    types.String `tfsdk:"s3_access_key"`
	S3SecretKey    types.String `tfsdk:"s3_secret_key"`
	SQSEndpoint    types.String `tfsdk:"sqs_endpoint"`
	SQSRegion      types.String `tfsdk:"sqs_region"`
	SQSAccessKey   types.String `tfsdk:"sqs_access_key"`
	SQSSecretKey   types.String `tfsdk:"sqs_secret_key"`
	KubeconfigPath types.String `tfsdk:"kubeconfig_path"`
	KubeContext    types.String `tfsdk:"kube_context"`
}

// clients is what resources receive; a nil member means that service was not configured.
type clients struct {
	cfg providerModel
}

func (c *clients) need(field string, value types.String) error {
	if value.IsNull() || value.IsUnknown() || value.ValueString() == "" {
		return fmt.Errorf("provider localdev: %s is not set", field)
	}
	return nil
}

func newProvider(version string) func() provider.Provider {
	return func() provider.Provider { return &localdevProvider{version: version} }
}

func (p *localdevProvider) Metadata(_ context.Context, _ provider.MetadataRequest, resp *provider.MetadataResponse) {
	resp.TypeName = "localdev"
	resp.Version = p.version
}

func (p *localdevProvider) Schema(_ context.Context, _ provider.SchemaRequest, resp *provider.SchemaResponse) {
	opt := func(desc string, sensitive bool) schema.StringAttribute {
		return schema.StringAttribute{Optional: true, Sensitive: sensitive, Description: desc}
	}
	resp.Schema = schema.Schema{
		Description: "Per-app resources of a comind-ops local profile (loopback services only).",
		Attributes: map[string]schema.Attribute{
			attrPostgresURL:   opt(fmt.Sprintf("Admin connection URL, e.g. postgres://user:pw@127.0.0.1:%d/postgres?sslmode=disable.", portPostgresql), true),
			attrS3Endpoint:    opt(fmt.Sprintf("S3 API endpoint (MinIO), e.g. http://127.0.0.1:%d.", portMinio), false),
			attrS3Region:      opt("S3 region (default "+regionMinio+").", false),
			attrS3AccessKey:   opt("S3 access key.", true),
			attrS3SecretKey:   opt("S3 secret key.", true),
			attrSQSEndpoint:   opt(fmt.Sprintf("SQS API endpoint (ElasticMQ), e.g. http://127.0.0.1:%d.", portElasticmq), false),
			attrSQSRegion:     opt("SQS region (default "+regionElasticmq+").", false),
			attrSQSAccessKey:  opt("SQS access key (ElasticMQ accepts any).", true),
			attrSQSSecretKey:  opt("SQS secret key (ElasticMQ accepts any).", true),
			"kubeconfig_path": opt("Kubeconfig file for Secrets.", false),
			"kube_context":    opt("Kubeconfig context (default: current-context).", false),
		},
	}
}

func (p *localdevProvider) Configure(ctx context.Context, req provider.ConfigureRequest, resp *provider.ConfigureResponse) {
	var cfg providerModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &cfg)...)
	if resp.Diagnostics.HasError() {
		return
	}
	c := &clients{cfg: cfg}
	resp.ResourceData = c
	resp.DataSourceData = c
}

func (p *localdevProvider) Resources(context.Context) []func() resource.Resource {
	return []func() resource.Resource{
		newPasswordResource,
		newDatabaseResource,
		newBucketResource,
		newMinioUserResource,
		newQueueResource,
		newSecretResource,
	}
}

func (p *localdevProvider) DataSources(context.Context) []func() datasource.DataSource { return nil }

// withClients is embedded by resources to receive the provider's configuration.
type withClients struct{ c *clients }

func (w *withClients) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	if req.ProviderData == nil {
		return
	}
	c, ok := req.ProviderData.(*clients)
	if !ok {
		fail(&resp.Diagnostics, "provider data", fmt.Sprintf("unexpected type %T", req.ProviderData))
		return
	}
	w.c = c
}

// fail reports one error whose summary is the whole message, so terraform prints it on its "Error:" line.
func fail(diags *diag.Diagnostics, area, message string) {
	diags.AddError(area+": "+message, "")
}

type getter interface {
	Get(ctx context.Context, target any) diag.Diagnostics
}

// load decodes a plan or state into target and reports the error of making a client; it returns false when
// the operation cannot go on.
func load(ctx context.Context, src getter, target any, diags *diag.Diagnostics, area string, clientErr error) bool {
	diags.Append(src.Get(ctx, target)...)
	if clientErr != nil {
		fail(diags, area, clientErr.Error())
	}
	return !diags.HasError()
}

func orDefault(v types.String, def string) string {
	if v.IsNull() || v.IsUnknown() || v.ValueString() == "" {
		return def
	}
	return v.ValueString()
}
