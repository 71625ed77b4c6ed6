/*
 * slurp: the whole of a file, or of stdin, in a buffer, for the helper
 * commands that read one at once.
 */
#ifndef CCX_HELPER_SLURP_H
#define CCX_HELPER_SLURP_H

#include "buf.h"

/* Appends the bytes of path (NULL: stdin) to b; returns 0, or -1 with
 * errno set when it cannot be opened. */
int	slurp(const char *path, struct buf *b);

#endif
