# The node's IAM roles, with their trust policies only. What each may do is attached where the
# resources are made (storage, secrets, service), so the KMS key policies can name these roles
# without a dependency cycle.

data "aws_caller_identity" "current" {}

data "aws_iam_policy_document" "ecs_tasks" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["ecs-tasks.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [data.aws_caller_identity.current.account_id]
    }
  }
}

data "aws_iam_policy_document" "ec2" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["ec2.amazonaws.com"]
    }
  }
}

# Pulls the image, writes the container logs and reads the secrets ECS injects at start.
resource "aws_iam_role" "execution" {
  name               = "${var.name}-ecs-execution"
  assume_role_policy = data.aws_iam_policy_document.ecs_tasks.json
}

# The API tasks (clearance serve). With the worker's, the roles the node signs its S3 requests
# with (CLEARANCE_S3_CREDENTIALS=role: the task role's temporary credentials, which AWS rotates);
# their rights on the blob bucket and its key: the storage and kms modules.
resource "aws_iam_role" "api" {
  name               = "${var.name}-api-task"
  assume_role_policy = data.aws_iam_policy_document.ecs_tasks.json
}

# The enclave workers (clearance worker).
resource "aws_iam_role" "worker" {
  name               = "${var.name}-worker-task"
  assume_role_policy = data.aws_iam_policy_document.ecs_tasks.json
}

# The queue-depth reporter (python -m clearance.container queue-metrics).
resource "aws_iam_role" "metrics" {
  name               = "${var.name}-queue-metrics-task"
  assume_role_policy = data.aws_iam_policy_document.ecs_tasks.json
}

# Key ceremonies (python -m clearance.container ceremony ...): run as a one-off task by an
# operator; the only role that may write the key bundles back to Secrets Manager.
resource "aws_iam_role" "ceremony" {
  name               = "${var.name}-key-ceremony-task"
  assume_role_policy = data.aws_iam_policy_document.ecs_tasks.json
}

# The daily audit archive (python -m clearance.container audit-archive): writes to the audit
# bucket only.
resource "aws_iam_role" "audit_archive" {
  name               = "${var.name}-audit-archive-task"
  assume_role_policy = data.aws_iam_policy_document.ecs_tasks.json
}

# The EC2 container instances the enclave workers run on (Nitro Enclaves enabled).
resource "aws_iam_role" "worker_instance" {
  name               = "${var.name}-worker-instance"
  assume_role_policy = data.aws_iam_policy_document.ec2.json
}

resource "aws_iam_instance_profile" "worker_instance" {
  name = "${var.name}-worker-instance"
  role = aws_iam_role.worker_instance.name
}
