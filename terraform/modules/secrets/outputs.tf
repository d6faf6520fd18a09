output "signing_keys_arn" {
  description = "Secret: key bundle of the signing, audit and paging keys."
  value       = aws_secretsmanager_secret.this["signing-keys"].arn
}

output "storage_key_arn" {
  description = "Secret: key bundle of the Crypt4GH storage key."
  value       = aws_secretsmanager_secret.this["storage-key"].arn
}

output "storage_passphrase_arn" {
  description = "Secret: passphrase of the storage key."
  value       = aws_secretsmanager_secret.this["storage-passphrase"].arn
}
