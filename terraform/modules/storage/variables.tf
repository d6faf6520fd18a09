variable "name" {
  description = "Prefix of every resource name (bucket names add the account id)."
  type        = string
}

variable "region" {
  description = "The node's AWS region."
  type        = string
}

variable "blob_kms_key_arn" {
  description = "KMS key of the blob bucket."
  type        = string
}

variable "audit_kms_key_arn" {
  description = "KMS key of the audit bucket."
  type        = string
}

variable "audit_archive_role_name" {
  description = "Task role of the daily audit archive."
  type        = string
}

variable "logs_kms_key_arn" {
  description = "KMS key of the access-log bucket."
  type        = string
}

variable "blob_role_names" {
  description = "Task roles (names) whose temporary credentials the node signs its S3 requests with (CLEARANCE_S3_CREDENTIALS=role): the API's and the enclave workers'. They get the blob bucket's object actions and the blob key through S3."
  type        = list(string)
  validation {
    condition     = length(var.blob_role_names) > 0
    error_message = "blob_role_names may not be empty: the node needs a role that reaches the blob bucket."
  }
}

variable "abort_multipart_days" {
  description = "Days after which an incomplete multipart upload (an interrupted publish) is aborted."
  type        = number
  default     = 2
}

variable "blob_noncurrent_days" {
  description = "Days an overwritten or deleted blob version is kept (undo window)."
  type        = number
  default     = 35
}

variable "access_log_days" {
  description = "Days S3 access logs are kept."
  type        = number
  default     = 400
}

variable "audit_lock_mode" {
  description = "Object Lock mode of the audit bucket: COMPLIANCE (no one, root included, can shorten it) or GOVERNANCE."
  type        = string
  default     = "COMPLIANCE"
  validation {
    condition     = contains(["COMPLIANCE", "GOVERNANCE"], var.audit_lock_mode)
    error_message = "audit_lock_mode must be COMPLIANCE or GOVERNANCE."
  }
}

variable "audit_retention_days" {
  description = "Days each exported audit object is locked against deletion and overwrite."
  type        = number
  default     = 2555
}
