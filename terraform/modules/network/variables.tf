variable "name" {
  description = "Prefix of every resource name (e.g. clearance-nld)."
  type        = string
}

variable "cidr_block" {
  description = "The VPC's address range (a /16: subnets are /24s carved from it)."
  type        = string
  default     = "10.42.0.0/16"
}

variable "availability_zones" {
  description = "Availability zones to spread over, by name (2 or 3, e.g. [\"eu-west-1a\", \"eu-west-1b\"]): named, so the set never grows by itself."
  type        = list(string)
  validation {
    condition     = length(var.availability_zones) >= 2 && length(var.availability_zones) <= 3
    error_message = "availability_zones must name 2 or 3 zones."
  }
}

variable "logs_kms_key_arn" {
  description = "KMS key that encrypts the flow-log group."
  type        = string
}

variable "log_retention_days" {
  description = "Days CloudWatch keeps the flow logs."
  type        = number
  default     = 400
}
