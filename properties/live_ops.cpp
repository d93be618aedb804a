// SPDX-License-Identifier: GPL-2.0-only
#include "properties/live_ops.h"

#include <map>

#include "model/flags.h"
#include "trace/text.h"

namespace gupcheck::props {

using namespace gupcheck::trace;
using namespace gupcheck::model;

const LiveMechInfo &live_mech_info(LiveMech m) {
  static const LiveMechInfo table[] = {
      {LiveMech::None, "none", "not live-expressible", false, false},
      {LiveMech::Syscall, "syscall", "the system call or user access itself", false, false},
      {LiveMech::Nop, "nop", "nothing: the mechanism released the pages when its system call returned", false, false},
      {LiveMech::UringPin, "io_uring",
       "io_uring_register(IORING_REGISTER_BUFFERS) on a new ring; unpin: IORING_UNREGISTER_BUFFERS", true, false},
      {LiveMech::DirectRead, "O_DIRECT read", "pread(O_DIRECT) of zeroes from a scratch file into the range", false, true},
      {LiveMech::DirectWrite, "O_DIRECT write", "pwrite(O_DIRECT) of the range to a scratch file", false, false},
      {LiveMech::Vmsplice, "vmsplice", "vmsplice() of the range into a new pipe; put: close the pipe", true, false},
      {LiveMech::PvmRead, "process_vm_readv", "process_vm_readv() of the range by the controller", false, false},
      {LiveMech::PvmWrite, "process_vm_writev", "process_vm_writev() into the range by the controller", false, true},
      {LiveMech::MemRead, "/proc/PID/mem read", "pread() of /proc/PID/mem over the range by the controller", false,
       false},
      {LiveMech::MemWrite, "/proc/PID/mem write", "pwrite() of /proc/PID/mem over the range by the controller", false,
       true},
  };
  for (const auto &e : table)
    if (e.mech == m) return e;
  return table[0];
}

LiveMech gup_mechanism(GupApi api, uint32_t flags) {
  switch (api) {
    case GupApi::PinFast:
      if (flags == (FOLL_WRITE | FOLL_LONGTERM)) return LiveMech::UringPin;
      if (flags == FOLL_WRITE) return LiveMech::DirectRead;
      if (flags == 0) return LiveMech::DirectWrite;
      return LiveMech::None;
    case GupApi::GetFast: return flags == 0 ? LiveMech::Vmsplice : LiveMech::None;
    case GupApi::Pin:
      if (flags == 0) return LiveMech::PvmRead;
      if (flags == FOLL_WRITE) return LiveMech::PvmWrite;
      return LiveMech::None;
    case GupApi::Get:
      if (flags == FOLL_FORCE) return LiveMech::MemRead;
      if (flags == (FOLL_WRITE | FOLL_FORCE)) return LiveMech::MemWrite;
      return LiveMech::None;
  }
  return LiveMech::None;
}

std::string live_unexpressible_reason(const Op &op, const Op *creator) {
  if (op.has_process() && op.thread != 0) return "threads (pP:tK) have no live form yet";
  switch (op.kind) {
    case OpKind::Mmap:
      if (op.map_kind == MapKind::Pfnmap || op.map_kind == MapKind::Mixedmap)
        return "driver mappings (pfnmap, mixedmap) need a kernel driver";
      if (op.map_kind == MapKind::Fsdax) return "fsdax mappings need a DAX file system";
      if (op.map_kind == MapKind::Secretmem) return "secretmem is not enabled on every kernel (secretmem.enable)";
      if (op.zone != MemZone::Normal)
        return "movable/CMA placement needs movablecore= or a CMA area and a memory policy the agent cannot set";
      // MADV_HUGEPAGE only asks: whether a PMD-mapped THP (or the huge zero
      // folio) appears depends on the THP sysfs settings and free memory, so
      // the model's observation would not match reliably.
      if (op.thp) return "a THP-backed mapping is not guaranteed by MADV_HUGEPAGE on the live kernel";
      if (op.rdonly) return "the live agent opens its files read-write (no O_RDONLY fd)";
      return "";
    case OpKind::Madvise:
      if (op.advice == Advice::Hwpoison) return "MADV_HWPOISON would poison real memory";
      if (op.advice == Advice::Mergeable) return "MADV_MERGEABLE only takes effect through ksmd passes (see ksm_merge)";
      return "";
    case OpKind::KsmMerge: return "a ksmd pass cannot be run synchronously from user space";
    case OpKind::Collapse:
      return "the model's PMD covers 16 pages, not the kernel's 512, so a collapse cannot be compared";
    case OpKind::Munmap:
    case OpKind::Mprotect:
    case OpKind::Read:
    case OpKind::Write:
    case OpKind::Fork:
    case OpKind::Exit:
    case OpKind::Mlock:
    case OpKind::UffdZeropage:
    case OpKind::Stat:
    case OpKind::RemoteRead:
    case OpKind::RemoteWrite: return "";
    case OpKind::ForbidZeropage: return "mm_forbids_zeropage() is s390-only";
    case OpKind::UffdContinue: return "UFFDIO_CONTINUE (MINOR registration of shmem) has no live form yet";
    case OpKind::DmaWrite:
    case OpKind::DmaRead: return "device accesses need a device";
    case OpKind::Gup:
      if (op.in_flight) return "in-flight GUP calls need the interleaving executor";
      if (gup_mechanism(op.api, op.gup_flags) == LiveMech::None)
        return std::string(gup_api_name(op.api)) + " with " + flags_to_string(op.gup_flags) +
               " has no system call that makes exactly this GUP call";
      return "";
    case OpKind::Put:
    case OpKind::Unpin:
      if (!creator) return "release of an unknown GUP call";
      return live_unexpressible_reason(*creator);
    case OpKind::Populate: return "populate with explicit FOLL_* flags has no system call (mlock derives its own)";
    case OpKind::Dump: return "core dumps are not run on the live kernel";
    case OpKind::InsertPage:
    case OpKind::InsertMixed: return "driver insertions need a kernel driver";
    case OpKind::Resume:
    case OpKind::Wait: return "in-flight GUP calls need the interleaving executor";
  }
  return "no live form";
}

LiveMech live_mechanism(const Op &op, const Op *creator) {
  if (!live_unexpressible_reason(op, creator).empty()) return LiveMech::None;
  switch (op.kind) {
    case OpKind::Gup: return gup_mechanism(op.api, op.gup_flags);
    case OpKind::Put:
    case OpKind::Unpin:
      return live_mech_info(gup_mechanism(creator->api, creator->gup_flags)).holds ? LiveMech::Syscall
                                                                                    : LiveMech::Nop;
    default: return LiveMech::Syscall;
  }
}

std::string live_check(const Trace &t) {
  std::map<uint16_t, const Op *> calls;
  for (size_t i = 0; i < t.ops.size(); i++) {
    const Op &op = t.ops[i];
    const Op *creator = nullptr;
    if (op.kind == OpKind::Gup) calls[op.result] = &op;
    if (op.kind == OpKind::Put || op.kind == OpKind::Unpin) {
      auto c = calls.find(op.gup);
      if (c != calls.end()) creator = c->second;
    }
    std::string why = live_unexpressible_reason(op, creator);
    if (!why.empty()) return "step " + std::to_string(i + 1) + " (" + print_op(op) + "): " + why;
  }
  return "";
}

Trace make_live_expressible(const Trace &in) {
  Trace t = in;
  std::vector<size_t> drop;
  for (size_t i = 0; i < t.ops.size(); i++) {
    Op &op = t.ops[i];
    if (op.has_process()) op.thread = 0;
    switch (op.kind) {
      case OpKind::Madvise:
        if (op.advice == Advice::Hwpoison || op.advice == Advice::Mergeable) drop.push_back(i);
        break;
      case OpKind::KsmMerge:
      case OpKind::Collapse:
      case OpKind::ForbidZeropage:
      case OpKind::UffdContinue:
      case OpKind::DmaWrite:
      case OpKind::DmaRead: drop.push_back(i); break;
      case OpKind::Mmap:
        if (op.map_kind == MapKind::Pfnmap || op.map_kind == MapKind::Mixedmap || op.map_kind == MapKind::Fsdax ||
            op.map_kind == MapKind::Secretmem) {
          op.map_kind = MapKind::Anon;
          op.file = 0;
        }
        op.zone = MemZone::Normal;  // ordinary placement
        op.thp = false;             // base pages
        op.rdonly = false;          // the agent's files are open read-write
        break;
      case OpKind::Gup: {
        op.in_flight = false;
        const bool w = op.gup_flags & FOLL_WRITE;
        switch (op.api) {
          case GupApi::Pin:
          case GupApi::PinFast:
            if (op.gup_flags & FOLL_LONGTERM) {
              op.api = GupApi::PinFast;
              op.gup_flags = FOLL_WRITE | FOLL_LONGTERM;
            } else if (op.api == GupApi::PinFast) {
              op.gup_flags = w ? FOLL_WRITE : 0;
            } else {
              op.gup_flags = w ? FOLL_WRITE : 0;
            }
            break;
          case GupApi::GetFast: op.gup_flags = 0; break;
          case GupApi::Get: op.gup_flags = FOLL_FORCE | (w ? FOLL_WRITE : 0); break;
        }
        break;
      }
      case OpKind::Resume:
      case OpKind::Wait:
      case OpKind::Populate:
      case OpKind::Dump:
      case OpKind::InsertPage:
      case OpKind::InsertMixed: drop.push_back(i); break;
      default: break;
    }
  }
  // None of the dropped kinds creates a handle that a kept operation names
  // (a collapse's gN is named only by resume/wait, dropped too), so removing
  // them leaves the rest consistent; remove from the back so indices stay valid.
  for (auto it = drop.rbegin(); it != drop.rend(); ++it) t.ops.erase(t.ops.begin() + long(*it));
  return t;
}

std::string live_ops_table() {
  std::string s;
  auto row = [&s](const std::string &form, const std::string &how) {
    s += "  " + form + std::string(form.size() < 40 ? 40 - form.size() : 1, ' ') + how + "\n";
  };
  s += "Live kernel (gupcheck diff, gupcheck repro): how each operation runs\n";
  row("mmap anon|shmem:anon|shmem:fN|file:fN", "mmap(2) at a fixed address (memfd for shmem:fN, O_TMPFILE for file:fN)");
  row("munmap, mprotect, mlock", "the system call itself");
  row("madvise (all but hwpoison)", "madvise(2) with the MADV_* advice");
  row("read, write", "a user load/store of one u64 in the agent process");
  row("fork, exit", "fork(2) of the agent process, _exit(2)");
  row("uffd_zeropage", "userfaultfd: UFFDIO_REGISTER (MISSING), UFFDIO_ZEROPAGE, UFFDIO_UNREGISTER");
  row("stat", "move_pages(2) of the page with nodes == NULL: its status (node or -errno)");
  row("mem_read|mem_write pP pT", "pP's agent preads/pwrites one u64 of /proc/<pT's pid>/mem");
  row("vm_readv|vm_writev pP pT", "pP's agent process_vm_readv/writev()s one u64 of pT's memory");
  for (GupApi api : {GupApi::PinFast, GupApi::GetFast, GupApi::Pin, GupApi::Get})
    for (uint32_t f : {0u, unsigned(FOLL_WRITE), unsigned(FOLL_WRITE | FOLL_LONGTERM), unsigned(FOLL_FORCE),
                       unsigned(FOLL_WRITE | FOLL_FORCE)}) {
      LiveMech m = gup_mechanism(api, f);
      if (m == LiveMech::None) continue;
      const LiveMechInfo &info = live_mech_info(m);
      row(std::string(gup_api_name(api)) + " " + flags_to_string(f), info.syscall);
    }
  s += "  not live-expressible: pfnmap/mixedmap/fsdax/secretmem mappings, movable/cma/thp/rdonly mappings,\n"
       "  madvise mergeable, ksm_merge, collapse, insert_page, insert_mixed,\n"
       "  populate, dump, forbid_zeropage, dma_read/dma_write,\n"
       "  madvise hwpoison, threads, in-flight calls (& / resume / wait), and every other GUP API/flag\n"
       "  combination\n";
  return s;
}

std::vector<LiveOpKind> live_op_kinds() {
  const std::string m = "m0 = mmap p0 anon private rw 2\n";
  const std::string g = m + "g0 = pin p0 m0+0 1 WRITE\n";
  std::vector<LiveOpKind> k = {
      {"mmap anon", "m0 = mmap p0 anon private rw 2\nwrite p0 m0+0 0x1", ""},
      {"mmap shmem:anon", "m0 = mmap p0 shmem:anon shared rw 2\nwrite p0 m0+0 0x1", ""},
      {"mmap shmem:fN", "m0 = mmap p0 shmem:f1 shared rw 2\nwrite p0 m0+0 0x1", ""},
      {"mmap file:fN", "m0 = mmap p0 file:f1 private rw 2\nread p0 m0+0", ""},
      {"mmap ... populate", "m0 = mmap p0 anon private rw 2 populate", ""},
      {"mmap fsdax:fN", "m0 = mmap p0 fsdax:f1 shared rw 1", ""},
      {"mmap secretmem", "m0 = mmap p0 secretmem shared rw 1", ""},
      {"mmap pfnmap", "m0 = mmap p0 pfnmap shared rw 1", ""},
      {"mmap mixedmap", "m0 = mmap p0 mixedmap shared rw 1", ""},
      {"mmap ... movable", "m0 = mmap p0 anon private rw 1 movable", ""},
      {"mmap ... cma", "m0 = mmap p0 anon private rw 1 cma", ""},
      {"mmap ... thp", "m0 = mmap p0 anon private rw 16 thp", ""},
      {"mmap ... rdonly", "m0 = mmap p0 file:f1 shared r 1 rdonly", ""},
      {"munmap", m + "munmap p0 m0+0 1", ""},
      {"mprotect", m + "mprotect p0 m0+0 1 r", ""},
      {"read", m + "read p0 m0+0", ""},
      {"write", m + "write p0 m0+0 0x41", ""},
      {"fork", m + "write p0 m0+0 0x41\np1 = fork p0", ""},
      {"exit", m + "p1 = fork p0\nexit p1", ""},
      {"threads (pP:tK)", m + "read p0:t1 m0+0", ""},
  };
  for (const char *a : {"dontneed", "populate_read", "populate_write", "dontfork", "dofork", "wipeonfork",
                        "keeponfork", "hwpoison", "mergeable"})
    k.push_back({std::string("madvise ") + a, m + "madvise p0 m0+0 1 " + a, ""});
  k.insert(k.end(), {
      {"get", m + "g0 = get p0 m0+0 1 FORCE", ""},
      {"pin", m + "g0 = pin p0 m0+0 1 0", ""},
      {"get_fast", m + "write p0 m0+0 0x1\ng0 = get_fast p0 m0+0 1 0\nput g0", ""},
      {"pin_fast", m + "g0 = pin_fast p0 m0+0 1 WRITE|LONGTERM\nunpin g0", ""},
      {"put", m + "write p0 m0+0 0x1\ng0 = get_fast p0 m0+0 1 0\nput g0", ""},
      {"unpin", g + "unpin g0", ""},
      {"in-flight GUP (&)", m + "g0 = pin p0 m0+0 1 WRITE &", ""},
      {"resume", m + "g0 = pin p0 m0+0 1 WRITE &\nresume g0", ""},
      {"wait", m + "g0 = pin p0 m0+0 1 WRITE &\nwait g0", ""},
      {"populate", m + "populate p0 m0+0 1 WRITE", ""},
      {"dump", m + "dump p0", ""},
      {"uffd_zeropage", m + "uffd_zeropage p0 m0+0", ""},
      {"insert_page", "m0 = mmap p0 mixedmap shared rw 1\ninsert_page p0 m0+0 page", ""},
      {"insert_mixed", "m0 = mmap p0 mixedmap shared rw 1\ninsert_mixed p0 m0+0 zero", ""},
      {"mlock", m + "mlock p0 m0+0 1", ""},
      {"forbid_zeropage", "forbid_zeropage p0", ""},
      {"stat", m + "stat p0 m0+0", ""},
      {"mem_read", m + "p1 = fork p0\nmem_read p1 p0 m0+0", ""},
      {"vm_readv", m + "p1 = fork p0\nvm_readv p1 p0 m0+0", ""},
      {"mem_write", m + "p1 = fork p0\nmem_write p1 p0 m0+0 0x5", ""},
      {"vm_writev", m + "p1 = fork p0\nvm_writev p1 p0 m0+0 0x5", ""},
      {"dma_write", g + "dma_write g0 0x7", ""},
      {"dma_read", g + "dma_read g0", ""},
      {"ksm_merge", m + "ksm_merge p0", ""},
      {"uffd_continue", "m0 = mmap p0 shmem:f1 shared rw 1\nuffd_continue p0 m0+0", ""},
      {"collapse", "m0 = mmap p0 anon private rw 16 thp\ng0 = collapse p0 m0+0", ""},
  });
  for (auto &e : k) {
    std::string why = live_check(parse_trace("# gupcheck trace v1\n" + e.example + "\n"));
    // live_check() says "step N (op): reason"; the reason alone.
    if (const size_t at = why.find("): "); at != std::string::npos) why = why.substr(at + 3);
    e.reason = why;
  }
  return k;
}

}  // namespace gupcheck::props
