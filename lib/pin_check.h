/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Is a pin directory safe to use (docs/security.md)? Checked before the
 * loader or sockaccelctl reads, writes or removes anything in it:
 *  - the directory: not a symlink, a directory, owned by us (the effective
 *    uid), not writable by group or others; its parent owned by us or root
 *    and, if others may write to it, sticky (/sys/fs/bpf is 1777);
 *  - each entry with a name sockaccel uses: not a symlink, not a directory,
 *    owned by us, the right kind of object (map, program, link) and, for a
 *    map, the type, key size, value size and max_entries this build uses.
 * Any symlink in the directory is refused; other unknown names are ignored
 * (never opened). Errors name the path and the problem, in one line.
 */
#ifndef SA_PIN_CHECK_H
#define SA_PIN_CHECK_H

#include <stddef.h>
#include "pins.h"

/* The directory itself and its parent. fd: the open directory, or -1 (then
 * it is looked up with lstat). 0, -ENOENT when absent (err set), or -errno. */
int sa_pins_check_dir(const char *dir, int fd, char *err, size_t errlen);

/* Every entry of the directory (see above). 0 or -errno, err set. */
int sa_pins_check_contents(const struct sa_pins *p, char *err, size_t errlen);

#endif
