-- Run once by entrypoint.sh on a freshly initialised primary (psql variables set by the entrypoint).
CREATE ROLE replicator WITH REPLICATION LOGIN PASSWORD :'replication_password';
CREATE ROLE :"app_user" WITH LOGIN PASSWORD :'app_password';
CREATE DATABASE :"app_db" OWNER :"app_user";
-- Read-only statistics for compose's postgres-exporter (infra/exporters/postgres-exporter.sh), which
-- logs in as the application role: pg_monitor shows it every session's and walsender's details
-- (replication lag on the primary) and nothing it could write.
GRANT pg_monitor TO :"app_user";
