# lib-progs.sh: the project's programs and where their files are, for the
# tests that read the sources and man pages (t0150, t0160).
#
# PROGS            the programs on the frame (common/prog.c), by name
# SRC              the top of the source tree
# page PROG        the man page of PROG
# main PROG        the main source file of PROG (its settings table)

SRC=$TEST_DIRECTORY/..
PROGS="db-writer differ kafka-emitter kafka-reader servicelog-poster supervisor"

# prog_file PROG EXT: PROG's file PROG.EXT (supervisor/, else bin/PROG/).
prog_file() {
	case $1 in
	supervisor) echo "$SRC/supervisor/supervisor.$2" ;;
	*) echo "$SRC/bin/$1/$1.$2" ;;
	esac
}
page() { prog_file "$1" 1; }
main() { prog_file "$1" c; }
