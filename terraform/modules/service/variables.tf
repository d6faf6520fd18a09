variable "name" {
  description = "Prefix of every resource name."
  type        = string
}

variable "node_id" {
  description = "CLEARANCE_NODE_ID: the audience of the tokens the node accepts (also the metrics' Node dimension)."
  type        = string
}

variable "domain_name" {
  description = "The node's public host name (the certificate's); schemas are named under https://<domain_name>."
  type        = string
}

variable "certificate_arn" {
  description = "ACM certificate of domain_name for the HTTPS listener."
  type        = string
}

variable "image" {
  description = "The node image, by digest (<repository>@sha256:...)."
  type        = string
  validation {
    condition     = can(regex("@sha256:[0-9a-f]{64}$", var.image))
    error_message = "image must be pinned by digest: <repository>@sha256:<64 hex digits>."
  }
}

variable "ecr_repository_arn" {
  description = "ARN of the ECR repository the image is pulled from."
  type        = string
}

variable "vpc_id" {
  description = "The node's VPC."
  type        = string
}

variable "public_subnet_ids" {
  description = "Subnets of the load balancer."
  type        = list(string)
}

variable "public_subnet_cidrs" {
  description = "Address ranges of the load balancer's subnets (trusted for X-Forwarded-For)."
  type        = list(string)
}

variable "private_subnet_ids" {
  description = "Subnets of the tasks."
  type        = list(string)
}

variable "endpoints_security_group_id" {
  description = "Security group of the interface VPC endpoints."
  type        = string
}

variable "s3_prefix_list_id" {
  description = "Prefix list of the S3 gateway endpoint."
  type        = string
}

variable "allowed_cidrs" {
  description = "Client address ranges allowed to reach the load balancer (partners' egress ranges; 0.0.0.0/0 for anyone)."
  type        = list(string)
}

variable "db_address" {
  description = "Host name of the database."
  type        = string
}

variable "db_port" {
  description = "Port of the database."
  type        = number
  default     = 5432
}

variable "db_security_group_id" {
  description = "Security group of the database (ingress from the tasks is added here)."
  type        = string
}

variable "db_secret_arn" {
  description = "The RDS-managed master password secret."
  type        = string
}

variable "signing_keys_secret_arn" {
  description = "Secret: key bundle of the signing, audit and paging keys."
  type        = string
}

variable "storage_key_secret_arn" {
  description = "Secret: key bundle of the storage key."
  type        = string
}

variable "storage_passphrase_secret_arn" {
  description = "Secret: passphrase of the storage key."
  type        = string
}

variable "blob_bucket" {
  description = "The blob bucket's name."
  type        = string
}

variable "logs_kms_key_arn" {
  description = "KMS key of the log groups."
  type        = string
}

variable "log_retention_days" {
  description = "Days CloudWatch keeps the node's logs."
  type        = number
  default     = 400
}

variable "execution_role_arn" {
  description = "ECS task execution role."
  type        = string
}

variable "execution_role_name" {
  description = "ECS task execution role (name)."
  type        = string
}

variable "api_role_arn" {
  description = "Task role of the API."
  type        = string
}

variable "ceremony_role_arn" {
  description = "Task role of key ceremonies."
  type        = string
}

variable "audit_archive_role_arn" {
  description = "Task role of the daily audit archive."
  type        = string
}

variable "audit_bucket" {
  description = "The audit bucket (Object Lock)."
  type        = string
}

variable "audit_archive_schedule" {
  description = "When the audit archive runs (EventBridge Scheduler expression, UTC)."
  type        = string
  default     = "cron(15 2 * * ? *)"
}

variable "worker_role_arn" {
  description = "Task role of the workers."
  type        = string
}

variable "metrics_role_arn" {
  description = "Task role of the queue reporter."
  type        = string
}

variable "worker_instance_role_name" {
  description = "Role of the workers' container instances."
  type        = string
}

variable "worker_instance_profile_name" {
  description = "Instance profile of the workers' container instances."
  type        = string
}

variable "api_cpu" {
  description = "CPU units of one API task (1024 = 1 vCPU)."
  type        = number
  default     = 1024
}

variable "api_memory" {
  description = "Memory (MiB) of one API task: scrypt logins take 128 MiB each (CLEARANCE_LOGIN_CONCURRENCY)."
  type        = number
  default     = 2048
}

variable "api_min_count" {
  description = "Fewest API tasks (2 or more: one per availability zone)."
  type        = number
  default     = 2
}

variable "api_max_count" {
  description = "Most API tasks."
  type        = number
  default     = 6
}

variable "login_rate_per_5_minutes" {
  description = "Requests to /auth/login per client address per 5 minutes before the WAF blocks (node-wide)."
  type        = number
  default     = 150
}

variable "worker_instance_type" {
  description = "EC2 type of the worker container instances (Nitro Enclaves capable, e.g. m6i.xlarge)."
  type        = string
  default     = "m6i.xlarge"
}

variable "worker_cpu" {
  description = "CPU units of one worker task (about two cores per worker: docs/operator-guide.md)."
  type        = number
  default     = 2048
}

variable "worker_memory" {
  description = "Memory (MiB) of one worker task: the sandbox child's address space plus a scan and ground truth."
  type        = number
  default     = 6144
}

variable "worker_min_count" {
  description = "Fewest enclave workers (0: none while the queue is empty)."
  type        = number
  default     = 0
}

variable "worker_max_count" {
  description = "Most enclave workers (and container instances)."
  type        = number
  default     = 4
}

variable "enclave_memory_mib" {
  description = "CLEARANCE_ENCLAVE_MEMORY_MIB of the workers."
  type        = number
  default     = 2048
}

variable "enclave_wall_seconds" {
  description = "CLEARANCE_ENCLAVE_WALL_SECONDS of the workers (size it to the largest holding)."
  type        = number
  default     = 300
}

variable "metrics_namespace" {
  description = "CloudWatch namespace of the queue-depth metrics."
  type        = string
  default     = "Clearance"
}
