output "execution_role_arn" {
  description = "ECS task execution role."
  value       = aws_iam_role.execution.arn
}

output "execution_role_name" {
  description = "ECS task execution role's name."
  value       = aws_iam_role.execution.name
}

output "api_role_arn" {
  description = "Task role of the API."
  value       = aws_iam_role.api.arn
}

output "api_role_name" {
  description = "Task role of the API (name)."
  value       = aws_iam_role.api.name
}

output "worker_role_arn" {
  description = "Task role of the enclave workers."
  value       = aws_iam_role.worker.arn
}

output "worker_role_name" {
  description = "Task role of the enclave workers (name)."
  value       = aws_iam_role.worker.name
}

output "metrics_role_arn" {
  description = "Task role of the queue-depth reporter."
  value       = aws_iam_role.metrics.arn
}

output "metrics_role_name" {
  description = "Task role of the queue-depth reporter (name)."
  value       = aws_iam_role.metrics.name
}

output "worker_instance_role_arn" {
  description = "Role of the workers' EC2 container instances."
  value       = aws_iam_role.worker_instance.arn
}

output "worker_instance_role_name" {
  description = "Role of the workers' EC2 container instances (name)."
  value       = aws_iam_role.worker_instance.name
}

output "worker_instance_profile_name" {
  description = "Instance profile of the workers' EC2 container instances."
  value       = aws_iam_instance_profile.worker_instance.name
}

output "ceremony_role_arn" {
  description = "Task role of key ceremonies (writes the key bundles)."
  value       = aws_iam_role.ceremony.arn
}

output "ceremony_role_name" {
  description = "Task role of key ceremonies (name)."
  value       = aws_iam_role.ceremony.name
}

output "audit_archive_role_arn" {
  description = "Task role of the daily audit archive."
  value       = aws_iam_role.audit_archive.arn
}

output "audit_archive_role_name" {
  description = "Task role of the daily audit archive (name)."
  value       = aws_iam_role.audit_archive.name
}
