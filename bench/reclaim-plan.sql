-- The lease-reclaim query with and without runs_leased, autovacuum off (docs/decisions/0152-run-retention.md):
--   psql -v leased=false $TEST_DATABASE_URL -f bench/reclaim-plan.sql ; psql -v leased=true $TEST_DATABASE_URL -f bench/reclaim-plan.sql
drop schema if exists bench_reclaim cascade;
create schema bench_reclaim;
set search_path = bench_reclaim;
create table runs (id text primary key, status text not null, next_attempt_at text not null, locked_by text, locked_until text, updated_at text not null);
create index runs_due on runs (status, next_attempt_at);
\if :leased
create index runs_leased on runs (locked_until) where status = 'running';
\endif
insert into runs select gen_random_uuid()::text, 'pending', to_char(now() - ((92000 - i) || ' seconds')::interval, 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'), null, null, 'x' from generate_series(1, 92000) i;
update runs set status = 'running', locked_by = 'w', locked_until = to_char(now() - interval '1 minute', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"');
update runs set status = 'success', locked_by = null, locked_until = null;
insert into runs select gen_random_uuid()::text, 'running', 'a', 'w', to_char(now() + interval '30 seconds', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'), 'x' from generate_series(1, 64) i;
analyze runs;
\timing on
update runs set status = 'pending' where status = 'running' and locked_until <= to_char(now(), 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"');
update runs set status = 'pending' where status = 'running' and locked_until <= to_char(now(), 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"');
update runs set status = 'pending' where status = 'running' and locked_until <= to_char(now(), 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"');
\timing off
explain (analyze, buffers, costs off, timing off) update runs set status = 'pending' where status = 'running' and locked_until <= to_char(now(), 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"');
vacuum runs;
\timing on
update runs set status = 'pending' where status = 'running' and locked_until <= to_char(now(), 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"');
\timing off
drop schema bench_reclaim cascade;
