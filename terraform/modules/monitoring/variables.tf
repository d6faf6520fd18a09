variable "name" {
  description = "Prefix of every resource name."
  type        = string
}

variable "node_id" {
  description = "CLEARANCE_NODE_ID (the queue metrics' Node dimension)."
  type        = string
}

variable "logs_kms_key_arn" {
  description = "KMS key of the alarm topic."
  type        = string
}

variable "alarm_emails" {
  description = "Addresses subscribed to the alarm topic (each confirms by mail)."
  type        = list(string)
  default     = []
}

variable "load_balancer_arn_suffix" {
  description = "ARN suffix of the load balancer."
  type        = string
}

variable "target_group_arn_suffix" {
  description = "ARN suffix of the API target group."
  type        = string
}

variable "cluster_name" {
  description = "ECS cluster."
  type        = string
}

variable "api_service_name" {
  description = "ECS service of the API."
  type        = string
}

variable "db_identifier" {
  description = "RDS instance identifier."
  type        = string
}

variable "audit_log_group" {
  description = "Log group of the daily audit archive."
  type        = string
}

variable "worker_log_group" {
  description = "Log group of the enclave workers."
  type        = string
}

variable "metrics_namespace" {
  description = "CloudWatch namespace of the node's own metrics."
  type        = string
  default     = "Clearance"
}

variable "api_5xx_per_5_minutes" {
  description = "5xx answers in 5 minutes above which api-5xx alarms."
  type        = number
  default     = 10
}

variable "api_p95_seconds" {
  description = "95th-percentile response time (s) above which api-latency alarms."
  type        = number
  default     = 2
}

variable "db_free_storage_bytes" {
  description = "Free database storage below which db-storage alarms."
  type        = number
  default     = 10737418240
}

variable "db_max_connections_alarm" {
  description = "Database connections above which db-connections alarms."
  type        = number
  default     = 300
}
