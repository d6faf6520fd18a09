# The node's secrets in Secrets Manager, encrypted with the secrets key. Terraform makes the
# containers, never the values (they would sit in its state): the key ceremony puts them
# (docs/operations.md, "Deploy" and "Rotate keys"). What the code reads, and how:
#
#   signing-keys        CLEARANCE_KEYS_BUNDLE_SIGNING: a key bundle (python -m clearance.container
#                       keys-export) of keys/<ADMIN>/<kid>.pem (administrations' ES256 signing
#                       keys), keys/_node/audit/<kid>.pem (the audit key) and keys/paging.key
#   storage-key         CLEARANCE_KEYS_BUNDLE_STORAGE: keys/_node/storage/c4gh.sec (the Crypt4GH
#                       storage key, scrypt-locked)
#   storage-passphrase  CLEARANCE_STORAGE_PASSPHRASE (unlocks c4gh.sec)
#
# No S3 key: the node signs its S3 requests with its task role's temporary credentials
# (CLEARANCE_S3_CREDENTIALS=role, the service module), which AWS rotates.
#
# The code reads keys from files in the data folder and the passphrase from the environment: it
# cannot call KMS to sign or decrypt. ECS injects the secrets as environment variables at task
# start; the image's entry point writes the bundles out as 0600 files and removes them from the
# environment before the node starts.

locals {
  secrets = {
    signing-keys       = "Key bundle: administrations' ES256 signing keys, the audit key, the paging key"
    storage-key        = "Key bundle: the node's Crypt4GH storage key file (scrypt-locked)"
    storage-passphrase = "Passphrase of the Crypt4GH storage key file"
  }
}

resource "aws_secretsmanager_secret" "this" {
  # checkov:skip=CKV2_AWS_57:Rotation is a key ceremony, not a Lambda: new signing keys must be published before use and the storage key re-encrypts every stored header (docs/operations.md, Rotate keys).
  for_each                = local.secrets
  name                    = "${var.name}/${each.key}"
  description             = each.value
  kms_key_id              = var.kms_key_arn
  recovery_window_in_days = 30
}

# The key bundles start empty (nothing secret), so that tasks can start for the first key
# ceremony; from then on only ceremonies write them, never terraform.
resource "aws_secretsmanager_secret_version" "empty_bundle" {
  for_each      = toset(["signing-keys", "storage-key"])
  secret_id     = aws_secretsmanager_secret.this[each.key].id
  secret_string = jsonencode({ version = 1, files = {} })
  lifecycle {
    ignore_changes = [secret_string, version_stages]
  }
}

data "aws_iam_policy_document" "read" {
  statement {
    sid       = "ReadTheNodeSecretsAtTaskStart"
    actions   = ["secretsmanager:GetSecretValue"]
    resources = concat([for s in aws_secretsmanager_secret.this : s.arn], [var.database_secret_arn])
  }
  statement {
    sid       = "DecryptThemThroughSecretsManager"
    actions   = ["kms:Decrypt"]
    resources = [var.kms_key_arn]
    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = ["secretsmanager.${var.region}.amazonaws.com"]
    }
  }
}

resource "aws_iam_role_policy" "execution_reads_secrets" {
  name   = "read-node-secrets"
  role   = var.execution_role_name
  policy = data.aws_iam_policy_document.read.json
}

data "aws_iam_policy_document" "ceremony" {
  statement {
    sid       = "WriteTheKeyBundles"
    actions   = ["secretsmanager:PutSecretValue", "secretsmanager:DescribeSecret"]
    resources = [aws_secretsmanager_secret.this["signing-keys"].arn, aws_secretsmanager_secret.this["storage-key"].arn]
  }
  statement {
    sid       = "EncryptThemThroughSecretsManager"
    actions   = ["kms:GenerateDataKey", "kms:Encrypt", "kms:Decrypt"]
    resources = [var.kms_key_arn]
    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = ["secretsmanager.${var.region}.amazonaws.com"]
    }
  }
}

resource "aws_iam_role_policy" "ceremony_writes_bundles" {
  name   = "write-key-bundles"
  role   = var.ceremony_role_name
  policy = data.aws_iam_policy_document.ceremony.json
}
