// Code generated from comind_scaffold/service_catalog.py by go_source(); DO NOT EDIT.
// Regenerate: python -m comind_scaffold.service_catalog

package main

// postgresql (services.yaml), also called postgres, database.
const (
	portPostgresql             = 5432
	attrPostgresURL            = "postgres_url"
	resourcePostgresqlDatabase = "_postgresql_database"
)

// minio (services.yaml), also called s3, storage, bucket.
const (
	portMinio         = 9000
	regionMinio       = "us-east-1"
	attrS3Endpoint    = "s3_endpoint"
	attrS3Region      = "s3_region"
	attrS3AccessKey   = "s3_access_key"
	attrS3SecretKey   = "s3_secret_key"
	resourceS3Bucket  = "_s3_bucket"
	resourceMinioUser = "_minio_user"
)

// elasticmq (services.yaml), also called sqs, queue.
const (
	portElasticmq    = 9324
	regionElasticmq  = "elasticmq"
	attrSQSEndpoint  = "sqs_endpoint"
	attrSQSRegion    = "sqs_region"
	attrSQSAccessKey = "sqs_access_key"
	attrSQSSecretKey = "sqs_secret_key"
	resourceSQSQueue = "_sqs_queue"
)
