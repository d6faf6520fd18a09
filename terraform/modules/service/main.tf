# The node's compute: one ECS cluster; the API (clearance serve) on Fargate behind an HTTPS
# load balancer; enclave workers (clearance worker) as their own service on EC2 container
# instances with Nitro Enclaves enabled, scaled on the evaluation queue's depth; the queue-depth
# reporter; and the migration task run once per upgrade. One image for all of them.

data "aws_region" "current" {}
data "aws_caller_identity" "current" {}

locals {
  region    = data.aws_region.current.name
  data_path = "/var/lib/clearance"
  db_environment = [
    { name = "CLEARANCE_DB_HOST", value = var.db_address },
    { name = "CLEARANCE_DB_PORT", value = tostring(var.db_port) },
    { name = "CLEARANCE_DB_NAME", value = "clearance" },
    { name = "CLEARANCE_DB_USER", value = "clearance" },
    { name = "CLEARANCE_DB_SSLMODE", value = "require" },
  ]
  node_environment = concat(local.db_environment, [
    { name = "CLEARANCE_NODE_ID", value = var.node_id },
    { name = "CLEARANCE_DATA", value = local.data_path },
    { name = "CLEARANCE_KEYS_REQUIRED", value = "1" },
    { name = "CLEARANCE_S3_BUCKET", value = var.blob_bucket },
    { name = "CLEARANCE_S3_REGION", value = local.region },
    # S3 requests are signed with the task role's temporary credentials (boto3's credential
    # chain, refreshed by it; AWS rotates them): no access key is kept anywhere, and the node
    # refuses to start if CLEARANCE_S3_ACCESS_KEY or _SECRET_KEY is set as well. Every task with
    # a bucket opens the blob store, so each needs this; only the api (which migrate shares) and
    # worker task roles may use the bucket (the storage module), the ceremony and audit-archive
    # roles open the store but never touch a blob.
    { name = "CLEARANCE_S3_CREDENTIALS", value = "role" },
    { name = "CLEARANCE_SCHEMA_BASE_URL", value = "https://${var.domain_name}" },
    # The load balancer's nodes are the only proxies trusted for X-Forwarded-For.
    { name = "FORWARDED_ALLOW_IPS", value = join(",", var.public_subnet_cidrs) },
  ])
  db_password = [{ name = "CLEARANCE_DB_PASSWORD", valueFrom = "${var.db_secret_arn}:password::" }]
  node_secrets = concat(local.db_password, [
    { name = "CLEARANCE_KEYS_BUNDLE_SIGNING", valueFrom = var.signing_keys_secret_arn },
    { name = "CLEARANCE_KEYS_BUNDLE_STORAGE", valueFrom = var.storage_key_secret_arn },
    { name = "CLEARANCE_STORAGE_PASSPHRASE", valueFrom = var.storage_passphrase_secret_arn },
  ])
  data_mounts = [
    { sourceVolume = "data", containerPath = local.data_path, readOnly = false },
    { sourceVolume = "tmp", containerPath = "/tmp", readOnly = false },
  ]
  health_check = {
    command     = ["CMD", "python", "-m", "clearance.container", "healthcheck"]
    interval    = 30
    timeout     = 6
    retries     = 3
    startPeriod = 40
  }
}

# --- cluster and logs -----------------------------------------------------------------------

resource "aws_ecs_cluster" "this" {
  name = var.name
  setting {
    name  = "containerInsights"
    value = "enabled"
  }
  configuration {
    execute_command_configuration {
      kms_key_id = var.logs_kms_key_arn
      logging    = "OVERRIDE"
      log_configuration {
        cloud_watch_encryption_enabled = true
        cloud_watch_log_group_name     = aws_cloudwatch_log_group.this["exec"].name
      }
    }
  }
}

resource "aws_cloudwatch_log_group" "this" {
  for_each          = toset(["api", "worker", "queue-metrics", "migrate", "ceremony", "audit-archive", "exec"])
  name              = "/clearance/${var.name}/${each.key}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.logs_kms_key_arn
}

# --- execution role: pull the image, write logs (secrets: the secrets module) ---------------

data "aws_iam_policy_document" "execution" {
  statement {
    sid       = "EcrLogin"
    actions   = ["ecr:GetAuthorizationToken"]
    resources = ["*"] # an account-level call: it names no resource
  }
  statement {
    sid = "PullTheNodeImage"
    actions = [
      "ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer",
    ]
    resources = [var.ecr_repository_arn]
  }
  statement {
    sid       = "WriteContainerLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = [for g in aws_cloudwatch_log_group.this : "${g.arn}:*"]
  }
}

resource "aws_iam_role_policy" "execution" {
  name   = "pull-image-write-logs"
  role   = var.execution_role_name
  policy = data.aws_iam_policy_document.execution.json
}

# The api and worker task roles get one policy, the blob bucket's object actions and the blob key
# through S3 (the storage module): the node signs its S3 requests with them
# (CLEARANCE_S3_CREDENTIALS=role). The metrics task role gets none. The node reaches PostgreSQL
# with its password and calls no other AWS API.

# --- security groups --------------------------------------------------------------------------

resource "aws_security_group" "alb" {
  name        = "${var.name}-alb"
  description = "Load balancer: HTTPS from the allowed ranges, HTTP only to redirect"
  vpc_id      = var.vpc_id
  tags        = { Name = "${var.name}-alb" }
}

resource "aws_vpc_security_group_ingress_rule" "alb_https" {
  for_each          = toset(var.allowed_cidrs)
  security_group_id = aws_security_group.alb.id
  description       = "HTTPS from clients"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = each.value
}

resource "aws_vpc_security_group_ingress_rule" "alb_http_redirect" {
  # checkov:skip=CKV_AWS_260:Port 80 only answers a redirect to HTTPS (listener "http" below); no request is forwarded over it.
  for_each          = toset(var.allowed_cidrs)
  security_group_id = aws_security_group.alb.id
  description       = "HTTP from clients: redirected to HTTPS"
  ip_protocol       = "tcp"
  from_port         = 80
  to_port           = 80
  cidr_ipv4         = each.value
}

resource "aws_vpc_security_group_egress_rule" "alb_to_api" {
  security_group_id            = aws_security_group.alb.id
  description                  = "To the API tasks"
  ip_protocol                  = "tcp"
  from_port                    = 8000
  to_port                      = 8000
  referenced_security_group_id = aws_security_group.task["api"].id
}

resource "aws_security_group" "task" {
  for_each    = toset(["api", "worker", "queue-metrics"])
  name        = "${var.name}-${each.key}"
  description = "Clearance ${each.key} tasks"
  vpc_id      = var.vpc_id
  tags        = { Name = "${var.name}-${each.key}" }
}

resource "aws_vpc_security_group_ingress_rule" "api_from_alb" {
  security_group_id            = aws_security_group.task["api"].id
  description                  = "From the load balancer"
  ip_protocol                  = "tcp"
  from_port                    = 8000
  to_port                      = 8000
  referenced_security_group_id = aws_security_group.alb.id
}

resource "aws_vpc_security_group_egress_rule" "task_to_db" {
  for_each                     = aws_security_group.task
  security_group_id            = each.value.id
  description                  = "PostgreSQL"
  ip_protocol                  = "tcp"
  from_port                    = 5432
  to_port                      = 5432
  referenced_security_group_id = var.db_security_group_id
}

resource "aws_vpc_security_group_ingress_rule" "db_from_task" {
  for_each                     = aws_security_group.task
  security_group_id            = var.db_security_group_id
  description                  = "PostgreSQL from the ${each.key} tasks"
  ip_protocol                  = "tcp"
  from_port                    = 5432
  to_port                      = 5432
  referenced_security_group_id = each.value.id
}

resource "aws_vpc_security_group_egress_rule" "task_to_endpoints" {
  for_each                     = aws_security_group.task
  security_group_id            = each.value.id
  description                  = "AWS APIs through the interface endpoints"
  ip_protocol                  = "tcp"
  from_port                    = 443
  to_port                      = 443
  referenced_security_group_id = var.endpoints_security_group_id
}

resource "aws_vpc_security_group_egress_rule" "task_to_s3" {
  for_each          = aws_security_group.task
  security_group_id = each.value.id
  description       = "S3 through the gateway endpoint"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  prefix_list_id    = var.s3_prefix_list_id
}

# --- load balancer ------------------------------------------------------------------------------

resource "aws_lb" "this" {
  # checkov:skip=CKV_AWS_91:ALB access logs can only go to an SSE-S3 bucket and every bucket of the node is SSE-KMS; requests are logged by the node (uvicorn access log, CloudWatch, KMS) and by the WAF log.
  name                       = "${var.name}-api"
  load_balancer_type         = "application"
  internal                   = false
  subnets                    = var.public_subnet_ids
  security_groups            = [aws_security_group.alb.id]
  drop_invalid_header_fields = true
  enable_deletion_protection = true
  idle_timeout               = 300
  xff_header_processing_mode = "append"
  desync_mitigation_mode     = "strictest"
}

resource "aws_lb_target_group" "api" {
  name                 = "${var.name}-api"
  port                 = 8000
  protocol             = "HTTP"
  target_type          = "ip"
  vpc_id               = var.vpc_id
  deregistration_delay = 35
  health_check {
    path                = "/readyz"
    matcher             = "200"
    interval            = 15
    timeout             = 5
    healthy_threshold   = 2
    unhealthy_threshold = 3
  }
}

resource "aws_lb_listener" "https" {
  load_balancer_arn = aws_lb.this.arn
  port              = 443
  protocol          = "HTTPS"
  ssl_policy        = "ELBSecurityPolicy-TLS13-1-2-2021-06"
  certificate_arn   = var.certificate_arn
  default_action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.api.arn
  }
}

resource "aws_lb_listener" "http" {
  # checkov:skip=CKV_AWS_2:This listener only redirects to HTTPS (default_action redirect, 301).
  # checkov:skip=CKV_AWS_103:No TLS on a listener that only redirects to the HTTPS listener.
  load_balancer_arn = aws_lb.this.arn
  port              = 80
  protocol          = "HTTP"
  default_action {
    type = "redirect"
    redirect {
      port        = "443"
      protocol    = "HTTPS"
      status_code = "HTTP_301"
    }
  }
}

# --- WAF in front of the load balancer ------------------------------------------------------------

resource "aws_wafv2_web_acl" "this" {
  name  = "${var.name}-api"
  scope = "REGIONAL"
  default_action {
    allow {}
  }
  rule {
    name     = "common"
    priority = 1
    override_action {
      none {}
    }
    statement {
      managed_rule_group_statement {
        name        = "AWSManagedRulesCommonRuleSet"
        vendor_name = "AWS"
        # Upload parts are up to 64 MiB and the node caps every body itself (413).
        rule_action_override {
          name = "SizeRestrictions_BODY"
          action_to_use {
            count {}
          }
        }
      }
    }
    visibility_config {
      cloudwatch_metrics_enabled = true
      metric_name                = "${var.name}-common"
      sampled_requests_enabled   = true
    }
  }
  rule {
    name     = "known-bad-inputs"
    priority = 2
    override_action {
      none {}
    }
    statement {
      managed_rule_group_statement {
        name        = "AWSManagedRulesKnownBadInputsRuleSet"
        vendor_name = "AWS"
      }
    }
    visibility_config {
      cloudwatch_metrics_enabled = true
      metric_name                = "${var.name}-bad-inputs"
      sampled_requests_enabled   = true
    }
  }
  rule {
    name     = "anonymous-ip"
    priority = 3
    override_action {
      none {}
    }
    statement {
      managed_rule_group_statement {
        name        = "AWSManagedRulesAnonymousIpList"
        vendor_name = "AWS"
        # Partners' systems may run at cloud providers: counted, not blocked. Tor, anonymising
        # VPNs and proxies are blocked.
        rule_action_override {
          name = "HostingProviderIPList"
          action_to_use {
            count {}
          }
        }
      }
    }
    visibility_config {
      cloudwatch_metrics_enabled = true
      metric_name                = "${var.name}-anonymous-ip"
      sampled_requests_enabled   = true
    }
  }
  rule {
    name     = "login-rate"
    priority = 4
    action {
      block {}
    }
    statement {
      rate_based_statement {
        limit              = var.login_rate_per_5_minutes
        aggregate_key_type = "IP"
        scope_down_statement {
          byte_match_statement {
            search_string         = "/auth/login"
            positional_constraint = "EXACTLY"
            field_to_match {
              uri_path {}
            }
            text_transformation {
              priority = 0
              type     = "NONE"
            }
          }
        }
      }
    }
    visibility_config {
      cloudwatch_metrics_enabled = true
      metric_name                = "${var.name}-login-rate"
      sampled_requests_enabled   = true
    }
  }
  visibility_config {
    cloudwatch_metrics_enabled = true
    metric_name                = "${var.name}-api"
    sampled_requests_enabled   = true
  }
}

resource "aws_wafv2_web_acl_association" "this" {
  resource_arn = aws_lb.this.arn
  web_acl_arn  = aws_wafv2_web_acl.this.arn
}

resource "aws_cloudwatch_log_group" "waf" {
  name              = "aws-waf-logs-${var.name}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.logs_kms_key_arn
}

resource "aws_wafv2_web_acl_logging_configuration" "this" {
  resource_arn            = aws_wafv2_web_acl.this.arn
  log_destination_configs = [aws_cloudwatch_log_group.waf.arn]
  redacted_fields {
    single_header {
      name = "authorization"
    }
  }
}

# --- the API ------------------------------------------------------------------------------------

resource "aws_ecs_task_definition" "api" {
  family                   = "${var.name}-api"
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = var.api_cpu
  memory                   = var.api_memory
  execution_role_arn       = var.execution_role_arn
  task_role_arn            = var.api_role_arn
  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = "X86_64"
  }
  volume {
    name = "data"
  }
  volume {
    name = "tmp"
  }
  container_definitions = jsonencode([{
    name                   = "api"
    image                  = var.image
    command                = ["serve"]
    essential              = true
    user                   = "10001:10001"
    readonlyRootFilesystem = true
    privileged             = false
    portMappings           = [{ containerPort = 8000, protocol = "tcp" }]
    environment            = local.node_environment
    secrets                = local.node_secrets
    mountPoints            = local.data_mounts
    healthCheck            = local.health_check
    stopTimeout            = 35
    linuxParameters        = { initProcessEnabled = true, capabilities = { drop = ["ALL"] } }
    logConfiguration = {
      logDriver = "awslogs"
      options = {
        awslogs-group         = aws_cloudwatch_log_group.this["api"].name
        awslogs-region        = local.region
        awslogs-stream-prefix = "api"
      }
    }
  }])
}

resource "aws_ecs_service" "api" {
  name                               = "${var.name}-api"
  cluster                            = aws_ecs_cluster.this.id
  task_definition                    = aws_ecs_task_definition.api.arn
  launch_type                        = "FARGATE"
  platform_version                   = "LATEST"
  desired_count                      = var.api_min_count
  health_check_grace_period_seconds  = 60
  deployment_minimum_healthy_percent = 100
  deployment_maximum_percent         = 200
  propagate_tags                     = "SERVICE"
  enable_execute_command             = false
  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }
  network_configuration {
    subnets          = var.private_subnet_ids
    security_groups  = [aws_security_group.task["api"].id]
    assign_public_ip = false
  }
  load_balancer {
    target_group_arn = aws_lb_target_group.api.arn
    container_name   = "api"
    container_port   = 8000
  }
  lifecycle {
    ignore_changes = [desired_count] # the autoscaling below owns it
  }
  depends_on = [aws_lb_listener.https]
}

resource "aws_appautoscaling_target" "api" {
  service_namespace  = "ecs"
  resource_id        = "service/${aws_ecs_cluster.this.name}/${aws_ecs_service.api.name}"
  scalable_dimension = "ecs:service:DesiredCount"
  min_capacity       = var.api_min_count
  max_capacity       = var.api_max_count
}

resource "aws_appautoscaling_policy" "api_cpu" {
  name               = "${var.name}-api-cpu"
  policy_type        = "TargetTrackingScaling"
  service_namespace  = aws_appautoscaling_target.api.service_namespace
  resource_id        = aws_appautoscaling_target.api.resource_id
  scalable_dimension = aws_appautoscaling_target.api.scalable_dimension
  target_tracking_scaling_policy_configuration {
    target_value       = 60
    scale_in_cooldown  = 300
    scale_out_cooldown = 60
    predefined_metric_specification {
      predefined_metric_type = "ECSServiceAverageCPUUtilization"
    }
  }
}

# --- migrations: run once per upgrade, before the services take the new image -------------------

resource "aws_ecs_task_definition" "migrate" {
  family                   = "${var.name}-migrate"
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = 512
  memory                   = 1024
  execution_role_arn       = var.execution_role_arn
  task_role_arn            = var.api_role_arn
  volume {
    name = "data"
  }
  volume {
    name = "tmp"
  }
  container_definitions = jsonencode([{
    name                   = "migrate"
    image                  = var.image
    command                = ["migrate"]
    essential              = true
    user                   = "10001:10001"
    readonlyRootFilesystem = true
    privileged             = false
    environment            = local.node_environment
    secrets                = local.node_secrets
    mountPoints            = local.data_mounts
    linuxParameters        = { initProcessEnabled = true, capabilities = { drop = ["ALL"] } }
    logConfiguration = {
      logDriver = "awslogs"
      options = {
        awslogs-group         = aws_cloudwatch_log_group.this["migrate"].name
        awslogs-region        = local.region
        awslogs-stream-prefix = "migrate"
      }
    }
  }])
}

# --- key ceremonies: run once with an operator's command, docs/operations.md ---------------------
# Without CLEARANCE_KEYS_REQUIRED: the first ceremony starts from empty bundles.

resource "aws_ecs_task_definition" "ceremony" {
  family                   = "${var.name}-key-ceremony"
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = 512
  memory                   = 1024
  execution_role_arn       = var.execution_role_arn
  task_role_arn            = var.ceremony_role_arn
  volume {
    name = "data"
  }
  volume {
    name = "tmp"
  }
  container_definitions = jsonencode([{
    name                   = "ceremony"
    image                  = var.image
    command                = ["ceremony", "admin", "list"]
    essential              = true
    user                   = "10001:10001"
    readonlyRootFilesystem = true
    privileged             = false
    environment = concat([for e in local.node_environment : e if e.name != "CLEARANCE_KEYS_REQUIRED"], [
      { name = "CLEARANCE_CEREMONY_SIGNING_SECRET", value = var.signing_keys_secret_arn },
      { name = "CLEARANCE_CEREMONY_STORAGE_SECRET", value = var.storage_key_secret_arn },
      { name = "AWS_REGION", value = local.region },
    ])
    secrets         = local.node_secrets
    mountPoints     = local.data_mounts
    linuxParameters = { initProcessEnabled = true, capabilities = { drop = ["ALL"] } }
    logConfiguration = {
      logDriver = "awslogs"
      options = {
        awslogs-group         = aws_cloudwatch_log_group.this["ceremony"].name
        awslogs-region        = local.region
        awslogs-stream-prefix = "ceremony"
      }
    }
  }])
}

# --- the daily audit archive: verify, checkpoint, put into the Object Lock bucket ------------------

resource "aws_ecs_task_definition" "audit_archive" {
  family                   = "${var.name}-audit-archive"
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = 512
  memory                   = 1024
  execution_role_arn       = var.execution_role_arn
  task_role_arn            = var.audit_archive_role_arn
  volume {
    name = "data"
  }
  volume {
    name = "tmp"
  }
  container_definitions = jsonencode([{
    name                   = "audit-archive"
    image                  = var.image
    command                = ["audit-archive"]
    essential              = true
    user                   = "10001:10001"
    readonlyRootFilesystem = true
    privileged             = false
    environment = concat(local.node_environment, [
      { name = "CLEARANCE_AUDIT_BUCKET", value = var.audit_bucket },
      { name = "AWS_REGION", value = local.region },
    ])
    secrets         = local.node_secrets
    mountPoints     = local.data_mounts
    linuxParameters = { initProcessEnabled = true, capabilities = { drop = ["ALL"] } }
    logConfiguration = {
      logDriver = "awslogs"
      options = {
        awslogs-group         = aws_cloudwatch_log_group.this["audit-archive"].name
        awslogs-region        = local.region
        awslogs-stream-prefix = "audit-archive"
      }
    }
  }])
}

data "aws_iam_policy_document" "scheduler_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["scheduler.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [data.aws_caller_identity.current.account_id]
    }
  }
}

resource "aws_iam_role" "scheduler" {
  name               = "${var.name}-audit-archive-scheduler"
  assume_role_policy = data.aws_iam_policy_document.scheduler_assume.json
}

data "aws_iam_policy_document" "scheduler" {
  statement {
    sid       = "RunTheArchiveTask"
    actions   = ["ecs:RunTask"]
    resources = [aws_ecs_task_definition.audit_archive.arn_without_revision, "${aws_ecs_task_definition.audit_archive.arn_without_revision}:*"]
    condition {
      test     = "ArnEquals"
      variable = "ecs:cluster"
      values   = [aws_ecs_cluster.this.arn]
    }
  }
  statement {
    sid       = "HandItItsRoles"
    actions   = ["iam:PassRole"]
    resources = [var.execution_role_arn, var.audit_archive_role_arn]
  }
}

resource "aws_iam_role_policy" "scheduler" {
  name   = "run-audit-archive"
  role   = aws_iam_role.scheduler.id
  policy = data.aws_iam_policy_document.scheduler.json
}

resource "aws_scheduler_schedule" "audit_archive" {
  # checkov:skip=CKV_AWS_297:The schedule holds no secret (a task definition, subnets, a security group); its default AWS-owned key suffices.
  name                         = "${var.name}-audit-archive"
  schedule_expression          = var.audit_archive_schedule
  schedule_expression_timezone = "UTC"
  flexible_time_window {
    mode = "OFF"
  }
  target {
    arn      = aws_ecs_cluster.this.arn
    role_arn = aws_iam_role.scheduler.arn
    ecs_parameters {
      task_definition_arn = aws_ecs_task_definition.audit_archive.arn
      launch_type         = "FARGATE"
      platform_version    = "LATEST"
      network_configuration {
        subnets          = var.private_subnet_ids
        security_groups  = [aws_security_group.task["api"].id]
        assign_public_ip = false
      }
    }
    retry_policy {
      maximum_retry_attempts = 3
    }
  }
}

# --- the queue-depth reporter -----------------------------------------------------------------------

resource "aws_ecs_task_definition" "queue_metrics" {
  family                   = "${var.name}-queue-metrics"
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = 256
  memory                   = 512
  execution_role_arn       = var.execution_role_arn
  task_role_arn            = var.metrics_role_arn
  volume {
    name = "tmp"
  }
  container_definitions = jsonencode([{
    name                   = "queue-metrics"
    image                  = var.image
    command                = ["queue-metrics", "--interval", "60"]
    essential              = true
    user                   = "10001:10001"
    readonlyRootFilesystem = true
    privileged             = false
    environment = concat(local.db_environment, [
      { name = "CLEARANCE_NODE_ID", value = var.node_id },
      { name = "CLEARANCE_METRICS_NAMESPACE", value = var.metrics_namespace },
    ])
    secrets         = local.db_password
    mountPoints     = [{ sourceVolume = "tmp", containerPath = "/tmp", readOnly = false }]
    linuxParameters = { initProcessEnabled = true, capabilities = { drop = ["ALL"] } }
    logConfiguration = {
      logDriver = "awslogs"
      options = {
        awslogs-group         = aws_cloudwatch_log_group.this["queue-metrics"].name
        awslogs-region        = local.region
        awslogs-stream-prefix = "queue-metrics"
      }
    }
  }])
}

resource "aws_ecs_service" "queue_metrics" {
  name                   = "${var.name}-queue-metrics"
  cluster                = aws_ecs_cluster.this.id
  task_definition        = aws_ecs_task_definition.queue_metrics.arn
  launch_type            = "FARGATE"
  platform_version       = "LATEST"
  desired_count          = 1
  propagate_tags         = "SERVICE"
  enable_execute_command = false
  network_configuration {
    subnets          = var.private_subnet_ids
    security_groups  = [aws_security_group.task["queue-metrics"].id]
    assign_public_ip = false
  }
}
