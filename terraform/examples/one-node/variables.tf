variable "region" {
  description = "AWS region of the node (e.g. eu-west-1)."
  type        = string
}

variable "administration" {
  description = "The administration that runs the node: ISO 3166-1 alpha-3 (AUS, BEL, CAN, GBR, NLD, NZL, USA)."
  type        = string
  validation {
    condition     = can(regex("^[A-Z]{3}$", var.administration))
    error_message = "administration must be an ISO 3166-1 alpha-3 code in capitals."
  }
}

variable "environment" {
  description = "Environment name (prod, acceptance, ...)."
  type        = string
  default     = "prod"
}

variable "domain_name" {
  description = "The node's public host name."
  type        = string
}

variable "certificate_arn" {
  description = "ACM certificate of domain_name."
  type        = string
}

variable "image" {
  description = "The node image by digest: <account>.dkr.ecr.<region>.amazonaws.com/clearance@sha256:..."
  type        = string
}

variable "ecr_repository_arn" {
  description = "ARN of the ECR repository holding the image."
  type        = string
}

variable "key_admin_arns" {
  description = "IAM roles that administer the KMS keys (include the role that runs terraform)."
  type        = list(string)
}

variable "operator_arns" {
  description = "IAM roles of the operators who put key bundles into Secrets Manager (key ceremonies)."
  type        = list(string)
}

variable "auditor_arns" {
  description = "IAM roles that read the audit bucket and logs (the security office; at least one)."
  type        = list(string)
}

variable "allowed_cidrs" {
  description = "Address ranges allowed to reach the API (partners' egress ranges; [\"0.0.0.0/0\"] for anyone)."
  type        = list(string)
}

variable "vpc_cidr" {
  description = "The VPC's /16."
  type        = string
  default     = "10.42.0.0/16"
}

variable "availability_zones" {
  description = "Availability zones by name (2 or 3)."
  type        = list(string)
}

variable "db_instance_class" {
  description = "RDS instance class."
  type        = string
  default     = "db.t4g.medium"
}

variable "db_allocated_storage_gb" {
  description = "Initial database storage (GiB)."
  type        = number
  default     = 50
}

variable "db_max_allocated_storage_gb" {
  description = "Database storage autoscaling ceiling (GiB)."
  type        = number
  default     = 500
}

variable "db_multi_az" {
  description = "A standby database in a second availability zone."
  type        = bool
  default     = true
}

variable "db_backup_retention_days" {
  description = "Days of automated database backups (7-35)."
  type        = number
  default     = 35
}

variable "api_cpu" {
  description = "CPU units of one API task."
  type        = number
  default     = 1024
}

variable "api_memory" {
  description = "Memory (MiB) of one API task."
  type        = number
  default     = 2048
}

variable "api_min_count" {
  description = "Fewest API tasks."
  type        = number
  default     = 2
}

variable "api_max_count" {
  description = "Most API tasks."
  type        = number
  default     = 6
}

variable "worker_instance_type" {
  description = "EC2 type of the enclave workers' instances (Nitro Enclaves capable)."
  type        = string
  default     = "m6i.xlarge"
}

variable "worker_min_count" {
  description = "Fewest enclave workers."
  type        = number
  default     = 0
}

variable "worker_max_count" {
  description = "Most enclave workers."
  type        = number
  default     = 4
}

variable "enclave_pcr0" {
  description = "PCR0 of the Nitro enclave image allowed the enclave data key (empty: no enclave key yet)."
  type        = string
  default     = ""
}

variable "audit_lock_mode" {
  description = "Object Lock mode of the audit bucket (COMPLIANCE or GOVERNANCE)."
  type        = string
  default     = "COMPLIANCE"
}

variable "audit_retention_days" {
  description = "Days an exported audit object stays locked."
  type        = number
  default     = 2555
}

variable "log_retention_days" {
  description = "Days CloudWatch keeps logs."
  type        = number
  default     = 400
}

variable "alarm_emails" {
  description = "Addresses that get the alarms."
  type        = list(string)
  default     = []
}
