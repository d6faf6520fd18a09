variable "name" {
  description = "Prefix of every resource name."
  type        = string
}

variable "vpc_id" {
  description = "The node's VPC."
  type        = string
}

variable "subnet_ids" {
  description = "The data subnets."
  type        = list(string)
}

variable "kms_key_arn" {
  description = "KMS key of the instance, its snapshots and Performance Insights."
  type        = string
}

variable "secrets_kms_key_arn" {
  description = "KMS key of the RDS-managed master password secret."
  type        = string
}

variable "engine_major" {
  description = "PostgreSQL major version (the parameter group family)."
  type        = string
  default     = "16"
}

variable "engine_version" {
  description = "PostgreSQL version."
  type        = string
  default     = "16.6"
}

variable "instance_class" {
  description = "RDS instance class."
  type        = string
  default     = "db.t4g.medium"
}

variable "allocated_storage_gb" {
  description = "Initial storage (GiB)."
  type        = number
  default     = 50
}

variable "max_allocated_storage_gb" {
  description = "Storage autoscaling ceiling (GiB)."
  type        = number
  default     = 500
}

variable "multi_az" {
  description = "A standby in a second availability zone (automatic failover)."
  type        = bool
  default     = true
}

variable "backup_retention_days" {
  description = "Days of automated backups and point-in-time recovery (1-35)."
  type        = number
  default     = 35
  validation {
    condition     = var.backup_retention_days >= 7 && var.backup_retention_days <= 35
    error_message = "backup_retention_days must be 7 to 35."
  }
}
