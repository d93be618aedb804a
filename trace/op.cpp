// SPDX-License-Identifier: GPL-2.0-only
//
// Operation metadata (which fields each kind uses, names, documentation) and
// the handle-consistency check over a whole trace.
#include "trace/op.h"
#include "trace/flags.h"

#include <cstring>
#include <map>
#include <set>
#include <utility>

namespace gupcheck::trace {

namespace {

// Largest page count a range operation or a mapping may have.
constexpr uint16_t kMaxPages = 256;

bool map_kind_has_file(MapKind k) { return k == MapKind::File || k == MapKind::Shmem || k == MapKind::Fsdax; }

}  // namespace

std::string handle_name(char prefix, uint16_t n) { return std::string(1, prefix) + std::to_string(n); }

std::string proc_name(uint16_t proc, uint8_t thread) {
  std::string s = handle_name('p', proc);
  if (thread != 0) s += ":t" + std::to_string(thread);
  return s;
}

bool Op::has_process() const {
  switch (kind) {
    case OpKind::Put:
    case OpKind::Unpin:
    case OpKind::Resume:
    case OpKind::Wait:
    case OpKind::DmaWrite:
    case OpKind::DmaRead: return false;
    default: return true;
  }
}

Op::ResultKind Op::result_kind() const {
  switch (kind) {
    case OpKind::Mmap: return ResultKind::Mapping;
    case OpKind::Fork: return ResultKind::Process;
    case OpKind::Gup:
    case OpKind::Collapse: return ResultKind::Gup;
    default: return ResultKind::None;
  }
}

bool Op::has_address() const {
  switch (kind) {
    case OpKind::Munmap:
    case OpKind::Mprotect:
    case OpKind::Read:
    case OpKind::Write:
    case OpKind::Madvise:
    case OpKind::Gup:
    case OpKind::Populate:
    case OpKind::UffdZeropage:
    case OpKind::UffdContinue:
    case OpKind::Collapse:
    case OpKind::InsertPage:
    case OpKind::InsertMixed:
    case OpKind::Mlock:
    case OpKind::Stat:
    case OpKind::RemoteRead:
    case OpKind::RemoteWrite: return true;
    default: return false;
  }
}

bool Op::has_range() const {
  switch (kind) {
    case OpKind::Munmap:
    case OpKind::Mprotect:
    case OpKind::Madvise:
    case OpKind::Gup:
    case OpKind::Populate:
    case OpKind::Mlock: return true;
    default: return false;
  }
}

namespace {

constexpr struct {
  const char *name;
  int nr;
} kSignals[] = {{"SIGSEGV", 11}, {"SIGBUS", 7}};

// The errno names the model returns (model::errno_name()'s table).
constexpr struct {
  const char *name;
  int nr;
} kErrnos[] = {{"EPERM", 1},   {"ENOENT", 2},      {"EINTR", 4},       {"EIO", 5},        {"EAGAIN", 11},
               {"ENOMEM", 12}, {"EACCES", 13},     {"EFAULT", 14},     {"EBUSY", 16},     {"EEXIST", 17},
               {"EINVAL", 22}, {"ENOSPC", 28},     {"EMLINK", 31},     {"EOVERFLOW", 75}, {"EOPNOTSUPP", 95},
               {"EREMOTEIO", 121}, {"EHWPOISON", 133}};

std::string hex_string(uint64_t v) {
  static const char digits[] = "0123456789abcdef";
  std::string s;
  do {
    s.insert(s.begin(), digits[v & 15]);
    v >>= 4;
  } while (v);
  return "0x" + s;
}

}  // namespace

std::string expect_to_string(const Op &op) {
  switch (op.expect) {
    case ExpectKind::None: return "";
    case ExpectKind::Value: return hex_string(uint64_t(op.expect_value));
    case ExpectKind::Signal:
      for (const auto &s : kSignals)
        if (s.nr == op.expect_value) return s.name;
      return "SIG" + std::to_string(op.expect_value);
    case ExpectKind::Ret:
      if (op.expect_value < 0)
        for (const auto &e : kErrnos)
          if (-e.nr == op.expect_value) return std::string("-") + e.name;
      return std::to_string(op.expect_value);
  }
  return "";
}

std::string expect_from_string(Op &op, std::string_view text) {
  if (text.empty()) return "missing expectation after '=>'";
  for (const auto &s : kSignals)
    if (text == s.name) {
      op.expect = ExpectKind::Signal;
      op.expect_value = s.nr;
      return "";
    }
  const bool neg = text[0] == '-';
  std::string_view digits = neg ? text.substr(1) : text;
  if (neg && !digits.empty() && digits[0] == 'E') {
    for (const auto &e : kErrnos)
      if (digits == e.name) {
        op.expect = ExpectKind::Ret;
        op.expect_value = -e.nr;
        return "";
      }
    return "unknown errno '" + std::string(text) + "'";
  }
  // Decimal or 0x hex, no sign but the leading '-'.
  unsigned base = 10;
  if (digits.size() > 2 && digits[0] == '0' && (digits[1] == 'x' || digits[1] == 'X')) {
    base = 16;
    digits.remove_prefix(2);
  }
  if (digits.empty()) return "bad expectation '" + std::string(text) + "' (a number, -ERRNO, SIGSEGV or SIGBUS)";
  uint64_t v = 0;
  for (char c : digits) {
    int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : 99;
    if (d >= int(base)) return "bad expectation '" + std::string(text) + "' (a number, -ERRNO, SIGSEGV or SIGBUS)";
    if (v > (UINT64_MAX - uint64_t(d)) / base) return "expectation out of range '" + std::string(text) + "'";
    v = v * base + uint64_t(d);
  }
  if ((op.kind == OpKind::Read || op.kind == OpKind::DmaRead) && !neg) {
    op.expect = ExpectKind::Value;
    op.expect_value = int64_t(v);
    return "";
  }
  if (v > uint64_t(INT64_MAX)) return "expectation out of range '" + std::string(text) + "'";
  op.expect = ExpectKind::Ret;
  op.expect_value = neg ? -int64_t(v) : int64_t(v);
  return "";
}

char result_prefix(Op::ResultKind k) {
  switch (k) {
    case Op::ResultKind::Mapping: return 'm';
    case Op::ResultKind::Process: return 'p';
    case Op::ResultKind::Gup: return 'g';
    case Op::ResultKind::None: break;
  }
  return '?';
}

bool op_equal(const Op &a, const Op &b) {
  if (a.kind != b.kind) return false;
  if (a.expect != b.expect || (a.expect != ExpectKind::None && a.expect_value != b.expect_value)) return false;
  const OpKind k = a.kind;
  if (a.has_process() && (a.proc != b.proc || a.thread != b.thread)) return false;
  if (a.has_gup_operand() && a.gup != b.gup) return false;
  if (a.result_kind() != Op::ResultKind::None && a.result != b.result) return false;
  if (a.has_address() && (a.map != b.map || a.page != b.page)) return false;
  if ((a.has_range() || k == OpKind::Mmap) && a.npages != b.npages) return false;
  if (a.has_target() && (a.target != b.target || a.via != b.via)) return false;
  if (a.has_value() && a.value != b.value) return false;
  switch (k) {
    case OpKind::Mmap:
      if (a.map_kind != b.map_kind || a.shared != b.shared || a.prot != b.prot || a.populate != b.populate)
        return false;
      if (map_kind_has_file(a.map_kind) && a.file != b.file) return false;
      return a.zone == b.zone && a.thp == b.thp;
    case OpKind::Mprotect: return a.prot == b.prot;
    case OpKind::Madvise: return a.advice == b.advice;
    case OpKind::Gup: return a.api == b.api && a.gup_flags == b.gup_flags && a.in_flight == b.in_flight;
    case OpKind::Collapse: return a.in_flight == b.in_flight;
    case OpKind::Populate: return a.gup_flags == b.gup_flags;
    case OpKind::InsertPage:
    case OpKind::InsertMixed: return a.what == b.what;
    default: return true;
  }
}

const char *op_kind_name(OpKind k) {
  switch (k) {
    case OpKind::Mmap: return "mmap";
    case OpKind::Munmap: return "munmap";
    case OpKind::Mprotect: return "mprotect";
    case OpKind::Read: return "read";
    case OpKind::Write: return "write";
    case OpKind::Fork: return "fork";
    case OpKind::Exit: return "exit";
    case OpKind::Madvise: return "madvise";
    case OpKind::Gup: return "gup";
    case OpKind::Populate: return "populate";
    case OpKind::Put: return "put";
    case OpKind::Unpin: return "unpin";
    case OpKind::Resume: return "resume";
    case OpKind::Wait: return "wait";
    case OpKind::Dump: return "dump";
    case OpKind::UffdZeropage: return "uffd_zeropage";
    case OpKind::UffdContinue: return "uffd_continue";
    case OpKind::InsertPage: return "insert_page";
    case OpKind::InsertMixed: return "insert_mixed";
    case OpKind::KsmMerge: return "ksm_merge";
    case OpKind::Mlock: return "mlock";
    case OpKind::ForbidZeropage: return "forbid_zeropage";
    case OpKind::Stat: return "stat";
    case OpKind::RemoteRead: return "mem_read";
    case OpKind::RemoteWrite: return "mem_write";
    case OpKind::DmaWrite: return "dma_write";
    case OpKind::DmaRead: return "dma_read";
    case OpKind::Collapse: return "collapse";
  }
  return "?";
}

const char *mem_zone_name(MemZone z) {
  switch (z) {
    case MemZone::Normal: return "normal";
    case MemZone::Movable: return "movable";
    case MemZone::Cma: return "cma";
  }
  return "?";
}

const char *remote_word(OpKind k, RemoteVia via) {
  const bool w = k == OpKind::RemoteWrite;
  if (via == RemoteVia::ProcessVm) return w ? "vm_writev" : "vm_readv";
  return w ? "mem_write" : "mem_read";
}

const char *advice_name(Advice a) {
  switch (a) {
    case Advice::Dontneed: return "dontneed";
    case Advice::PopulateRead: return "populate_read";
    case Advice::PopulateWrite: return "populate_write";
    case Advice::Dontfork: return "dontfork";
    case Advice::Dofork: return "dofork";
    case Advice::Wipeonfork: return "wipeonfork";
    case Advice::Keeponfork: return "keeponfork";
    case Advice::Hwpoison: return "hwpoison";
    case Advice::Mergeable: return "mergeable";
  }
  return "?";
}

const char *map_kind_name(MapKind k) {
  switch (k) {
    case MapKind::Anon: return "anon";
    case MapKind::File: return "file";
    case MapKind::Shmem: return "shmem";
    case MapKind::Pfnmap: return "pfnmap";
    case MapKind::Mixedmap: return "mixedmap";
    case MapKind::Fsdax: return "fsdax";
    case MapKind::Secretmem: return "secretmem";
  }
  return "?";
}

const char *prot_name(Prot p) {
  switch (p) {
    case Prot::None: return "none";
    case Prot::R: return "r";
    case Prot::RW: return "rw";
  }
  return "?";
}

const char *gup_api_name(GupApi a) {
  switch (a) {
    case GupApi::Get: return "get";
    case GupApi::Pin: return "pin";
    case GupApi::GetFast: return "get_fast";
    case GupApi::PinFast: return "pin_fast";
  }
  return "?";
}

const char *insert_what_name(InsertWhat w) {
  switch (w) {
    case InsertWhat::Page: return "page";
    case InsertWhat::Zero: return "zero";
    case InsertWhat::Device: return "dev";
  }
  return "?";
}

const std::vector<OpDoc> &op_docs() {
  static const std::vector<OpDoc> docs = {
      {OpKind::Mmap,
       "mN = mmap pP anon|file:fN|shmem:fN|shmem:anon|fsdax:fN|secretmem|pfnmap|mixedmap private|shared none|r|rw "
       "NPAGES [populate] [movable|cma] [thp]",
       "mmap(2) (populate: MAP_POPULATE, __mm_populate()); fsdax: a DAX file; secretmem: memfd_secret(2); pfnmap: "
       "remap_pfn_range(); mixedmap: a VM_MIXEDMAP driver; movable/cma: new anonymous folios in ZONE_MOVABLE or CMA; "
       "thp: MADV_HUGEPAGE"},
      {OpKind::Munmap, "munmap pP mN+I NPAGES", "munmap(2): do_vmi_munmap() (mm/vma.c)"},
      {OpKind::Mprotect, "mprotect pP mN+I NPAGES none|r|rw", "mprotect(2): mprotect_fixup() (mm/mprotect.c)"},
      {OpKind::Read, "read pP mN+I", "a user access: handle_mm_fault() (mm/memory.c) as needed"},
      {OpKind::Write, "write pP mN+I VALUE", "a user access: handle_mm_fault() (mm/memory.c) as needed"},
      {OpKind::Fork, "pC = fork pP", "fork(2): dup_mmap() and copy_page_range() (mm/memory.c)"},
      {OpKind::Exit, "exit pP", "exit(2): exit_mmap() (mm/mmap.c)"},
      {OpKind::Madvise,
       "madvise pP mN+I NPAGES dontneed|populate_read|populate_write|dontfork|dofork|wipeonfork|keeponfork|hwpoison|"
       "mergeable",
       "madvise(2) (mm/madvise.c): madvise_dontneed_single_vma(), madvise_populate() -> faultin_page_range(), "
       "VM_DONTCOPY/VM_WIPEONFORK, madvise_inject_error() -> memory_failure(), MADV_MERGEABLE: "
       "ksm_madvise()"},
      {OpKind::Gup, "gN = get|pin|get_fast|pin_fast pP mN+I NPAGES FLAGS [&]",
       "get_user_pages()/pin_user_pages()/get_user_pages_fast()/pin_user_pages_fast() (mm/gup.c)"},
      {OpKind::Populate, "populate pP mN+I NPAGES FLAGS",
       "__get_user_pages() with pages == NULL (the mlock/MAP_POPULATE path)"},
      {OpKind::Put, "put gN", "put_page() on each page"},
      {OpKind::Unpin, "unpin gN", "unpin_user_pages()"},
      {OpKind::Resume, "resume gN",
       "an in-flight GUP call (started with &): run __get_user_pages() (mm/gup.c) to its next step"},
      {OpKind::Wait, "wait gN", "an in-flight GUP call (started with &): run it to completion"},
      {OpKind::Dump, "dump pP", "get_dump_page() over every dumpable VMA (mm/gup.c)"},
      {OpKind::UffdZeropage, "uffd_zeropage pP mN+I", "UFFDIO_ZEROPAGE: mfill_atomic_pte_zeropage()"},
      {OpKind::InsertPage, "insert_page pP mN+I page|zero", "vm_insert_page()"},
      {OpKind::InsertMixed, "insert_mixed pP mN+I page|zero|dev", "vmf_insert_mixed()"},
      {OpKind::Mlock, "mlock pP mN+I NPAGES", "mlock(2): mlock_fixup() and __mm_populate() (mm/mlock.c, mm/gup.c)"},
      {OpKind::ForbidZeropage, "forbid_zeropage pP",
       "s390 KVM's gmap_helper_disable_cow_sharing(): mm_forbids_zeropage() from now on (not inherited by fork)"},
      {OpKind::Stat, "stat pP mN+I",
       "move_pages(2) with nodes == NULL: do_pages_stat_array() -> folio_walk_start() (mm/migrate.c)"},
      {OpKind::RemoteRead, "mem_read|vm_readv pP pT mN+I",
       "pP reads pT's memory: /proc/PID/mem mem_rw() -> access_remote_vm() (FOLL_FORCE|FOLL_REMOTE), or "
       "process_vm_readv() -> pin_user_pages_remote()"},
      {OpKind::RemoteWrite, "mem_write|vm_writev pP pT mN+I VALUE",
       "pP writes pT's memory: access_remote_vm() (FOLL_FORCE|FOLL_WRITE|FOLL_REMOTE), or process_vm_writev()"},
      {OpKind::DmaWrite, "dma_write gN VALUE", "a device writes VALUE through every page GUP call gN holds (DMA)"},
      {OpKind::DmaRead, "dma_read gN", "a device reads every page GUP call gN holds (DMA)"},
      {OpKind::KsmMerge, "ksm_merge pP",
       "one ksmd pass over pP's MADV_MERGEABLE areas: cmp_and_merge_page() (mm/ksm.c)"},
      {OpKind::UffdContinue, "uffd_continue pP mN+I",
       "UFFDIO_CONTINUE (MINOR mode): mfill_atomic_pte_continue() maps the shmem page-cache page, R/O in a "
       "private mapping"},
      {OpKind::Collapse, "gN = collapse pP mN+I [&]",
       "madvise(MADV_COLLAPSE) of the PMD range holding the page (the khugepaged path, mm/khugepaged.c "
       "collapse_huge_page()); with & it stops after pmdp_collapse_flush() and the isolation, before the copy"},
  };
  return docs;
}

std::string check_consistency(const Trace &t) {
  enum class Life : uint8_t { Alive, Dead };
  struct Call {
    GupApi api;
    uint32_t flags;
    uint16_t proc;
    uint8_t thread;
    bool in_flight;
    bool released;
    bool collapse = false;  // a collapse, not a GUP call
  };
  std::map<uint16_t, Life> procs{{0, Life::Alive}};
  std::set<uint16_t> maps;
  std::map<uint16_t, Call> calls;
  std::map<std::pair<uint16_t, uint8_t>, uint16_t> busy;  // (proc, thread) -> in-flight gN

  for (size_t i = 0; i < t.ops.size(); ++i) {
    const Op &op = t.ops[i];
    auto fail = [&](const std::string &why) { return "step " + std::to_string(i + 1) + ": " + why; };
    const std::string who = proc_name(op.proc, op.thread);

    if (static_cast<int>(op.kind) >= kNumOpKinds) return fail("unknown operation kind");

    if (op.has_process()) {
      auto p = procs.find(op.proc);
      if (p == procs.end()) return fail(handle_name('p', op.proc) + " does not exist (it is never created by fork)");
      if (p->second == Life::Dead) return fail(handle_name('p', op.proc) + " has exited");
      auto b = busy.find({op.proc, op.thread});
      if (b != busy.end())
        return fail(who + " is blocked in in-flight call " + handle_name('g', b->second) + " (wait for it first)");
    }

    if (op.has_target()) {
      auto p = procs.find(op.target);
      if (p == procs.end()) return fail("target " + handle_name('p', op.target) + " does not exist");
      if (p->second == Life::Dead) return fail("target " + handle_name('p', op.target) + " has exited");
    }
    if (op.has_address() && !maps.count(op.map))
      return fail(handle_name('m', op.map) + " is used before it is created");
    if ((op.has_range() || op.kind == OpKind::Mmap) && (op.npages < 1 || op.npages > kMaxPages))
      return fail("page count " + std::to_string(op.npages) + " is outside 1.." + std::to_string(kMaxPages));
    if (op.result_kind() != Op::ResultKind::None && op.result > kMaxHandle)
      return fail(std::string(op_kind_name(op.kind)) + " has no valid result handle");

    switch (op.kind) {
      case OpKind::Mmap:
        if ((op.map_kind == MapKind::File || op.map_kind == MapKind::Fsdax) && op.file > kMaxHandle)
          return fail("file mapping without a valid fN");
        if (op.map_kind == MapKind::Shmem && op.file > kMaxHandle && op.file != kSharedAnonFile)
          return fail("shmem mapping without a valid fN");
        if (op.zone > MemZone::Cma) return fail("unknown memory zone");
        if ((op.zone != MemZone::Normal || op.thp) && (op.map_kind != MapKind::Anon || op.shared))
          return fail("movable, cma and thp apply only to private anonymous mappings");
        if (!maps.insert(op.result).second) return fail(handle_name('m', op.result) + " is created twice");
        break;
      case OpKind::Fork:
        if (procs.count(op.result)) return fail("fork result " + handle_name('p', op.result) + " is already used");
        procs[op.result] = Life::Alive;
        break;
      case OpKind::Exit:
        for (const auto &[key, g] : busy)
          if (key.first == op.proc)
            return fail(handle_name('p', op.proc) + " exits while " + proc_name(key.first, key.second) +
                        " is in in-flight call " + handle_name('g', g));
        procs[op.proc] = Life::Dead;
        break;
      case OpKind::Gup:
        if (calls.count(op.result)) return fail(handle_name('g', op.result) + " is created twice");
        calls[op.result] = Call{op.api, op.gup_flags, op.proc, op.thread, op.in_flight, false};
        if (op.in_flight) busy[{op.proc, op.thread}] = op.result;
        break;
      case OpKind::Collapse:
        if (calls.count(op.result)) return fail(handle_name('g', op.result) + " is created twice");
        calls[op.result] = Call{GupApi::Get, 0, op.proc, op.thread, op.in_flight, false, true};
        if (op.in_flight) busy[{op.proc, op.thread}] = op.result;
        break;
      case OpKind::Put:
      case OpKind::Unpin: {
        const char *name = op_kind_name(op.kind);
        auto c = calls.find(op.gup);
        if (c == calls.end()) return fail(handle_name('g', op.gup) + " is used before it is created");
        Call &call = c->second;
        if (call.collapse) return fail(std::string(name) + " of " + handle_name('g', op.gup) + ", a collapse (it holds no pages)");
        if (call.in_flight) return fail(std::string(name) + " of " + handle_name('g', op.gup) + " while it is in flight");
        const bool pinned = call.api == GupApi::Pin || call.api == GupApi::PinFast;
        if (op.kind == OpKind::Put && pinned)
          return fail("put of " + handle_name('g', op.gup) + ", a " + gup_api_name(call.api) + " call (use unpin)");
        if (op.kind == OpKind::Unpin && !pinned)
          return fail("unpin of " + handle_name('g', op.gup) + ", a " + gup_api_name(call.api) + " call (use put)");
        if (call.released) return fail(handle_name('g', op.gup) + " is released twice");
        call.released = true;
        break;
      }
      case OpKind::Resume:
      case OpKind::Wait: {
        auto c = calls.find(op.gup);
        if (c == calls.end()) return fail(handle_name('g', op.gup) + " is used before it is created");
        Call &call = c->second;
        if (!call.in_flight) return fail(handle_name('g', op.gup) + " is not in flight");
        if (op.kind == OpKind::Wait) {
          call.in_flight = false;
          busy.erase({call.proc, call.thread});
        }
        break;
      }
      case OpKind::DmaWrite:
      case OpKind::DmaRead: {
        auto c = calls.find(op.gup);
        if (c == calls.end()) return fail(handle_name('g', op.gup) + " is used before it is created");
        if (c->second.collapse) return fail("DMA through " + handle_name('g', op.gup) + ", a collapse");
        if (c->second.in_flight) return fail("DMA through " + handle_name('g', op.gup) + " while it is in flight");
        if (c->second.released) return fail("DMA through " + handle_name('g', op.gup) + " after it was released");
        if (op.kind == OpKind::DmaWrite && !(c->second.flags & gup_flag("WRITE")))
          return fail("dma_write through " + handle_name('g', op.gup) + ", which was not taken with WRITE");
        break;
      }
      case OpKind::InsertPage:
        if (op.what == InsertWhat::Device) return fail("insert_page cannot insert a device pfn (use insert_mixed)");
        break;
      default: break;
    }
  }
  return "";
}

}  // namespace gupcheck::trace
