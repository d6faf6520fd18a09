output "cluster_name" {
  description = "ECS cluster."
  value       = aws_ecs_cluster.this.name
}

output "api_service_name" {
  description = "ECS service of the API."
  value       = aws_ecs_service.api.name
}

output "worker_service_name" {
  description = "ECS service of the enclave workers."
  value       = aws_ecs_service.worker.name
}

output "migrate_task_definition_arn" {
  description = "Task definition to run once per upgrade (aws ecs run-task), before the services update."
  value       = aws_ecs_task_definition.migrate.arn
}

output "ceremony_task_definition_arn" {
  description = "Task definition of key ceremonies (aws ecs run-task with a command override)."
  value       = aws_ecs_task_definition.ceremony.arn
}

output "api_security_group_id" {
  description = "Security group of the API tasks (also for one-off admin tasks)."
  value       = aws_security_group.task["api"].id
}

output "load_balancer_dns_name" {
  description = "DNS name of the load balancer (point domain_name at it)."
  value       = aws_lb.this.dns_name
}

output "load_balancer_zone_id" {
  description = "Hosted zone of the load balancer (for an alias record)."
  value       = aws_lb.this.zone_id
}

output "load_balancer_arn_suffix" {
  description = "ARN suffix of the load balancer (CloudWatch dimension)."
  value       = aws_lb.this.arn_suffix
}

output "target_group_arn_suffix" {
  description = "ARN suffix of the API target group (CloudWatch dimension)."
  value       = aws_lb_target_group.api.arn_suffix
}

output "log_group_names" {
  description = "CloudWatch log groups of the node's tasks."
  value       = { for k, g in aws_cloudwatch_log_group.this : k => g.name }
}
