#!/bin/sh
# The end-to-end test (t0700) on PostgreSQL: deisctl config database set engine=postgres,
# the platform image built with WITH_POSTGRES=1, the database component as a container.
DEIS_E2E_DB=postgres
export DEIS_E2E_DB
exec sh "$(dirname "$0")/t0700-e2e-platform.sh"
