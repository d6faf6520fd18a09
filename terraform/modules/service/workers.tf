# Enclave workers: their own ECS service on EC2 container instances (Fargate can neither give
# the sandbox the capabilities it confines itself with nor run Nitro Enclaves), scaled on the
# evaluation queue's depth, which the queue-metrics service publishes every minute.

data "aws_ssm_parameter" "ecs_ami" {
  name = "/aws/service/ecs/optimized-ami/amazon-linux-2023/recommended/image_id"
}

resource "aws_security_group" "worker_instance" {
  name        = "${var.name}-worker-instance"
  description = "Worker container instances: the ECS agent to AWS endpoints only"
  vpc_id      = var.vpc_id
  tags        = { Name = "${var.name}-worker-instance" }
}

resource "aws_vpc_security_group_egress_rule" "worker_instance_endpoints" {
  security_group_id            = aws_security_group.worker_instance.id
  description                  = "ECS, ECR, logs through the interface endpoints"
  ip_protocol                  = "tcp"
  from_port                    = 443
  to_port                      = 443
  referenced_security_group_id = var.endpoints_security_group_id
}

resource "aws_vpc_security_group_egress_rule" "worker_instance_s3" {
  security_group_id = aws_security_group.worker_instance.id
  description       = "Image layers from S3 through the gateway endpoint"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  prefix_list_id    = var.s3_prefix_list_id
}

data "aws_iam_policy_document" "worker_instance" {
  # checkov:skip=CKV_AWS_111:Its only write actions are the ECS agent's on this cluster and its container instances; "*" is only for DiscoverPollEndpoint and Poll, which take no resource.
  # checkov:skip=CKV_AWS_356:ecs:DiscoverPollEndpoint and ecs:Poll support no resource-level permission; every other action is on this cluster.
  statement {
    sid = "EcsAgentOfThisCluster"
    actions = [
      "ecs:DeregisterContainerInstance", "ecs:RegisterContainerInstance",
      "ecs:SubmitAttachmentStateChanges", "ecs:SubmitContainerStateChange",
      "ecs:SubmitTaskStateChange",
      "ecs:StartTelemetrySession", "ecs:UpdateContainerInstancesState",
    ]
    resources = [aws_ecs_cluster.this.arn, "arn:aws:ecs:${local.region}:${data.aws_caller_identity.current.account_id}:container-instance/${aws_ecs_cluster.this.name}/*"]
  }
  statement {
    sid       = "EcsAgentPolls"
    actions   = ["ecs:DiscoverPollEndpoint", "ecs:Poll"]
    resources = ["*"] # account-level calls of the ECS agent: they take no resource
  }
}

# The instance role serves the ECS agent only: no blob rights. The worker's node code runs in its
# ECS task and signs S3 requests with the worker task role (ECS_ENABLE_TASK_IAM_ROLE below; awsvpc
# tasks cannot reach the instance's IMDS, ECS_AWSVPC_BLOCK_IMDS), and an enclave has no network.
resource "aws_iam_role_policy" "worker_instance" {
  name   = "ecs-agent"
  role   = var.worker_instance_role_name
  policy = data.aws_iam_policy_document.worker_instance.json
}

resource "aws_launch_template" "worker" {
  name_prefix            = "${var.name}-worker-"
  image_id               = data.aws_ssm_parameter.ecs_ami.value
  instance_type          = var.worker_instance_type
  vpc_security_group_ids = [aws_security_group.worker_instance.id]
  ebs_optimized          = true
  iam_instance_profile {
    name = var.worker_instance_profile_name
  }
  enclave_options {
    enabled = true # Nitro Enclaves: docs/operations.md, "The Nitro Enclaves path"
  }
  metadata_options {
    http_endpoint               = "enabled"
    http_tokens                 = "required"
    http_put_response_hop_limit = 1
  }
  monitoring {
    enabled = true
  }
  block_device_mappings {
    device_name = "/dev/xvda"
    ebs {
      volume_size           = 40
      volume_type           = "gp3"
      encrypted             = true
      delete_on_termination = true
    }
  }
  user_data = base64encode(join("\n", [
    "#!/bin/bash",
    "cat >>/etc/ecs/ecs.config <<'CONFIG'",
    "ECS_CLUSTER=${aws_ecs_cluster.this.name}",
    "ECS_AWSVPC_BLOCK_IMDS=true",
    "ECS_ENABLE_TASK_IAM_ROLE=true",
    "CONFIG",
  ]))
}

resource "aws_autoscaling_group" "worker" {
  name_prefix           = "${var.name}-worker-"
  vpc_zone_identifier   = var.private_subnet_ids
  min_size              = 0
  max_size              = var.worker_max_count
  protect_from_scale_in = true
  launch_template {
    id      = aws_launch_template.worker.id
    version = aws_launch_template.worker.latest_version
  }
  tag {
    key                 = "AmazonECSManaged"
    value               = "true"
    propagate_at_launch = true
  }
  tag {
    key                 = "Name"
    value               = "${var.name}-worker"
    propagate_at_launch = true
  }
  lifecycle {
    ignore_changes = [desired_capacity] # the capacity provider owns it
  }
}

resource "aws_ecs_capacity_provider" "worker" {
  name = "${var.name}-workers"
  auto_scaling_group_provider {
    auto_scaling_group_arn         = aws_autoscaling_group.worker.arn
    managed_termination_protection = "ENABLED"
    managed_scaling {
      status                    = "ENABLED"
      target_capacity           = 100
      minimum_scaling_step_size = 1
      maximum_scaling_step_size = 2
    }
  }
}

resource "aws_ecs_cluster_capacity_providers" "this" {
  cluster_name       = aws_ecs_cluster.this.name
  capacity_providers = ["FARGATE", aws_ecs_capacity_provider.worker.name]
}

resource "aws_ecs_task_definition" "worker" {
  family                   = "${var.name}-worker"
  requires_compatibilities = ["EC2"]
  network_mode             = "awsvpc"
  cpu                      = var.worker_cpu
  memory                   = var.worker_memory
  execution_role_arn       = var.execution_role_arn
  task_role_arn            = var.worker_role_arn
  volume {
    name = "data"
  }
  container_definitions = jsonencode([{
    name    = "worker"
    image   = var.image
    command = ["worker"]
    # Root in the container, as the sandbox requires (docs/operator-guide.md, Enclave workers):
    # its child confines itself (network namespace, no-new-privs) and drops to nobody.
    user                   = "0:0"
    essential              = true
    readonlyRootFilesystem = true
    privileged             = false
    environment = concat(local.node_environment, [
      { name = "CLEARANCE_ENCLAVE_ISOLATION", value = "strict" },
      { name = "CLEARANCE_ENCLAVE_MEMORY_MIB", value = tostring(var.enclave_memory_mib) },
      { name = "CLEARANCE_ENCLAVE_WALL_SECONDS", value = tostring(var.enclave_wall_seconds) },
    ])
    secrets     = local.node_secrets
    mountPoints = [{ sourceVolume = "data", containerPath = local.data_path, readOnly = false }]
    stopTimeout = 120 # SIGTERM lets the running job finish
    linuxParameters = {
      initProcessEnabled = true
      capabilities       = { drop = ["ALL"], add = ["SYS_ADMIN", "SETUID", "SETGID", "KILL"] }
      tmpfs              = [{ containerPath = "/tmp", size = 256, mountOptions = ["nosuid", "nodev"] }]
    }
    logConfiguration = {
      logDriver = "awslogs"
      options = {
        awslogs-group         = aws_cloudwatch_log_group.this["worker"].name
        awslogs-region        = local.region
        awslogs-stream-prefix = "worker"
      }
    }
  }])
}

resource "aws_ecs_service" "worker" {
  name                   = "${var.name}-worker"
  cluster                = aws_ecs_cluster.this.id
  task_definition        = aws_ecs_task_definition.worker.arn
  desired_count          = var.worker_min_count
  propagate_tags         = "SERVICE"
  enable_execute_command = false
  capacity_provider_strategy {
    capacity_provider = aws_ecs_capacity_provider.worker.name
    weight            = 1
  }
  network_configuration {
    subnets          = var.private_subnet_ids
    security_groups  = [aws_security_group.task["worker"].id]
    assign_public_ip = false
  }
  lifecycle {
    ignore_changes = [desired_count]
  }
  depends_on = [aws_ecs_cluster_capacity_providers.this]
}

resource "aws_appautoscaling_target" "worker" {
  service_namespace  = "ecs"
  resource_id        = "service/${aws_ecs_cluster.this.name}/${aws_ecs_service.worker.name}"
  scalable_dimension = "ecs:service:DesiredCount"
  min_capacity       = var.worker_min_count
  max_capacity       = var.worker_max_count
}

# One more worker while jobs wait (up to two at a time when the queue is long), one fewer after
# a quarter of an hour with nothing queued.
resource "aws_appautoscaling_policy" "worker_out" {
  name               = "${var.name}-worker-out"
  policy_type        = "StepScaling"
  service_namespace  = aws_appautoscaling_target.worker.service_namespace
  resource_id        = aws_appautoscaling_target.worker.resource_id
  scalable_dimension = aws_appautoscaling_target.worker.scalable_dimension
  step_scaling_policy_configuration {
    adjustment_type         = "ChangeInCapacity"
    cooldown                = 120
    metric_aggregation_type = "Maximum"
    step_adjustment {
      metric_interval_lower_bound = 0
      metric_interval_upper_bound = 10
      scaling_adjustment          = 1
    }
    step_adjustment {
      metric_interval_lower_bound = 10
      scaling_adjustment          = 2
    }
  }
}

resource "aws_appautoscaling_policy" "worker_in" {
  name               = "${var.name}-worker-in"
  policy_type        = "StepScaling"
  service_namespace  = aws_appautoscaling_target.worker.service_namespace
  resource_id        = aws_appautoscaling_target.worker.resource_id
  scalable_dimension = aws_appautoscaling_target.worker.scalable_dimension
  step_scaling_policy_configuration {
    adjustment_type         = "ChangeInCapacity"
    cooldown                = 300
    metric_aggregation_type = "Maximum"
    step_adjustment {
      metric_interval_upper_bound = 0
      scaling_adjustment          = -1
    }
  }
}

resource "aws_cloudwatch_metric_alarm" "queue_waiting" {
  alarm_name          = "${var.name}-scale-workers-out"
  alarm_description   = "Scaling, not paging: evaluations are queued, so one more enclave worker starts."
  namespace           = var.metrics_namespace
  metric_name         = "QueuedEvaluations"
  dimensions          = { Node = var.node_id }
  statistic           = "Maximum"
  period              = 60
  evaluation_periods  = 2
  comparison_operator = "GreaterThanOrEqualToThreshold"
  threshold           = 1
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_appautoscaling_policy.worker_out.arn]
}

resource "aws_cloudwatch_metric_alarm" "queue_empty" {
  alarm_name          = "${var.name}-scale-workers-in"
  alarm_description   = "Scaling, not paging: nothing queued for 15 minutes, so one enclave worker stops."
  namespace           = var.metrics_namespace
  metric_name         = "QueuedEvaluations"
  dimensions          = { Node = var.node_id }
  statistic           = "Maximum"
  period              = 60
  evaluation_periods  = 15
  comparison_operator = "LessThanThreshold"
  threshold           = 1
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_appautoscaling_policy.worker_in.arn]
}
