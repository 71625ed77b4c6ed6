# lib-pg.sh: throwaway PostgreSQL clusters for the tests.
#
# pg_setup      gives the script a fresh database, in the cluster that
#               run-tests.sh shares (CCX_TEST_PGHOST) or in one of its own;
#               exports PGHOST, PGPORT, PGUSER, PGDATABASE; sets prereq PG.
# pg_start_own  always starts a cluster of the script's own (for tests that
#               stop and start the server); pg_stop / pg_restart control it.
# pg_ready      pg_setup and migrate the schema, or skip the whole script.

pg_bindir() {
	for d in /usr/lib/postgresql/*/bin; do
		[ -x "$d/initdb" ] && { echo "$d"; return 0; }
	done
	return 1
}

# pg_as_owner CMD...: run CMD as the cluster owner (postgres when root).
pg_as_owner() {
	if [ "$(id -u)" = 0 ]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

# pg_init_cluster DIR PORT: initdb and start a cluster with its socket in DIR.
pg_init_cluster() {
	_bin=$(pg_bindir) || { echo "no initdb found" >&2; return 1; }
	mkdir -p "$1" || return 1
	[ "$(id -u)" = 0 ] && chown postgres "$1"
	pg_as_owner "$_bin/initdb" -D "$1/data" -U postgres -A trust -E UTF8 \
		--no-sync >"$1/initdb.log" 2>&1 || { cat "$1/initdb.log" >&2; return 1; }
	cat >>"$1/data/postgresql.conf" <<-PGCONF
	listen_addresses = ''
	port = $2
	unix_socket_directories = '$1'
	fsync = off
	synchronous_commit = off
	full_page_writes = off
	max_connections = 100
	PGCONF
	pg_as_owner "$_bin/pg_ctl" -D "$1/data" -l "$1/server.log" -w -t 30 start \
		>/dev/null || { cat "$1/server.log" >&2; return 1; }
}

# pg_init_retry DIR: pg_init_cluster DIR on a free port, up to three tries
# (another cluster may take the port first); sets PG_PORT (empty if none).
pg_init_retry() {
	for _try in 1 2 3; do
		PG_PORT=$(pg_free_port)
		rm -rf "$1"
		pg_init_cluster "$1" "$PG_PORT" && return 0
	done
	PG_PORT=
	return 1
}

pg_free_port() {
	echo $(( 20000 + ($$ * 7 + $(date +%N | sed 's/^0*//;s/^$/0/') % 1000) % 30000 ))
}

pg_start_own() {
	PG_OWN_DIR=$TRASH_DIRECTORY/pg
	PG_OWN_PORT=$(pg_free_port)
	pg_init_cluster "$PG_OWN_DIR" "$PG_OWN_PORT" || return 1
	test_atexit pg_destroy_own
	PGHOST=$PG_OWN_DIR PGPORT=$PG_OWN_PORT PGUSER=postgres PGDATABASE=postgres
	export PGHOST PGPORT PGUSER PGDATABASE
	test_set_prereq PG
}

pg_stop() { pg_as_owner "$(pg_bindir)/pg_ctl" -D "$PG_OWN_DIR/data" -m fast -w stop >/dev/null; }
pg_start() {
	pg_as_owner "$(pg_bindir)/pg_ctl" -D "$PG_OWN_DIR/data" -l "$PG_OWN_DIR/server.log" -w start >/dev/null
}
pg_destroy_own() { pg_as_owner "$(pg_bindir)/pg_ctl" -D "$PG_OWN_DIR/data" -m immediate -w stop >/dev/null 2>&1; }

pg_setup() {
	if [ -n "$CCX_TEST_PGHOST" ]; then
		PGHOST=$CCX_TEST_PGHOST PGPORT=$CCX_TEST_PGPORT PGUSER=postgres
		PGDATABASE=t_$(echo "$test_name" | tr -c 'a-z0-9\n' _)_$$
		export PGHOST PGPORT PGUSER PGDATABASE
		psql -qX -d postgres -c "CREATE DATABASE $PGDATABASE" >/dev/null 2>&1 || return 1
		test_atexit "psql -qX -d postgres -c 'DROP DATABASE IF EXISTS $PGDATABASE WITH (FORCE)'"
		test_set_prereq PG
	else
		pg_start_own
	fi
}

# pg_ready: pg_setup, then the schema at its latest version (db-writer
# migrate); when either cannot be had, the whole script is skipped.
pg_ready() {
	pg_setup || skip_all "PostgreSQL cannot start here"
	db-writer migrate latest >/dev/null 2>&1 || skip_all "cannot migrate"
}

# pg_fresh_db NAME: create another empty database in the same cluster.
pg_fresh_db() {
	psql -qX -d postgres -c "DROP DATABASE IF EXISTS $1 WITH (FORCE)" -c "CREATE DATABASE $1" >/dev/null
}

# sql QUERY: run QUERY, unaligned tuples-only output.
sql() { psql -qXAt -v ON_ERROR_STOP=1 -c "$1"; }

# sqlin: run the SQL on stdin (a here-document keeps the quoting simple).
sqlin() { psql -qXAt -v ON_ERROR_STOP=1 -f -; }
