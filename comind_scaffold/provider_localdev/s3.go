package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/booldefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

type bucketResource struct{ withClients }

type bucketModel struct {
	ID           types.String `tfsdk:"id"`
	Name         types.String `tfsdk:"name"`
	ForceDestroy types.Bool   `tfsdk:"force_destroy"`
	ARN          types.String `tfsdk:"arn"`
}

func newBucketResource() resource.Resource { return &bucketResource{} }

func (r *bucketResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + resourceS3Bucket
}

func (r *bucketResource) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	keep := []planmodifier.String{stringplanmodifier.UseStateForUnknown()}
	resp.Schema = schema.Schema{
		Description: "An S3 bucket tagged " + managedKey + "=" + managedValue + "; only such buckets are deleted.",
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{Computed: true, PlanModifiers: keep},
			"name": schema.StringAttribute{
				Required: true, PlanModifiers: []planmodifier.String{stringplanmodifier.RequiresReplace()},
			},
			"force_destroy": schema.BoolAttribute{
				Optional: true, Computed: true, Default: booldefault.StaticBool(false),
				Description: "Delete the bucket's objects on destroy (otherwise a non-empty bucket stays and destroy fails).",
			},
			"arn": schema.StringAttribute{Computed: true, PlanModifiers: keep},
		},
	}
}

func (r *bucketResource) client() (*s3.Client, error) {
	cfg := r.c.cfg
	for field, value := range map[string]types.String{
		attrS3Endpoint: cfg.S3Endpoint, attrS3AccessKey: cfg.S3AccessKey, attrS3SecretKey: cfg.S3SecretKey,
	} {
		if err := r.c.need(field, value); err != nil {
			return nil, err
		}
	}
	return s3.New(s3.Options{
		Region:       orDefault(cfg.S3Region, regionMinio),
		BaseEndpoint: aws.String(cfg.S3Endpoint.ValueString()),
		UsePathStyle: true,
		Credentials: credentials.NewStaticCredentialsProvider(
			cfg.S3AccessKey.ValueString(), cfg.S3SecretKey.ValueString(), ""),
	}), nil
}

func isNotFound(err error) bool {
	var resp *smithyhttp.ResponseError
	if errors.As(err, &resp) && resp.HTTPStatusCode() == http.StatusNotFound {
		return true
	}
	var api smithy.APIError
	return errors.As(err, &api) && (api.ErrorCode() == "NoSuchBucket" || api.ErrorCode() == "NotFound")
}

func (r *bucketResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var m bucketModel
	client, err := r.client()
	if !load(ctx, req.Plan, &m, &resp.Diagnostics, "s3", err) {
		return
	}
	name := m.Name.ValueString()
	if _, err := client.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: &name}); err == nil {
		// A bucket comind made (`comind services up`, an earlier state) is taken over; any other is refused.
		if ours, err := r.managed(ctx, client, name); err != nil || !ours {
			fail(&resp.Diagnostics, "s3", fmt.Sprintf("bucket %q already exists without the tag %s=%s: not taking over what comind did not create (%v)", name, managedKey, managedValue, err))
			return
		}
		m.ID = types.StringValue(name)
		m.ARN = types.StringValue("arn:aws:s3:::" + name)
		resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
		return
	}
	if _, err := client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: &name}); err != nil {
		fail(&resp.Diagnostics, "s3", fmt.Sprintf("create bucket %q: %v", name, err))
		return
	}
	_, err = client.PutBucketTagging(ctx, &s3.PutBucketTaggingInput{
		Bucket:  &name,
		Tagging: &s3types.Tagging{TagSet: []s3types.Tag{{Key: aws.String(managedKey), Value: aws.String(managedValue)}}},
	})
	if err != nil {
		fail(&resp.Diagnostics, "s3", fmt.Sprintf("tag bucket %q: %v", name, err))
		return
	}
	m.ID = types.StringValue(name)
	m.ARN = types.StringValue("arn:aws:s3:::" + name)
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}

func (r *bucketResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	var m bucketModel
	client, err := r.client()
	if !load(ctx, req.State, &m, &resp.Diagnostics, "s3", err) {
		return
	}
	_, err = client.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(m.Name.ValueString())})
	if isNotFound(err) {
		resp.State.RemoveResource(ctx)
	} else if err != nil {
		fail(&resp.Diagnostics, "s3", err.Error())
	}
}

func (r *bucketResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var m bucketModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &m)...)
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}

func (r *bucketResource) managed(ctx context.Context, client *s3.Client, name string) (bool, error) {
	out, err := client.GetBucketTagging(ctx, &s3.GetBucketTaggingInput{Bucket: &name})
	if err != nil {
		var api smithy.APIError
		if errors.As(err, &api) && api.ErrorCode() == "NoSuchTagSet" {
			return false, nil
		}
		return false, err
	}
	for _, tag := range out.TagSet {
		if aws.ToString(tag.Key) == managedKey && aws.ToString(tag.Value) == managedValue {
			return true, nil
		}
	}
	return false, nil
}

func (r *bucketResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	var m bucketModel
	client, err := r.client()
	if !load(ctx, req.State, &m, &resp.Diagnostics, "s3", err) {
		return
	}
	name := m.Name.ValueString()
	ours, err := r.managed(ctx, client, name)
	if isNotFound(err) {
		return
	}
	if err != nil || !ours {
		fail(&resp.Diagnostics, "s3", fmt.Sprintf("bucket %q lacks the tag %s=%s: not deleting what comind did not create (%v)", name, managedKey, managedValue, err))
		return
	}
	if m.ForceDestroy.ValueBool() {
		pages := s3.NewListObjectsV2Paginator(client, &s3.ListObjectsV2Input{Bucket: &name})
		for pages.HasMorePages() {
			page, err := pages.NextPage(ctx)
			if err != nil {
				fail(&resp.Diagnostics, "s3", fmt.Sprintf("list %q: %v", name, err))
				return
			}
			for _, obj := range page.Contents {
				if _, err := client.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &name, Key: obj.Key}); err != nil {
					fail(&resp.Diagnostics, "s3", fmt.Sprintf("delete %s/%s: %v", name, aws.ToString(obj.Key), err))
					return
				}
			}
		}
	}
	if _, err := client.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: &name}); err != nil && !isNotFound(err) {
		fail(&resp.Diagnostics, "s3", fmt.Sprintf("delete bucket %q: %v", name, err))
	}
}
