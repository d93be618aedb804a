// SPDX-License-Identifier: GPL-2.0-only
//
// The trace language: one operation per step, over symbolic handles.
//
// A trace is a list of operations over handles, never raw addresses:
//   processes  p0 p1 ...   (p0 exists at the start; fork creates, exit ends)
//   threads    p0:t1 ...   (threads of a process share its mm; t0 is implicit)
//   mappings   m0 m1 ...   (created by mmap; "m3+2" is page 2 of m3's range,
//                           resolved in the process performing the operation)
//   GUP calls  g0 g1 ...   (created by a GUP operation, ended by put/unpin;
//                           a collapse is a call too, so that it can be in flight)
//
// Handle numbers are names, not positions: they need not be consecutive, so
// removing an operation while shrinking renames nothing else.
//
// Op is a plain value (no heap) so that generators and the model step stay
// cheap; fields not used by a kind are left at their defaults, and equality
// compares only the fields a kind uses (see op_equal()).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace gupcheck::trace {

enum class OpKind : uint8_t {
  Mmap,          // mN = mmap pP KIND private|shared PROT NPAGES [movable|cma] [thp] [rdonly]
  Munmap,        // munmap pP mN+I NPAGES
  Mprotect,      // mprotect pP mN+I NPAGES PROT
  Read,          // read pP mN+I                 (a user load; faults as needed)
  Write,         // write pP mN+I VALUE          (a user store; faults as needed)
  Fork,          // pC = fork pP
  Exit,          // exit pP
  Madvise,       // madvise pP mN+I NPAGES ADVICE  (dontneed, populate_read, ...)
  Gup,           // gN = API pP mN+I NPAGES FLAGS [&]   (API: get pin get_fast pin_fast)
  Populate,      // populate pP mN+I NPAGES FLAGS       (__get_user_pages with pages == NULL)
  Put,           // put gN                      (put_page on every page of a FOLL_GET call)
  Unpin,         // unpin gN                    (unpin_user_pages on a FOLL_PIN call)
  Resume,        // resume gN                   (advance an in-flight call to its next step)
  Wait,          // wait gN                     (run an in-flight call to completion)
  Dump,          // dump pP                     (core dump: get_dump_page over every VMA)
  UffdZeropage,  // uffd_zeropage pP mN+I
  InsertPage,    // insert_page pP mN+I page|zero      (driver: vm_insert_page)
  InsertMixed,   // insert_mixed pP mN+I page|zero|dev (driver: vmf_insert_mixed)
  Mlock,         // mlock pP mN+I NPAGES
  ForbidZeropage,  // forbid_zeropage pP          (s390: mm_forbids_zeropage() from now on)
  Stat,          // stat pP mN+I                 (move_pages(2) status: do_pages_stat_array())
  RemoteRead,    // mem_read|vm_readv pP pT mN+I        (/proc/PID/mem or process_vm_readv on pT)
  RemoteWrite,   // mem_write|vm_writev pP pT mN+I VALUE
  DmaWrite,      // dma_write gN VALUE           (a device writes VALUE into every page gN holds)
  DmaRead,       // dma_read gN                  (a device reads every page gN holds)
  KsmMerge,      // ksm_merge pP                (one ksmd pass over pP's MADV_MERGEABLE areas)
  UffdContinue,  // uffd_continue pP mN+I        (UFFDIO_CONTINUE: map the shmem page cache, MINOR mode)
  Collapse,      // gN = collapse pP mN+I [&]    (MADV_COLLAPSE / khugepaged of the PMD holding the page)
  // The name the madvise op had when it only knew MADV_DONTNEED.
  MadvDontneed = Madvise,
};
constexpr int kNumOpKinds = 28;

// Where a mapping's new anonymous folios are allocated (an mmap option).
enum class MemZone : uint8_t {
  Normal,   // ZONE_NORMAL: long-term pinnable
  Movable,  // ZONE_MOVABLE ("movable"): FOLL_LONGTERM migrates before pinning
  Cma,      // a CMA area ("cma"): likewise
};

// What a mapping is backed by (the first word after "mmap pP").
enum class MapKind : uint8_t {
  Anon,      // MAP_ANONYMOUS
  File,      // a regular file with a page cache that needs dirty tracking (ext4-like): file:fN
  Shmem,     // a shmem/memfd file: shmem:fN  (MAP_SHARED|MAP_ANONYMOUS is shmem:anon)
  Pfnmap,    // a driver whose ->mmap calls remap_pfn_range() over its own pages
  Mixedmap,  // a driver with VM_MIXEDMAP whose ->fault inserts pages or the zero pfn
  Fsdax,     // a file on a DAX file system (ext4/xfs -o dax): fsdax:fN
  Secretmem, // a memfd_secret(2) fd (MAP_SHARED only)
};

// madvise(2) advice (the last word of a madvise op).
enum class Advice : uint8_t {
  Dontneed,       // MADV_DONTNEED
  PopulateRead,   // MADV_POPULATE_READ
  PopulateWrite,  // MADV_POPULATE_WRITE
  Dontfork,       // MADV_DONTFORK
  Dofork,         // MADV_DOFORK
  Wipeonfork,     // MADV_WIPEONFORK
  Keeponfork,     // MADV_KEEPONFORK
  Hwpoison,       // MADV_HWPOISON
  Mergeable,      // MADV_MERGEABLE (KSM)
};
constexpr int kNumAdvice = 9;

// How a remote access reaches the other process.
enum class RemoteVia : uint8_t {
  Mem,        // /proc/PID/mem (or ptrace PEEK/POKE): access_remote_vm(), FOLL_FORCE
  ProcessVm,  // process_vm_readv/writev: pin_user_pages_remote(), no FOLL_FORCE
};

// Page protection: PROT_NONE, PROT_READ, PROT_READ|PROT_WRITE.
enum class Prot : uint8_t { None, R, RW };

// What a trace line expects of its step's outcome ("=> ..." in the text form).
// A scenario checks the model against a known kernel result this way; a
// mismatch is reported by the Expectation check (see properties/invariants.h).
enum class ExpectKind : uint8_t {
  None,    // no expectation
  Ret,     // "=> 1", "=> 0", "=> -EFAULT": the return value (GUP count, or -errno)
  Value,   // "=> 0x41" on read (the value the load returned) or dma_read (every value the device read)
  Signal,  // "=> SIGSEGV" / "=> SIGBUS": the user access or driver fault signalled
};

// Which GUP entry point a Gup operation calls.
enum class GupApi : uint8_t {
  Get,      // get_user_pages()
  Pin,      // pin_user_pages()
  GetFast,  // get_user_pages_fast()
  PinFast,  // pin_user_pages_fast()
};

// What a driver inserts (InsertPage / InsertMixed).
enum class InsertWhat : uint8_t {
  Page,    // a fresh driver-owned page with a struct page
  Zero,    // the shared zero page / zero pfn
  Device,  // a device pfn without a struct page (InsertMixed only)
};

// The largest handle number a trace may use; kNoHandle and kSharedAnonFile lie above.
constexpr uint16_t kMaxHandle = 65000;
constexpr uint16_t kNoHandle = 0xffff;
constexpr uint16_t kSharedAnonFile = 0xfffe;  // shmem:anon (MAP_SHARED|MAP_ANONYMOUS)

struct Op {
  OpKind kind = OpKind::Read;
  uint16_t proc = 0;            // pP: the process performing the operation
  uint8_t thread = 0;           // tK within proc
  uint16_t result = kNoHandle;  // handle created (mN, pC or gN) or kNoHandle
  uint16_t map = 0;             // mN of the address operand
  uint16_t page = 0;            // I of mN+I
  uint16_t npages = 1;          // page count (mmap size, range length, GUP nr_pages)
  uint16_t gup = 0;             // gN operand of put/unpin/resume/wait
  uint32_t gup_flags = 0;       // caller's FOLL_* flags (GUP / populate)
  GupApi api = GupApi::Get;
  bool in_flight = false;       // "&": the GUP call (or collapse) starts but does not complete
  MapKind map_kind = MapKind::Anon;
  bool shared = false;          // MAP_SHARED vs MAP_PRIVATE
  Prot prot = Prot::RW;
  uint16_t file = 0;            // fN for File/Shmem, or kSharedAnonFile
  InsertWhat what = InsertWhat::Page;
  uint64_t value = 0;           // value stored by Write, RemoteWrite, DmaWrite
  Advice advice = Advice::Dontneed;  // Madvise
  bool populate = false;        // Mmap: MAP_POPULATE
  uint16_t target = 0;          // pT: the process a remote access reaches
  RemoteVia via = RemoteVia::Mem;
  MemZone zone = MemZone::Normal;  // Mmap: where new anonymous folios go
  bool thp = false;             // Mmap: THP-eligible (MADV_HUGEPAGE at mmap time)
  bool rdonly = false;          // Mmap: the fd is open O_RDONLY (a shared mapping without VM_MAYWRITE)
  ExpectKind expect = ExpectKind::None;  // "=> X": what the step must return
  int64_t expect_value = 0;     // Ret: the value (negative for -errno); Value: the value read
                                // (as uint64 bits); Signal: the signal number

  // Which handle kinds the result names.
  enum class ResultKind : uint8_t { None, Mapping, Process, Gup };
  ResultKind result_kind() const;
  // Whether the op has an address operand (mN+I).
  bool has_address() const;
  // Whether the op has a page-count operand after the address.
  bool has_range() const;
  // Whether a process performs the op (pP operand); the others (put, unpin,
  // resume, wait) name a GUP call instead (gN operand).
  bool has_process() const;
  bool has_gup_operand() const { return !has_process(); }
  // Whether the op names a second process pT (remote accesses); its address
  // operand is then resolved in pT.
  bool has_target() const { return kind == OpKind::RemoteRead || kind == OpKind::RemoteWrite; }
  // Whether the op carries a VALUE.
  bool has_value() const {
    return kind == OpKind::Write || kind == OpKind::RemoteWrite || kind == OpKind::DmaWrite;
  }
};

bool op_equal(const Op &a, const Op &b);
// The expectation as the text form writes it after "=> ": "1", "-EFAULT",
// "0x41" (a read's value), "SIGSEGV"; empty for none.
std::string expect_to_string(const Op &op);
// Parses the text after "=> " for op (whose kind must be set). A number
// is a read's value for Read and the return value otherwise.
// Return: an empty string, or what is wrong with the text.
std::string expect_from_string(Op &op, std::string_view text);
// The letter of a result handle: 'm', 'p' or 'g' ('?' for None).
char result_prefix(Op::ResultKind k);
// A handle's name: handle_name('m', 3) == "m3".
std::string handle_name(char prefix, uint16_t n);
// The acting process as the text form writes it: "p0", or "p0:t1" for a thread.
std::string proc_name(uint16_t proc, uint8_t thread);
inline bool operator==(const Op &a, const Op &b) { return op_equal(a, b); }

struct Trace {
  // The model variant the trace was recorded against (header "# model: NAME").
  std::string variant = "mainline";
  // Free-form header lines kept for the reader (seed, invariant, ...), without "# ".
  std::vector<std::string> notes;
  std::vector<Op> ops;
};
inline bool operator==(const Trace &a, const Trace &b) { return a.variant == b.variant && a.ops == b.ops; }

// Names used by the text form; exposed for reports and `gupcheck list ops`.
const char *op_kind_name(OpKind k);
const char *map_kind_name(MapKind k);
const char *prot_name(Prot p);
const char *gup_api_name(GupApi a);
const char *insert_what_name(InsertWhat w);
const char *advice_name(Advice a);
const char *mem_zone_name(MemZone z);  // "normal", "movable", "cma"
// The op word of a remote access: mem_read, mem_write, vm_readv, vm_writev.
const char *remote_word(OpKind k, RemoteVia via);

// One line per op kind: its syntax and what it models (for `gupcheck list ops`).
struct OpDoc {
  OpKind kind;
  const char *syntax;
  const char *models;
};
const std::vector<OpDoc> &op_docs();

// Checks that handles are created before use, created once, and used in the
// process that can see them where that is required (processes alive, GUP
// handles released once and with the matching call, in-flight calls waited
// for). Return: empty string when consistent, else "step N: reason".
std::string check_consistency(const Trace &t);

}  // namespace gupcheck::trace
