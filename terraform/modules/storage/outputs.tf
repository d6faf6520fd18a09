output "blob_bucket" {
  description = "Name of the blob bucket (CLEARANCE_S3_BUCKET)."
  value       = aws_s3_bucket.blob.bucket
}

output "blob_bucket_arn" {
  description = "ARN of the blob bucket."
  value       = aws_s3_bucket.blob.arn
}

output "audit_bucket" {
  description = "Name of the audit bucket (Object Lock)."
  value       = aws_s3_bucket.audit.bucket
}

output "audit_bucket_arn" {
  description = "ARN of the audit bucket."
  value       = aws_s3_bucket.audit.arn
}

output "access_log_bucket" {
  description = "Name of the S3 access-log bucket."
  value       = aws_s3_bucket.access_logs.bucket
}
