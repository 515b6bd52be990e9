-- Run once by entrypoint.sh on a freshly initialised primary (psql variables set by the entrypoint).
CREATE ROLE replicator WITH REPLICATION LOGIN PASSWORD :'replication_password';
CREATE ROLE :"app_user" WITH LOGIN PASSWORD :'app_password';
CREATE DATABASE :"app_db" OWNER :"app_user";
