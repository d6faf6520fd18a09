variable "name" {
  description = "Prefix of every secret name (secrets are <name>/<secret>)."
  type        = string
}

variable "region" {
  description = "The node's AWS region."
  type        = string
}

variable "kms_key_arn" {
  description = "KMS key of the secrets."
  type        = string
}

variable "execution_role_name" {
  description = "ECS task execution role that injects the secrets."
  type        = string
}

variable "database_secret_arn" {
  description = "The RDS-managed master password secret (injected as CLEARANCE_DB_PASSWORD)."
  type        = string
}

variable "ceremony_role_name" {
  description = "Task role of key ceremonies (writes the key bundles)."
  type        = string
}
