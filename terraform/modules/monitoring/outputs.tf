output "alarm_topic_arn" {
  description = "SNS topic of every alarm (subscribe the on-call rota)."
  value       = aws_sns_topic.alarms.arn
}

output "alarm_names" {
  description = "Names of the alarms."
  value = concat(
    [for a in aws_cloudwatch_metric_alarm.metric : a.alarm_name],
    [for a in aws_cloudwatch_metric_alarm.log : a.alarm_name],
    [aws_cloudwatch_metric_alarm.audit_archive_missing.alarm_name],
  )
}
