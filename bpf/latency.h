/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Types shared by bpf/latency.bpf.c and `sockaccelctl latency` (ctl/latency.c). */
#ifndef SA_LATENCY_H
#define SA_LATENCY_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define LAT_MAX_SYSCALLS	32	/* syscalls traced at once (--syscalls) */
#define LAT_MAX_NR		1024	/* syscall numbers below this can be traced */
#define LAT_MAX_BUCKETS		48	/* log2 buckets; the last one takes the overflow */
#define LAT_DEFAULT_THREADS	16384	/* entries of the per-thread start map */
#define LAT_TASK_COMM_LEN	16

/* nr_slot[] values: 0 = not traced, s + 1 = slot s, LAT_SLOT_RESTART = restart_syscall */
#define LAT_NR_RESTART_MARK	0xff
#define LAT_SLOT_RESTART	0xfe	/* "current syscall" id of a restart_syscall */

/* Two classes per syscall: the call never slept, or it slept at least once
 * (a voluntary context switch of the thread between entry and return). */
enum lat_class {
	LAT_RAN = 0,
	LAT_BLOCKED = 1,
	LAT_NR_CLASSES,
};

/* Value of the per-CPU "hists" array, index slot * LAT_NR_CLASSES + class. */
struct lat_hist {
	__u64 count;		/* finished calls */
	__u64 errors;		/* returned -1..-4095 (not counting interruptions) */
	__u64 interrupted;	/* returned -ERESTART* and were not restarted (EINTR, killed) */
	__u64 restarted;	/* restarted by the kernel; timed from first entry to last return */
	__u64 total_ns;
	__u64 buckets[LAT_MAX_BUCKETS];	/* log2(duration in the chosen unit), shown */
	__u64 buckets_ns[LAT_MAX_BUCKETS]; /* log2(duration in ns), for p50/p99; only
					    * filled when the unit is not ns */
};

/* Value of the per-CPU "misc" array, index slot. */
struct lat_misc {
	__u64 unmatched;	/* returns without a recorded entry (in flight at start) */
	__u64 dropped;		/* entries not recorded: the start map was full */
	__u64 exited;		/* thread exited inside the syscall (no return seen) */
	/* Syscalls that move queue entries (rodata entry_slots: io_submit,
	 * io_getevents, io_uring_enter, ...), over calls that returned >= 0: */
	__u64 arg1;		/* sum of argument 1 (0-based): to_submit, nr, min_nr */
	__u64 arg2;		/* sum of argument 2: min_complete, nr */
	__u64 ret;		/* sum of the return values: entries submitted, events reaped */
	/* The io_uring_enter slot: io_uring:io_uring_complete events (CQEs
	 * posted) in the filtered threads, and how many of them were posted
	 * while the thread was inside io_uring_enter. */
	__u64 cqes;
	__u64 cqes_in_call;
};

/* Per-thread state, "starts" hash keyed by thread id. */
enum lat_state {
	LAT_IDLE = 0,		/* not inside a traced syscall */
	LAT_ACTIVE = 1,		/* inside a traced syscall */
	LAT_PENDING = 2,	/* returned -ERESTART*: the kernel may restart it */
};

struct lat_start {
	__u64 start_ns;		/* first entry (kept across restarts) */
	__u64 nvcsw;		/* task->nvcsw at first entry */
	__u64 end_ns;		/* LAT_PENDING: when it returned -ERESTART* */
	__u32 state;		/* enum lat_state */
	__u8 slot;		/* the traced syscall */
	__u8 cur;		/* id of the syscall running now: slot or LAT_SLOT_RESTART */
	__u8 restart_cur;	/* LAT_PENDING: the id the restart will come back as */
	__u8 flags;		/* LAT_F_* */
};

#define LAT_F_SLEPT	1	/* slept before the -ERESTART* return */
#define LAT_F_RESTARTED	2	/* has been restarted */

/* Time units (rodata targ_unit). */
enum lat_unit {
	LAT_NSEC = 0,
	LAT_USEC = 1,
	LAT_MSEC = 2,
};

#endif /* SA_LATENCY_H */
