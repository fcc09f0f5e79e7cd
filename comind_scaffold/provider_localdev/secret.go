package main

import (
	"context"
	"fmt"
	"net/http"

	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/booldefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

type secretResource struct{ withClients }

type secretModel struct {
	ID              types.String `tfsdk:"id"`
	Namespace       types.String `tfsdk:"namespace"`
	Name            types.String `tfsdk:"name"`
	Labels          types.Map    `tfsdk:"labels"`
	NamespaceLabels types.Map    `tfsdk:"namespace_labels"`
	CreateNamespace types.Bool   `tfsdk:"create_namespace"`
	Data            types.Map    `tfsdk:"data"`
}

func newSecretResource() resource.Resource { return &secretResource{} }

func (r *secretResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_kubernetes_secret"
}

func (r *secretResource) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	replace := []planmodifier.String{stringplanmodifier.RequiresReplace()}
	resp.Schema = schema.Schema{
		Description: "An Opaque Secret labelled " + managedKey + "=" + managedValue + "; only such Secrets are deleted.",
		Attributes: map[string]schema.Attribute{
			"id":        schema.StringAttribute{Computed: true, PlanModifiers: []planmodifier.String{stringplanmodifier.UseStateForUnknown()}},
			"namespace": schema.StringAttribute{Required: true, PlanModifiers: replace},
			"name":      schema.StringAttribute{Required: true, PlanModifiers: replace},
			"labels":    schema.MapAttribute{Optional: true, ElementType: types.StringType},
			"namespace_labels": schema.MapAttribute{
				Optional: true, ElementType: types.StringType,
				Description: "Labels of the namespace when this resource creates it.",
			},
			"create_namespace": schema.BoolAttribute{
				Optional: true, Computed: true, Default: booldefault.StaticBool(false),
				Description: "Create the namespace when missing (it is never deleted by this resource).",
			},
			"data": schema.MapAttribute{Required: true, Sensitive: true, ElementType: types.StringType},
		},
	}
}

func (r *secretResource) client() (*kubeClient, error) {
	if err := r.c.need("kubeconfig_path", r.c.cfg.KubeconfigPath); err != nil {
		return nil, err
	}
	return newKubeClient(r.c.cfg.KubeconfigPath.ValueString(), orDefault(r.c.cfg.KubeContext, ""))
}

func stringMap(ctx context.Context, m types.Map) (map[string]string, error) {
	out := map[string]string{}
	if m.IsNull() || m.IsUnknown() {
		return out, nil
	}
	if diags := m.ElementsAs(ctx, &out, false); diags.HasError() {
		return nil, fmt.Errorf("%v", diags)
	}
	return out, nil
}

func (r *secretResource) manifest(ctx context.Context, m *secretModel) (map[string]any, error) {
	labels, err := stringMap(ctx, m.Labels)
	if err != nil {
		return nil, err
	}
	labels[managedKey] = managedValue
	data, err := stringMap(ctx, m.Data)
	if err != nil {
		return nil, err
	}
	return map[string]any{
		"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
		"metadata":   map[string]any{"name": m.Name.ValueString(), "namespace": m.Namespace.ValueString(), "labels": labels},
		"stringData": data,
	}, nil
}

func secretPath(m *secretModel) string {
	return fmt.Sprintf("/api/v1/namespaces/%s/secrets/%s", m.Namespace.ValueString(), m.Name.ValueString())
}

func (r *secretResource) ensureNamespace(ctx context.Context, k *kubeClient, m *secretModel) error {
	ns := m.Namespace.ValueString()
	code, err := k.do(ctx, http.MethodGet, "/api/v1/namespaces/"+ns, nil, nil)
	if code == http.StatusOK {
		return nil
	}
	if code != http.StatusNotFound {
		return err
	}
	if !m.CreateNamespace.ValueBool() {
		return fmt.Errorf("namespace %q does not exist (set create_namespace or sync the app first)", ns)
	}
	labels, err := stringMap(ctx, m.NamespaceLabels)
	if err != nil {
		return err
	}
	labels[managedKey] = managedValue
	body := map[string]any{"apiVersion": "v1", "kind": "Namespace", "metadata": map[string]any{"name": ns, "labels": labels}}
	_, err = k.do(ctx, http.MethodPost, "/api/v1/namespaces", body, nil)
	return err
}

func (r *secretResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var m secretModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	k, err := r.client()
	if err == nil {
		err = r.ensureNamespace(ctx, k, &m)
	}
	var body map[string]any
	if err == nil {
		body, err = r.manifest(ctx, &m)
	}
	if err == nil {
		_, err = k.do(ctx, http.MethodPost, fmt.Sprintf("/api/v1/namespaces/%s/secrets", m.Namespace.ValueString()), body, nil)
	}
	if err != nil {
		fail(&resp.Diagnostics, "kubernetes", err.Error())
		return
	}
	m.ID = types.StringValue(m.Namespace.ValueString() + "/" + m.Name.ValueString())
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}

func (r *secretResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	var m secretModel
	k, err := r.client()
	if !load(ctx, req.State, &m, &resp.Diagnostics, "kubernetes", err) {
		return
	}
	code, err := k.do(ctx, http.MethodGet, secretPath(&m), nil, nil)
	if code == http.StatusNotFound {
		resp.State.RemoveResource(ctx)
	} else if err != nil {
		fail(&resp.Diagnostics, "kubernetes", err.Error())
	}
}

func (r *secretResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var m secretModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	k, err := r.client()
	var body map[string]any
	if err == nil {
		body, err = r.manifest(ctx, &m)
	}
	if err == nil {
		// A PUT without resourceVersion replaces the object unconditionally.
		_, err = k.do(ctx, http.MethodPut, secretPath(&m), body, nil)
	}
	if err != nil {
		fail(&resp.Diagnostics, "kubernetes", err.Error())
		return
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}

func (r *secretResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	var m secretModel
	k, err := r.client()
	if !load(ctx, req.State, &m, &resp.Diagnostics, "kubernetes", err) {
		return
	}
	var current struct {
		Metadata struct {
			Labels map[string]string `json:"labels"`
		} `json:"metadata"`
	}
	code, err := k.do(ctx, http.MethodGet, secretPath(&m), nil, &current)
	if code == http.StatusNotFound {
		return
	}
	if err != nil {
		fail(&resp.Diagnostics, "kubernetes", err.Error())
		return
	}
	if current.Metadata.Labels[managedKey] != managedValue {
		fail(&resp.Diagnostics, "kubernetes", fmt.Sprintf("secret %s lacks the label %s=%s: not deleting what comind did not create", m.ID.ValueString(), managedKey, managedValue))
		return
	}
	if code, err := k.do(ctx, http.MethodDelete, secretPath(&m), nil, nil); err != nil && code != http.StatusNotFound {
		fail(&resp.Diagnostics, "kubernetes", err.Error())
	}
}
