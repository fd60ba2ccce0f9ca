#!/bin/sh
# t0706 (deisctl backup and restore) on SQLite, the one-host default.
DEIS_E2E_DB=sqlite
export DEIS_E2E_DB
exec sh "$(dirname "$0")/t0706-deisctl-backup.sh"
