// SPDX-License-Identifier: GPL-2.0-only
//
// The live executor's real system calls (see live.h). Plain C with no
// dependency beyond libc and the kernel's UAPI headers, because `gupcheck
// repro` pastes this file into standalone reproducers.
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#ifndef LIVE_EMBEDDED
#include "live/live.h"
#endif

#include <errno.h>
#include <fcntl.h>
#include <linux/io_uring.h>
#include <linux/userfaultfd.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif

#define LIVE_FILE_BYTES (LIVE_MAX_PAGES * LIVE_PAGE)
/* The O_DIRECT scratch file: reads come from [0, 1 MiB) (always zero),
 * writes go to [1 MiB, 2 MiB), so a read never returns written data. */
#define LIVE_DIO_WRITE_OFF LIVE_FILE_BYTES

struct live_agent {
  pid_t pid;       /* 0: never existed; -1: exited */
  int sock;        /* controller's end */
  int pidfd;       /* -1 when unavailable */
  int pagemap;     /* /proc/PID/pagemap, opened after the agent exists */
  int mem;         /* /proc/PID/mem, opened lazily */
};

struct live {
  struct live_agent agents[LIVE_MAX_PROCS];
  int files[LIVE_MAX_FILES]; /* controller's descriptors, -1 unused */
  int file_backing[LIVE_MAX_FILES];
  int dio;                    /* O_DIRECT scratch file */
  int kpageflags, kpagecount;
  pid_t pgid;
  int timeout_ms;
  char tmpdir[256];
  char error[256];
  unsigned char *buf;         /* controller's bounce buffer, LIVE_FILE_BYTES */
  int buf_node;               /* NUMA node of buf's first page, -1: no move_pages() */
};

/* ------------------------------------------------------------------------ */
/* Messages: one live_op down, one live_result up; descriptors ride along
 * with SCM_RIGHTS (a file to map, or a fork child's socket). */

static int send_msg(int sock, const void *p, size_t n, int fd) {
  struct iovec iov = {(void *)p, n};
  union {
    char buf[CMSG_SPACE(sizeof(int))];
    struct cmsghdr align;
  } u;
  struct msghdr m;
  memset(&m, 0, sizeof m);
  m.msg_iov = &iov;
  m.msg_iovlen = 1;
  if (fd >= 0) {
    memset(&u, 0, sizeof u);
    m.msg_control = u.buf;
    m.msg_controllen = sizeof u.buf;
    struct cmsghdr *c = CMSG_FIRSTHDR(&m);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &fd, sizeof fd);
  }
  ssize_t r;
  do r = sendmsg(sock, &m, MSG_NOSIGNAL);
  while (r < 0 && errno == EINTR);
  return r == (ssize_t)n ? 0 : -1;
}

static ssize_t recv_msg(int sock, void *p, size_t n, int *fd) {
  struct iovec iov = {p, n};
  union {
    char buf[CMSG_SPACE(sizeof(int))];
    struct cmsghdr align;
  } u;
  struct msghdr m;
  memset(&m, 0, sizeof m);
  m.msg_iov = &iov;
  m.msg_iovlen = 1;
  m.msg_control = u.buf;
  m.msg_controllen = sizeof u.buf;
  ssize_t r;
  do r = recvmsg(sock, &m, MSG_CMSG_CLOEXEC);
  while (r < 0 && errno == EINTR);
  if (fd) *fd = -1;
  if (r > 0) {
    struct cmsghdr *c = CMSG_FIRSTHDR(&m);
    if (c && c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
      int got;
      memcpy(&got, CMSG_DATA(c), sizeof got);
      if (fd)
        *fd = got;
      else
        close(got);
    }
  }
  return r;
}

/* ------------------------------------------------------------------------ */
/* The agent: one per trace process. Performs the operations that must run
 * in the process whose memory they touch. */

static sigjmp_buf agent_jb;
static volatile sig_atomic_t agent_in_access;

static void agent_on_fault(int sig) {
  if (agent_in_access) siglongjmp(agent_jb, sig);
  _exit(128 + sig);
}

struct agent_state {
  int sock;
  int dio;
  int ring[LIVE_MAX_GUPS]; /* io_uring fds, -1 */
  int pipe_r[LIVE_MAX_GUPS], pipe_w[LIVE_MAX_GUPS];
};

static int prot_bits(int prot) {
  return prot == LIVE_PROT_RW ? PROT_READ | PROT_WRITE : prot == LIVE_PROT_R ? PROT_READ : PROT_NONE;
}

static long agent_mmap(const struct live_op *op, int fd) {
  int flags = MAP_FIXED_NOREPLACE | (op->shared ? MAP_SHARED : MAP_PRIVATE);
  if (op->backing == LIVE_ANON || op->backing == LIVE_SHARED_ANON) {
    flags |= MAP_ANONYMOUS;
    fd = -1;
  }
  void *want = (void *)(uintptr_t)op->addr;
  void *p = mmap(want, op->npages * LIVE_PAGE, prot_bits(op->prot), flags, fd, 0);
  if (p == MAP_FAILED) return -errno;
  if (p != want) {
    munmap(p, op->npages * LIVE_PAGE);
    return -EEXIST;
  }
  /* Observation normalisation: no (m)THP, whatever the sysfs defaults say
   * (the model has order-0 folios only), and no readahead on file mappings
   * (the model's page cache holds exactly the pages that were touched). */
  madvise(p, op->npages * LIVE_PAGE, MADV_NOHUGEPAGE);
  if (op->backing == LIVE_FILE || op->backing == LIVE_MEMFD) madvise(p, op->npages * LIVE_PAGE, MADV_RANDOM);
  /* MAP_POPULATE, after the advice (so it reads nothing ahead): mm_populate()
   * faults private writable memory for writing and the rest for reading,
   * ignoring errors -- what MADV_POPULATE_WRITE / _READ do here. */
  if (op->populate) {
    int w = !op->shared && op->prot == LIVE_PROT_RW;
    madvise(p, op->npages * LIVE_PAGE, w ? MADV_POPULATE_WRITE : MADV_POPULATE_READ);
  }
  return 0;
}

static long agent_uffd_zeropage(uint64_t addr) {
  int uf = (int)syscall(__NR_userfaultfd, O_CLOEXEC | O_NONBLOCK);
  if (uf < 0) return -errno;
  long ret = 0;
  struct uffdio_api api;
  memset(&api, 0, sizeof api);
  api.api = UFFD_API;
  struct uffdio_register reg;
  memset(&reg, 0, sizeof reg);
  reg.range.start = addr;
  reg.range.len = LIVE_PAGE;
  reg.mode = UFFDIO_REGISTER_MODE_MISSING;
  if (ioctl(uf, UFFDIO_API, &api) < 0 || ioctl(uf, UFFDIO_REGISTER, &reg) < 0) {
    ret = -errno;
    close(uf);
    return ret;
  }
  struct uffdio_zeropage zp;
  memset(&zp, 0, sizeof zp);
  zp.range.start = addr;
  zp.range.len = LIVE_PAGE;
  if (ioctl(uf, UFFDIO_ZEROPAGE, &zp) < 0) ret = -errno;
  ioctl(uf, UFFDIO_UNREGISTER, &reg.range);
  close(uf);
  return ret;
}

/* A remote access between trace processes, made by this agent: one u64 at
 * addr in the target agent, through /proc/PID/mem (mem_rw() ->
 * access_remote_vm(), FOLL_FORCE) or process_vm_readv/writev()
 * (pin_user_pages_remote()). Return: 0, or -errno (-EIO / -EFAULT). */
static long agent_remote(const struct live_op *op, struct live_result *r) {
  uint64_t v = op->value;
  int write = op->kind == LIVE_REMOTE_WRITE;
  ssize_t n;
  if (op->via_mem) {
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/mem", op->target_pid);
    int fd = open(path, (write ? O_WRONLY : O_RDONLY) | O_CLOEXEC);
    if (fd < 0) return -errno;
    n = write ? pwrite(fd, &v, sizeof v, (off_t)op->addr) : pread(fd, &v, sizeof v, (off_t)op->addr);
    int e = errno;
    close(fd);
    errno = e;
  } else {
    struct iovec local = {&v, sizeof v}, remote = {(void *)(uintptr_t)op->addr, sizeof v};
    n = write ? process_vm_writev(op->target_pid, &local, 1, &remote, 1, 0)
              : process_vm_readv(op->target_pid, &local, 1, &remote, 1, 0);
  }
  if (n < 0) return -errno;
  if (n != (ssize_t)sizeof v) return op->via_mem ? -EIO : -EFAULT;
  if (!write) {
    r->has_value = 1;
    r->value = v;
  }
  return 0;
}

static void agent_close_gup(struct agent_state *s, int g) {
  if (s->ring[g] >= 0) {
    syscall(__NR_io_uring_register, s->ring[g], IORING_UNREGISTER_BUFFERS, NULL, 0);
    close(s->ring[g]);
    s->ring[g] = -1;
  }
  if (s->pipe_r[g] >= 0) close(s->pipe_r[g]);
  if (s->pipe_w[g] >= 0) close(s->pipe_w[g]);
  s->pipe_r[g] = s->pipe_w[g] = -1;
}

static void agent_run(struct agent_state *s, const struct live_op *op, int fd, struct live_result *r) {
  void *addr = (void *)(uintptr_t)op->addr;
  size_t len = op->npages * LIVE_PAGE;
  int g = op->gup >= 0 && op->gup < LIVE_MAX_GUPS ? op->gup : 0;
  switch (op->kind) {
    case LIVE_MMAP: r->ret = agent_mmap(op, fd); break;
    case LIVE_MUNMAP: r->ret = munmap(addr, len) < 0 ? -errno : 0; break;
    case LIVE_MPROTECT: r->ret = mprotect(addr, len, prot_bits(op->prot)) < 0 ? -errno : 0; break;
    case LIVE_MADVISE: r->ret = madvise(addr, len, op->advice) < 0 ? -errno : 0; break;
    case LIVE_MLOCK: r->ret = mlock(addr, len) < 0 ? -errno : 0; break;
    case LIVE_READ:
    case LIVE_WRITE: {
      int sig = sigsetjmp(agent_jb, 1);
      if (sig == 0) {
        agent_in_access = 1;
        if (op->kind == LIVE_READ) {
          r->value = *(volatile uint64_t *)addr;
          r->has_value = 1;
        } else {
          *(volatile uint64_t *)addr = op->value;
        }
        agent_in_access = 0;
      } else {
        agent_in_access = 0;
        r->signal = sig;
      }
      break;
    }
    case LIVE_UFFD_ZEROPAGE: r->ret = agent_uffd_zeropage(op->addr); break;
    case LIVE_URING_PIN: {
      struct io_uring_params p;
      memset(&p, 0, sizeof p);
      int ring = (int)syscall(__NR_io_uring_setup, 1, &p);
      if (ring < 0) {
        r->ret = -errno;
        break;
      }
      struct iovec iov = {addr, len};
      if (syscall(__NR_io_uring_register, ring, IORING_REGISTER_BUFFERS, &iov, 1) < 0) {
        r->ret = -errno;
        close(ring);
        break;
      }
      agent_close_gup(s, g);
      s->ring[g] = ring;
      break;
    }
    case LIVE_URING_UNPIN:
    case LIVE_PIPE_CLOSE: agent_close_gup(s, g); break;
    case LIVE_DIO_READ: {
      ssize_t n = pread(s->dio, addr, len, 0);
      r->ret = n < 0 ? -errno : n;
      break;
    }
    case LIVE_DIO_WRITE: {
      ssize_t n = pwrite(s->dio, addr, len, LIVE_DIO_WRITE_OFF);
      r->ret = n < 0 ? -errno : n;
      break;
    }
    case LIVE_VMSPLICE: {
      int p[2];
      if (pipe2(p, O_CLOEXEC) < 0) {
        r->ret = -errno;
        break;
      }
      fcntl(p[1], F_SETPIPE_SZ, (int)LIVE_FILE_BYTES);
      struct iovec iov = {addr, len};
      ssize_t n = vmsplice(p[1], &iov, 1, SPLICE_F_NONBLOCK);
      r->ret = n < 0 ? -errno : n;
      agent_close_gup(s, g);
      s->pipe_r[g] = p[0];
      s->pipe_w[g] = p[1];
      break;
    }
    case LIVE_REMOTE_READ:
    case LIVE_REMOTE_WRITE: r->ret = agent_remote(op, r); break;
    case LIVE_STAT: {
      void *page = addr;
      int status = 0;
      r->ret = syscall(__NR_move_pages, 0, 1UL, &page, NULL, &status, 0) < 0 ? -errno : status;
      break;
    }
    default: r->ret = -ENOSYS; break;
  }
}

static void agent_main(int sock, int dio) {
  struct agent_state s;
  s.sock = sock;
  s.dio = dio;
  for (int i = 0; i < LIVE_MAX_GUPS; i++) s.ring[i] = s.pipe_r[i] = s.pipe_w[i] = -1;
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = agent_on_fault;
  sa.sa_flags = SA_NODEFER;
  sigaction(SIGSEGV, &sa, NULL);
  sigaction(SIGBUS, &sa, NULL);
  signal(SIGINT, SIG_IGN);
  signal(SIGTERM, SIG_DFL);
  signal(SIGPIPE, SIG_IGN);
  signal(SIGCHLD, SIG_IGN); /* our children are reaped by the kernel */
  for (;;) {
    struct live_op op;
    int fd = -1;
    ssize_t n = recv_msg(s.sock, &op, sizeof op, &fd);
    if (n != (ssize_t)sizeof op) _exit(0); /* the controller is gone */
    struct live_result r;
    memset(&r, 0, sizeof r);
    if (op.kind == LIVE_EXIT) {
      send_msg(s.sock, &r, sizeof r, -1);
      _exit(0);
    }
    if (op.kind == LIVE_FORK) {
      pid_t pid = fork();
      if (pid == 0) {
        /* The child: its own socket, none of the parent's pins or pipes. */
        close(s.sock);
        s.sock = fd;
        for (int i = 0; i < LIVE_MAX_GUPS; i++) {
          if (s.ring[i] >= 0) close(s.ring[i]);
          if (s.pipe_r[i] >= 0) close(s.pipe_r[i]);
          if (s.pipe_w[i] >= 0) close(s.pipe_w[i]);
          s.ring[i] = s.pipe_r[i] = s.pipe_w[i] = -1;
        }
        continue;
      }
      r.ret = pid < 0 ? -errno : pid;
      if (fd >= 0) close(fd);
      send_msg(s.sock, &r, sizeof r, -1);
      continue;
    }
    agent_run(&s, &op, fd, &r);
    if (fd >= 0) close(fd);
    if (send_msg(s.sock, &r, sizeof r, -1) < 0) _exit(0);
  }
}

/* ------------------------------------------------------------------------ */
/* The controller. */

static void set_error(struct live *L, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(L->error, sizeof L->error, fmt, ap);
  va_end(ap);
}

const char *live_unavailable(void) {
  if (geteuid() != 0) return "the live executor needs root (it reads /proc/kpageflags and pfns in /proc/PID/pagemap)";
  if (access("/proc/kpageflags", R_OK) != 0) return "/proc/kpageflags is not readable (CONFIG_PROC_PAGE_MONITOR?)";
  if (access("/proc/kpagecount", R_OK) != 0) return "/proc/kpagecount is not readable";
  if (access("/proc/self/pagemap", R_OK) != 0) return "/proc/self/pagemap is not readable";
  return "";
}

const char *live_error(const struct live *L) { return L ? L->error : "no run"; }

int live_agents(const struct live *L) {
  int n = 0;
  for (int i = 0; i < LIVE_MAX_PROCS; i++) n += L->agents[i].pid > 0;
  return n;
}

/* Whether dir's file system can pin: O_DIRECT on tmpfs or ramfs copies
 * through the page cache and never pins user pages (and their `file:fN`
 * files are no block-backed page cache), so the same trace would give the
 * kernel other results. */
static int can_pin_files(const char *dir) {
  struct statfs sf;
  if (statfs(dir, &sf) != 0) return 0;
  return sf.f_type != 0x01021994 /* TMPFS_MAGIC */ && sf.f_type != (typeof(sf.f_type))0x858458f6 /* RAMFS_MAGIC */;
}

const char *live_scratch_dir(const char *tmpdir) {
  const char *dir = tmpdir && *tmpdir ? tmpdir : getenv("TMPDIR");
  if (dir && *dir && can_pin_files(dir)) return dir;
  if (can_pin_files("/var/tmp")) return "/var/tmp"; /* relocated off tmpfs */
  return NULL;
}

static int open_tmpfile(const struct live *L, int flags) {
  return open(L->tmpdir, O_TMPFILE | O_RDWR | O_CLOEXEC | flags, 0600);
}

static int fill_zero(int fd, uint64_t bytes) {
  static const char zero[65536];
  for (uint64_t off = 0; off < bytes; off += sizeof zero)
    if (pwrite(fd, zero, sizeof zero, (off_t)off) != (ssize_t)sizeof zero) return -1;
  return fsync(fd);
}

static void open_proc_files(struct live_agent *a) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/pagemap", (int)a->pid);
  a->pagemap = open(path, O_RDONLY | O_CLOEXEC);
  a->pidfd = (int)syscall(__NR_pidfd_open, a->pid, 0);
  a->mem = -1;
}

struct live *live_open(const char *tmpdir, int timeout_ms, char *err, size_t errlen) {
  const char *why = live_unavailable();
  if (*why) {
    snprintf(err, errlen, "%s", why);
    return NULL;
  }
  struct live *L = calloc(1, sizeof *L);
  if (!L) {
    snprintf(err, errlen, "out of memory");
    return NULL;
  }
  for (int i = 0; i < LIVE_MAX_PROCS; i++) {
    L->agents[i].sock = L->agents[i].pidfd = L->agents[i].pagemap = L->agents[i].mem = -1;
  }
  for (int i = 0; i < LIVE_MAX_FILES; i++) L->files[i] = -1;
  L->dio = L->kpageflags = L->kpagecount = -1;
  L->timeout_ms = timeout_ms > 0 ? timeout_ms : 5000;
  const char *dir = live_scratch_dir(tmpdir);
  if (!dir) {
    snprintf(err, errlen, "no scratch directory on a file system that pins O_DIRECT buffers");
    live_close(L);
    return NULL;
  }
  snprintf(L->tmpdir, sizeof L->tmpdir, "%s", dir);
  L->buf = mmap(NULL, LIVE_FILE_BYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (L->buf == MAP_FAILED) {
    L->buf = NULL;
    snprintf(err, errlen, "mmap of the bounce buffer: %s", strerror(errno));
    live_close(L);
    return NULL;
  }
  L->buf[0] = 0; /* present, so move_pages() finds it (settle()) */
  {
    void *page = L->buf;
    int status = -1;
    L->buf_node = syscall(__NR_move_pages, 0, 1UL, &page, NULL, &status, 0) == 0 && status >= 0 ? status : -1;
  }
  L->kpageflags = open("/proc/kpageflags", O_RDONLY | O_CLOEXEC);
  L->kpagecount = open("/proc/kpagecount", O_RDONLY | O_CLOEXEC);
  /* The O_DIRECT scratch file is written once per controller process and
   * shared by its runs (filling it costs more than a whole small trace); it
   * is O_TMPFILE, so it has no name and vanishes when the process exits.
   * Each run holds its own dup(). */
  static int shared_dio = -1;
  if (shared_dio < 0) {
    int fd = open_tmpfile(L, 0);
    if (fd >= 0 && (fill_zero(fd, 2 * LIVE_FILE_BYTES) < 0 || fcntl(fd, F_SETFL, O_DIRECT) < 0)) {
      close(fd);
      fd = -1;
    }
    shared_dio = fd;
  }
  L->dio = shared_dio >= 0 ? fcntl(shared_dio, F_DUPFD_CLOEXEC, 0) : -1;
  if (L->kpageflags < 0 || L->kpagecount < 0 || L->dio < 0) {
    snprintf(err, errlen, "setting up %s/O_TMPFILE with O_DIRECT and /proc/kpage*: %s", L->tmpdir, strerror(errno));
    live_close(L);
    return NULL;
  }
  /* Orphaned agents (their parent agent exited first) come back to us. */
  prctl(PR_SET_CHILD_SUBREAPER, 1);
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
    snprintf(err, errlen, "socketpair: %s", strerror(errno));
    live_close(L);
    return NULL;
  }
  pid_t parent = getpid();
  pid_t pid = fork();
  if (pid == 0) {
    close(sv[0]);
    setpgid(0, 0);
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(0);
    agent_main(sv[1], L->dio);
    _exit(0);
  }
  close(sv[1]);
  if (pid < 0) {
    close(sv[0]);
    snprintf(err, errlen, "fork: %s", strerror(errno));
    live_close(L);
    return NULL;
  }
  setpgid(pid, pid); /* both sides, so the group exists before anyone uses it */
  L->pgid = pid;
  L->agents[0].pid = pid;
  L->agents[0].sock = sv[0];
  open_proc_files(&L->agents[0]);
  return L;
}

/* Waits for one reply from agent a; -1 on timeout or a dead agent. */
static int await_reply(struct live *L, struct live_agent *a, struct live_result *r) {
  struct pollfd p = {a->sock, POLLIN, 0};
  int n;
  do n = poll(&p, 1, L->timeout_ms);
  while (n < 0 && errno == EINTR);
  if (n == 0) {
    set_error(L, "agent %d timed out after %d ms", (int)a->pid, L->timeout_ms);
    return -1;
  }
  if (recv_msg(a->sock, r, sizeof *r, NULL) != (ssize_t)sizeof *r) {
    set_error(L, "agent %d died", (int)a->pid);
    return -1;
  }
  return 0;
}

/* Waits until the process behind a is gone (its mm torn down). */
static int await_exit(struct live *L, struct live_agent *a) {
  if (a->pidfd >= 0) {
    struct pollfd p = {a->pidfd, POLLIN, 0};
    int n;
    do n = poll(&p, 1, L->timeout_ms);
    while (n < 0 && errno == EINTR);
    if (n == 0) {
      set_error(L, "agent %d did not exit", (int)a->pid);
      return -1;
    }
  }
  /* Our child or an orphan given to us: reap it. Otherwise its parent
   * agent ignores SIGCHLD and the kernel reaped it. */
  waitpid(a->pid, NULL, __WALL);
  return 0;
}

static void close_agent(struct live_agent *a) {
  if (a->sock >= 0) close(a->sock);
  if (a->pidfd >= 0) close(a->pidfd);
  if (a->pagemap >= 0) close(a->pagemap);
  if (a->mem >= 0) close(a->mem);
  a->sock = a->pidfd = a->pagemap = a->mem = -1;
}

static int get_file(struct live *L, const struct live_op *op) {
  if (op->file < 0 || op->file >= LIVE_MAX_FILES) return -1;
  if (L->files[op->file] >= 0) return L->files[op->file];
  int fd = op->backing == LIVE_MEMFD ? (int)syscall(__NR_memfd_create, "gupcheck", MFD_CLOEXEC) : open_tmpfile(L, 0);
  if (fd < 0) return -1;
  if (ftruncate(fd, LIVE_FILE_BYTES) < 0) {
    close(fd);
    return -1;
  }
  L->files[op->file] = fd;
  L->file_backing[op->file] = op->backing;
  return fd;
}

/* The controller-side mechanisms: remote GUP on the agent's mm. */
static long remote_op(struct live *L, struct live_agent *a, const struct live_op *op) {
  size_t len = op->npages * LIVE_PAGE;
  if (len > LIVE_FILE_BYTES) return -EINVAL;
  int write = op->kind == LIVE_PVM_WRITE || op->kind == LIVE_MEM_WRITE;
  if (write) {
    memset(L->buf, 0, len);
    for (uint64_t i = 0; i < op->npages; i++) memcpy(L->buf + i * LIVE_PAGE, &op->value, sizeof op->value);
  }
  ssize_t n;
  if (op->kind == LIVE_PVM_READ || op->kind == LIVE_PVM_WRITE) {
    struct iovec local = {L->buf, len}, remote = {(void *)(uintptr_t)op->addr, len};
    n = write ? process_vm_writev(a->pid, &local, 1, &remote, 1, 0) : process_vm_readv(a->pid, &local, 1, &remote, 1, 0);
  } else {
    if (a->mem < 0) {
      char path[64];
      snprintf(path, sizeof path, "/proc/%d/mem", (int)a->pid);
      a->mem = open(path, O_RDWR | O_CLOEXEC);
      if (a->mem < 0) return -errno;
    }
    n = write ? pwrite(a->mem, L->buf, len, (off_t)op->addr) : pread(a->mem, L->buf, len, (off_t)op->addr);
  }
  return n < 0 ? -errno : n;
}

/* Settles the kernel before a step: folios still sitting in another CPU's
 * per-CPU LRU or mlock batch hold an extra reference, and
 * wp_can_reuse_anon_folio() (mm/memory.c) drains only the local CPU's
 * batches (lru_add_drain()), so a write fault would copy a folio the
 * model (whose refcount has no per-CPU batches) reuses. move_pages(2) of
 * one of our own pages to the node it is on migrates nothing but runs
 * do_pages_move(), which starts with lru_add_drain_all() (mm/migrate.c):
 * every CPU's batches are flushed. */
static void settle(struct live *L) {
  if (L->buf_node < 0) return;
  void *page = L->buf;
  int node = L->buf_node, status = 0;
  syscall(__NR_move_pages, 0, 1UL, &page, &node, &status, 0);
}

int live_step(struct live *L, const struct live_op *op, struct live_result *r) {
  memset(r, 0, sizeof *r);
  if (op->kind == LIVE_NOP) return 0;
  settle(L);
  if (op->proc < 0 || op->proc >= LIVE_MAX_PROCS || L->agents[op->proc].pid <= 0) {
    set_error(L, "process slot %d has no agent", op->proc);
    return -1;
  }
  struct live_agent *a = &L->agents[op->proc];
  switch (op->kind) {
    case LIVE_PVM_READ:
    case LIVE_PVM_WRITE:
    case LIVE_MEM_READ:
    case LIVE_MEM_WRITE: r->ret = remote_op(L, a, op); return 0;
    default: break;
  }
  struct live_op remote;
  if (op->kind == LIVE_REMOTE_READ || op->kind == LIVE_REMOTE_WRITE) {
    if (op->target < 0 || op->target >= LIVE_MAX_PROCS || L->agents[op->target].pid <= 0) {
      set_error(L, "remote access: process slot %d has no agent", op->target);
      return -1;
    }
    remote = *op;
    remote.target_pid = L->agents[op->target].pid;
    op = &remote;
  }
  int fd = -1, child_sock = -1;
  if (op->kind == LIVE_MMAP && (op->backing == LIVE_MEMFD || op->backing == LIVE_FILE)) {
    fd = get_file(L, op);
    if (fd < 0) {
      r->ret = -errno;
      return 0;
    }
  }
  if (op->kind == LIVE_FORK) {
    if (op->child < 0 || op->child >= LIVE_MAX_PROCS || L->agents[op->child].pid != 0) {
      set_error(L, "bad fork child slot %d", op->child);
      return -1;
    }
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
      set_error(L, "socketpair: %s", strerror(errno));
      return -1;
    }
    fd = sv[1];
    child_sock = sv[0];
  }
  int sent = send_msg(a->sock, op, sizeof *op, fd);
  if (op->kind == LIVE_FORK) close(fd);
  if (sent < 0) {
    if (child_sock >= 0) close(child_sock);
    set_error(L, "agent %d: send: %s", (int)a->pid, strerror(errno));
    return -1;
  }
  if (await_reply(L, a, r) < 0) {
    if (child_sock >= 0) close(child_sock);
    return -1;
  }
  if (op->kind == LIVE_FORK) {
    if (r->ret < 0) {
      close(child_sock);
      return 0;
    }
    struct live_agent *c = &L->agents[op->child];
    c->pid = (pid_t)r->ret;
    c->sock = child_sock;
    open_proc_files(c);
    r->ret = 0;
  } else if (op->kind == LIVE_EXIT) {
    int rc = await_exit(L, a);
    close_agent(a);
    a->pid = -1;
    return rc;
  }
  return 0;
}

int live_observe(struct live *L, int proc, uint64_t addr, uint64_t npages, struct live_page *out) {
  memset(out, 0, npages * sizeof *out);
  if (proc < 0 || proc >= LIVE_MAX_PROCS || L->agents[proc].pid <= 0 || L->agents[proc].pagemap < 0) {
    set_error(L, "observe: process slot %d has no agent", proc);
    return -1;
  }
  uint64_t ents[LIVE_MAX_PAGES + 1];
  if (npages > LIVE_MAX_PAGES + 1) return -1;
  off_t off = (off_t)(addr / LIVE_PAGE * sizeof(uint64_t));
  if (pread(L->agents[proc].pagemap, ents, npages * sizeof(uint64_t), off) != (ssize_t)(npages * sizeof(uint64_t))) {
    set_error(L, "pagemap of %d: %s", (int)L->agents[proc].pid, strerror(errno));
    return -1;
  }
  for (uint64_t i = 0; i < npages; i++) {
    uint64_t e = ents[i];
    struct live_page *p = &out[i];
    p->present = (int)(e >> 63 & 1);
    if (!p->present) continue;
    p->exclusive = (int)(e >> 56 & 1);
    p->file = (int)(e >> 61 & 1);
    p->pfn = e & ((1ULL << 55) - 1);
    uint64_t flags = 0, count = 0;
    if (pread(L->kpageflags, &flags, sizeof flags, (off_t)(p->pfn * 8)) != sizeof flags ||
        pread(L->kpagecount, &count, sizeof count, (off_t)(p->pfn * 8)) != sizeof count) {
      set_error(L, "kpageflags/kpagecount of a pfn: %s", strerror(errno));
      return -1;
    }
    p->zero = (int)(flags >> 24 & 1); /* KPF_ZERO_PAGE */
    p->anon = (int)(flags >> 12 & 1); /* KPF_ANON */
    p->mapcount = (long)count;
  }
  return 0;
}

int live_vmas(struct live *L, int proc, uint64_t lo, uint64_t hi, struct live_vma *out, int max) {
  if (proc < 0 || proc >= LIVE_MAX_PROCS || L->agents[proc].pid <= 0) {
    set_error(L, "maps: process slot %d has no agent", proc);
    return -1;
  }
  char path[64], line[512];
  snprintf(path, sizeof path, "/proc/%d/maps", (int)L->agents[proc].pid);
  FILE *f = fopen(path, "re");
  if (!f) {
    set_error(L, "%s: %s", path, strerror(errno));
    return -1;
  }
  int n = 0;
  while (fgets(line, sizeof line, f)) {
    unsigned long long start, end;
    char perms[8];
    if (sscanf(line, "%llx-%llx %7s", &start, &end, perms) != 3) continue;
    if (start < lo || start >= hi) continue;
    if (n == max) break;
    struct live_vma *v = &out[n++];
    v->start = start;
    v->end = end;
    v->read = perms[0] == 'r';
    v->write = perms[1] == 'w';
    v->exec = perms[2] == 'x';
    v->shared = perms[3] == 's';
  }
  fclose(f);
  return n;
}

uint64_t live_vma_start(struct live *L, int proc, const char *name) {
  if (proc < 0 || proc >= LIVE_MAX_PROCS || L->agents[proc].pid <= 0) return 0;
  char path[64], line[512];
  snprintf(path, sizeof path, "/proc/%d/maps", (int)L->agents[proc].pid);
  FILE *f = fopen(path, "re");
  if (!f) return 0;
  uint64_t start = 0;
  size_t n = strlen(name);
  while (fgets(line, sizeof line, f)) {
    size_t len = strlen(line);
    while (len && (line[len - 1] == '\n' || line[len - 1] == ' ')) line[--len] = 0;
    if (len >= n && strcmp(line + len - n, name) == 0) {
      start = strtoull(line, NULL, 16);
      break;
    }
  }
  fclose(f);
  return start;
}

void live_close(struct live *L) {
  if (!L) return;
  if (L->pgid > 0) kill(-L->pgid, SIGKILL);
  for (int i = 0; i < LIVE_MAX_PROCS; i++)
    if (L->agents[i].pid > 0) kill(L->agents[i].pid, SIGKILL);
  /* Reap: our children, and orphans handed to us as subreaper, until every
   * agent is gone (bounded: SIGKILL cannot be refused). */
  struct timespec start, now;
  clock_gettime(CLOCK_MONOTONIC, &start);
  for (;;) {
    int left = 0;
    while (waitpid(-L->pgid, NULL, WNOHANG | __WALL) > 0) {
    }
    for (int i = 0; i < LIVE_MAX_PROCS; i++) {
      struct live_agent *a = &L->agents[i];
      if (a->pid <= 0) continue;
      waitpid(a->pid, NULL, WNOHANG | __WALL);
      if (kill(a->pid, 0) == 0 || errno != ESRCH) left++;
    }
    clock_gettime(CLOCK_MONOTONIC, &now);
    if (!left || L->pgid <= 0 || now.tv_sec - start.tv_sec > 5) break;
    usleep(200);
  }
  for (int i = 0; i < LIVE_MAX_PROCS; i++) close_agent(&L->agents[i]);
  for (int i = 0; i < LIVE_MAX_FILES; i++)
    if (L->files[i] >= 0) close(L->files[i]);
  if (L->dio >= 0) close(L->dio);
  if (L->kpageflags >= 0) close(L->kpageflags);
  if (L->kpagecount >= 0) close(L->kpagecount);
  if (L->buf) munmap(L->buf, LIVE_FILE_BYTES);
  free(L);
}
