/*
 * The schema as numbered migrations, generated from sql/ at build time
 * (sql/embed.sh).  migrations[i] has version i + 1.
 */
#ifndef DBW_MIGRATIONS_H
#define DBW_MIGRATIONS_H

struct migration {
	int		 version;
	const char	*name;
	const char	*up;
	const char	*down;
};

extern const char migration_base_sql[];
extern const struct migration migrations[];
extern const int migration_latest;

#endif
