# What to watch, as alarms to one SNS topic (encrypted with the logs key). Each alarm's
# description says what it means and where to look; docs/operations.md, "Monitor", says more.

resource "aws_sns_topic" "alarms" {
  name              = "${var.name}-alarms"
  kms_master_key_id = var.logs_kms_key_arn
}

resource "aws_sns_topic_subscription" "email" {
  for_each  = toset(var.alarm_emails)
  topic_arn = aws_sns_topic.alarms.arn
  protocol  = "email"
  endpoint  = each.value
}

locals {
  lb  = { LoadBalancer = var.load_balancer_arn_suffix }
  tg  = { LoadBalancer = var.load_balancer_arn_suffix, TargetGroup = var.target_group_arn_suffix }
  db  = { DBInstanceIdentifier = var.db_identifier }
  api = { ClusterName = var.cluster_name, ServiceName = var.api_service_name }
  actions = {
    alarm_actions = [aws_sns_topic.alarms.arn]
    ok_actions    = [aws_sns_topic.alarms.arn]
  }
  metric_alarms = {
    api-unhealthy-targets = {
      description = "An API task fails /readyz (its database or blob store does not answer) or its health check: the load balancer stops sending it requests. Look at the API log and the database alarms."
      namespace   = "AWS/ApplicationELB", metric = "UnHealthyHostCount", dimensions = local.tg
      extended    = null
      statistic   = "Maximum", period = 60, periods = 3, comparison = "GreaterThanThreshold", threshold = 0
      missing     = "notBreaching"
    }
    api-no-healthy-target = {
      description = "No API task is ready: the node is down for every partner. Check the API service's events, the database and the blob store."
      namespace   = "AWS/ApplicationELB", metric = "HealthyHostCount", dimensions = local.tg
      extended    = null
      statistic   = "Minimum", period = 60, periods = 2, comparison = "LessThanThreshold", threshold = 1
      missing     = "breaching"
    }
    api-5xx = {
      description = "The node answered 5xx more than usual (an internal error, 503 when over CLEARANCE_MAX_CONCURRENCY). The API log has one line per error; 5xx bodies carry no internal text."
      namespace   = "AWS/ApplicationELB", metric = "HTTPCode_Target_5XX_Count", dimensions = local.tg
      extended    = null
      statistic   = "Sum", period = 300, periods = 1, comparison = "GreaterThanThreshold", threshold = var.api_5xx_per_5_minutes
      missing     = "notBreaching"
    }
    api-latency = {
      description = "Requests are slow at the 95th percentile (the database, a slow search, too few API tasks). Compare with the CPU alarm and Performance Insights."
      namespace   = "AWS/ApplicationELB", metric = "TargetResponseTime", dimensions = local.tg
      statistic   = null, extended = "p95", period = 300, periods = 2, comparison = "GreaterThanThreshold", threshold = var.api_p95_seconds
      missing     = "notBreaching"
    }
    api-cpu = {
      description = "API tasks use most of their CPU although autoscaling is at api_max_count, or is scaling: raise api_max_count or api_cpu."
      namespace   = "AWS/ECS", metric = "CPUUtilization", dimensions = local.api
      extended    = null
      statistic   = "Average", period = 300, periods = 3, comparison = "GreaterThanThreshold", threshold = 85
      missing     = "notBreaching"
    }
    api-memory = {
      description = "API tasks near their memory (concurrent scrypt logins take 128 MiB each; CQL2 parser children): raise api_memory before tasks are killed."
      namespace   = "AWS/ECS", metric = "MemoryUtilization", dimensions = local.api
      extended    = null
      statistic   = "Maximum", period = 300, periods = 2, comparison = "GreaterThanThreshold", threshold = 85
      missing     = "notBreaching"
    }
    db-cpu = {
      description = "The database's CPU is high: look at Performance Insights for the statement; consider a larger db_instance_class."
      namespace   = "AWS/RDS", metric = "CPUUtilization", dimensions = local.db
      extended    = null
      statistic   = "Average", period = 300, periods = 3, comparison = "GreaterThanThreshold", threshold = 80
      missing     = "notBreaching"
    }
    db-storage = {
      description = "The database has little free storage left (storage autoscaling stops at db_max_allocated_storage_gb): raise it."
      namespace   = "AWS/RDS", metric = "FreeStorageSpace", dimensions = local.db
      extended    = null
      statistic   = "Minimum", period = 300, periods = 1, comparison = "LessThanThreshold", threshold = var.db_free_storage_bytes
      missing     = "breaching"
    }
    db-memory = {
      description = "The database is short of memory (swapping makes every query slow)."
      namespace   = "AWS/RDS", metric = "FreeableMemory", dimensions = local.db
      extended    = null
      statistic   = "Minimum", period = 300, periods = 2, comparison = "LessThanThreshold", threshold = 268435456
      missing     = "notBreaching"
    }
    db-connections = {
      description = "Connections near the database's limit: each API task and worker holds a pool of up to 20. Fewer replicas or a larger instance."
      namespace   = "AWS/RDS", metric = "DatabaseConnections", dimensions = local.db
      extended    = null
      statistic   = "Maximum", period = 300, periods = 1, comparison = "GreaterThanThreshold", threshold = var.db_max_connections_alarm
      missing     = "notBreaching"
    }
    evaluations-waiting = {
      description = "Evaluations have waited in the queue for 30 minutes although workers scale out: worker_max_count reached, instances cannot start, or every worker is stuck. See the worker log."
      namespace   = var.metrics_namespace, metric = "QueuedEvaluations", dimensions = { Node = var.node_id }
      extended    = null
      statistic   = "Minimum", period = 300, periods = 6, comparison = "GreaterThanThreshold", threshold = 0
      missing     = "notBreaching"
    }
    queue-metrics-missing = {
      description = "The queue-metrics service has published nothing for 10 minutes: workers no longer scale. Check its log (database unavailable?) and service."
      namespace   = var.metrics_namespace, metric = "QueuedEvaluations", dimensions = { Node = var.node_id }
      extended    = null
      statistic   = "SampleCount", period = 300, periods = 2, comparison = "LessThanThreshold", threshold = 1
      missing     = "breaching"
    }
  }
  # Log lines that mean trouble (logger names and texts of clearance worker / serve).
  log_alarms = {
    worker-lease-lost = {
      group       = var.worker_log_group, pattern = "\"lease lost\""
      description = "A worker stalled past its job's lease (too few cores, a blocked database): the job is run again elsewhere, a fourth attempt fails it."
    }
    worker-internal-failure = {
      group       = var.worker_log_group, pattern = "?\"failed inside the node\" ?\"runner raised\""
      description = "An evaluation failed inside the node (a missing object, a manifest or model not the one pinned, a sandbox that could not confine itself). The worker log names the exception type; strict isolation failing after a deploy means missing capabilities."
    }
    audit-verify-failed = {
      group       = var.audit_log_group, pattern = "\"audit log FAILED\""
      description = "The daily audit archive found a problem in the hash chain or a checkpoint and archived nothing: treat as a security incident (docs/operations.md, Backup and restore)."
    }
  }
}

resource "aws_cloudwatch_metric_alarm" "metric" {
  for_each            = local.metric_alarms
  alarm_name          = "${var.name}-${each.key}"
  alarm_description   = each.value.description
  namespace           = each.value.namespace
  metric_name         = each.value.metric
  dimensions          = each.value.dimensions
  statistic           = each.value.statistic
  extended_statistic  = lookup(each.value, "extended", null)
  period              = each.value.period
  evaluation_periods  = each.value.periods
  comparison_operator = each.value.comparison
  threshold           = each.value.threshold
  treat_missing_data  = each.value.missing
  alarm_actions       = local.actions.alarm_actions
  ok_actions          = local.actions.ok_actions
}

resource "aws_cloudwatch_log_metric_filter" "log" {
  for_each       = local.log_alarms
  name           = "${var.name}-${each.key}"
  log_group_name = each.value.group
  pattern        = each.value.pattern
  metric_transformation {
    name          = each.key
    namespace     = var.metrics_namespace
    value         = "1"
    default_value = "0"
  }
}

resource "aws_cloudwatch_log_metric_filter" "archived" {
  name           = "${var.name}-audit-archived"
  log_group_name = var.audit_log_group
  pattern        = "\"audit log OK\""
  metric_transformation {
    name      = "audit-archived"
    namespace = var.metrics_namespace
    value     = "1"
  }
}

resource "aws_cloudwatch_metric_alarm" "audit_archive_missing" {
  alarm_name          = "${var.name}-audit-archive-missing"
  alarm_description   = "No audit archive succeeded in the last day: the scheduled task did not run or failed (its log says why). Partners rely on the exported checkpoints to detect edits."
  namespace           = var.metrics_namespace
  metric_name         = "audit-archived"
  statistic           = "Sum"
  period              = 86400
  evaluation_periods  = 1
  comparison_operator = "LessThanThreshold"
  threshold           = 1
  treat_missing_data  = "breaching"
  alarm_actions       = local.actions.alarm_actions
  ok_actions          = local.actions.ok_actions
}

resource "aws_cloudwatch_metric_alarm" "log" {
  for_each            = local.log_alarms
  alarm_name          = "${var.name}-${each.key}"
  alarm_description   = each.value.description
  namespace           = var.metrics_namespace
  metric_name         = each.key
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  comparison_operator = "GreaterThanThreshold"
  threshold           = 0
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.actions.alarm_actions
  ok_actions          = local.actions.ok_actions
}
