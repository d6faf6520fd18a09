#!/bin/sh
# Make the secrets compose.yaml reads (var/compose/, folder 0700): database password, S3 keys and
# the SeaweedFS identity file that accepts only them, the storage-key passphrase, and a
# self-signed TLS pair for localhost. Existing files are kept, so re-running changes nothing.
# The files are 0644 inside the 0700 folder: compose (outside swarm) bind-mounts secrets with
# their own mode, and the node reads them as uid 10001.
set -eu
dir=${1:-var/compose}
mkdir -p "$dir"
chmod 0700 "$dir"
random() { python3 -c "import secrets,sys; print(secrets.token_urlsafe(int(sys.argv[1])))" "$1"; }
keep() { [ -s "$dir/$1" ]; }
keep db_password || random 24 >"$dir/db_password"
keep storage_passphrase || random 32 >"$dir/storage_passphrase"
keep s3_access_key || python3 -c "import secrets,string; a=string.ascii_uppercase+string.digits; print(''.join(secrets.choice(a) for _ in range(20)))" >"$dir/s3_access_key"
keep s3_secret_key || random 30 >"$dir/s3_secret_key"
if ! keep s3.json; then
    python3 - "$dir" <<'PY'
import json, pathlib, sys
folder = pathlib.Path(sys.argv[1])
access = (folder / "s3_access_key").read_text().strip()
secret = (folder / "s3_secret_key").read_text().strip()
identity = {"name": "clearance-node", "credentials": [{"accessKey": access, "secretKey": secret}],
            "actions": ["Read:clearance", "Write:clearance", "List:clearance", "Tagging:clearance"]}
(folder / "s3.json").write_text(json.dumps({"identities": [identity]}, indent=2))
PY
fi
if ! keep tls.key || ! keep tls.crt; then
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 365 \
        -subj "/CN=localhost" -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
        -keyout "$dir/tls.key" -out "$dir/tls.crt" 2>/dev/null
fi
chmod 0644 "$dir"/*
echo "secrets in $dir (keep the folder out of backups you share; it is in .gitignore via var/)"
