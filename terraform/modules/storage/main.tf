# The node's buckets. Every one: SSE-KMS with a customer-managed key (bucket keys on), versioned,
# public access blocked, TLS-only and KMS-only bucket policy, owner-enforced object ownership (no
# ACLs), incomplete multipart uploads aborted. The blob and audit buckets log access to the
# access-log bucket; the audit bucket is under Object Lock.

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

locals {
  account = data.aws_caller_identity.current.account_id
  names = {
    blob        = "${var.name}-blob-${local.account}"
    audit       = "${var.name}-audit-${local.account}"
    access_logs = "${var.name}-access-logs-${local.account}"
  }
}

# --- blob: the blob store: Crypt4GH-encrypted assets (CLEARANCE_S3_BUCKET) ---

resource "aws_s3_bucket" "blob" {
  # checkov:skip=CKV2_AWS_62:Nothing consumes bucket events: the node records every write in its own hash-chained audit log.
  # checkov:skip=CKV_AWS_144:A copy in another region is each administration's data-residency decision (docs/operations.md, Backup); versioning, Object Lock and RDS snapshots are the backups here.
  bucket        = local.names.blob
  force_destroy = false
}

resource "aws_s3_bucket_ownership_controls" "blob" {
  bucket = aws_s3_bucket.blob.id
  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_public_access_block" "blob" {
  bucket                  = aws_s3_bucket.blob.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_server_side_encryption_configuration" "blob" {
  bucket = aws_s3_bucket.blob.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = var.blob_kms_key_arn
    }
    bucket_key_enabled = true
  }
}

resource "aws_s3_bucket_versioning" "blob" {
  bucket = aws_s3_bucket.blob.id
  versioning_configuration {
    status = "Enabled"
  }
}

data "aws_iam_policy_document" "blob" {
  statement {
    sid       = "DenyPlainHttp"
    effect    = "Deny"
    actions   = ["s3:*"] # a Deny: every action is refused without TLS
    resources = [aws_s3_bucket.blob.arn, "${aws_s3_bucket.blob.arn}/*"]
    principals {
      type        = "*"
      identifiers = ["*"]
    }
    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
  statement {
    sid       = "DenyOldTls"
    effect    = "Deny"
    actions   = ["s3:*"] # a Deny, as above
    resources = [aws_s3_bucket.blob.arn, "${aws_s3_bucket.blob.arn}/*"]
    principals {
      type        = "*"
      identifiers = ["*"]
    }
    condition {
      test     = "NumericLessThan"
      variable = "s3:TlsVersion"
      values   = ["1.2"]
    }
  }
  statement {
    sid       = "DenyOtherEncryption"
    effect    = "Deny"
    actions   = ["s3:PutObject"]
    resources = ["${aws_s3_bucket.blob.arn}/*"]
    principals {
      type        = "*"
      identifiers = ["*"]
    }
    condition {
      test     = "StringEquals"
      variable = "s3:x-amz-server-side-encryption"
      values   = ["AES256"] # no downgrade from the bucket's KMS key to S3-managed keys
    }
  }
}

resource "aws_s3_bucket_policy" "blob" {
  bucket     = aws_s3_bucket.blob.id
  policy     = data.aws_iam_policy_document.blob.json
  depends_on = [aws_s3_bucket_public_access_block.blob]
}

resource "aws_s3_bucket_logging" "blob" {
  bucket        = aws_s3_bucket.blob.id
  target_bucket = aws_s3_bucket.access_logs.id
  target_prefix = "blob/"
}

resource "aws_s3_bucket_lifecycle_configuration" "blob" {
  bucket     = aws_s3_bucket.blob.id
  depends_on = [aws_s3_bucket_versioning.blob]
  rule {
    id     = "abort-incomplete-multipart-uploads"
    status = "Enabled"
    filter {}
    abort_incomplete_multipart_upload {
      days_after_initiation = var.abort_multipart_days
    }
  }
  rule {
    id     = "expire-old-versions"
    status = "Enabled"
    filter {}
    noncurrent_version_expiration {
      noncurrent_days = var.blob_noncurrent_days
    }
  }
}

# --- audit: exported audit entries and signed checkpoints, under Object Lock ---

resource "aws_s3_bucket" "audit" {
  # checkov:skip=CKV2_AWS_62:Nothing consumes bucket events: the node records every write in its own hash-chained audit log.
  # checkov:skip=CKV_AWS_144:A copy in another region is each administration's data-residency decision (docs/operations.md, Backup); versioning, Object Lock and RDS snapshots are the backups here.
  bucket              = local.names.audit
  force_destroy       = false
  object_lock_enabled = true
}

resource "aws_s3_bucket_ownership_controls" "audit" {
  bucket = aws_s3_bucket.audit.id
  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_public_access_block" "audit" {
  bucket                  = aws_s3_bucket.audit.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_server_side_encryption_configuration" "audit" {
  bucket = aws_s3_bucket.audit.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = var.audit_kms_key_arn
    }
    bucket_key_enabled = true
  }
}

resource "aws_s3_bucket_versioning" "audit" {
  bucket = aws_s3_bucket.audit.id
  versioning_configuration {
    status = "Enabled"
  }
}

data "aws_iam_policy_document" "audit" {
  statement {
    sid       = "DenyPlainHttp"
    effect    = "Deny"
    actions   = ["s3:*"] # a Deny: every action is refused without TLS
    resources = [aws_s3_bucket.audit.arn, "${aws_s3_bucket.audit.arn}/*"]
    principals {
      type        = "*"
      identifiers = ["*"]
    }
    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
  statement {
    sid       = "DenyOldTls"
    effect    = "Deny"
    actions   = ["s3:*"] # a Deny, as above
    resources = [aws_s3_bucket.audit.arn, "${aws_s3_bucket.audit.arn}/*"]
    principals {
      type        = "*"
      identifiers = ["*"]
    }
    condition {
      test     = "NumericLessThan"
      variable = "s3:TlsVersion"
      values   = ["1.2"]
    }
  }
  statement {
    sid       = "DenyOtherEncryption"
    effect    = "Deny"
    actions   = ["s3:PutObject"]
    resources = ["${aws_s3_bucket.audit.arn}/*"]
    principals {
      type        = "*"
      identifiers = ["*"]
    }
    condition {
      test     = "StringEquals"
      variable = "s3:x-amz-server-side-encryption"
      values   = ["AES256"] # no downgrade from the bucket's KMS key to S3-managed keys
    }
  }
}

resource "aws_s3_bucket_policy" "audit" {
  bucket     = aws_s3_bucket.audit.id
  policy     = data.aws_iam_policy_document.audit.json
  depends_on = [aws_s3_bucket_public_access_block.audit]
}

resource "aws_s3_bucket_logging" "audit" {
  bucket        = aws_s3_bucket.audit.id
  target_bucket = aws_s3_bucket.access_logs.id
  target_prefix = "audit/"
}

resource "aws_s3_bucket_lifecycle_configuration" "audit" {
  bucket     = aws_s3_bucket.audit.id
  depends_on = [aws_s3_bucket_versioning.audit]
  rule {
    id     = "abort-incomplete-multipart-uploads"
    status = "Enabled"
    filter {}
    abort_incomplete_multipart_upload {
      days_after_initiation = 1
    }
  }
}

# --- access_logs: S3 server access logs of the blob and audit buckets ---

resource "aws_s3_bucket" "access_logs" {
  # checkov:skip=CKV2_AWS_62:Nothing consumes bucket events: the node records every write in its own hash-chained audit log.
  # checkov:skip=CKV_AWS_144:A copy in another region is each administration's data-residency decision (docs/operations.md, Backup); versioning, Object Lock and RDS snapshots are the backups here.
  bucket        = local.names.access_logs
  force_destroy = false
}

resource "aws_s3_bucket_ownership_controls" "access_logs" {
  bucket = aws_s3_bucket.access_logs.id
  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_public_access_block" "access_logs" {
  bucket                  = aws_s3_bucket.access_logs.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_server_side_encryption_configuration" "access_logs" {
  bucket = aws_s3_bucket.access_logs.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = var.logs_kms_key_arn
    }
    bucket_key_enabled = true
  }
}

resource "aws_s3_bucket_versioning" "access_logs" {
  bucket = aws_s3_bucket.access_logs.id
  versioning_configuration {
    status = "Enabled"
  }
}

data "aws_iam_policy_document" "access_logs" {
  statement {
    sid       = "DenyPlainHttp"
    effect    = "Deny"
    actions   = ["s3:*"] # a Deny: every action is refused without TLS
    resources = [aws_s3_bucket.access_logs.arn, "${aws_s3_bucket.access_logs.arn}/*"]
    principals {
      type        = "*"
      identifiers = ["*"]
    }
    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
  statement {
    sid       = "DenyOldTls"
    effect    = "Deny"
    actions   = ["s3:*"] # a Deny, as above
    resources = [aws_s3_bucket.access_logs.arn, "${aws_s3_bucket.access_logs.arn}/*"]
    principals {
      type        = "*"
      identifiers = ["*"]
    }
    condition {
      test     = "NumericLessThan"
      variable = "s3:TlsVersion"
      values   = ["1.2"]
    }
  }
  statement {
    sid       = "S3ServerAccessLogDelivery"
    actions   = ["s3:PutObject"]
    resources = ["${aws_s3_bucket.access_logs.arn}/*"]
    principals {
      type        = "Service"
      identifiers = ["logging.s3.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account]
    }
    condition {
      test     = "ArnLike"
      variable = "aws:SourceArn"
      values   = [aws_s3_bucket.blob.arn, aws_s3_bucket.audit.arn]
    }
  }
}

resource "aws_s3_bucket_policy" "access_logs" {
  bucket     = aws_s3_bucket.access_logs.id
  policy     = data.aws_iam_policy_document.access_logs.json
  depends_on = [aws_s3_bucket_public_access_block.access_logs]
}

resource "aws_s3_bucket_lifecycle_configuration" "access_logs" {
  bucket     = aws_s3_bucket.access_logs.id
  depends_on = [aws_s3_bucket_versioning.access_logs]
  rule {
    id     = "abort-incomplete-multipart-uploads"
    status = "Enabled"
    filter {}
    abort_incomplete_multipart_upload {
      days_after_initiation = 1
    }
  }
  rule {
    id     = "expire-access-logs"
    status = "Enabled"
    filter {}
    expiration {
      days = var.access_log_days
    }
    noncurrent_version_expiration {
      noncurrent_days = 30
    }
  }
}

resource "aws_s3_bucket_object_lock_configuration" "audit" {
  bucket = aws_s3_bucket.audit.id
  rule {
    default_retention {
      mode = var.audit_lock_mode
      days = var.audit_retention_days
    }
  }
  depends_on = [aws_s3_bucket_versioning.audit]
}

# --- who may use the buckets ------------------------------------------------------------------
# The task roles that run node code touching blobs (blob_role_names: the API's, which the
# migration task shares, and the enclave workers') get the object actions the node uses on the
# blob bucket, and nothing on the others. The node signs with those roles' temporary credentials
# (CLEARANCE_S3_CREDENTIALS=role); no IAM user, no access key. The workers' EC2 instance role is
# not among them: the worker's code runs in its ECS task, with the task role (awsvpc, IMDS blocked
# to tasks), and the instance role serves only the ECS agent (and, with enclave_pcr0, the
# attested KMS Decrypt of the enclave key: an enclave has no network and gets its inputs from the
# worker task, so it never reads the bucket itself).

data "aws_iam_policy_document" "blob_store" {
  statement {
    sid = "Objects"
    actions = [
      "s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload",
      "s3:ListMultipartUploadParts",
    ]
    resources = ["${aws_s3_bucket.blob.arn}/*"]
  }
  statement {
    sid       = "List"
    actions   = ["s3:ListBucket", "s3:ListBucketMultipartUploads"]
    resources = [aws_s3_bucket.blob.arn]
  }
  statement {
    sid       = "EncryptThroughS3"
    actions   = ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:DescribeKey"]
    resources = [var.blob_kms_key_arn]
    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = ["s3.${var.region}.amazonaws.com"]
    }
  }
}

resource "aws_iam_role_policy" "blob_store" {
  for_each = toset(var.blob_role_names)
  name     = "blob-bucket-objects"
  role     = each.value
  policy   = data.aws_iam_policy_document.blob_store.json
}

# The audit-archive task puts new objects into the audit bucket; Object Lock keeps them.
data "aws_iam_policy_document" "audit_archive" {
  statement {
    sid       = "PutArchives"
    actions   = ["s3:PutObject"]
    resources = ["${aws_s3_bucket.audit.arn}/*"]
  }
  statement {
    sid       = "EncryptThroughS3"
    actions   = ["kms:Encrypt", "kms:GenerateDataKey", "kms:Decrypt", "kms:DescribeKey"]
    resources = [var.audit_kms_key_arn]
    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = ["s3.${var.region}.amazonaws.com"]
    }
  }
}

resource "aws_iam_role_policy" "audit_archive" {
  name   = "put-audit-archives"
  role   = var.audit_archive_role_name
  policy = data.aws_iam_policy_document.audit_archive.json
}
