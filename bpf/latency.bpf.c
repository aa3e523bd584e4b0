// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Syscall latency for `sockaccelctl latency`.
 *
 * Three ways in, one core. User space loads exactly one of them:
 *  fentry:  fentry/fexit pairs on __<arch>_sys_<name>, one pair per traced
 *           syscall (slot fixed per program, target set at load time);
 *  tp_btf:  tp_btf/sys_enter + tp_btf/sys_exit, syscall nr -> slot via nr_slot[];
 *  raw_tp:  raw_tp/sys_enter + raw_tp/sys_exit, the same.
 * plus sched_process_exit (tp_btf or raw_tp) to settle threads that exit
 * inside a traced syscall, and sched_process_exec for the thread id change
 * of a non-leader thread that execs.
 *
 * Per thread, one entry in "starts" (kept while the thread lives, reused for
 * each call, deleted when it exits). A call that returns -ERESTART* stays
 * pending: if the kernel restarts it (same syscall, or restart_syscall after
 * -ERESTART_RESTARTBLOCK) the time runs on from the first entry; otherwise it
 * is recorded as interrupted when the thread next enters a traced syscall or
 * exits. A call is "blocked" when the thread made a voluntary context switch
 * (task->nvcsw changed) between entry and return, i.e. it slept.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "latency.h"

char LICENSE[] SEC("license") = "GPL";

/* Filters and settings, fixed before load. */
const volatile __u32 targ_tgid = 0;		/* --pid */
const volatile bool filter_comm = false;	/* --comm */
const volatile char targ_comm[LAT_TASK_COMM_LEN] = {};
const volatile bool filter_cg = false;		/* --cgroup: cgroup_map[0] and below */
const volatile __u32 targ_unit = LAT_NSEC;
const volatile __u8 nr_slot[LAT_MAX_NR] = {};	/* tracepoints: syscall nr -> slot + 1 */
const volatile __u32 fork_slots = 0;		/* bit s: slot s is fork/vfork/clone/clone3 */
const volatile __u32 entry_slots = 0;		/* bit s: sum slot s's return value (lat_misc.ret) */
const volatile __u32 arg1_slots = 0;		/* bit s: sum its argument 1 (lat_misc.arg1) */
const volatile __u32 arg2_slots = 0;		/* bit s: sum its argument 2 (lat_misc.arg2) */
const volatile __u32 uring_slot = LAT_MAX_SYSCALLS;	/* io_uring_enter's slot; none */

#define E2BIG_ 7
#define ERESTARTSYS		512
#define ERESTARTNOINTR		513
#define ERESTARTNOHAND		514
#define ERESTART_RESTARTBLOCK	516

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, LAT_DEFAULT_THREADS);	/* user space may resize */
	__type(key, __u32);				/* thread id */
	__type(value, struct lat_start);
} starts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, LAT_MAX_SYSCALLS * LAT_NR_CLASSES);
	__type(key, __u32);
	__type(value, struct lat_hist);
} hists SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, LAT_MAX_SYSCALLS);
	__type(key, __u32);
	__type(value, struct lat_misc);
} misc SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_CGROUP_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} cgroup_map SEC(".maps");

static __always_inline __u32 log2_u32(__u32 v)
{
	__u32 r, shift;

	r = (v > 0xFFFF) << 4; v >>= r;
	shift = (v > 0xFF) << 3; v >>= shift; r |= shift;
	shift = (v > 0xF) << 2; v >>= shift; r |= shift;
	shift = (v > 0x3) << 1; v >>= shift; r |= shift;
	r |= (v >> 1);
	return r;
}

static __always_inline __u32 log2_u64(__u64 v)
{
	__u32 hi = v >> 32;

	return hi ? log2_u32(hi) + 32 : log2_u32(v);
}

/* Histogram bucket of v, capped at the last one. 64-bit all the way: with a
 * 32-bit index clang compares a zero-extended copy and indexes with the
 * original register, and older verifiers (Debian 12's 6.1) do not carry the
 * bound over ("R0 unbounded memory access"). */
static __always_inline __u64 lat_bucket(__u64 v)
{
	__u64 b = log2_u64(v);

	return b < LAT_MAX_BUCKETS ? b : LAT_MAX_BUCKETS - 1;
}

static __always_inline bool pass_filter(void)
{
	if (targ_tgid && (bpf_get_current_pid_tgid() >> 32) != targ_tgid)
		return false;
	if (filter_cg && bpf_current_task_under_cgroup(&cgroup_map, 0) != 1)
		return false;
	if (filter_comm) {
		char comm[LAT_TASK_COMM_LEN];
		int i;

		bpf_get_current_comm(comm, sizeof(comm));
#pragma unroll
		for (i = 0; i < LAT_TASK_COMM_LEN; i++) {
			if (comm[i] != targ_comm[i])
				return false;
			if (!comm[i])
				break;
		}
	}
	return true;
}

/*
 * btf: the program type can use bpf_get_current_task_btf() and read kernel
 * memory directly (tp_btf, fentry); raw_tp needs bpf_probe_read_kernel().
 * Always a compile-time constant, so each program gets its own variant.
 */
static __always_inline __u64 current_nvcsw(bool btf)
{
	if (btf)
		return bpf_get_current_task_btf()->nvcsw;
	return BPF_CORE_READ((struct task_struct *)bpf_get_current_task(), nvcsw);
}

static __always_inline bool is_restart(long ret)
{
	return ret == -ERESTARTSYS || ret == -ERESTARTNOINTR ||
	       ret == -ERESTARTNOHAND || ret == -ERESTART_RESTARTBLOCK;
}

static __always_inline void record(__u32 slot, __u64 delta_ns, bool slept, bool error,
				   bool interrupted, bool restarted)
{
	__u32 key = slot * LAT_NR_CLASSES + (slept ? LAT_BLOCKED : LAT_RAN);
	struct lat_hist *h;
	__u64 v = delta_ns;

	if (slot >= LAT_MAX_SYSCALLS)
		return;
	h = bpf_map_lookup_elem(&hists, &key);
	if (!h)
		return;
	/* per-CPU value: plain increments are safe */
	h->count++;
	if (interrupted)
		h->interrupted++;
	else if (error)
		h->errors++;
	if (restarted)
		h->restarted++;
	h->total_ns += delta_ns;
	if (targ_unit != LAT_NSEC) {
		/* percentiles come from a ns histogram: a ms histogram is too coarse */
		h->buckets_ns[lat_bucket(v)]++;
		if (targ_unit == LAT_USEC)
			v /= 1000;
		else
			v /= 1000000;
	}
	h->buckets[lat_bucket(v)]++;
}

static __always_inline struct lat_misc *misc_of(__u32 slot)
{
	if (slot >= LAT_MAX_SYSCALLS)
		return NULL;
	return bpf_map_lookup_elem(&misc, &slot);
}

/* A pending (-ERESTART*) call that was not restarted: record it as interrupted. */
static __always_inline void settle_pending(struct lat_start *e)
{
	record(e->slot, e->end_ns - e->start_ns, e->flags & LAT_F_SLEPT, false, true,
	       e->flags & LAT_F_RESTARTED);
	e->state = LAT_IDLE;
}

/* cur: the slot of the syscall entered, or LAT_SLOT_RESTART for restart_syscall. */
static __always_inline int on_enter(__u32 cur, bool btf)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct lat_start *e, n = {};
	struct lat_misc *m;

	if (!pass_filter())
		return 0;
	e = bpf_map_lookup_elem(&starts, &tid);
	if (e && e->state == LAT_PENDING) {
		if (cur == e->restart_cur) {
			/* the kernel restarts the interrupted call: keep timing it */
			e->state = LAT_ACTIVE;
			e->cur = cur;
			e->flags |= LAT_F_RESTARTED;
			return 0;
		}
		settle_pending(e);
	}
	if (cur == LAT_SLOT_RESTART)
		return 0;	/* restart of a call we did not see start */

	if (e) {	/* the thread's entry, reused for each call */
		e->start_ns = bpf_ktime_get_ns();
		e->nvcsw = current_nvcsw(btf);
		e->slot = cur;
		e->cur = cur;
		e->flags = 0;
		e->state = LAT_ACTIVE;
		return 0;
	}
	n.nvcsw = current_nvcsw(btf);
	n.slot = cur;
	n.cur = cur;
	n.state = LAT_ACTIVE;
	n.start_ns = bpf_ktime_get_ns();
	if (bpf_map_update_elem(&starts, &tid, &n, BPF_NOEXIST)) {
		/* map full (-E2BIG): count it, never drop silently */
		m = misc_of(cur);
		if (m)
			m->dropped++;
	}
	return 0;
}

/*
 * Argument n (1 or 2) of the syscall, from the user registers saved at entry
 * (the syscall does not change them; only the return register is written
 * before sys_exit, and arm64 keeps its argument 0 in orig_x0, which is not
 * needed here). regs_btf: a BTF pointer that can be read directly (tp_btf).
 */
static __always_inline __u64 syscall_arg(struct pt_regs *regs, int n, bool regs_btf)
{
#if defined(__TARGET_ARCH_x86)
	if (regs_btf)
		return n == 1 ? regs->si : regs->dx;
	return n == 1 ? BPF_CORE_READ(regs, si) : BPF_CORE_READ(regs, dx);
#elif defined(__TARGET_ARCH_arm64)
	if (regs_btf)
		return n == 1 ? regs->regs[1] : regs->regs[2];
	return n == 1 ? BPF_CORE_READ(regs, regs[1]) : BPF_CORE_READ(regs, regs[2]);
#else
	return 0;
#endif
}

/* A call of slot that returned ret >= 0: entries it moved (entry_slots). */
static __always_inline void record_entries(__u32 slot, long ret, struct pt_regs *regs,
					   bool regs_btf)
{
	struct lat_misc *m;

	if (slot >= 32 || !((entry_slots >> slot) & 1) || ret < 0 || !regs)
		return;
	m = misc_of(slot);
	if (!m)
		return;
	m->ret += ret;
	/* the counts are unsigned int arguments: the upper half is not theirs */
	if ((arg1_slots >> slot) & 1)
		m->arg1 += (__u32)syscall_arg(regs, 1, regs_btf);
	if ((arg2_slots >> slot) & 1)
		m->arg2 += (__u32)syscall_arg(regs, 2, regs_btf);
}

static __always_inline int on_exit(__u32 cur, long ret, bool btf, struct pt_regs *regs,
				   bool regs_btf)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct lat_start *e;
	struct lat_misc *m;
	__u64 now;
	bool slept;

	e = bpf_map_lookup_elem(&starts, &tid);
	if (!e || e->state != LAT_ACTIVE || e->cur != cur) {
		if (e && e->state == LAT_ACTIVE)
			e->state = LAT_IDLE;	/* stale: never seen on a live kernel */
		/* a new child returning 0 from fork/clone never entered it */
		if (cur < 32 && ((fork_slots >> cur) & 1) && ret == 0)
			return 0;
		if (cur != LAT_SLOT_RESTART && pass_filter()) {
			m = misc_of(cur);
			if (m)
				m->unmatched++;
		}
		return 0;
	}
	now = bpf_ktime_get_ns();
	slept = current_nvcsw(btf) != e->nvcsw;
	if (is_restart(ret)) {
		e->state = LAT_PENDING;
		e->end_ns = now;
		if (slept)
			e->flags |= LAT_F_SLEPT;
		e->restart_cur = ret == -ERESTART_RESTARTBLOCK ? LAT_SLOT_RESTART : e->slot;
		return 0;
	}
	record(e->slot, now - e->start_ns, slept || (e->flags & LAT_F_SLEPT),
	       ret < 0 && ret > -4096, false, e->flags & LAT_F_RESTARTED);
	record_entries(e->slot, ret, regs, regs_btf);
	e->state = LAT_IDLE;
	return 0;
}

static __always_inline int on_task_exit(void)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct lat_start *e;
	struct lat_misc *m;

	e = bpf_map_lookup_elem(&starts, &tid);
	if (!e)
		return 0;
	if (e->state == LAT_PENDING) {
		settle_pending(e);	/* e.g. killed while blocked */
	} else if (e->state == LAT_ACTIVE) {
		m = misc_of(e->slot);	/* exited inside it (exit_group, ...) */
		if (m)
			m->exited++;
	}
	bpf_map_delete_elem(&starts, &tid);
	return 0;
}

static __always_inline __u32 slot_of_nr(long nr)
{
	__u8 s;

	if ((unsigned long)nr >= LAT_MAX_NR)
		return 0;
	s = nr_slot[nr];
	if (s == LAT_NR_RESTART_MARK)
		return LAT_SLOT_RESTART + 1;
	return s;
}

static __always_inline long regs_syscall_nr(struct pt_regs *regs, bool btf)
{
#if defined(__TARGET_ARCH_x86)
	return btf ? regs->orig_ax : BPF_CORE_READ(regs, orig_ax);
#elif defined(__TARGET_ARCH_arm64)
	return btf ? regs->syscallno : BPF_CORE_READ(regs, syscallno);
#else
	return -1;
#endif
}

/*
 * The tracepoints see 32-bit (ia32) syscalls with their own numbers (ia32 45
 * is brk, x86_64 45 is recvfrom): skip them. x32 numbers are >= LAT_MAX_NR.
 */
static __always_inline bool compat_syscall(bool btf)
{
#if defined(__TARGET_ARCH_x86)
	if (btf)
		return bpf_get_current_task_btf()->thread_info.status & 0x0002;	/* TS_COMPAT */
	return BPF_CORE_READ((struct task_struct *)bpf_get_current_task(),
			     thread_info.status) & 0x0002;
#else
	return false;
#endif
}

static __always_inline int tp_enter(long nr, bool btf)
{
	__u32 s = slot_of_nr(nr);

	return s && !compat_syscall(btf) ? on_enter(s - 1, btf) : 0;
}

static __always_inline int tp_exit(struct pt_regs *regs, long ret, bool btf)
{
	__u32 s = slot_of_nr(regs_syscall_nr(regs, btf));

	return s && !compat_syscall(btf) ? on_exit(s - 1, ret, btf, regs, btf) : 0;
}

/*
 * A non-leader thread that execs takes the leader's thread id: move its
 * entry (an execve being timed, or just the idle entry) to the new id.
 */
static __always_inline int on_exec(__u32 old_tid)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct lat_start *e;

	if (old_tid == tid)
		return 0;
	e = bpf_map_lookup_elem(&starts, &old_tid);
	if (!e)
		return 0;
	if (e->state != LAT_IDLE)
		bpf_map_update_elem(&starts, &tid, e, BPF_ANY);
	bpf_map_delete_elem(&starts, &old_tid);
	return 0;
}

/* ---- tp_btf ---- */
SEC("tp_btf/sys_enter")
int BPF_PROG(lat_enter_btf, struct pt_regs *regs, long id)
{
	return tp_enter(id, true);
}

SEC("tp_btf/sys_exit")
int BPF_PROG(lat_exit_btf, struct pt_regs *regs, long ret)
{
	return tp_exit(regs, ret, true);
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(lat_texit_btf)
{
	return on_task_exit();
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(lat_exec_btf, struct task_struct *p, pid_t old_pid)
{
	return on_exec(old_pid);
}

/* ---- raw_tp ---- */
SEC("raw_tp/sys_enter")
int BPF_PROG(lat_enter_raw, struct pt_regs *regs, long id)
{
	return tp_enter(id, false);
}

SEC("raw_tp/sys_exit")
int BPF_PROG(lat_exit_raw, struct pt_regs *regs, long ret)
{
	return tp_exit(regs, ret, false);
}

SEC("raw_tp/sched_process_exit")
int BPF_PROG(lat_texit_raw)
{
	return on_task_exit();
}

SEC("raw_tp/sched_process_exec")
int BPF_PROG(lat_exec_raw, struct task_struct *p, pid_t old_pid)
{
	return on_exec(old_pid);
}

/* ---- fentry/fexit: target set by user space, slot fixed per program ---- */
#define LAT_FENTRY_PAIR(n)						\
SEC("fentry")								\
int lat_fentry_##n(void *ctx)						\
{									\
	return on_enter(n, true);					\
}									\
SEC("fexit")								\
int lat_fexit_##n(void *ctx)						\
{									\
	__u64 ret = 0;							\
									\
	__u64 regs = 0;							\
									\
	bpf_get_func_ret(ctx, &ret);					\
	/* __<arch>_sys_<name>(const struct pt_regs *regs) */		\
	bpf_get_func_arg(ctx, 0, &regs);				\
	return on_exit(n, (long)ret, true, (struct pt_regs *)regs, false); \
}

LAT_FENTRY_PAIR(0)  LAT_FENTRY_PAIR(1)  LAT_FENTRY_PAIR(2)  LAT_FENTRY_PAIR(3)
LAT_FENTRY_PAIR(4)  LAT_FENTRY_PAIR(5)  LAT_FENTRY_PAIR(6)  LAT_FENTRY_PAIR(7)
LAT_FENTRY_PAIR(8)  LAT_FENTRY_PAIR(9)  LAT_FENTRY_PAIR(10) LAT_FENTRY_PAIR(11)
LAT_FENTRY_PAIR(12) LAT_FENTRY_PAIR(13) LAT_FENTRY_PAIR(14) LAT_FENTRY_PAIR(15)
LAT_FENTRY_PAIR(16) LAT_FENTRY_PAIR(17) LAT_FENTRY_PAIR(18) LAT_FENTRY_PAIR(19)
LAT_FENTRY_PAIR(20) LAT_FENTRY_PAIR(21) LAT_FENTRY_PAIR(22) LAT_FENTRY_PAIR(23)
LAT_FENTRY_PAIR(24) LAT_FENTRY_PAIR(25) LAT_FENTRY_PAIR(26) LAT_FENTRY_PAIR(27)
LAT_FENTRY_PAIR(28) LAT_FENTRY_PAIR(29) LAT_FENTRY_PAIR(30) LAT_FENTRY_PAIR(31)

/* restart_syscall (the restart path of -ERESTART_RESTARTBLOCK, e.g. poll with a timeout) */
SEC("fentry")
int lat_fentry_rs(void *ctx)
{
	return on_enter(LAT_SLOT_RESTART, true);
}

SEC("fexit")
int lat_fexit_rs(void *ctx)
{
	__u64 ret = 0;

	bpf_get_func_ret(ctx, &ret);
	return on_exit(LAT_SLOT_RESTART, (long)ret, true, NULL, false);
}

/*
 * io_uring completions: io_uring:io_uring_complete fires once per CQE posted
 * (since 5.1; the arguments changed over time, none is read here, so a raw
 * tracepoint works on every version). Completions of a thread's requests are
 * posted in that thread's context (task work, inside io_uring_enter's wait
 * or on its way back to user space) or by the ring's io-wq workers, which
 * belong to the same process: the filter applies as for syscalls.
 */
SEC("raw_tp/io_uring_complete")
int BPF_PROG(lat_cqe_raw)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct lat_start *e;
	struct lat_misc *m;

	if (uring_slot >= LAT_MAX_SYSCALLS || !pass_filter())
		return 0;
	m = misc_of(uring_slot);
	if (!m)
		return 0;
	m->cqes++;
	e = bpf_map_lookup_elem(&starts, &tid);
	if (e && e->state == LAT_ACTIVE && e->slot == uring_slot)
		m->cqes_in_call++;
	return 0;
}
