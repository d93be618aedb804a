// SPDX-License-Identifier: GPL-2.0-only
//
// Which trace operations the live kernel can express, and through which
// system call. Pure data and functions over trace::Op (no I/O): the live
// executor (live/) carries the mechanisms out, the model side (observe.h)
// gives the model the same semantics, `gupcheck list ops` prints the table.
//
// GUP calls have no system call of their own; each row below is a system
// call whose kernel path makes exactly that GUP call:
//
//   trace op                      mechanism                     kernel GUP call                          held until
//   pin_fast ... WRITE|LONGTERM   io_uring REGISTER_BUFFERS     pin_user_pages_fast(WRITE|LONGTERM)      unpin gN (UNREGISTER_BUFFERS)
//   pin_fast ... WRITE            O_DIRECT pread into range     pin_user_pages_fast(WRITE) (iov_iter)    the syscall's end
//   pin_fast ... 0                O_DIRECT pwrite from range    pin_user_pages_fast(0) (iov_iter)        the syscall's end
//   get_fast ... 0                vmsplice into a pipe          get_user_pages_fast(0) (iov_iter)        put gN (the pipe is closed)
//   pin ... 0                     process_vm_readv              pin_user_pages_remote(0)                 the syscall's end
//   pin ... WRITE                 process_vm_writev             pin_user_pages_remote(WRITE)             the syscall's end
//   get ... FORCE                 pread /proc/PID/mem           get_user_pages_remote(FORCE), per page   the syscall's end
//   get ... WRITE|FORCE           pwrite /proc/PID/mem          get_user_pages_remote(WRITE|FORCE)       the syscall's end
//
// Any other API/flag combination (FOLL_LONGTERM without WRITE, FOLL_GET
// without FORCE on the slow path, FOLL_NOFAULT, FOLL_DUMP, ...) has no
// user-space equivalent without CONFIG_GUP_TEST and is not live-expressible.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "trace/op.h"

namespace gupcheck::props {

enum class LiveMech : uint8_t {
  None,           // not live-expressible
  Syscall,        // the op is its own system call (mmap, munmap, read, fork, ...)
  Nop,            // put/unpin of a call whose mechanism already released it
  UringPin,       // io_uring IORING_REGISTER_BUFFERS
  DirectRead,     // O_DIRECT pread into the range: DMA writes zeroes
  DirectWrite,    // O_DIRECT pwrite from the range
  Vmsplice,       // vmsplice into a pipe
  PvmRead,        // process_vm_readv
  PvmWrite,       // process_vm_writev: writes value_of() into each page
  MemRead,        // pread /proc/PID/mem
  MemWrite,       // pwrite /proc/PID/mem: writes value_of() into each page
};

struct LiveMechInfo {
  LiveMech mech;
  const char *name;       // short name for reports
  const char *syscall;    // what runs on the live kernel
  bool holds;             // the pages stay held until put/unpin gN
  bool writes;            // the mechanism stores into the pages
};
const LiveMechInfo &live_mech_info(LiveMech m);

// The mechanism of a GUP call (api and flags), or None.
LiveMech gup_mechanism(trace::GupApi api, uint32_t flags);
// The mechanism of any op; put/unpin need the call they release, so pass
// the trace's op that created it (nullptr: None).
LiveMech live_mechanism(const trace::Op &op, const trace::Op *creator = nullptr);
// Why an op is not live-expressible, or "" when it is.
std::string live_unexpressible_reason(const trace::Op &op, const trace::Op *creator = nullptr);
// Whole trace: "" when every op is live-expressible, else "step N: reason".
std::string live_check(const trace::Trace &t);

// The value a writing mechanism (process_vm_writev, /proc/PID/mem) stores
// in the first word of each page at step `step` (0-based); the rest of the
// page is zeroed. O_DIRECT reads store zeroes.
inline uint64_t mech_value(size_t step) { return 0x6775700000ull + step; }

// Rewrites a trace into a live-expressible one: driver mappings become
// anonymous, GUP calls take the nearest expressible API and flags, in-flight
// calls complete at once, threads become their process, and operations
// without a live form are dropped (with what depends on them). Deterministic.
trace::Trace make_live_expressible(const trace::Trace &t);

// One line per live-expressible operation form, for `gupcheck list ops`.
std::string live_ops_table();

// The trace language's op kinds (each op, each mmap backing and placement,
// each madvise advice, each GUP API, in-flight calls), each with a small
// example trace that uses it and whether the live kernel can run it: reason
// is "" when `gupcheck diff` accepts the example, else why it refuses it
// (live_check() of the example, so the marking and the oracle are one).
struct LiveOpKind {
  std::string kind;     // e.g. "mmap file:fN", "madvise hwpoison"
  std::string example;  // trace text, operations separated by newlines
  std::string reason;   // "" when live-expressible
};
std::vector<LiveOpKind> live_op_kinds();

}  // namespace gupcheck::props
