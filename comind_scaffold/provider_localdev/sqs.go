package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/int64default"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

type queueResource struct{ withClients }

type queueModel struct {
	ID                 types.String `tfsdk:"id"`
	Name               types.String `tfsdk:"name"`
	VisibilityTimeout  types.Int64  `tfsdk:"visibility_timeout_seconds"`
	RetentionSeconds   types.Int64  `tfsdk:"message_retention_seconds"`
	DeadLetterQueueARN types.String `tfsdk:"dead_letter_queue_arn"`
	MaxReceiveCount    types.Int64  `tfsdk:"max_receive_count"`
	URL                types.String `tfsdk:"url"`
	ARN                types.String `tfsdk:"arn"`
}

func newQueueResource() resource.Resource { return &queueResource{} }

func (r *queueResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + resourceSQSQueue
}

func (r *queueResource) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	keep := []planmodifier.String{stringplanmodifier.UseStateForUnknown()}
	resp.Schema = schema.Schema{
		Description: "An SQS queue (optionally with a redrive policy to a dead-letter queue), tagged " + managedKey + "=" + managedValue + ".",
		Attributes: map[string]schema.Attribute{
			"id":   schema.StringAttribute{Computed: true, PlanModifiers: keep},
			"name": schema.StringAttribute{Required: true, PlanModifiers: []planmodifier.String{stringplanmodifier.RequiresReplace()}},
			"visibility_timeout_seconds": schema.Int64Attribute{
				Optional: true, Computed: true, Default: int64default.StaticInt64(30),
			},
			"message_retention_seconds": schema.Int64Attribute{
				Optional: true, Computed: true, Default: int64default.StaticInt64(345600),
			},
			"dead_letter_queue_arn": schema.StringAttribute{Optional: true},
			"max_receive_count": schema.Int64Attribute{
				Optional: true, Computed: true, Default: int64default.StaticInt64(5),
			},
			"url": schema.StringAttribute{Computed: true, PlanModifiers: keep},
			"arn": schema.StringAttribute{Computed: true, PlanModifiers: keep},
		},
	}
}

func (r *queueResource) client() (*sqs.Client, error) {
	cfg := r.c.cfg
	if err := r.c.need(attrSQSEndpoint, cfg.SQSEndpoint); err != nil {
		return nil, err
	}
	return sqs.New(sqs.Options{
		Region:       orDefault(cfg.SQSRegion, regionElasticmq),
		BaseEndpoint: aws.String(cfg.SQSEndpoint.ValueString()),
		Credentials: credentials.NewStaticCredentialsProvider(
			orDefault(cfg.SQSAccessKey, "local"), orDefault(cfg.SQSSecretKey, "local"), ""),
	}), nil
}

func queueMissing(err error) bool {
	var api smithy.APIError
	return errors.As(err, &api) && (strings.Contains(api.ErrorCode(), "NonExistentQueue") ||
		strings.Contains(api.ErrorCode(), "QueueDoesNotExist"))
}

func (m *queueModel) attributes() (map[string]string, error) {
	attrs := map[string]string{
		"VisibilityTimeout":      strconv.FormatInt(m.VisibilityTimeout.ValueInt64(), 10),
		"MessageRetentionPeriod": strconv.FormatInt(m.RetentionSeconds.ValueInt64(), 10),
	}
	if arn := m.DeadLetterQueueARN.ValueString(); arn != "" {
		policy, err := json.Marshal(map[string]string{
			"deadLetterTargetArn": arn,
			"maxReceiveCount":     strconv.FormatInt(m.MaxReceiveCount.ValueInt64(), 10),
		})
		if err != nil {
			return nil, err
		}
		attrs["RedrivePolicy"] = string(policy)
	}
	return attrs, nil
}

func (r *queueResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var m queueModel
	client, err := r.client()
	if !load(ctx, req.Plan, &m, &resp.Diagnostics, "sqs", err) {
		return
	}
	name := m.Name.ValueString()
	attrs, err := m.attributes()
	if err != nil {
		fail(&resp.Diagnostics, "sqs", err.Error())
		return
	}
	var url string
	if found, err := client.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: &name}); err == nil {
		// A queue comind made (`comind services up`, an earlier state) is taken over with this state's
		// attributes; any other is refused.
		url = aws.ToString(found.QueueUrl)
		tags, err := client.ListQueueTags(ctx, &sqs.ListQueueTagsInput{QueueUrl: &url})
		if err != nil || tags.Tags[managedKey] != managedValue {
			fail(&resp.Diagnostics, "sqs", fmt.Sprintf("queue %q already exists without the tag %s=%s: not taking over what comind did not create (%v)", name, managedKey, managedValue, err))
			return
		}
		if _, err := client.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{QueueUrl: &url, Attributes: attrs}); err != nil {
			fail(&resp.Diagnostics, "sqs", fmt.Sprintf("queue %q: %v", name, err))
			return
		}
	} else {
		out, err := client.CreateQueue(ctx, &sqs.CreateQueueInput{
			QueueName: &name, Attributes: attrs, Tags: map[string]string{managedKey: managedValue},
		})
		if err != nil {
			fail(&resp.Diagnostics, "sqs", fmt.Sprintf("create queue %q: %v", name, err))
			return
		}
		url = aws.ToString(out.QueueUrl)
	}
	arn, err := queueARN(ctx, client, url)
	if err != nil {
		fail(&resp.Diagnostics, "sqs", err.Error())
		return
	}
	m.ID, m.URL, m.ARN = types.StringValue(name), types.StringValue(url), types.StringValue(arn)
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}

func queueARN(ctx context.Context, client *sqs.Client, url string) (string, error) {
	out, err := client.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
		QueueUrl: &url, AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn},
	})
	if err != nil {
		return "", fmt.Errorf("queue attributes of %s: %w", url, err)
	}
	return out.Attributes["QueueArn"], nil
}

func (r *queueResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	var m queueModel
	client, err := r.client()
	if !load(ctx, req.State, &m, &resp.Diagnostics, "sqs", err) {
		return
	}
	_, err = client.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String(m.Name.ValueString())})
	if queueMissing(err) {
		resp.State.RemoveResource(ctx)
	} else if err != nil {
		fail(&resp.Diagnostics, "sqs", err.Error())
	}
}

func (r *queueResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var m, prior queueModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &m)...)
	resp.Diagnostics.Append(req.State.Get(ctx, &prior)...)
	if resp.Diagnostics.HasError() {
		return
	}
	client, err := r.client()
	if err != nil {
		fail(&resp.Diagnostics, "sqs", err.Error())
		return
	}
	attrs, err := m.attributes()
	if err == nil {
		_, err = client.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{QueueUrl: aws.String(prior.URL.ValueString()), Attributes: attrs})
	}
	if err != nil {
		fail(&resp.Diagnostics, "sqs", err.Error())
		return
	}
	m.ID, m.URL, m.ARN = prior.ID, prior.URL, prior.ARN
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}

func (r *queueResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	var m queueModel
	client, err := r.client()
	if !load(ctx, req.State, &m, &resp.Diagnostics, "sqs", err) {
		return
	}
	found, err := client.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String(m.Name.ValueString())})
	if queueMissing(err) {
		return
	}
	if err != nil {
		fail(&resp.Diagnostics, "sqs", err.Error())
		return
	}
	tags, err := client.ListQueueTags(ctx, &sqs.ListQueueTagsInput{QueueUrl: found.QueueUrl})
	if err != nil || tags.Tags[managedKey] != managedValue {
		fail(&resp.Diagnostics, "sqs", fmt.Sprintf("queue %q lacks the tag %s=%s: not deleting what comind did not create (%v)", m.Name.ValueString(), managedKey, managedValue, err))
		return
	}
	if _, err := client.DeleteQueue(ctx, &sqs.DeleteQueueInput{QueueUrl: found.QueueUrl}); err != nil && !queueMissing(err) {
		fail(&resp.Diagnostics, "sqs", err.Error())
	}
}
