output "blob_key_arn" {
  description = "KMS key of the blob bucket."
  value       = aws_kms_key.blob.arn
}

output "audit_key_arn" {
  description = "KMS key of the audit bucket."
  value       = aws_kms_key.audit.arn
}

output "database_key_arn" {
  description = "KMS key of the database."
  value       = aws_kms_key.database.arn
}

output "secrets_key_arn" {
  description = "KMS key of the secrets."
  value       = aws_kms_key.secrets.arn
}

output "logs_key_arn" {
  description = "KMS key of the logs and the alarm topic."
  value       = aws_kms_key.logs.arn
}

output "enclave_key_arn" {
  description = "KMS key released only to the attested enclave image (empty without enclave_pcr0)."
  value       = var.enclave_pcr0 == "" ? "" : aws_kms_key.enclave[0].arn
}
