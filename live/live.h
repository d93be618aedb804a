// SPDX-License-Identifier: GPL-2.0-only
//
// The live executor: runs operations on the running Linux kernel. Every
// process of a trace is a real agent process, forked from its parent exactly
// as the trace's `fork` says and commanded over a SOCK_SEQPACKET socket; the
// agents of one run share a process group of their own. The real system calls
// of gupcheck live only here (live.c), in plain C, so that `gupcheck repro`
// can embed the very same file in a standalone reproducer.
//
// The C++ side (live/oracle.h) translates trace operations into live_op
// values: addresses are final, processes, files and GUP calls are small slot
// numbers.
//
// Cleanup contract: live_close() kills the process group, reaps every agent
// and closes every descriptor live_open() or live_step() opened. Files are
// O_TMPFILE (no name ever exists), io_uring instances and pipes live in the
// agents and die with them. An agent whose controller disappears gets EOF
// on its socket (or SIGKILL through PR_SET_PDEATHSIG for the first agent)
// and exits.
#ifndef GUPCHECK_LIVE_H
#define GUPCHECK_LIVE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define LIVE_MAX_PROCS 64
#define LIVE_MAX_FILES 64
#define LIVE_MAX_GUPS 512
#define LIVE_MAX_PAGES 256 /* per operation */
#define LIVE_PAGE 4096UL
/* Where vpn 0 of the model lies: mappings are placed with MAP_FIXED_NOREPLACE
 * at LIVE_BASE + vpn * 4096 (64 KiB aligned, so fault-around windows line up
 * with the model's 16-entry page tables). 48 TiB: above AddressSanitizer's
 * shadow memory on x86-64 (which ends at 0x10007fff7fff, so the former base
 * 0x100000000000 collided with it under the asan preset: -EEXIST on mmap) and
 * below its allocator and the usual mmap area. */
#define LIVE_BASE 0x300000000000UL

enum live_kind {
  LIVE_NOP = 0,
  LIVE_MMAP,           /* addr npages backing shared prot file */
  LIVE_MUNMAP,         /* addr npages */
  LIVE_MPROTECT,       /* addr npages prot */
  LIVE_MADVISE,        /* addr npages advice */
  LIVE_READ,           /* addr: a user load of a u64 */
  LIVE_WRITE,          /* addr value: a user store of a u64 */
  LIVE_FORK,           /* proc -> child */
  LIVE_EXIT,           /* proc */
  LIVE_UFFD_ZEROPAGE,  /* addr: register MISSING, UFFDIO_ZEROPAGE, unregister */
  LIVE_URING_PIN,      /* addr npages gup: IORING_REGISTER_BUFFERS on a new ring */
  LIVE_URING_UNPIN,    /* gup: IORING_UNREGISTER_BUFFERS, close the ring */
  LIVE_DIO_READ,       /* addr npages: O_DIRECT pread of zeroes into the range */
  LIVE_DIO_WRITE,      /* addr npages: O_DIRECT pwrite of the range */
  LIVE_VMSPLICE,       /* addr npages gup: vmsplice into a new pipe, kept */
  LIVE_PIPE_CLOSE,     /* gup: close the pipe (drops its page references) */
  LIVE_PVM_READ,       /* addr npages: process_vm_readv by the controller */
  LIVE_PVM_WRITE,      /* addr npages value: process_vm_writev by the controller */
  LIVE_MEM_READ,       /* addr npages: pread of /proc/PID/mem by the controller */
  LIVE_MEM_WRITE,      /* addr npages value: pwrite of /proc/PID/mem */
  LIVE_MLOCK,          /* addr npages */
  LIVE_REMOTE_READ,    /* target addr via_mem: the agent reads a u64 of the target agent's memory */
  LIVE_REMOTE_WRITE,   /* target addr via_mem value: the agent writes a u64 into the target's memory */
  LIVE_STAT,           /* addr: move_pages(2) with nodes == NULL, the page's status */
  LIVE_NKINDS
};

enum live_backing {
  LIVE_ANON = 0,     /* MAP_ANONYMOUS */
  LIVE_SHARED_ANON,  /* MAP_SHARED|MAP_ANONYMOUS */
  LIVE_MEMFD,        /* memfd_create() file (shmem), 1 MiB */
  LIVE_FILE,         /* O_TMPFILE on a real file system (ext4 here), 1 MiB */
};

enum live_prot { LIVE_PROT_NONE = 0, LIVE_PROT_R = 1, LIVE_PROT_RW = 2 };

struct live_op {
  int kind;
  int proc;     /* acting process slot */
  int child;    /* fork: the child's slot */
  int gup;      /* GUP slot (ring or pipe) */
  int backing;  /* enum live_backing */
  int shared;
  int prot;     /* enum live_prot */
  int file;     /* file slot for LIVE_MEMFD / LIVE_FILE */
  int advice;   /* madvise advice */
  uint64_t addr;
  uint64_t npages;
  uint64_t value; /* stored value (LIVE_WRITE), first word of each page (PVM/MEM_WRITE) */
  int populate;   /* LIVE_MMAP: MAP_POPULATE semantics */
  int target;     /* LIVE_REMOTE_*: the target's process slot */
  int target_pid; /* LIVE_REMOTE_*: its pid, filled in by live_step() */
  int via_mem;    /* LIVE_REMOTE_*: /proc/PID/mem (1) or process_vm_readv/writev (0) */
};

struct live_result {
  long ret;     /* return value, or -errno */
  int signal;   /* SIGSEGV / SIGBUS of a user access, else 0 */
  int has_value;
  uint64_t value;
};

/* One page as /proc/PID/pagemap, /proc/kpageflags and /proc/kpagecount show it. */
struct live_page {
  int present;     /* pagemap bit 63 */
  int exclusive;   /* pagemap bit 56 PM_MMAP_EXCLUSIVE */
  int file;        /* pagemap bit 61 PM_FILE (file page or shared anon) */
  int zero;        /* kpageflags KPF_ZERO_PAGE */
  int anon;        /* kpageflags KPF_ANON */
  long mapcount;   /* kpagecount */
  uint64_t pfn;    /* only for identity classes; never reported raw */
};

/* One VMA as /proc/PID/maps shows it. */
struct live_vma {
  uint64_t start, end; /* addresses */
  int read, write, exec, shared;
};

struct live;

/* "" when this machine can run the live executor, else why not (not root,
 * no /proc/kpageflags, ...). */
const char *live_unavailable(void);
/* Where the scratch files go: tmpdir, else $TMPDIR, relocated to /var/tmp
 * when that is tmpfs or ramfs (their O_DIRECT pins nothing); NULL when
 * neither is on a file system that can pin. */
const char *live_scratch_dir(const char *tmpdir);
/* Starts a run: the first agent (p0) and the scratch files. tmpdir: where the
 * O_TMPFILE files go ("" = $TMPDIR or /var/tmp; see live_scratch_dir()). timeout_ms bounds every
 * step. Return: NULL with a message in err on failure. */
struct live *live_open(const char *tmpdir, int timeout_ms, char *err, size_t errlen);
/* Runs one operation. Return: 0, or -1 when the run broke (an agent died or
 * timed out; the message is in live_error()); the run must then be closed. */
int live_step(struct live *L, const struct live_op *op, struct live_result *r);
/* Observes npages pages of process slot proc from addr. Return: 0 or -1. */
int live_observe(struct live *L, int proc, uint64_t addr, uint64_t npages, struct live_page *out);
/* The VMAs of process slot proc that lie in [lo, hi), from /proc/PID/maps,
 * at most max of them. Return: how many, or -1. */
int live_vmas(struct live *L, int proc, uint64_t lo, uint64_t hi, struct live_vma *out, int max);
const char *live_error(const struct live *L);
/* The start of the VMA named `name` (e.g. "[vvar]") in process slot proc,
 * from /proc/PID/maps; 0 when there is none. For GUP over PFNMAP VMAs. */
uint64_t live_vma_start(struct live *L, int proc, const char *name);
/* Kills every agent, reaps them, closes everything. NULL is fine. */
void live_close(struct live *L);
/* Number of agents alive in the run (for tests). */
int live_agents(const struct live *L);

#ifdef __cplusplus
}
#endif
#endif
