// SPDX-License-Identifier: GPL-2.0-only
//
// The kernel state the GUP model works on, and one function per kernel
// function it models (Linux v6.18). Names follow the kernel so a kernel
// developer can put our function beside theirs; each definition says what it
// models. No RapidCheck, no Boost, no I/O here.
//
// Where a stand-in is not the kernel's behaviour it is labelled, as in
// tools/testing/vma/: "Stubbed:" (a deliberate no-op), "Differs:" (a
// simplification, with the reason).
//
// Differs (whole model): addresses are page numbers (vpn), not byte
// addresses; a PTE table covers PTRS_PER_PTE = 16 pages instead of 512, so
// "page table present or not" is reachable in small traces; a large folio is
// a PMD-sized anonymous THP (HPAGE_PMD_NR = 16 pages) or the huge zero folio;
// there is no swap, no LRU, no locking; concurrency only at GUP's interleave
// points (model/steps.h).
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "model/flags.h"
#include "model/steps.h"
#include "model/variant.h"

namespace gupcheck::model {

using pfn_t = uint64_t;

// Differs: 16 entries per PTE table (kernel: 512 on x86-64).
constexpr unsigned PTRS_PER_PTE = 16;
// The shared zero page's pfn (my_zero_pfn()). pfn 0 is never a page.
constexpr pfn_t ZERO_PFN = 1;
// The zero page's refcount when nobody holds a GUP reference on it.
constexpr int ZERO_PAGE_BASE_REFCOUNT = 1;
// The refcount ceiling. The kernel's _refcount is an atomic_t that GUP must
// never let wrap (it refuses a grab once the count reads <= 0, i.e. past
// 2^31): REFCOUNT_CEILING. Differs: inside the refcount-overflow variant only
// (variant_switches::small_refcount_ceiling) the ceiling is scaled down to
// four pins, SMALL_REFCOUNT_CEILING, so that a trace can reach it; on
// mainline no reachable trace does, as on the kernel (found by gupcheck diff:
// the small ceiling made a fourth pin fail where the kernel succeeds).
constexpr long REFCOUNT_CEILING = 0x7fffffffL;
constexpr long SMALL_REFCOUNT_CEILING = 4 * GUP_PIN_COUNTING_BIAS;
// Device pfns (no struct page, !pfn_valid()) start here.
constexpr pfn_t DEVICE_PFN_BASE = pfn_t(1) << 32;
// First vpn handed out by mmap.
constexpr uint64_t MMAP_MIN_VPN = 0x10;
// Highest vpn (exclusive) of the user address space (TASK_SIZE, in pages).
constexpr uint64_t TASK_SIZE_VPN = uint64_t(1) << 24;

// A model bug (an inconsistency the kernel could not reach). Reported as an
// internal error (exit status 3), never as an invariant violation.
struct model_bug : std::logic_error {
  using std::logic_error::logic_error;
};

// Where a folio was allocated (page_zonenum() / get_pageblock_migratetype()),
// as far as folio_is_longterm_pinnable() cares.
enum class mem_zone : uint8_t {
  normal,   // ZONE_NORMAL, MIGRATE_MOVABLE/UNMOVABLE pageblocks: pinnable
  movable,  // ZONE_MOVABLE: not long-term pinnable
  cma,      // a MIGRATE_CMA pageblock: not long-term pinnable
};

// include/linux/mm_types.h struct folio (one entry per pfn; see head below).
//
// Invariants:
//  1. refcount >= 0 and mapcount >= 0; pincount == 0 unless large (small
//     folios keep pins in refcount, GUP_PIN_COUNTING_BIAS each; large ones
//     one reference plus one _pincount each).
//  2. freed <=> refcount == 0 for an allocated folio; a freed folio is mapped
//     by no PTE and held by no GUP reference.
//  3. zero => !anon && pfn == ZERO_PFN; anon_exclusive => anon.
struct folio {
  int refcount = 0;  // _refcount (kernel encoding)
  int mapcount = 0;  // _mapcount + 1 (precise page mapcount)
  int pincount = 0;  // _pincount (large folios only; always 0 here)
  bool large = false;
  bool anon = false;
  bool anon_exclusive = false;  // PG_anon_exclusive
  bool zero = false;
  bool ksm = false;
  bool pagecache = false;  // in a file's page cache (holds one reference)
  bool driver = false;     // a driver's own page (the driver holds one reference)
  bool freed = false;
  bool dirty = false;
  bool hwpoison = false;   // PG_hwpoison (memory_failure())
  // memory_failure() recovered this page (returned 0): it unmapped it from
  // every process, so it is never mapped or returned by GUP again. A page
  // PG_hwpoison without it is one memory_failure() refused and left mapped.
  bool hwpoison_recovered = false;
  bool fsdax = false;      // a ZONE_DEVICE fsdax page (folio_is_fsdax()): never long-term pinnable
  bool secretmem = false;  // a memfd_secret page (folio_is_secretmem()): never GUP-able
  int file = -1;  // owning file when pagecache
  uint64_t index = 0;
  uint64_t data = 0;  // the page's content, abstracted to one value
  mem_zone zone = mem_zone::normal;
  pfn_t migrated_to = 0;  // set when migrate_pages() moved the folio away (then freed)
  // Large folios (PMD-sized THP, HPAGE_PMD_NR pages): the counts (refcount,
  // mapcount, pincount) and ksm/zone live in the head; anon, large and
  // huge_zero are copied into every page; anon_exclusive (PageAnonExclusive)
  // and data are per page. head is the head's pfn on a tail page, else 0.
  pfn_t head = 0;
  bool huge_zero = false;  // the huge zero folio (mm_get_huge_zero_folio())
};

// Differs: a PMD covers one PTE table, PTRS_PER_PTE pages (kernel: 512).
constexpr unsigned HPAGE_PMD_NR = 16;
// The huge zero folio's refcount when no GUP reference is held
// (huge_zero_refcount's own reference; mappings take none).
constexpr int HUGE_ZERO_BASE_REFCOUNT = 1;

// A PTE (arch/x86 pte_t bits that matter to GUP).
struct pte_t {
  pfn_t pfn = 0;
  bool present = false;
  bool write = false;
  bool dirty = false;
  bool young = false;
  bool special = false;   // pte_special()
  bool protnone = false;  // PROT_NONE mapping (pte_protnone())
  // A non-present hwpoison swap entry (make_hwpoison_entry()) left by
  // memory_failure(); only meaningful when !present.
  bool hwpoison = false;
};
// Models: pte_none(): neither present nor a swap-type entry.
inline bool pte_none(const pte_t &pte) { return !pte.present && !pte.hwpoison; }

// One page-table page (a PTE table) covering PTRS_PER_PTE pages, and the PMD
// entry that points to it. With pmd_leaf the PMD maps a PMD-sized folio
// itself (pmd_trans_huge()): pmd_pfn is its head, and every pte is none.
struct pte_table {
  uint64_t base = 0;  // first vpn covered; a multiple of PTRS_PER_PTE
  pte_t ptes[PTRS_PER_PTE];
  bool pmd_leaf = false;
  pfn_t pmd_pfn = 0;
  bool pmd_write = false;
  bool pmd_dirty = false;
  bool pmd_young = false;
  bool pmd_protnone = false;  // PROT_NONE VMA: pmd_protnone(), inaccessible to the CPU and GUP-fast
  // Which page-table page this is (unique within the mm): pmd_val() of a
  // PMD pointing to a PTE table, as GUP-fast compares it.
  uint32_t id = 0;
  // A collapse cleared the PMD (pmdp_collapse_flush()) but has not copied
  // the pages yet: pmd_none() for everyone, but a lockless walker that
  // read the PMD before still sees the PTEs (see mm_struct::collapse).
  bool detached = false;
};

// What backs a VMA: the vm_ops it would have.
enum class vma_backing : uint8_t {
  anon,      // vma_is_anonymous(): no vm_ops
  file,      // a regular file that needs dirty tracking (page_mkwrite, writenotify)
  shmem,     // shmem/memfd (no dirty tracking), incl. MAP_SHARED|MAP_ANONYMOUS
  pfnmap,    // a driver that remap_pfn_range()d at mmap time; no ->fault
  mixedmap,  // a VM_MIXEDMAP driver whose ->fault inserts pages (see mixed_driver_fault)
  secretmem, // memfd_secret(2): shared only, VM_LOCKED|VM_DONTDUMP, pages out of the direct map
};

// include/linux/mm_types.h struct vm_area_struct
//
// Invariants: vm_start < vm_end (vpn); VMAs of one mm are sorted and disjoint.
struct vm_area_struct {
  uint64_t vm_start = 0;  // vpn
  uint64_t vm_end = 0;    // vpn, exclusive
  vm_flags_t vm_flags = 0;
  uint64_t vm_pgoff = 0;  // file page offset of vm_start; the first pfn for a COW PFNMAP
  vma_backing backing = vma_backing::anon;
  int file = -1;           // kernel_state::files index for file/shmem
  bool anon_vma = false;   // vma->anon_vma != NULL (anon_vma_prepare() ran)
  // Differs: stands for the memory policy / movablecore placement that puts
  // the VMA's new anonymous folios into ZONE_MOVABLE or CMA pageblocks.
  mem_zone zone = mem_zone::normal;
  unsigned anon_vma_id = 0;     // which anon_vma (shared by the pieces of a split VMA)
  bool anon_vma_forked = false;  // anon_vma_fork() gave it its parents' anon_vmas too
                                 // (the chain is not singular: vma_had_uncowed_parents())
};

// MM_* rss counter indices (include/linux/mm_types_task.h).
enum { MM_FILEPAGES = 0, MM_ANONPAGES = 1, MM_SWAPENTS = 2, MM_SHMEMPAGES = 3, NR_MM_COUNTERS = 4 };

struct mm_struct {
  std::vector<vm_area_struct> vmas;  // sorted by vm_start
  std::vector<pte_table> tables;     // sorted by base
  bool has_pinned = false;           // MMF_HAS_PINNED (sticky)
  bool forbids_zeropage = false;     // mm_forbids_zeropage() (s390 storage keys)
  long rss[NR_MM_COUNTERS] = {0, 0, 0, 0};
  unsigned write_protect_seq = 0;  // seqcount; odd while fork copies page tables
  // Bumped by every operation that takes mmap_lock for writing (mmap,
  // munmap, mprotect, mlock, fork, madvise that changes VMA flags, ...):
  // a GUP call stopped at an interleave point sees whether one ran, which
  // the kernel allows only after dropping mmap_lock (VM_FAULT_RETRY).
  unsigned mmap_write_seq = 0;
  uint32_t next_table_id = 1;
  // A collapse stopped between isolation and copy (collapse_huge_page()
  // holds mmap_lock for writing): the detached table at `base` and the new
  // THP `head` the copy will fill.
  struct {
    bool active = false;
    uint64_t base = 0;
    pfn_t head = 0;
  } collapse;
  uint64_t mmap_hint = MMAP_MIN_VPN;
  long ksm_zero_pages = 0;  // mm->ksm_zero_pages: KSM-placed zero-page PTEs
};

struct task_struct {
  bool alive = true;
  mm_struct mm;
};

struct file_state {
  bool shmem = false;
  bool needs_dirty_tracking = false;  // mapping_can_writeback()
  bool dax = false;                   // IS_DAX(inode): an fsdax file (ext4/xfs -o dax)
  bool secretmem = false;             // a memfd_secret inode
  std::vector<pfn_t> pages;           // page cache: index -> pfn (0 = not cached)
};

// One handle_mm_fault() call, as the fault log records it.
struct fault_record {
  int pid = -1;
  uint64_t vpn = 0;
  unsigned flags = 0;  // FAULT_FLAG_*
};

struct kernel_state {
  std::vector<folio> folios;          // indexed by pfn; [0] unused, [ZERO_PFN] the zero page
  std::vector<uint64_t> device_mem;   // content of device pfns DEVICE_PFN_BASE + i
  std::vector<task_struct> tasks;     // indexed by pid (model pid, not the trace handle)
  std::vector<file_state> files;
  unsigned anon_vma_ids = 0;          // the last anon_vma identity handed out
  long nr_foll_pin_acquired = 0;      // NR_FOLL_PIN_ACQUIRED
  long nr_foll_pin_released = 0;      // NR_FOLL_PIN_RELEASED
  bool arch_has_pte_special = true;   // CONFIG_ARCH_HAS_PTE_SPECIAL (x86-64)
  int memalloc_pin = 0;               // memalloc_pin_save() depth: no movable/CMA allocations
  bool ksm_use_zero_pages = true;     // /sys/kernel/mm/ksm/use_zero_pages
  std::vector<pfn_t> ksm_stable;      // KSM stable tree: the KSM folios, one per content
  // Operations the executor has started (each trace step): a GUP call
  // stopped at an interleave point sees whether anything ran meanwhile.
  uint64_t steps = 0;
  bool thp_use_zero_page = true;      // /sys/kernel/mm/transparent_hugepage/use_zero_page
  pfn_t huge_zero_pfn = 0;            // the huge zero folio's head, allocated on first use
  std::vector<std::string> warnings;  // WARN_ON/VM_BUG_ON on kernel state: a kernel bug
  std::vector<std::string> misuse;    // WARN_ON on a caller's arguments: an API misuse
  // Customised (as tools/testing/vma/ turns a lock into a counter): every
  // handle_mm_fault() since the executor last cleared it (each step), so
  // invariants can observe fault flags (E4, E7).
  std::vector<fault_record> faults;
  variant_switches sw;

  explicit kernel_state(const variant_switches &s = {});
};

// The ceiling GUP's overflow guard keeps a folio's refcount under.
inline long refcount_ceiling(const kernel_state &k) {
  return k.sw.small_refcount_ceiling ? SMALL_REFCOUNT_CEILING : REFCOUNT_CEILING;
}

// ---------------------------------------------------------------------------
// Small helpers (include/linux/mm.h and friends).

bool pfn_valid(const kernel_state &k, pfn_t pfn);
// Models: page_folio(): the pfn of the head of the folio containing page.
inline pfn_t folio_pfn(const kernel_state &k, pfn_t page) {
  const pfn_t h = k.folios[page].head;
  return h ? h : page;
}
inline folio &page_folio(kernel_state &k, pfn_t page) { return k.folios[folio_pfn(k, page)]; }
inline const folio &page_folio(const kernel_state &k, pfn_t page) { return k.folios[folio_pfn(k, page)]; }
inline bool is_huge_zero_pfn(const kernel_state &k, pfn_t pfn) {
  return k.huge_zero_pfn && pfn >= k.huge_zero_pfn && pfn < k.huge_zero_pfn + HPAGE_PMD_NR;
}
// The PTE table (and its PMD) covering vpn, or null (pmd_none()).
pte_table *pmd_offset(mm_struct &mm, uint64_t vpn);
const pte_table *pmd_offset(const mm_struct &mm, uint64_t vpn);
// The pfn mapped at vpn by a present PTE or PMD leaf, or 0.
pfn_t mapped_pfn(const mm_struct &mm, uint64_t vpn);
inline bool is_zero_pfn(pfn_t pfn) { return pfn == ZERO_PFN; }
bool vma_is_anonymous(const vm_area_struct &vma);
bool vma_has_fault_op(const vm_area_struct &vma);
bool vma_is_fsdax(const kernel_state &k, const vm_area_struct &vma);
bool vma_is_secretmem(const vm_area_struct &vma);
// Models: include/linux/mm.h folio_is_longterm_pinnable() (v6.18): not CMA;
// the zero page always; not fsdax; not ZONE_MOVABLE.
bool folio_is_longterm_pinnable(const folio &f);
bool folio_maybe_dma_pinned(const folio &f);
// Whether a PTE installed with vma->vm_page_prot is writable: only shared
// writable mappings that need no write notification (kernel: vm_page_prot).
bool vm_page_prot_writable(const kernel_state &k, const vm_area_struct &vma);

vm_area_struct *find_vma(mm_struct &mm, uint64_t vpn);  // the VMA containing vpn, or null
const vm_area_struct *find_vma(const mm_struct &mm, uint64_t vpn);
pte_t *pte_offset(mm_struct &mm, uint64_t vpn);  // null when no PTE table covers vpn
const pte_t *pte_offset(const mm_struct &mm, uint64_t vpn);
pte_t *pte_alloc(mm_struct &mm, uint64_t vpn);   // allocates the table when missing

pfn_t folio_alloc(kernel_state &k);  // a new folio, refcount 1
// anon_vma_prepare() + folio_prealloc() + folio_add_new_anon_rmap(RMAP_EXCLUSIVE):
// a new exclusive anonymous folio holding data, whose one reference and
// mapcount belong to the PTE the caller installs (and counts in rss).
pfn_t alloc_new_anon_folio(kernel_state &k, vm_area_struct &vma, uint64_t data);
// Models: mm/rmap.c anon_vma_prepare(): gives the VMA a neighbour's anon_vma
// (find_mergeable_anon_vma()) or one of its own. REQUIRES: vma is an element
// of some task's mm.vmas (the neighbours are found there).
void anon_vma_prepare(kernel_state &k, vm_area_struct &vma);

// Models: include/linux/mm.h mk_pte(page, vma->vm_page_prot): a present PTE
// with the VMA's protection: writable only where vm_page_prot is (see
// vm_page_prot_writable()), and protnone (present for the core mm,
// inaccessible to the CPU and to GUP-fast) in a VMA without access rights.
pte_t mk_pte(const kernel_state &k, const vm_area_struct &vma, pfn_t pfn);
// Models: maybe_mkwrite(pte_mkdirty(pte), vma): how a write fault maps its page.
pte_t mkdirty_maybe_mkwrite(pte_t pte, const vm_area_struct &vma);
void folio_get(kernel_state &k, pfn_t pfn);
void folio_put(kernel_state &k, pfn_t pfn, int refs = 1);
uint64_t read_pfn(const kernel_state &k, pfn_t pfn);
void write_pfn(kernel_state &k, pfn_t pfn, uint64_t value);
void warn(kernel_state &k, std::string what);  // WARN_ON_ONCE / VM_BUG_ON on kernel state
void warn_misuse(kernel_state &k, std::string what);  // WARN_ON_ONCE on a caller's arguments

// ---------------------------------------------------------------------------
// Page faults (mm/memory.c). Return: VM_FAULT_* bits.

constexpr unsigned VM_FAULT_OOM = 0x000001, VM_FAULT_SIGBUS = 0x000002, VM_FAULT_HWPOISON = 0x000010,
                   VM_FAULT_SIGSEGV = 0x000040, VM_FAULT_NOPAGE = 0x000100, VM_FAULT_RETRY = 0x000400;
constexpr unsigned VM_FAULT_ERROR = VM_FAULT_OOM | VM_FAULT_SIGBUS | VM_FAULT_SIGSEGV | VM_FAULT_HWPOISON;
constexpr unsigned FAULT_FLAG_WRITE = 1u << 0, FAULT_FLAG_USER = 1u << 6, FAULT_FLAG_REMOTE = 1u << 7,
                   FAULT_FLAG_UNSHARE = 1u << 10;

unsigned handle_mm_fault(kernel_state &k, int pid, vm_area_struct &vma, uint64_t vpn, unsigned flags);
unsigned do_anonymous_page(kernel_state &k, int pid, vm_area_struct &vma, uint64_t vpn, unsigned flags);
unsigned do_fault(kernel_state &k, int pid, vm_area_struct &vma, uint64_t vpn, unsigned flags);
void do_fault_around(kernel_state &k, int pid, vm_area_struct &vma, uint64_t vpn);
long shmem_mfill_atomic_zeropage(kernel_state &k, int pid, vm_area_struct &vma, uint64_t vpn);
unsigned do_wp_page(kernel_state &k, int pid, vm_area_struct &vma, uint64_t vpn, unsigned flags);
unsigned wp_page_copy(kernel_state &k, int pid, vm_area_struct &vma, uint64_t vpn, pfn_t old_page, unsigned flags);
bool wp_can_reuse_anon_folio(kernel_state &k, pfn_t pfn);

// vm_normal_page(): the struct page a PTE maps for the core mm, or 0 for a
// "special" mapping (zero page, raw PFNMAP/MIXEDMAP pfns).
pfn_t vm_normal_page(kernel_state &k, const vm_area_struct &vma, uint64_t vpn, const pte_t &pte);

// Driver-side insertion (mm/memory.c). Return: 0 or -errno.
long vm_insert_page(kernel_state &k, int pid, vm_area_struct &vma, uint64_t vpn, pfn_t page);
long insert_page(kernel_state &k, int pid, vm_area_struct &vma, uint64_t vpn, pfn_t page);
// Return: VM_FAULT_NOPAGE on success, VM_FAULT_SIGBUS on refusal.
unsigned vmf_insert_mixed(kernel_state &k, int pid, vm_area_struct &vma, uint64_t vpn, pfn_t pfn);
bool vm_mixed_zeropage_allowed(const kernel_state &k, int pid, const vm_area_struct &vma);
long remap_pfn_range(kernel_state &k, int pid, vm_area_struct &vma, uint64_t vpn, pfn_t pfn, uint64_t npages);
pfn_t driver_alloc_page(kernel_state &k);   // a driver-owned page (driver holds one ref)
pfn_t device_alloc_pfn(kernel_state &k);    // a device pfn without struct page

// Unmapping and fork (mm/memory.c).
void zap_pte_range(kernel_state &k, int pid, const vm_area_struct &vma, uint64_t start, uint64_t end);
// Return: 0, or -ENOMEM when the child needs a page and none can be had.
int copy_present_pte(kernel_state &k, int src_pid, int dst_pid, vm_area_struct &src_vma,
                     vm_area_struct &dst_vma, uint64_t vpn);

// ---------------------------------------------------------------------------
// GUP (mm/gup.c).

// Outcome of follow_page_pte(): a page, "no page" (fault needed), or -errno.
struct follow_result {
  pfn_t page = 0;  // non-zero: the page, grabbed as flags ask
  long err = 0;    // 0 with page == 0: no page, fault it in; else -EFAULT/-EEXIST/-EMLINK/-ENOMEM
};
follow_result follow_page_pte(kernel_state &k, int pid, vm_area_struct &vma, uint64_t vpn, unsigned flags);
follow_result no_page_table(const vm_area_struct &vma, unsigned flags);
long check_vma_flags(const kernel_state &k, const vm_area_struct &vma, unsigned gup_flags);
bool can_follow_write_pte(const kernel_state &k, const pte_t &pte, pfn_t page, const vm_area_struct &vma,
                          unsigned flags);
// vma == nullptr stands for GUP-fast, which has no VMA.
bool gup_must_unshare(const kernel_state &k, const vm_area_struct *vma, unsigned flags, pfn_t page);
long try_grab_folio(kernel_state &k, pfn_t page, int refs, unsigned flags);
void gup_put_folio(kernel_state &k, pfn_t page, int refs, unsigned flags);
long faultin_page(kernel_state &k, int pid, vm_area_struct &vma, uint64_t vpn, unsigned flags, bool unshare);

// __get_user_pages(). pages == nullptr is the populate path.
// Return: the number of pages processed (a prefix, possibly short), or -errno
// when none was: -EFAULT (no VMA, check_vma_flags(), a fault that failed, a
// FOLL_DUMP hole), -EEXIST (a PFN-only PTE at the first page with pages), -ENOMEM,
// -EOPNOTSUPP (fsdax + FOLL_LONGTERM), -EINVAL (FOLL_GET|FOLL_PIN together).
long __get_user_pages(kernel_state &k, int pid, uint64_t start, long nr_pages, unsigned gup_flags,
                      std::vector<pfn_t> *pages);
long __get_user_pages_locked(kernel_state &k, int pid, uint64_t start, long nr_pages,
                             std::vector<pfn_t> *pages, unsigned flags);
long __gup_longterm_locked(kernel_state &k, int pid, uint64_t start, long nr_pages,
                           std::vector<pfn_t> *pages, unsigned gup_flags);
bool is_valid_gup_args(const std::vector<pfn_t> *pages, unsigned *gup_flags, unsigned to_set);
long get_user_pages_remote(kernel_state &k, int pid, uint64_t start, long nr_pages, unsigned gup_flags,
                           std::vector<pfn_t> *pages);
long pin_user_pages_remote(kernel_state &k, int pid, uint64_t start, long nr_pages, unsigned gup_flags,
                           std::vector<pfn_t> *pages);

long get_user_pages(kernel_state &k, int pid, uint64_t start, long nr_pages, unsigned gup_flags,
                    std::vector<pfn_t> *pages);
long pin_user_pages(kernel_state &k, int pid, uint64_t start, long nr_pages, unsigned gup_flags,
                    std::vector<pfn_t> *pages);
// The fast entry points also report how many pages the lockless walk took
// before falling back (nr_fast), for invariants about GUP-fast alone.
long get_user_pages_fast(kernel_state &k, int pid, uint64_t start, long nr_pages, unsigned gup_flags,
                         std::vector<pfn_t> *pages, long *nr_fast);
long pin_user_pages_fast(kernel_state &k, int pid, uint64_t start, long nr_pages, unsigned gup_flags,
                         std::vector<pfn_t> *pages, long *nr_fast);
long gup_fast_fallback(kernel_state &k, int pid, uint64_t start, long nr_pages, unsigned gup_flags,
                       std::vector<pfn_t> *pages, long *nr_fast);
long gup_fast(kernel_state &k, int pid, uint64_t start, uint64_t end, unsigned gup_flags,
              std::vector<pfn_t> *pages);
// The same calls as sequences of steps (see model/steps.h): each suspends
// at the kernel's interleave points; run_to_end() gives the functions above.
gup_task __get_user_pages_steps(kernel_state &k, int pid, uint64_t start, long nr_pages, unsigned gup_flags,
                                std::vector<pfn_t> *pages);
gup_task __get_user_pages_locked_steps(kernel_state &k, int pid, uint64_t start, long nr_pages,
                                       std::vector<pfn_t> *pages, unsigned flags);
gup_task __gup_longterm_locked_steps(kernel_state &k, int pid, uint64_t start, long nr_pages,
                                     std::vector<pfn_t> *pages, unsigned gup_flags);
gup_task get_user_pages_steps(kernel_state &k, int pid, uint64_t start, long nr_pages, unsigned gup_flags,
                              std::vector<pfn_t> *pages);
gup_task pin_user_pages_steps(kernel_state &k, int pid, uint64_t start, long nr_pages, unsigned gup_flags,
                              std::vector<pfn_t> *pages);
gup_task gup_fast_steps(kernel_state &k, int pid, uint64_t start, uint64_t end, unsigned gup_flags,
                        std::vector<pfn_t> *pages);
gup_task gup_fast_fallback_steps(kernel_state &k, int pid, uint64_t start, long nr_pages, unsigned gup_flags,
                                 std::vector<pfn_t> *pages, long *nr_fast);
gup_task get_user_pages_fast_steps(kernel_state &k, int pid, uint64_t start, long nr_pages, unsigned gup_flags,
                                   std::vector<pfn_t> *pages, long *nr_fast);
gup_task pin_user_pages_fast_steps(kernel_state &k, int pid, uint64_t start, long nr_pages, unsigned gup_flags,
                                   std::vector<pfn_t> *pages, long *nr_fast);
// Return: the page (one FOLL_GET reference held), or 0 for a hole.
pfn_t get_dump_page(kernel_state &k, int pid, uint64_t vpn);
void unpin_user_page(kernel_state &k, pfn_t page);
void put_page(kernel_state &k, pfn_t page);

// ---------------------------------------------------------------------------
// System calls on the address space (mm/mmap.c, mm/mprotect.c, mm/madvise.c,
// kernel/fork.c, mm/userfaultfd.c). Return: 0 or -errno unless stated.

struct mmap_args {
  vma_backing backing = vma_backing::anon;
  bool shared = false;
  vm_flags_t prot = VM_READ | VM_WRITE;  // VM_READ/VM_WRITE subset
  uint64_t npages = 1;
  int file = -1;  // kernel_state::files index (file/shmem backings)
  mem_zone zone = mem_zone::normal;  // where new anonymous folios are allocated
  bool thp = false;  // MADV_HUGEPAGE at mmap time (VM_HUGEPAGE), PMD-aligned start
  bool populate = false;  // MAP_POPULATE
  bool rdonly = false;    // the fd is open O_RDONLY (no FMODE_WRITE)
};
// Return: the first vpn a new mapping would get after mmap_hint, or -ENOMEM.
long get_unmapped_area(uint64_t mmap_hint, const mmap_args &a);
// Return: the first vpn of the new mapping, or -errno.
long do_mmap(kernel_state &k, int pid, const mmap_args &a);
long do_munmap(kernel_state &k, int pid, uint64_t start, uint64_t npages);
long do_mprotect(kernel_state &k, int pid, uint64_t start, uint64_t npages, vm_flags_t prot);
long madvise_dontneed(kernel_state &k, int pid, uint64_t start, uint64_t npages);
// madvise(MADV_MERGEABLE): mm/ksm.c ksm_madvise() on every VMA of the range.
long madvise_mergeable(kernel_state &k, int pid, uint64_t start, uint64_t npages);
// ---------------------------------------------------------------------------
// Transparent huge pages (mm/huge_memory.c), PMD-mapped anonymous THP and the
// huge zero folio. Differs: THPs are always allocated in ZONE_NORMAL; no
// khugepaged or MADV_COLLAPSE yet; no swap, no deferred split.

constexpr unsigned VM_FAULT_FALLBACK = 0x000800;
// Models: mm/huge_memory.c thp_vma_allowable_order() for the PMD order, and
// the pmd_none() check of __handle_mm_fault().
bool thp_vma_allowable(const kernel_state &k, const mm_struct &mm, const vm_area_struct &vma, uint64_t vpn);
unsigned do_huge_pmd_anonymous_page(kernel_state &k, int pid, vm_area_struct &vma, uint64_t vpn, unsigned flags);
// Return: 0, or VM_FAULT_FALLBACK after splitting the PMD (the PTE path follows).
unsigned do_huge_pmd_wp_page(kernel_state &k, int pid, vm_area_struct &vma, uint64_t vpn, unsigned flags);
// Models: mm/khugepaged.c madvise_collapse() of the one PMD range holding
// vpn (anonymous memory only). Return: 0 (collapsed, or already
// PMD-mapped), -EINVAL, -EAGAIN (extra references: GUP), -ENOMEM.
long madvise_collapse(kernel_state &k, int pid, uint64_t vpn);
// The same as steps: one interleave point after pmdp_collapse_flush() and
// __collapse_huge_page_isolate(), before __collapse_huge_page_copy().
gup_task madvise_collapse_steps(kernel_state &k, int pid, uint64_t vpn);
// Models: mmap_read_lock()/mmap_write_lock() waiting for a collapse that
// holds mmap_lock: the collapse of pid's mm, if one is stopped, completes.
void mmap_lock_wait(kernel_state &k, int pid);
// The PTE table with that id, detached or not, or null.
const pte_table *pte_table_by_id(const mm_struct &mm, uint32_t id);
// Models: __split_huge_pmd(): the PMD leaf becomes a PTE table.
void __split_huge_pmd(kernel_state &k, mm_struct &mm, pte_table &t);
// Splits every PMD leaf that maps any page of [start, end).
void split_huge_pmd_range(kernel_state &k, mm_struct &mm, uint64_t start, uint64_t end);
// Models: zap_huge_pmd(): unmaps a whole PMD leaf.
void zap_huge_pmd(kernel_state &k, mm_struct &mm, pte_table &t);
// Models: copy_huge_pmd(). Return: 0, or -EAGAIN after splitting (copy the PTEs).
int copy_huge_pmd(kernel_state &k, int src_pid, int dst_pid, vm_area_struct &src_vma, uint64_t base);
// Models: mm/gup.c follow_huge_pmd(); *page_mask = HPAGE_PMD_NR - 1 on success.
follow_result follow_huge_pmd(kernel_state &k, int pid, vm_area_struct &vma, uint64_t vpn, unsigned flags,
                              unsigned *page_mask);

// ---------------------------------------------------------------------------
// KSM (mm/ksm.c) and migration for FOLL_LONGTERM (mm/gup.c, mm/migrate.c).

// Models: mm/ksm.c is_ksm_zero_pte(): a zero-page PTE KSM placed (marked dirty).
inline bool is_ksm_zero_pte(const pte_t &pte) { return pte.present && is_zero_pfn(pte.pfn) && pte.dirty; }
// Models: mm/ksm.c ksm_might_unmap_zero_page(): the accounting when such a PTE goes.
void ksm_might_unmap_zero_page(mm_struct &mm, const pte_t &pte);
// One ksmd pass over pid's VM_MERGEABLE VMAs (ksm_do_scan() over its mm_slot).
// Return: the number of PTEs merged.
long ksm_scan_mm(kernel_state &k, int pid);
// Models: mm/gup.c check_and_migrate_movable_pages() (v6.18) over
// (*pages)[from..]. Return: 0 when all are pinnable; -EAGAIN after unpinning
// them all and migrating the unpinnable ones; -ENOMEM when migration failed
// (nothing left pinned).
long check_and_migrate_movable_pages(kernel_state &k, std::vector<pfn_t> &pages, size_t from);

// madvise(2) advice values the model knows (include/uapi/asm-generic/mman-common.h).
enum class madv : uint8_t { dontneed, populate_read, populate_write, dontfork, dofork, wipeonfork, keeponfork, hwpoison };
// Models: mm/madvise.c do_madvise() for one advice. Return: 0 or -errno.
long do_madvise(kernel_state &k, int pid, uint64_t start, uint64_t npages, madv advice);
// Models: mm/madvise.c madvise_populate() -> mm/gup.c faultin_page_range() (v6.18).
long madvise_populate(kernel_state &k, int pid, uint64_t start, uint64_t npages, bool write);
// Models: mm/gup.c populate_vma_page_range() (v6.18): the mlock/MAP_POPULATE GUP.
long populate_vma_page_range(kernel_state &k, int pid, vm_area_struct &vma, uint64_t start, uint64_t end);
// Models: mm/gup.c __mm_populate() (v6.18).
long __mm_populate(kernel_state &k, int pid, uint64_t start, uint64_t npages, bool ignore_errors);
// Models: mm/mlock.c do_mlock() with flags 0 (v6.18), including the populate.
long do_mlock(kernel_state &k, int pid, uint64_t start, uint64_t npages);
// Models: mm/memory-failure.c memory_failure() as reached from
// madvise_inject_error() (MADV_HWPOISON). Return: 0 or -errno.
long memory_failure(kernel_state &k, pfn_t pfn);
// Models: the s390 gmap_helper_disable_cow_sharing() (v6.18): mm_forbids_zeropage()
// from now on, and every zero page in a COW mapping unshared.
long s390_disable_cow_sharing(kernel_state &k, int pid);
// Models: mm/migrate.c do_pages_stat_array() for one address (move_pages(2)
// with nodes == NULL). Return: the node (0: the model has one) or -errno.
long do_pages_stat(kernel_state &k, int pid, uint64_t vpn);
// Models: mm/memory.c __access_remote_vm() as /proc/PID/mem's mem_rw() uses it
// (FOLL_FORCE, plus FOLL_WRITE for writes; get_user_pages_remote()).
// Return: 0, or -EIO when no byte could be accessed (mem_rw()).
struct remote_result {
  long ret = 0;
  uint64_t value = 0;
  pfn_t pfn = 0;
};
remote_result access_remote_vm(kernel_state &k, int target, uint64_t vpn, bool write, uint64_t value);
// Models: mm/process_vm_access.c process_vm_rw_single_vec() (v6.18):
// pin_user_pages_remote() without FOLL_FORCE, copy, unpin. Return: 0 or -EFAULT.
remote_result process_vm_rw(kernel_state &k, int target, uint64_t vpn, bool write, uint64_t value);
// Return: the child's pid.
int dup_mm_fork(kernel_state &k, int pid);
void exit_mmap(kernel_state &k, int pid);
long mfill_atomic_zeropage(kernel_state &k, int pid, uint64_t vpn);
// userfaultfd_register(MISSING) of the page, UFFDIO_ZEROPAGE, unregister: the
// trace's uffd_zeropage (see userfaultfd.cpp).
long uffd_register_zeropage(kernel_state &k, int pid, uint64_t vpn);
// UFFDIO_CONTINUE of one page (MINOR mode); see memory.cpp.
long mfill_atomic_continue(kernel_state &k, int pid, uint64_t vpn);
int file_create(kernel_state &k, bool shmem, bool dax = false, bool secretmem = false);

// A user load or store at vpn, faulting as the CPU would.
struct access_result {
  int signal = 0;  // 0, or SIGSEGV (11) / SIGBUS (7)
  uint64_t value = 0;
  pfn_t pfn = 0;   // the frame accessed
};
constexpr int SIGBUS_NR = 7, SIGSEGV_NR = 11;
access_result user_access(kernel_state &k, int pid, uint64_t vpn, bool write, uint64_t value);

}  // namespace gupcheck::model
