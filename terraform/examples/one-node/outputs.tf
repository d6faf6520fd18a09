output "node_id" {
  description = "CLEARANCE_NODE_ID of the node (the audience of its tokens)."
  value       = local.node_id
}

output "url" {
  description = "The node's URL."
  value       = "https://${var.domain_name}"
}

output "load_balancer_dns_name" {
  description = "Point domain_name at this (alias record)."
  value       = module.service.load_balancer_dns_name
}

output "cluster_name" {
  description = "ECS cluster."
  value       = module.service.cluster_name
}

output "api_service_name" {
  description = "ECS service of the API."
  value       = module.service.api_service_name
}

output "worker_service_name" {
  description = "ECS service of the enclave workers."
  value       = module.service.worker_service_name
}

output "migrate_task_definition_arn" {
  description = "Run once per upgrade before updating the services."
  value       = module.service.migrate_task_definition_arn
}

output "ceremony_task_definition_arn" {
  description = "Run key ceremonies with it (docs/operations.md)."
  value       = module.service.ceremony_task_definition_arn
}

output "private_subnet_ids" {
  description = "Subnets for one-off tasks (migrate, admin commands)."
  value       = module.network.private_subnet_ids
}

output "api_security_group_id" {
  description = "Security group for one-off tasks."
  value       = module.service.api_security_group_id
}

output "blob_bucket" {
  description = "The blob bucket."
  value       = module.storage.blob_bucket
}

output "audit_bucket" {
  description = "The audit bucket (Object Lock): exported entries and checkpoints go here."
  value       = module.storage.audit_bucket
}

output "database_address" {
  description = "Host name of the database."
  value       = module.database.address
}

output "secret_arns" {
  description = "Secrets the key ceremony fills."
  value = {
    signing_keys       = module.secrets.signing_keys_arn
    storage_key        = module.secrets.storage_key_arn
    storage_passphrase = module.secrets.storage_passphrase_arn
    database_password  = module.database.master_user_secret_arn
  }
}

output "kms_key_arns" {
  description = "The node's KMS keys."
  value = {
    blob     = module.kms.blob_key_arn
    audit    = module.kms.audit_key_arn
    database = module.kms.database_key_arn
    secrets  = module.kms.secrets_key_arn
    logs     = module.kms.logs_key_arn
    enclave  = module.kms.enclave_key_arn
  }
}

output "alarm_topic_arn" {
  description = "SNS topic of the alarms."
  value       = module.monitoring.alarm_topic_arn
}
