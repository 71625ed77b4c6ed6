#!/bin/sh
# embed.sh SQLFILE...: write C source holding the migrations as strings.
# Files are sql/NNNN-name.up.sql / .down.sql, plus sql/0000-base.sql.
echo '/* Generated from the sql/ files by sql/embed.sh; do not edit. */'
echo '#include "migrations.h"'
cstr() {
	sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/^/	"/' -e 's/$/\\n"/' "$1"
}
for f; do
	b=$(basename "$f" .sql)
	v=$(echo "$b" | sed 's/^0*\([0-9]\)/\1/; s/-.*//')
	case $b in
	*.up) echo "static const char up_$v[] ="; cstr "$f"; echo ';' ;;
	*.down) echo "static const char down_$v[] ="; cstr "$f"; echo ';' ;;
	*) echo "const char migration_base_sql[] ="; cstr "$f"; echo ';' ;;
	esac
done
echo 'const struct migration migrations[] = {'
for f; do
	b=$(basename "$f" .sql)
	case $b in *.up) ;; *) continue ;; esac
	v=$(echo "$b" | sed 's/^0*\([0-9]\)/\1/; s/-.*//')
	name=$(echo "$b" | sed 's/^[0-9]*-//; s/\.up$//')
	echo "	{ $v, \"$name\", up_$v, down_$v },"
done
echo '};'
echo 'const int migration_latest = sizeof(migrations) / sizeof(migrations[0]);'
