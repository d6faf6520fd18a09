output "vpc_id" {
  description = "The node's VPC."
  value       = aws_vpc.this.id
}

output "public_subnet_ids" {
  description = "Subnets of the load balancer (nothing else runs there)."
  value       = aws_subnet.public[*].id
}

output "private_subnet_ids" {
  description = "Subnets of the API tasks and enclave workers (no route to the internet)."
  value       = aws_subnet.private[*].id
}

output "private_subnet_cidrs" {
  description = "Address ranges of the private subnets."
  value       = aws_subnet.private[*].cidr_block
}

output "data_subnet_ids" {
  description = "Subnets of the database."
  value       = aws_subnet.data[*].id
}

output "s3_endpoint_prefix_list_id" {
  description = "Prefix list of the S3 gateway endpoint (for security-group egress)."
  value       = aws_vpc_endpoint.s3.prefix_list_id
}

output "endpoints_security_group_id" {
  description = "Security group of the interface endpoints."
  value       = aws_security_group.endpoints.id
}

output "public_subnet_cidrs" {
  description = "Address ranges of the load balancer's subnets."
  value       = aws_subnet.public[*].cidr_block
}
