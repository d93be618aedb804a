// SPDX-License-Identifier: GPL-2.0-only
//
// The executor: runs a trace step by step on a model kernel, resolving the
// trace's symbolic handles, and keeps the specification-side ("ghost") state
// the invariants judge the model against: which GUP calls hold which pages,
// and what each process's private memory must contain.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "model/kernel.h"
#include "trace/op.h"

namespace gupcheck::props {

using model::pfn_t;

// "0x1f": how reports and invariant messages print pfns, addresses and values.
std::string hex(uint64_t v);

// A bad trace (unknown handle, dead process, ...): user input, exit status 2.
struct bad_trace : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// One GUP call of the trace (gN).
//
// Invariants: pages.size() == max(ret, 0) once completed; released => completed.
// While in flight, pages holds what the call has grabbed so far.
struct GupCall {
  bool exists = false;
  bool completed = false;  // the call has returned (possibly during a resume)
  bool waited = false;     // the trace collected its result (wait, or a call without "&")
  // Interleaving (resume gN): the call stopped at an interleave point and
  // other operations ran before it completed.
  bool interleaved = false;
  bool started = false;          // the call's first step ran (resume)
  std::string point;             // where it stopped last ("" when not stopped)
  bool at_fast_point = false;    // stopped inside GUP-fast's lockless section
  bool slow_after_fast = false;  // stopped in the slow path after GUP-fast took pages
  bool fork_in_fast = false;     // a fork of its mm ran while it was inside GUP-fast
  long fast_taken = 0;           // pages GUP-fast held when it last stopped there
  // D6's facts: for each page GUP-fast kept, at the end of the run of the call
  // that took it (nothing else ran since its recheck), the page its PTE (or
  // PMD leaf) mapped then. In the order they were recorded; never removed.
  struct FastCheck {
    size_t page = 0;     // index into pages
    pfn_t kept = 0;      // the page GUP-fast kept
    pfn_t mapped = 0;    // what the address mapped right after that run (0: nothing)
    uint64_t vpn = 0;
  };
  std::vector<FastCheck> fast_checks;
  size_t fast_seen = 0;          // pages GUP-fast kept that have a FastCheck
  // The VMA flags at each returned page's address when the call took it
  // (0: no VMA). Recorded after each run of the call, which no other
  // operation interrupts.
  std::vector<model::vm_flags_t> page_flags;
  // What each returned page was when the call took it: kTaken* bits.
  static constexpr uint8_t kTakenAnonExclusive = 1, kTakenZero = 2, kTakenPagecache = 4;
  std::vector<uint8_t> page_taken;        // D6: a page GUP-fast kept that its PTE no longer mapped
  bool released = false;   // put/unpin done
  bool pin = false;        // FOLL_PIN (pin*) rather than FOLL_GET (get*)
  trace::Op op;
  int pid = -1;
  uint64_t start = 0;      // first vpn
  long ret = 0;
  long nr_fast = 0;        // pages the lockless GUP-fast walk took (fast APIs)
  bool private_mapping = false;  // the first page lay in a MAP_PRIVATE VMA
  std::vector<pfn_t> pages;
  // Per page: whether the holder's mapping of it still stands (cleared by
  // munmap, MADV_DONTNEED, MADV_HWPOISON and exit of that address in pid):
  // the pin-coherence spec applies only while it does.
  std::vector<uint8_t> coherent;
  std::vector<uint8_t> anon_at_pin;  // the folio was anonymous when GUP returned it
  // Whether the call holds its pages (while in flight: those grabbed so far).
  bool holds() const { return exists && !released; }
};

struct MappingHandle {
  bool exists = false;
  uint64_t start = 0;  // vpn
  uint16_t npages = 0;
  int created_by = -1;  // pid
};

// What a step did, as the trace reader sees it.
struct Outcome {
  long ret = 0;        // return value, or -errno
  int signal = 0;      // SIGSEGV/SIGBUS for user accesses and driver faults
  bool has_value = false;
  uint64_t value = 0;  // the value a read returned
  pfn_t pfn = 0;       // the frame a read or write touched
  std::vector<pfn_t> dump;  // dump: one entry per dumped page, 0 for a hole
  std::vector<uint64_t> dump_vpn;  // dump: the address of each entry
  std::string point;    // resume: where the call stopped, or "" when it completed
  bool completed_call = false;  // resume ran the call to its end
  std::vector<pfn_t> dump_io;      // dump: get_dump_page() inside each VM_IO|VM_PFNMAP VMA
  std::vector<uint64_t> values;    // dma_read: the value of each page the call holds
  std::string describe() const;
};

// The state just before a step, as much as step invariants compare against.
struct Probe {
  // The page the op addresses (read, write, GUP start, uffd, insert).
  bool had_vma = false;
  model::vm_area_struct vma;
  bool had_pte = false;  // a PTE table covered the address
  model::pte_t pte;
  model::folio folio;    // copy of the folio the PTE mapped (if a struct page)
  bool page_hwpoison = false;  // PG_hwpoison of the page itself (folio.hwpoison is the head's)
  bool has_pinned = false;  // MMF_HAS_PINNED of the acting process
  long pin_acquired = 0, pin_released = 0;
  // For GUP, put, unpin and dump: every folio's counts before the step.
  std::vector<int> refcount, mapcount;
  std::vector<uint8_t> pagecache;
  // For GUP: the VMA flags of every page of the range (0 = no VMA).
  std::vector<model::vm_flags_t> range_flags;
  size_t nfolios = 0;
  size_t ntables = 0;  // of the acting process
  std::vector<uint64_t> table_bases;  // dump: the acting process's PTE tables
  // dump: every page the acting process mapped (present PTE or PMD leaf),
  // with its VMA's flags, before the dump ran (F5).
  struct Mapped {
    uint64_t vpn = 0;
    pfn_t pfn = 0;
    bool special = false;  // pte_special(), or the huge zero folio's PMD
    model::vm_flags_t vm_flags = 0;
  };
  std::vector<Mapped> dump_mapped;
  // Every hwpoison entry (pid, vpn) of every live process before the step;
  // filled only while some folio is PG_hwpoison (no entry exists otherwise).
  std::vector<std::pair<int, uint64_t>> hwpoison_entries;
  // Per pid, zero-pfn PTEs before the step; filled only while some mm
  // forbids the zero page (B9), else empty.
  std::vector<int> zero_ptes;
};

// Whether memory_failure() poisoned this page and unmapped it for good (it
// recovered it: returned 0). A page it refused (off the LRU: a driver's page,
// the zero page) or a large folio it could not split keeps PG_hwpoison and
// may stay mapped, even after a later split makes it an order-0 page.
inline bool hwpoison_unmapped_by_memory_failure(const model::folio &f) { return f.hwpoison && f.hwpoison_recovered; }

// Who holds each folio, recomputed from the PTEs and GUP calls (not from the
// model's counters) so that invariants can compare the two.
struct Census {
  // Folio-level counts are indexed by the folio's head pfn (a large folio's
  // tails stay 0); page-level ones by each page.
  std::vector<int> ptes;   // present, non-special PTEs and PMD leaves mapping the folio
  std::vector<int> gets;   // FOLL_GET references held by GUP calls on the folio
  std::vector<int> pins;   // FOLL_PIN pins held by GUP calls on the folio
  std::vector<int> page_maps;  // PTEs and PMD leaves mapping each page
  std::vector<int> page_pins;  // FOLL_PIN pins held on each page
  std::vector<int> special_ptes;  // special PTEs naming the pfn
  // Per live pid: normal PTEs of anonymous, file and shmem folios (what the
  // rss counters must say).
  struct Rss {
    long anon = 0, file = 0, shmem = 0;
  };
  std::vector<Rss> rss;
  // Per live pid: present zero-page PTEs KSM placed (is_ksm_zero_pte()).
  std::vector<long> ksm_zero;
  // The first PTE (pid, vpn) with each property, or pid -1: found in the same
  // single walk over every page table, so invariants stay O(1) per step.
  struct Where {
    int pid = -1;
    uint64_t vpn = 0;
    pfn_t pfn = 0;
  };
  Where zero_writable;       // the zero page mapped writable
  Where zero_not_special;    // the zero page mapped without pte_special
  Where writable_shared_anon;  // a writable PTE of a non-exclusive anonymous folio
  Where ksm_zero_not_special;  // a KSM zero-page PTE that is not special or writable
  std::vector<int> zero_ptes;  // per pid: PTEs naming the zero pfn
  // A present PTE or PMD leaf mapping a page memory_failure() must have
  // unmapped (hwpoison_unmapped_by_memory_failure()).
  Where hwpoison_mapped;
  // How many PTEs have each Where property: kept by the incremental update
  // (World::set_incremental()), which cannot say which one comes first in
  // the walk; while any is nonzero the next census() walks everything.
  long n_zero_writable = 0, n_zero_not_special = 0, n_writable_shared_anon = 0, n_ksm_zero_not_special = 0,
       n_hwpoison_mapped = 0;
  bool valid = false;
};

// What a step may have changed (World::footprint()), for incremental
// invariant checking: the invariants that judge each folio or each GUP call
// on its own look only at these after the step. Sound by construction
// rather than by tracing every write: a step is local only when its kind
// and operands bound what it can touch (see World::footprint_begin());
// every other step is global.
struct Footprint {
  bool global = true;       // anything may have changed: check everything
  // Every page whose folio, PTE mappings or GUP holders may have changed
  // (sorted, unique): the pages the step's page tables mapped before and
  // after it, the pages of the GUP call it ran or released, the folios it
  // allocated, each widened to its whole large folio.
  std::vector<pfn_t> pfns;
  // Every GUP call whose state, or the folio of one of whose pages, may
  // have changed (sorted, unique).
  std::vector<int> gups;
};

// A GUP call in flight: its coroutine and its own result buffers (stable
// while the trace's call table grows).
struct InFlight {
  model::gup_task task;
  std::vector<pfn_t> pages;
  long nr_fast = 0;
};

// The calls in flight, by GUP handle. A coroutine cannot be copied: a World
// copies (the explorer's breadth-first search) only while no call is stopped
// at an interleave point, and throws model::model_bug otherwise.
struct InFlightTable {
  std::vector<std::unique_ptr<InFlight>> v;
  InFlightTable() = default;
  InFlightTable(InFlightTable &&) = default;
  InFlightTable &operator=(InFlightTable &&) = default;
  InFlightTable(const InFlightTable &o) { require_idle(o); }
  InFlightTable &operator=(const InFlightTable &o) {
    require_idle(o);
    v.clear();
    return *this;
  }
  static void require_idle(const InFlightTable &o) {
    for (const auto &f : o.v)
      if (f) throw model::model_bug("copy of a World with a GUP call stopped at an interleave point");
  }
};

namespace test {
struct WorldTamper;  // tests/unit/test_traces.h: tampering that proves an invariant can fail
}

class World {
 public:
  explicit World(const model::variant_switches &sw = {});

  // Runs one operation. REQUIRES: the trace is consistent up to op (see
  // trace::check_consistency()); otherwise throws bad_trace.
  // Throws model::model_bug for an inconsistency of the model itself.
  const Outcome &step(const trace::Op &op);

  const model::kernel_state &kernel() const { return k_; }
  const std::vector<GupCall> &gup_calls() const { return gups_; }
  const std::vector<MappingHandle> &mappings() const { return maps_; }
  // The model pid of process handle pN, or -1.
  int pid_of(uint16_t proc) const;
  // The trace handle of a model pid, or -1.
  int proc_of(int pid) const;
  // The trace file handle fN of a kernel file index, or -1 (shmem:anon files).
  int file_handle(int kernel_file) const;
  // The vpn of mN+I. Throws bad_trace when mN does not exist.
  uint64_t address(uint16_t map, uint16_t page) const;

  // The value a process's private page must hold (anonymous memory, or a
  // private file mapping the process wrote), or kUnknown.
  static constexpr uint64_t kUnknown = ~uint64_t(0);
  uint64_t shadow(int pid, uint64_t vpn) const;

  const Probe &probe() const { return probe_; }
  // The last step's operation and outcome (valid after the first step).
  const trace::Op &last_op() const { return last_op_; }
  const Outcome &last_outcome() const { return out_; }
  // Whether a GUP call is stopped at an interleave point: such a World
  // cannot be copied (the explorer rebuilds it by replaying its trace).
  bool has_paused_call() const {
    for (const auto &f : inflight_.v)
      if (f) return true;
    return false;
  }
  // The GUP call the last step created or completed, or null (never a
  // collapse: its handle is a call only so that it can be in flight).
  const GupCall *last_gup() const { return last_gup_; }
  const Census &census() const;
  // The census walked from scratch, whatever the incremental state (tests
  // compare it with census()).
  Census census_full() const;

  // Incremental checking (gupcheck --check incremental): each step records
  // its footprint, and the census is updated from it instead of walked
  // again. Off by default (a World the explorer copies, a live run).
  void set_incremental(bool on);
  bool incremental() const { return incremental_; }
  // The last step's footprint; global when incremental checking is off.
  const Footprint &footprint() const { return fp_; }
  // A store of v into every page call g holds, by the I/O a live mechanism
  // does through it (an O_DIRECT read fills its buffer): the frames change,
  // not the spec's shadow memory. The model oracle's device side.
  void device_store(const GupCall &g, uint64_t v);

 private:
  void take_probe(const trace::Op &op, int pid);
  // Incremental checking (footprint.cpp): before the step, decide whether it
  // is local and take out of the census what its page tables and GUP call
  // contributed; after it, put back what they contribute now and record the
  // footprint.
  void footprint_begin(const trace::Op &op, bool global);
  void footprint_end();
  // Adds (sign +1) or removes (-1) one page table's or one call's share of
  // the census; `where`: also note the first PTE with each property.
  void census_table(Census &c, int pid, const model::pte_table &t, int sign, bool where) const;
  void census_gup(Census &c, const GupCall &g, int sign) const;
  void census_walk(Census &c) const;
  // The step of each area (world_vm.cpp, world_access.cpp, world_gup.cpp,
  // world_process.cpp): runs op on the model and records its outcome and the
  // ghost state. REQUIRES: op belongs to the area; the probe is taken.
  void step_vm(const trace::Op &op, int pid);
  void step_access(const trace::Op &op, int pid);
  void step_gup(const trace::Op &op, int pid);
  void step_process(const trace::Op &op, int pid);
  void run_gup(GupCall &g);
  // Starts (first time) or resumes an in-flight call. Return: true when it
  // stopped at an interleave point, false when it completed.
  bool advance_gup(GupCall &g, bool to_end);
  void finish_gup(GupCall &g);
  void set_shadow(int pid, uint64_t vpn, uint64_t v);
  // The holder's mapping of [start, end) in pid is gone: pins there are no
  // longer coherent with the process's view.
  void break_coherence(int pid, uint64_t start, uint64_t end);
  // Who sees a device write to pfn: for a write pin, the holder (spec);
  // otherwise nobody knows, so every process mapping it forgets its shadow.
  void dma_write(GupCall &g, uint64_t value);
  int require_pid(uint16_t proc) const;
  GupCall &require_gup(uint16_t g);

  model::kernel_state k_;
  std::vector<int> proc_pid_;       // trace process handle -> pid
  std::vector<int> pid_proc_;       // pid -> trace process handle
  std::vector<MappingHandle> maps_;
  std::vector<int> file_idx_;       // trace fN -> kernel file index
  std::vector<GupCall> gups_;
  InFlightTable inflight_;
  std::vector<std::vector<uint64_t>> shadow_;  // per pid, indexed by vpn
  Probe probe_;
  trace::Op last_op_;
  Outcome out_;
  const GupCall *last_gup_ = nullptr;
  mutable Census census_;
  bool incremental_ = false;
  Footprint fp_;
  // The step in progress (footprint_begin() .. footprint_end()).
  struct Touch {
    int pid = -1;                      // whose page tables ([lo, hi) vpns) the step may change
    uint64_t lo = 0, hi = 0;
    int gup = -1;                      // the GUP call it runs or releases
    std::vector<pfn_t> before;         // pages mapped in those tables, and the call's pages, before
    // Of each page in `before`: what the census' classification reads.
    std::vector<uint32_t> before_class;
    size_t nfolios = 0;
    bool census = false;               // the census was valid and is being updated
  } touch_;
  // Per page: the GUP calls holding it (footprint: calls of a changed folio).
  std::vector<std::vector<int>> holders_;
  std::vector<uint32_t> stamp_;  // per page: the epoch it was last added to a footprint
  uint32_t epoch_ = 0;

  friend struct test::WorldTamper;
};

}  // namespace gupcheck::props
