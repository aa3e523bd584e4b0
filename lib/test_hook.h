/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * TEST-ONLY fault injection: the loader killed at a chosen step
 * (tests/netns/t_fault_loader_kill.sh, docs/faults.md). Not a feature:
 * nothing an operator sets.
 *
 *   SOCKACCEL_TEST_STOP_AT=N     SIGKILL itself right after step N (from 1)
 *   SOCKACCEL_TEST_STOP_AT=NAME  ... after the first step called NAME
 *   SOCKACCEL_TEST_STOP_AT=list  print "sockaccel-test-step N NAME" on stderr
 *                                at every step and go on
 *
 * Unset (always, outside the tests): sa_test_step() does nothing.
 */
#ifndef SA_TEST_HOOK_H
#define SA_TEST_HOOK_H

/* A step of a load or an attach has just completed (printf-style name). */
void sa_test_step(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
