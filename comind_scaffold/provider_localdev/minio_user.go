package main

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

// A MinIO user with one canned policy of its own, "<name>-rw". That attached policy is comind's mark on a
// user (MinIO users carry no tags): a user that has it is taken over or deleted, any other is left alone.
type minioUserResource struct{ withClients }

type minioUserModel struct {
	ID     types.String `tfsdk:"id"`
	Name   types.String `tfsdk:"name"`
	Secret types.String `tfsdk:"secret"`
	Policy types.String `tfsdk:"policy"`
}

func newMinioUserResource() resource.Resource { return &minioUserResource{} }

func (r *minioUserResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + resourceMinioUser
}

func (r *minioUserResource) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	resp.Schema = schema.Schema{
		Description: "A MinIO user (access key = name) with its own canned policy <name>-rw attached.",
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{Computed: true, PlanModifiers: []planmodifier.String{stringplanmodifier.UseStateForUnknown()}},
			"name": schema.StringAttribute{
				Required: true, Description: "Access key of the user.",
				PlanModifiers: []planmodifier.String{stringplanmodifier.RequiresReplace()},
			},
			"secret": schema.StringAttribute{Required: true, Sensitive: true, Description: "Secret key of the user."},
			"policy": schema.StringAttribute{Required: true, Description: "IAM policy document (JSON) of <name>-rw."},
		},
	}
}

func (r *minioUserResource) admin() (*minioAdmin, error) {
	cfg := r.c.cfg
	for field, value := range map[string]types.String{
		attrS3Endpoint: cfg.S3Endpoint, attrS3AccessKey: cfg.S3AccessKey, attrS3SecretKey: cfg.S3SecretKey,
	} {
		if err := r.c.need(field, value); err != nil {
			return nil, err
		}
	}
	return &minioAdmin{
		endpoint: cfg.S3Endpoint.ValueString(), accessKey: cfg.S3AccessKey.ValueString(),
		secretKey: cfg.S3SecretKey.ValueString(), region: orDefault(cfg.S3Region, regionMinio),
		http: &http.Client{Timeout: 30 * time.Second},
	}, nil
}

func policyOf(user string) string { return user + "-rw" }

func (r *minioUserResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var m minioUserModel
	admin, err := r.admin()
	if !load(ctx, req.Plan, &m, &resp.Diagnostics, "minio", err) {
		return
	}
	name := m.Name.ValueString()
	policies, found, err := admin.userPolicies(ctx, name)
	if err == nil && found && !slices.Contains(policies, policyOf(name)) {
		err = fmt.Errorf("user %q already exists without the policy %s: not taking over what comind did not create", name, policyOf(name))
	}
	if err == nil {
		err = admin.putUser(ctx, name, m.Secret.ValueString(), policyOf(name), m.Policy.ValueString())
	}
	if err != nil {
		fail(&resp.Diagnostics, "minio", err.Error())
		return
	}
	m.ID = types.StringValue(name)
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}

func (r *minioUserResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	var m minioUserModel
	admin, err := r.admin()
	if !load(ctx, req.State, &m, &resp.Diagnostics, "minio", err) {
		return
	}
	_, found, err := admin.userPolicies(ctx, m.Name.ValueString())
	if err != nil {
		fail(&resp.Diagnostics, "minio", err.Error())
	} else if !found {
		resp.State.RemoveResource(ctx)
	}
}

func (r *minioUserResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var m minioUserModel
	admin, err := r.admin()
	if !load(ctx, req.Plan, &m, &resp.Diagnostics, "minio", err) {
		return
	}
	name := m.Name.ValueString()
	if err := admin.putUser(ctx, name, m.Secret.ValueString(), policyOf(name), m.Policy.ValueString()); err != nil {
		fail(&resp.Diagnostics, "minio", err.Error())
		return
	}
	m.ID = types.StringValue(name)
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}

func (r *minioUserResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	var m minioUserModel
	admin, err := r.admin()
	if !load(ctx, req.State, &m, &resp.Diagnostics, "minio", err) {
		return
	}
	name := m.Name.ValueString()
	policies, found, err := admin.userPolicies(ctx, name)
	if err == nil && found && !slices.Contains(policies, policyOf(name)) {
		err = fmt.Errorf("user %q lacks the policy %s: not deleting what comind did not create", name, policyOf(name))
	}
	if err == nil && found {
		err = admin.removeUser(ctx, name, policyOf(name))
	}
	if err != nil {
		fail(&resp.Diagnostics, "minio", err.Error())
	}
}
