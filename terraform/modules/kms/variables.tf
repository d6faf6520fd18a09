variable "name" {
  description = "Prefix of every resource name."
  type        = string
}

variable "key_admin_arns" {
  description = "Principals that administer the keys (and deploy: the role that runs terraform must be one). They cannot decrypt data with them."
  type        = list(string)
  validation {
    condition     = length(var.key_admin_arns) > 0 && alltrue([for a in var.key_admin_arns : can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:(role|user)/", a))])
    error_message = "key_admin_arns must name IAM roles or users by ARN (no wildcards, no account root)."
  }
}

variable "blob_role_arns" {
  description = "Principals that read and write blob objects through S3: the task roles the node signs its S3 requests with (the API's and the enclave workers')."
  type        = list(string)
  validation {
    condition     = length(var.blob_role_arns) > 0 && alltrue([for a in var.blob_role_arns : can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:role/", a))])
    error_message = "blob_role_arns must name IAM roles by ARN (the node's task roles; no users, no wildcards)."
  }
}

variable "audit_writer_arns" {
  description = "Principals that write the audit bucket (the audit-archive task role)."
  type        = list(string)
}

variable "auditor_arns" {
  description = "Principals that read the audit bucket and the logs (e.g. the security office's role)."
  type        = list(string)
  validation {
    condition     = length(var.auditor_arns) > 0
    error_message = "Name at least one auditor: someone outside the operators must be able to read the audit archive."
  }
}

variable "secret_reader_arns" {
  description = "Principals that read the secrets (the ECS task execution role)."
  type        = list(string)
}

variable "secret_writer_arns" {
  description = "Principals that write the secrets in a key ceremony (operators, the ceremony task role)."
  type        = list(string)
  validation {
    condition     = length(var.secret_writer_arns) > 0
    error_message = "secret_writer_arns may not be empty."
  }
}

variable "enclave_pcr0" {
  description = "PCR0 (SHA-384, hex) of the Nitro enclave image allowed to decrypt the enclave data key; empty: no enclave key."
  type        = string
  default     = ""
  validation {
    condition     = var.enclave_pcr0 == "" || can(regex("^[0-9a-fA-F]{96}$", var.enclave_pcr0))
    error_message = "enclave_pcr0 must be 96 hex digits (SHA-384) or empty."
  }
}

variable "enclave_parent_arns" {
  description = "Roles of the instances whose enclaves ask KMS (the worker instance role)."
  type        = list(string)
  default     = []
}
