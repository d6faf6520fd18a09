# One administration's Clearance node on AWS: the example root of the modules in ../../modules.
# Copy this folder, fill terraform.tfvars (terraform.tfvars.example) and a backend (an encrypted,
# versioned S3 bucket with state locking), then follow docs/operations.md, "Deploy".

provider "aws" {
  region = var.region
  default_tags {
    tags = {
      Application    = "clearance"
      Administration = var.administration
      Environment    = var.environment
    }
  }
}

locals {
  name    = "clearance-${lower(var.administration)}-${var.environment}"
  node_id = "urn:clearance:node:${lower(var.administration)}-${var.environment}"
}

module "roles" {
  source = "../../modules/roles"
  name   = local.name
}

module "kms" {
  source              = "../../modules/kms"
  name                = local.name
  key_admin_arns      = var.key_admin_arns
  blob_role_arns      = [module.roles.api_role_arn, module.roles.worker_role_arn]
  audit_writer_arns   = [module.roles.audit_archive_role_arn]
  auditor_arns        = var.auditor_arns
  secret_reader_arns  = [module.roles.execution_role_arn]
  secret_writer_arns  = concat(var.operator_arns, [module.roles.ceremony_role_arn])
  enclave_pcr0        = var.enclave_pcr0
  enclave_parent_arns = [module.roles.worker_instance_role_arn]
}

module "network" {
  source             = "../../modules/network"
  name               = local.name
  cidr_block         = var.vpc_cidr
  availability_zones = var.availability_zones
  logs_kms_key_arn   = module.kms.logs_key_arn
  log_retention_days = var.log_retention_days
}

module "storage" {
  source                  = "../../modules/storage"
  name                    = local.name
  region                  = var.region
  blob_kms_key_arn        = module.kms.blob_key_arn
  audit_kms_key_arn       = module.kms.audit_key_arn
  audit_archive_role_name = module.roles.audit_archive_role_name
  logs_kms_key_arn        = module.kms.logs_key_arn
  blob_role_names         = [module.roles.api_role_name, module.roles.worker_role_name]
  audit_lock_mode         = var.audit_lock_mode
  audit_retention_days    = var.audit_retention_days
}

module "database" {
  source                   = "../../modules/database"
  name                     = local.name
  vpc_id                   = module.network.vpc_id
  subnet_ids               = module.network.data_subnet_ids
  kms_key_arn              = module.kms.database_key_arn
  secrets_kms_key_arn      = module.kms.secrets_key_arn
  instance_class           = var.db_instance_class
  allocated_storage_gb     = var.db_allocated_storage_gb
  max_allocated_storage_gb = var.db_max_allocated_storage_gb
  multi_az                 = var.db_multi_az
  backup_retention_days    = var.db_backup_retention_days
}

module "secrets" {
  source              = "../../modules/secrets"
  name                = local.name
  region              = var.region
  kms_key_arn         = module.kms.secrets_key_arn
  execution_role_name = module.roles.execution_role_name
  ceremony_role_name  = module.roles.ceremony_role_name
  database_secret_arn = module.database.master_user_secret_arn
}

module "service" {
  source                        = "../../modules/service"
  name                          = local.name
  node_id                       = local.node_id
  domain_name                   = var.domain_name
  certificate_arn               = var.certificate_arn
  image                         = var.image
  ecr_repository_arn            = var.ecr_repository_arn
  vpc_id                        = module.network.vpc_id
  public_subnet_ids             = module.network.public_subnet_ids
  public_subnet_cidrs           = module.network.public_subnet_cidrs
  private_subnet_ids            = module.network.private_subnet_ids
  endpoints_security_group_id   = module.network.endpoints_security_group_id
  s3_prefix_list_id             = module.network.s3_endpoint_prefix_list_id
  allowed_cidrs                 = var.allowed_cidrs
  db_address                    = module.database.address
  db_port                       = module.database.port
  db_security_group_id          = module.database.security_group_id
  db_secret_arn                 = module.database.master_user_secret_arn
  signing_keys_secret_arn       = module.secrets.signing_keys_arn
  storage_key_secret_arn        = module.secrets.storage_key_arn
  storage_passphrase_secret_arn = module.secrets.storage_passphrase_arn
  blob_bucket                   = module.storage.blob_bucket
  logs_kms_key_arn              = module.kms.logs_key_arn
  log_retention_days            = var.log_retention_days
  execution_role_arn            = module.roles.execution_role_arn
  execution_role_name           = module.roles.execution_role_name
  api_role_arn                  = module.roles.api_role_arn
  worker_role_arn               = module.roles.worker_role_arn
  ceremony_role_arn             = module.roles.ceremony_role_arn
  audit_archive_role_arn        = module.roles.audit_archive_role_arn
  audit_bucket                  = module.storage.audit_bucket
  metrics_role_arn              = module.roles.metrics_role_arn
  worker_instance_role_name     = module.roles.worker_instance_role_name
  worker_instance_profile_name  = module.roles.worker_instance_profile_name
  api_cpu                       = var.api_cpu
  api_memory                    = var.api_memory
  api_min_count                 = var.api_min_count
  api_max_count                 = var.api_max_count
  worker_instance_type          = var.worker_instance_type
  worker_min_count              = var.worker_min_count
  worker_max_count              = var.worker_max_count
}

module "monitoring" {
  source                   = "../../modules/monitoring"
  name                     = local.name
  node_id                  = local.node_id
  logs_kms_key_arn         = module.kms.logs_key_arn
  alarm_emails             = var.alarm_emails
  load_balancer_arn_suffix = module.service.load_balancer_arn_suffix
  target_group_arn_suffix  = module.service.target_group_arn_suffix
  cluster_name             = module.service.cluster_name
  api_service_name         = module.service.api_service_name
  db_identifier            = module.database.identifier
  audit_log_group          = module.service.log_group_names["audit-archive"]
  worker_log_group         = module.service.log_group_names["worker"]
}
