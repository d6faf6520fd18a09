# Customer-managed KMS keys of one node, one per purpose, each with a key policy that names who
# may administer it and who may use it for what (explicit actions only, never kms:*):
#
#   blob      objects in the blob bucket (SSE-KMS)
#   audit     objects in the audit bucket (exported entries, checkpoints, the audit public key)
#   database  the RDS instance, its snapshots and Performance Insights
#   secrets   the Secrets Manager secrets (key bundles, passphrase, database password)
#   logs      CloudWatch log groups, the S3 access-log bucket, the alarm topic
#   enclave   (only with enclave_pcr0) a data key released only to an attested Nitro enclave

data "aws_caller_identity" "current" {}
data "aws_region" "current" {}
data "aws_partition" "current" {}

locals {
  account = data.aws_caller_identity.current.account_id
  region  = data.aws_region.current.name
  # Key administration without use: no Encrypt, Decrypt or GenerateDataKey among them.
  admin_actions = [
    "kms:CancelKeyDeletion", "kms:CreateAlias", "kms:DeleteAlias", "kms:DescribeKey",
    "kms:DisableKey", "kms:DisableKeyRotation", "kms:EnableKey", "kms:EnableKeyRotation",
    "kms:GetKeyPolicy", "kms:GetKeyRotationStatus", "kms:ListGrants", "kms:ListKeyPolicies",
    "kms:ListResourceTags", "kms:PutKeyPolicy", "kms:RevokeGrant", "kms:ScheduleKeyDeletion",
    "kms:TagResource", "kms:UntagResource", "kms:UpdateAlias", "kms:UpdateKeyDescription",
  ]
  data_actions  = ["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey"]
  read_actions  = ["kms:Decrypt", "kms:DescribeKey"]
  grant_actions = ["kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"]
  s3_via        = "s3.${local.region}.amazonaws.com"
  sm_via        = "secretsmanager.${local.region}.amazonaws.com"
  rds_via       = "rds.${local.region}.amazonaws.com"
  log_groups    = "arn:${data.aws_partition.current.partition}:logs:${local.region}:${local.account}:log-group:/clearance/${var.name}/*"
}

# --- blob ---------------------------------------------------------------------------------

data "aws_iam_policy_document" "blob" {
  # checkov:skip=CKV_AWS_111:A key policy: its resource "*" is this key alone, and every statement names its principals (and service or attestation conditions).
  # checkov:skip=CKV_AWS_356:A key policy: its resource "*" is this key alone (KMS key policies cannot name another resource).
  statement {
    sid       = "Administer"
    actions   = local.admin_actions
    resources = ["*"] # in a key policy, "*" is this key
    principals {
      type        = "AWS"
      identifiers = var.key_admin_arns
    }
  }
  statement {
    sid       = "NodeUsesThroughS3"
    actions   = local.data_actions
    resources = ["*"]
    principals {
      type        = "AWS"
      identifiers = var.blob_role_arns
    }
    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = [local.s3_via]
    }
  }
}

resource "aws_kms_key" "blob" {
  description             = "${var.name}: blob bucket (SSE-KMS)"
  enable_key_rotation     = true
  rotation_period_in_days = 365
  deletion_window_in_days = 30
  policy                  = data.aws_iam_policy_document.blob.json
}

resource "aws_kms_alias" "blob" {
  name          = "alias/${var.name}-blob"
  target_key_id = aws_kms_key.blob.key_id
}

# --- audit ------------------------------------------------------------------------------------

data "aws_iam_policy_document" "audit" {
  # checkov:skip=CKV_AWS_111:A key policy: its resource "*" is this key alone, and every statement names its principals (and service or attestation conditions).
  # checkov:skip=CKV_AWS_356:A key policy: its resource "*" is this key alone (KMS key policies cannot name another resource).
  statement {
    sid       = "Administer"
    actions   = local.admin_actions
    resources = ["*"]
    principals {
      type        = "AWS"
      identifiers = var.key_admin_arns
    }
  }
  statement {
    sid       = "TheArchiveWritesThroughS3"
    actions   = local.data_actions
    resources = ["*"]
    principals {
      type        = "AWS"
      identifiers = var.audit_writer_arns
    }
    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = [local.s3_via]
    }
  }
  statement {
    sid       = "AuditorsReadThroughS3"
    actions   = local.read_actions
    resources = ["*"]
    principals {
      type        = "AWS"
      identifiers = concat(var.audit_writer_arns, var.auditor_arns)
    }
    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = [local.s3_via]
    }
  }
}

resource "aws_kms_key" "audit" {
  description             = "${var.name}: audit bucket (exported audit log and checkpoints)"
  enable_key_rotation     = true
  rotation_period_in_days = 365
  deletion_window_in_days = 30
  policy                  = data.aws_iam_policy_document.audit.json
}

resource "aws_kms_alias" "audit" {
  name          = "alias/${var.name}-audit"
  target_key_id = aws_kms_key.audit.key_id
}

# --- database -----------------------------------------------------------------------------

data "aws_iam_policy_document" "database" {
  # checkov:skip=CKV_AWS_111:A key policy: its resource "*" is this key alone, and every statement names its principals (and service or attestation conditions).
  # checkov:skip=CKV_AWS_356:A key policy: its resource "*" is this key alone (KMS key policies cannot name another resource).
  statement {
    sid       = "Administer"
    actions   = local.admin_actions
    resources = ["*"]
    principals {
      type        = "AWS"
      identifiers = var.key_admin_arns
    }
  }
  statement {
    sid       = "DeployerCreatesTheInstanceThroughRds"
    actions   = concat(local.data_actions, ["kms:ReEncryptFrom", "kms:ReEncryptTo"])
    resources = ["*"]
    principals {
      type        = "AWS"
      identifiers = var.key_admin_arns
    }
    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = [local.rds_via]
    }
  }
  statement {
    sid       = "RdsHoldsGrantsForItsResources"
    actions   = local.grant_actions
    resources = ["*"]
    principals {
      type        = "AWS"
      identifiers = var.key_admin_arns
    }
    condition {
      test     = "Bool"
      variable = "kms:GrantIsForAWSResource"
      values   = ["true"]
    }
  }
}

resource "aws_kms_key" "database" {
  description             = "${var.name}: RDS PostgreSQL, snapshots, Performance Insights"
  enable_key_rotation     = true
  rotation_period_in_days = 365
  deletion_window_in_days = 30
  policy                  = data.aws_iam_policy_document.database.json
}

resource "aws_kms_alias" "database" {
  name          = "alias/${var.name}-database"
  target_key_id = aws_kms_key.database.key_id
}

# --- secrets ------------------------------------------------------------------------------

data "aws_iam_policy_document" "secrets" {
  # checkov:skip=CKV_AWS_111:A key policy: its resource "*" is this key alone, and every statement names its principals (and service or attestation conditions).
  # checkov:skip=CKV_AWS_356:A key policy: its resource "*" is this key alone (KMS key policies cannot name another resource).
  statement {
    sid       = "Administer"
    actions   = local.admin_actions
    resources = ["*"]
    principals {
      type        = "AWS"
      identifiers = var.key_admin_arns
    }
  }
  statement {
    sid       = "EcsReadsSecretsAtTaskStart"
    actions   = local.read_actions
    resources = ["*"]
    principals {
      type        = "AWS"
      identifiers = var.secret_reader_arns
    }
    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = [local.sm_via]
    }
  }
  statement {
    sid       = "KeyCeremonyWritesSecrets"
    actions   = local.data_actions
    resources = ["*"]
    principals {
      type        = "AWS"
      identifiers = var.secret_writer_arns
    }
    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = [local.sm_via]
    }
  }
  statement {
    sid       = "RdsManagesTheMasterPasswordSecret"
    actions   = concat(local.data_actions, local.grant_actions)
    resources = ["*"]
    principals {
      type        = "AWS"
      identifiers = var.key_admin_arns
    }
    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = [local.sm_via, local.rds_via]
    }
  }
}

resource "aws_kms_key" "secrets" {
  description             = "${var.name}: Secrets Manager (key bundles, passphrase, passwords)"
  enable_key_rotation     = true
  rotation_period_in_days = 365
  deletion_window_in_days = 30
  policy                  = data.aws_iam_policy_document.secrets.json
}

resource "aws_kms_alias" "secrets" {
  name          = "alias/${var.name}-secrets"
  target_key_id = aws_kms_key.secrets.key_id
}

# --- logs ---------------------------------------------------------------------------------

data "aws_iam_policy_document" "logs" {
  # checkov:skip=CKV_AWS_111:A key policy: its resource "*" is this key alone, and every statement names its principals (and service or attestation conditions).
  # checkov:skip=CKV_AWS_356:A key policy: its resource "*" is this key alone (KMS key policies cannot name another resource).
  statement {
    sid       = "Administer"
    actions   = local.admin_actions
    resources = ["*"]
    principals {
      type        = "AWS"
      identifiers = var.key_admin_arns
    }
  }
  statement {
    sid = "CloudWatchLogsOfThisNode"
    actions = [
      "kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey",
      "kms:ReEncryptFrom", "kms:ReEncryptTo",
    ]
    resources = ["*"]
    principals {
      type        = "Service"
      identifiers = ["logs.${local.region}.amazonaws.com"]
    }
    condition {
      test     = "ArnLike"
      variable = "kms:EncryptionContext:aws:logs:arn"
      values   = [local.log_groups]
    }
  }
  statement {
    sid       = "S3ServerAccessLogDelivery"
    actions   = ["kms:GenerateDataKey", "kms:Decrypt"]
    resources = ["*"]
    principals {
      type        = "Service"
      identifiers = ["logging.s3.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account]
    }
  }
  statement {
    sid       = "AlarmsPublishToTheEncryptedTopic"
    actions   = ["kms:GenerateDataKey", "kms:Decrypt"]
    resources = ["*"]
    principals {
      type        = "Service"
      identifiers = ["cloudwatch.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account]
    }
  }
  statement {
    sid       = "ReadersOfTheLogs"
    actions   = local.read_actions
    resources = ["*"]
    principals {
      type        = "AWS"
      identifiers = var.auditor_arns
    }
    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = [local.s3_via, "logs.${local.region}.amazonaws.com"]
    }
  }
}

resource "aws_kms_key" "logs" {
  description             = "${var.name}: CloudWatch Logs, S3 access logs, alarm topic"
  enable_key_rotation     = true
  rotation_period_in_days = 365
  deletion_window_in_days = 30
  policy                  = data.aws_iam_policy_document.logs.json
}

resource "aws_kms_alias" "logs" {
  name          = "alias/${var.name}-logs"
  target_key_id = aws_kms_key.logs.key_id
}

# --- enclave (Nitro Enclaves path, docs/operations.md) ---------------------------------------
# A data key that KMS releases only to an enclave whose image measures to enclave_pcr0: the
# parent instance's role may Decrypt only with an attestation document (kms:RecipientAttestation)
# whose PCR0 matches; KMS then encrypts the answer to the enclave's own key, so neither the
# parent instance nor its root user can read it. Operators wrap the data key with Encrypt.

data "aws_iam_policy_document" "enclave" {
  # checkov:skip=CKV_AWS_111:A key policy: its resource "*" is this key alone, and every statement names its principals (and service or attestation conditions).
  # checkov:skip=CKV_AWS_356:A key policy: its resource "*" is this key alone (KMS key policies cannot name another resource).
  count = var.enclave_pcr0 == "" ? 0 : 1
  statement {
    sid       = "Administer"
    actions   = local.admin_actions
    resources = ["*"]
    principals {
      type        = "AWS"
      identifiers = var.key_admin_arns
    }
  }
  statement {
    sid       = "OperatorsWrapTheDataKey"
    actions   = ["kms:Encrypt", "kms:DescribeKey"]
    resources = ["*"]
    principals {
      type        = "AWS"
      identifiers = var.secret_writer_arns
    }
  }
  statement {
    sid       = "OnlyTheAttestedEnclaveImageDecrypts"
    actions   = ["kms:Decrypt"]
    resources = ["*"]
    principals {
      type        = "AWS"
      identifiers = var.enclave_parent_arns
    }
    condition {
      test     = "StringEqualsIgnoreCase"
      variable = "kms:RecipientAttestation:PCR0"
      values   = [var.enclave_pcr0]
    }
  }
}

resource "aws_kms_key" "enclave" {
  count                   = var.enclave_pcr0 == "" ? 0 : 1
  description             = "${var.name}: data key released only to the attested enclave image"
  enable_key_rotation     = true
  rotation_period_in_days = 365
  deletion_window_in_days = 30
  policy                  = data.aws_iam_policy_document.enclave[0].json
}
