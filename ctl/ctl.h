/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* sockaccelctl: shared declarations of the command modules. */
#ifndef SA_CTL_H
#define SA_CTL_H

#include <stdbool.h>
#include "pins.h"

/* Global options, set by main() before a command runs. */
extern struct sa_pins ctl_pins;	/* --pin-dir */
extern bool pretty_output;	/* -p */

/* Exit codes */
#define EXIT_OK 0
#define EXIT_ERR 1
#define EXIT_USAGE 2

/*
 * Each command gets argv with argv[0] = the command name; it prints its own
 * output through lib/output.h (text and JSON) and returns an exit code.
 */
int do_status(int argc, char **argv);
int do_stats(int argc, char **argv);
int do_conns(int argc, char **argv);
int do_detach(int argc, char **argv);
int do_teardown(int argc, char **argv);
int do_latency(int argc, char **argv);
int do_run(int argc, char **argv);
/* status: the syscall_latency row of the feature table (ctl/latency.c). */
void latency_print_feature(void);

/* Helpers for commands */
bool is_prefix(const char *pfx, const char *str);
/* Privilege check + pins present; prints the error and returns false if not. */
bool ctl_require_loaded(void);
/* The pin dir and its pins are safe to read (lib/pin_check.h); else prints why. */
bool ctl_pins_safe(void);
/* Usage error: one line, exit code 2. */
int ctl_usage_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
