// SPDX-License-Identifier: GPL-2.0-only
//
// The model kernel driven directly through its API (model/kernel.h): each
// documented `Return:` outcome of follow_page_pte(), the GUP entry points and
// vm_normal_page(), the fork-time rules for pinned and unpinned anonymous
// pages, write-fault reuse, zap, and the seed (e) variant switches. Every
// expectation is the behaviour of Linux v6.18 (mm/gup.c, mm/memory.c).
#include <gtest/gtest.h>

#include <cerrno>
#include <stdexcept>
#include <string>
#include <vector>

#include "model/flags.h"
#include "model/kernel.h"
#include "model/variant.h"

namespace gupcheck::model {
namespace {

constexpr vm_flags_t R = VM_READ;
constexpr vm_flags_t RW = VM_READ | VM_WRITE;

std::string joined(const std::vector<std::string> &v) {
  std::string s;
  for (const auto &x : v) s += "\n  " + x;
  return s;
}

// Helpers over one kernel_state; they throw (which GoogleTest reports as a
// failure) rather than return garbage when the setup itself goes wrong.
uint64_t map(kernel_state &k, int pid, vma_backing backing, bool shared, vm_flags_t prot, uint64_t npages,
             int file = -1) {
  mmap_args a;
  a.backing = backing;
  a.shared = shared;
  a.prot = prot;
  a.npages = npages;
  a.file = file;
  const long r = do_mmap(k, pid, a);
  if (r < 0) throw std::runtime_error("do_mmap failed: " + std::to_string(r));
  return uint64_t(r);
}

vm_area_struct &vma_of(kernel_state &k, int pid, uint64_t vpn) {
  vm_area_struct *v = find_vma(k.tasks[pid].mm, vpn);
  if (!v) throw std::runtime_error("no VMA at vpn " + std::to_string(vpn));
  return *v;
}

pte_t &pte_of(kernel_state &k, int pid, uint64_t vpn) {
  pte_t *p = pte_offset(k.tasks[pid].mm, vpn);
  if (!p) throw std::runtime_error("no PTE table at vpn " + std::to_string(vpn));
  return *p;
}

pfn_t user_write(kernel_state &k, int pid, uint64_t vpn, uint64_t value) {
  const access_result r = user_access(k, pid, vpn, true, value);
  if (r.signal) throw std::runtime_error("user write got signal " + std::to_string(r.signal));
  return r.pfn;
}

access_result user_read(kernel_state &k, int pid, uint64_t vpn) {
  const access_result r = user_access(k, pid, vpn, false, 0);
  if (r.signal) throw std::runtime_error("user read got signal " + std::to_string(r.signal));
  return r;
}

int zero_refs(const kernel_state &k) { return k.folios[ZERO_PFN].refcount; }

// Every test runs on a mainline kernel and must not trip a kernel assertion
// (WARN_ON/VM_BUG_ON) or an API-misuse warning unless it says so.
class Model : public ::testing::Test {
 protected:
  void TearDown() override {
    EXPECT_TRUE(k.warnings.empty()) << "kernel warnings:" << joined(k.warnings);
    EXPECT_TRUE(k.misuse.empty()) << "API misuse warnings:" << joined(k.misuse);
  }

  follow_result follow(uint64_t vpn, unsigned flags, int pid = 0) {
    return follow_page_pte(k, pid, vma_of(k, pid, vpn), vpn, flags);
  }

  kernel_state k;
  std::vector<pfn_t> pages;
  long nr_fast = -1;
};

// ---------------------------------------------------------------------------
// follow_page_pte()

TEST_F(Model, FollowPresentNormalPageReturnsItAndGrabsAsAsked) {
  const uint64_t v = map(k, 0, vma_backing::anon, false, RW, 1);
  const pfn_t p = user_write(k, 0, v, 0x41);
  ASSERT_GT(p, ZERO_PFN);
  EXPECT_EQ(k.folios[p].refcount, 1);
  EXPECT_EQ(k.folios[p].mapcount, 1);
  EXPECT_TRUE(k.folios[p].anon_exclusive);

  follow_result r = follow(v, 0);  // neither FOLL_GET nor FOLL_PIN: no reference
  EXPECT_EQ(r.page, p);
  EXPECT_EQ(r.err, 0);
  EXPECT_EQ(k.folios[p].refcount, 1);

  r = follow(v, FOLL_GET);
  EXPECT_EQ(r.page, p);
  EXPECT_EQ(r.err, 0);
  EXPECT_EQ(k.folios[p].refcount, 2);
  put_page(k, p);
  EXPECT_EQ(k.folios[p].refcount, 1);

  const long acquired = k.nr_foll_pin_acquired, released = k.nr_foll_pin_released;
  r = follow(v, FOLL_PIN);
  EXPECT_EQ(r.page, p);
  EXPECT_EQ(r.err, 0);
  EXPECT_EQ(k.folios[p].refcount, 1 + GUP_PIN_COUNTING_BIAS);
  EXPECT_EQ(k.nr_foll_pin_acquired, acquired + 1);
  EXPECT_TRUE(folio_maybe_dma_pinned(k.folios[p]));
  unpin_user_page(k, p);
  EXPECT_EQ(k.folios[p].refcount, 1);
  EXPECT_EQ(k.nr_foll_pin_released, released + 1);
  EXPECT_FALSE(folio_maybe_dma_pinned(k.folios[p]));
}

TEST_F(Model, FollowWithoutPteIsNoPageAndAllocatesNothing) {
  const uint64_t v = map(k, 0, vma_backing::anon, false, RW, 2);
  const size_t nfolios = k.folios.size();
  EXPECT_EQ(pte_offset(k.tasks[0].mm, v), nullptr);
  follow_result r = follow(v, FOLL_GET);
  EXPECT_EQ(r.page, 0u);
  EXPECT_EQ(r.err, 0);
  EXPECT_TRUE(k.tasks[0].mm.tables.empty());

  // A PTE table exists, but the entry is pte_none().
  user_write(k, 0, v + 1, 1);
  ASSERT_FALSE(pte_of(k, 0, v).present);
  r = follow(v, FOLL_GET | FOLL_WRITE);
  EXPECT_EQ(r.page, 0u);
  EXPECT_EQ(r.err, 0);
  EXPECT_EQ(k.folios.size(), nfolios + 1);  // only the written page
}

TEST_F(Model, FollowDumpOfUntouchedAnonAndZeroPageIsEfault) {
  const uint64_t v = map(k, 0, vma_backing::anon, false, RW, 2);
  // no_page_table(): an untouched anonymous hole, no page table at all.
  follow_result r = follow(v, FOLL_DUMP | FOLL_GET);
  EXPECT_EQ(r.page, 0u);
  EXPECT_EQ(r.err, -EFAULT);
  EXPECT_TRUE(k.tasks[0].mm.tables.empty());

  // The zero page: special, so avoided in core dumps.
  EXPECT_EQ(user_read(k, 0, v + 1).pfn, ZERO_PFN);
  r = follow(v + 1, FOLL_DUMP | FOLL_GET);
  EXPECT_EQ(r.page, 0u);
  EXPECT_EQ(r.err, -EFAULT);
  EXPECT_EQ(zero_refs(k), ZERO_PAGE_BASE_REFCOUNT);

  // pte_none() under an existing table takes the same no_page_table() path.
  r = follow(v, FOLL_DUMP);
  EXPECT_EQ(r.err, -EFAULT);

  // A file VMA has ->fault: the hole is faulted in, not skipped.
  const int f = file_create(k, false);
  const uint64_t w = map(k, 0, vma_backing::file, false, R, 1, f);
  r = follow(w, FOLL_DUMP | FOLL_GET);
  EXPECT_EQ(r.page, 0u);
  EXPECT_EQ(r.err, 0);
}

TEST_F(Model, FollowDevicePfnInMixedmapIsEexist) {
  const uint64_t v = map(k, 0, vma_backing::mixedmap, true, RW, 1);
  const pfn_t dev = device_alloc_pfn(k);
  ASSERT_EQ(vmf_insert_mixed(k, 0, vma_of(k, 0, v), v, dev), VM_FAULT_NOPAGE);
  ASSERT_TRUE(pte_of(k, 0, v).special);
  ASSERT_EQ(pte_of(k, 0, v).pfn, dev);
  EXPECT_FALSE(pte_of(k, 0, v).young);

  for (unsigned flags : {0u, unsigned(FOLL_GET), unsigned(FOLL_PIN)}) {
    const follow_result r = follow(v, flags);
    EXPECT_EQ(r.page, 0u) << "flags " << flags;
    EXPECT_EQ(r.err, -EEXIST) << "flags " << flags;
  }
  // follow_pfn_pte(): FOLL_TOUCH still marks the entry young (and dirty for a write).
  const follow_result r = follow(v, FOLL_GET | FOLL_TOUCH | FOLL_WRITE);
  EXPECT_EQ(r.err, -EEXIST);
  EXPECT_TRUE(pte_of(k, 0, v).young);
  EXPECT_TRUE(pte_of(k, 0, v).dirty);
}

TEST_F(Model, FollowReadOnlyPinOfSharedAnonPageIsEmlink) {
  const uint64_t v = map(k, 0, vma_backing::anon, false, RW, 1);
  const pfn_t p = user_write(k, 0, v, 7);
  const int child = dup_mm_fork(k, 0);
  ASSERT_FALSE(k.folios[p].anon_exclusive);
  ASSERT_EQ(k.folios[p].mapcount, 2);
  const long acquired = k.nr_foll_pin_acquired;

  follow_result r = follow(v, FOLL_PIN);
  EXPECT_EQ(r.page, 0u);
  EXPECT_EQ(r.err, -EMLINK);
  r = follow(v, FOLL_PIN | FOLL_LONGTERM, child);
  EXPECT_EQ(r.page, 0u);
  EXPECT_EQ(r.err, -EMLINK);
  EXPECT_EQ(k.folios[p].refcount, 2);
  EXPECT_EQ(k.nr_foll_pin_acquired, acquired);

  // FOLL_GET never unshares.
  r = follow(v, FOLL_GET);
  EXPECT_EQ(r.page, p);
  EXPECT_EQ(r.err, 0);
  put_page(k, p);
  // A writing pin needs a write fault first: the PTE is read-only.
  r = follow(v, FOLL_PIN | FOLL_WRITE);
  EXPECT_EQ(r.page, 0u);
  EXPECT_EQ(r.err, 0);
}

TEST_F(Model, FollowPinOfZeroPageTakesNoReference) {
  const uint64_t v = map(k, 0, vma_backing::anon, false, RW, 1);
  ASSERT_EQ(user_read(k, 0, v).pfn, ZERO_PFN);
  const long acquired = k.nr_foll_pin_acquired, released = k.nr_foll_pin_released;

  follow_result r = follow(v, FOLL_PIN);
  EXPECT_EQ(r.page, ZERO_PFN);
  EXPECT_EQ(r.err, 0);
  EXPECT_EQ(zero_refs(k), ZERO_PAGE_BASE_REFCOUNT);
  EXPECT_EQ(k.nr_foll_pin_acquired, acquired);
  unpin_user_page(k, ZERO_PFN);
  EXPECT_EQ(zero_refs(k), ZERO_PAGE_BASE_REFCOUNT);
  EXPECT_EQ(k.nr_foll_pin_released, released);

  // FOLL_GET does take an ordinary reference on it.
  r = follow(v, FOLL_GET);
  EXPECT_EQ(r.page, ZERO_PFN);
  EXPECT_EQ(zero_refs(k), ZERO_PAGE_BASE_REFCOUNT + 1);
  put_page(k, ZERO_PFN);
  EXPECT_EQ(zero_refs(k), ZERO_PAGE_BASE_REFCOUNT);
}

TEST_F(Model, FollowWriteOnReadOnlyPteIsNoPage) {
  const uint64_t v = map(k, 0, vma_backing::anon, false, RW, 2);
  ASSERT_EQ(user_read(k, 0, v).pfn, ZERO_PFN);
  follow_result r = follow(v, FOLL_WRITE | FOLL_GET);
  EXPECT_EQ(r.page, 0u);
  EXPECT_EQ(r.err, 0);
  EXPECT_EQ(zero_refs(k), ZERO_PAGE_BASE_REFCOUNT);

  const pfn_t p = user_write(k, 0, v + 1, 3);
  ASSERT_EQ(do_mprotect(k, 0, v + 1, 1, R), 0);
  ASSERT_FALSE(pte_of(k, 0, v + 1).write);
  r = follow(v + 1, FOLL_WRITE | FOLL_GET);
  EXPECT_EQ(r.page, 0u);
  EXPECT_EQ(r.err, 0);
  EXPECT_EQ(k.folios[p].refcount, 1);
  // can_follow_write_common(): FOLL_FORCE in a now read-only private VMA may
  // write an exclusive anonymous page without another fault.
  r = follow(v + 1, FOLL_WRITE | FOLL_FORCE | FOLL_GET);
  EXPECT_EQ(r.page, p);
  EXPECT_EQ(r.err, 0);
  put_page(k, p);
}

// ---------------------------------------------------------------------------
// __get_user_pages() and the public entry points

TEST_F(Model, GupWithoutVmaIsEfault) {
  EXPECT_EQ(get_user_pages(k, 0, MMAP_MIN_VPN, 1, 0, &pages), -EFAULT);
  EXPECT_EQ(pin_user_pages(k, 0, MMAP_MIN_VPN, 1, 0, &pages), -EFAULT);
  EXPECT_EQ(get_user_pages_fast(k, 0, MMAP_MIN_VPN, 1, 0, &pages, &nr_fast), -EFAULT);
  EXPECT_EQ(nr_fast, 0);
  EXPECT_EQ(pin_user_pages_fast(k, 0, MMAP_MIN_VPN, 1, 0, &pages, &nr_fast), -EFAULT);
  EXPECT_EQ(nr_fast, 0);
  EXPECT_TRUE(pages.empty());

  // The one-page gap mmap leaves after a mapping has no VMA either.
  const uint64_t v = map(k, 0, vma_backing::anon, false, RW, 1);
  EXPECT_EQ(get_user_pages(k, 0, v + 1, 1, FOLL_WRITE, &pages), -EFAULT);
  EXPECT_EQ(__get_user_pages_locked(k, 0, v + 1, 1, nullptr, FOLL_TOUCH), -EFAULT);
  EXPECT_TRUE(pages.empty());
}

TEST_F(Model, GupOnPfnmapIsEfaultForEveryFlag) {
  const uint64_t v = map(k, 0, vma_backing::pfnmap, false, RW, 2);
  vm_area_struct &vma = vma_of(k, 0, v);
  ASSERT_EQ(vma.vm_flags & VM_REMAP_FLAGS, VM_REMAP_FLAGS);
  const pfn_t raw = pte_of(k, 0, v).pfn;
  ASSERT_TRUE(pfn_valid(k, raw));
  const int raw_refs = k.folios[raw].refcount;

  for (unsigned flags : {0u, unsigned(FOLL_WRITE), unsigned(FOLL_FORCE), unsigned(FOLL_WRITE | FOLL_FORCE)})
    EXPECT_EQ(check_vma_flags(k, vma, flags), -EFAULT) << "flags " << flags;
  EXPECT_EQ(get_user_pages(k, 0, v, 2, 0, &pages), -EFAULT);
  EXPECT_EQ(get_user_pages(k, 0, v, 2, FOLL_WRITE | FOLL_FORCE, &pages), -EFAULT);
  EXPECT_EQ(pin_user_pages(k, 0, v, 2, FOLL_LONGTERM, &pages), -EFAULT);
  EXPECT_EQ(get_user_pages_fast(k, 0, v, 2, 0, &pages, &nr_fast), -EFAULT);
  EXPECT_EQ(nr_fast, 0);  // the raw PTEs are special: GUP-fast never takes them
  EXPECT_EQ(__get_user_pages_locked(k, 0, v, 2, nullptr, FOLL_TOUCH), -EFAULT);
  EXPECT_TRUE(pages.empty());
  EXPECT_EQ(k.folios[raw].refcount, raw_refs);
}

TEST_F(Model, GupStopsShortAtAHoleOrARefusedVma) {
  const uint64_t v = map(k, 0, vma_backing::anon, false, RW, 2);
  EXPECT_EQ(get_user_pages(k, 0, v, 3, FOLL_WRITE, &pages), 2);
  ASSERT_EQ(pages.size(), 2u);
  for (size_t i = 0; i < 2; i++) {
    EXPECT_EQ(pages[i], pte_of(k, 0, v + i).pfn);
    EXPECT_EQ(k.folios[pages[i]].refcount, 2);  // the mapping and the GUP reference
  }
  for (pfn_t p : pages) put_page(k, p);
  pages.clear();
  EXPECT_EQ(pin_user_pages(k, 0, v + 1, 2, FOLL_WRITE, &pages), 1);
  ASSERT_EQ(pages.size(), 1u);
  unpin_user_page(k, pages[0]);
  pages.clear();

  // check_vma_flags() refuses the second VMA after one page was processed.
  const uint64_t w = map(k, 0, vma_backing::anon, false, RW, 3);
  ASSERT_EQ(do_mprotect(k, 0, w + 1, 1, VM_NONE), 0);
  EXPECT_EQ(get_user_pages(k, 0, w, 3, FOLL_WRITE, &pages), 1);
  ASSERT_EQ(pages.size(), 1u);
  put_page(k, pages[0]);
  pages.clear();
  EXPECT_EQ(get_user_pages(k, 0, w + 1, 2, FOLL_WRITE, &pages), -EFAULT);
  EXPECT_TRUE(pages.empty());
}

TEST_F(Model, GupOnPfnOnlyPteIsEexistWithPagesAndCountedWithout) {
  const uint64_t v = map(k, 0, vma_backing::mixedmap, true, RW, 3);
  const pfn_t drv = driver_alloc_page(k);
  ASSERT_EQ(vm_insert_page(k, 0, vma_of(k, 0, v), v, drv), 0);
  ASSERT_EQ(vmf_insert_mixed(k, 0, vma_of(k, 0, v), v + 1, device_alloc_pfn(k)), VM_FAULT_NOPAGE);
  ASSERT_EQ(vmf_insert_mixed(k, 0, vma_of(k, 0, v), v + 2, device_alloc_pfn(k)), VM_FAULT_NOPAGE);
  ASSERT_EQ(k.folios[drv].refcount, 2);  // the driver's and the PTE's

  EXPECT_EQ(get_user_pages(k, 0, v + 1, 2, 0, &pages), -EEXIST);
  EXPECT_EQ(pin_user_pages(k, 0, v + 1, 1, 0, &pages), -EEXIST);
  EXPECT_EQ(get_user_pages_fast(k, 0, v + 1, 1, 0, &pages, &nr_fast), -EEXIST);
  EXPECT_EQ(nr_fast, 0);
  EXPECT_TRUE(pages.empty());

  // With pages[] GUP stops at the PFN-only entry after the normal page.
  EXPECT_EQ(get_user_pages(k, 0, v, 3, 0, &pages), 1);
  ASSERT_EQ(pages.size(), 1u);
  EXPECT_EQ(pages[0], drv);
  EXPECT_EQ(k.folios[drv].refcount, 3);
  put_page(k, drv);
  pages.clear();

  // Without pages[] (the populate path) PFN-only entries are skipped and counted.
  EXPECT_EQ(__get_user_pages_locked(k, 0, v, 3, nullptr, FOLL_TOUCH), 3);
  EXPECT_EQ(__get_user_pages(k, 0, v + 1, 2, FOLL_TOUCH, nullptr), 2);
  EXPECT_EQ(get_user_pages(k, 0, v + 1, 2, 0, nullptr), 2);
  EXPECT_EQ(k.folios[drv].refcount, 2);
}

TEST_F(Model, GupRefusesInvalidFlagCombinations) {
  const uint64_t v = map(k, 0, vma_backing::anon, false, RW, 1);
  const pfn_t p = user_write(k, 0, v, 1);
  const int refs = k.folios[p].refcount;
  const long acquired = k.nr_foll_pin_acquired;

  // get_user_pages*(): -EINVAL.
  EXPECT_EQ(get_user_pages(k, 0, v, 1, FOLL_PIN, &pages), -EINVAL);
  EXPECT_EQ(get_user_pages(k, 0, v, 1, FOLL_PIN | FOLL_WRITE, &pages), -EINVAL);
  EXPECT_EQ(get_user_pages(k, 0, v, 1, FOLL_LONGTERM, &pages), -EINVAL);
  EXPECT_EQ(get_user_pages(k, 0, v, 1, FOLL_TOUCH, &pages), -EINVAL);
  EXPECT_EQ(get_user_pages_fast(k, 0, v, 1, FOLL_LONGTERM, &pages, &nr_fast), -EINVAL);
  EXPECT_EQ(get_user_pages_fast(k, 0, v, 1, FOLL_PIN, &pages, &nr_fast), -EINVAL);
  // pin_user_pages(): 0, as the kernel returns for its WARN_ON_ONCE cases.
  EXPECT_EQ(pin_user_pages(k, 0, v, 1, FOLL_GET, &pages), 0);
  EXPECT_EQ(pin_user_pages(k, 0, v, 1, FOLL_PIN, &pages), 0);
  EXPECT_EQ(pin_user_pages(k, 0, v, 1, FOLL_LONGTERM | FOLL_PCI_P2PDMA, &pages), 0);
  EXPECT_EQ(pin_user_pages(k, 0, v, 1, 0, nullptr), 0);
  // pin_user_pages_fast(): -EINVAL.
  EXPECT_EQ(pin_user_pages_fast(k, 0, v, 1, FOLL_GET, &pages, &nr_fast), -EINVAL);
  EXPECT_EQ(pin_user_pages_fast(k, 0, v, 1, FOLL_REMOTE, &pages, &nr_fast), -EINVAL);
  EXPECT_EQ(nr_fast, 0);

  EXPECT_TRUE(pages.empty());
  EXPECT_EQ(k.folios[p].refcount, refs);
  EXPECT_EQ(k.nr_foll_pin_acquired, acquired);
  EXPECT_FALSE(k.tasks[0].mm.has_pinned);  // refused before __get_user_pages_locked()

  // A caller may name FOLL_GET itself for get_user_pages().
  EXPECT_EQ(get_user_pages(k, 0, v, 1, FOLL_GET | FOLL_WRITE, &pages), 1);
  put_page(k, p);
  pages.clear();

  // gup_fast_fallback() WARNs on flags GUP-fast does not know.
  EXPECT_EQ(get_user_pages_fast(k, 0, v, 1, FOLL_DUMP, &pages, &nr_fast), -EINVAL);
  EXPECT_FALSE(k.misuse.empty());
  k.misuse.clear();
  EXPECT_TRUE(pages.empty());
}

TEST_F(Model, ForcedWriteIntoReadOnlyPrivateAnonBreaksCow) {
  const uint64_t v = map(k, 0, vma_backing::anon, false, R, 1);
  EXPECT_EQ(get_user_pages(k, 0, v, 1, FOLL_WRITE, &pages), -EFAULT);
  EXPECT_EQ(pte_offset(k.tasks[0].mm, v), nullptr);  // refused before any fault

  ASSERT_EQ(get_user_pages(k, 0, v, 1, FOLL_WRITE | FOLL_FORCE, &pages), 1);
  const pfn_t p = pages[0];
  EXPECT_NE(p, ZERO_PFN);
  EXPECT_TRUE(k.folios[p].anon);
  EXPECT_TRUE(k.folios[p].anon_exclusive);
  EXPECT_EQ(pte_of(k, 0, v).pfn, p);
  EXPECT_FALSE(pte_of(k, 0, v).write);  // no VM_WRITE: the PTE stays read-only
  put_page(k, p);
  pages.clear();

  // Over the zero page: the forced write replaces it with a fresh exclusive page.
  const uint64_t w = map(k, 0, vma_backing::anon, false, R, 1);
  ASSERT_EQ(user_read(k, 0, w).pfn, ZERO_PFN);
  ASSERT_EQ(get_user_pages(k, 0, w, 1, FOLL_WRITE | FOLL_FORCE, &pages), 1);
  EXPECT_NE(pages[0], ZERO_PFN);
  EXPECT_TRUE(k.folios[pages[0]].anon_exclusive);
  EXPECT_EQ(pte_of(k, 0, w).pfn, pages[0]);
  EXPECT_EQ(zero_refs(k), ZERO_PAGE_BASE_REFCOUNT);
  put_page(k, pages[0]);
  pages.clear();

  // Over a private file page: the page cache is never the target.
  const int f = file_create(k, false);
  const uint64_t x = map(k, 0, vma_backing::file, false, R, 1, f);
  ASSERT_EQ(get_user_pages(k, 0, x, 1, FOLL_WRITE | FOLL_FORCE, &pages), 1);
  EXPECT_TRUE(k.folios[pages[0]].anon_exclusive);
  EXPECT_FALSE(k.folios[pages[0]].pagecache);
  put_page(k, pages[0]);
}

TEST_F(Model, ForcedWriteIntoReadOnlySharedMappingIsEfault) {
  const int f = file_create(k, false);
  const uint64_t v = map(k, 0, vma_backing::file, true, R, 1, f);
  EXPECT_EQ(get_user_pages(k, 0, v, 1, FOLL_WRITE | FOLL_FORCE, &pages), -EFAULT);
  EXPECT_EQ(pin_user_pages(k, 0, v, 1, FOLL_WRITE | FOLL_FORCE, &pages), -EFAULT);
  const uint64_t s = map(k, 0, vma_backing::anon, true, R, 1);  // MAP_SHARED|MAP_ANONYMOUS: shmem
  EXPECT_EQ(get_user_pages(k, 0, s, 1, FOLL_WRITE | FOLL_FORCE, &pages), -EFAULT);
  EXPECT_TRUE(pages.empty());
  // A plain forced read of the shared file is fine.
  ASSERT_EQ(get_user_pages(k, 0, v, 1, FOLL_FORCE, &pages), 1);
  EXPECT_TRUE(k.folios[pages[0]].pagecache);
  put_page(k, pages[0]);
}

TEST_F(Model, LongtermWritePinNeedsAFileWithoutDirtyTracking) {
  const int f = file_create(k, false);
  const uint64_t v = map(k, 0, vma_backing::file, true, RW, 1, f);
  EXPECT_EQ(pin_user_pages(k, 0, v, 1, FOLL_WRITE | FOLL_LONGTERM, &pages), -EFAULT);
  EXPECT_TRUE(pages.empty());
  // Short-term pins and FOLL_GET are allowed.
  ASSERT_EQ(pin_user_pages(k, 0, v, 1, FOLL_WRITE, &pages), 1);
  unpin_user_page(k, pages[0]);
  pages.clear();
  // The PTE is now present and writable; GUP-fast still refuses the folio.
  ASSERT_TRUE(pte_of(k, 0, v).write);
  const long acquired = k.nr_foll_pin_acquired, released = k.nr_foll_pin_released;
  EXPECT_EQ(pin_user_pages_fast(k, 0, v, 1, FOLL_WRITE | FOLL_LONGTERM, &pages, &nr_fast), -EFAULT);
  EXPECT_EQ(nr_fast, 0);
  EXPECT_TRUE(pages.empty());
  EXPECT_EQ(k.nr_foll_pin_acquired - acquired, k.nr_foll_pin_released - released);

  // shmem (memfd) and shared anonymous memory need no dirty tracking.
  const int s = file_create(k, true);
  const uint64_t w = map(k, 0, vma_backing::shmem, true, RW, 1, s);
  ASSERT_EQ(pin_user_pages(k, 0, w, 1, FOLL_WRITE | FOLL_LONGTERM, &pages), 1);
  EXPECT_TRUE(k.folios[pages[0]].pagecache);
  EXPECT_EQ(k.files[s].pages.at(0), pages[0]);
  ASSERT_EQ(pin_user_pages_fast(k, 0, w, 1, FOLL_WRITE | FOLL_LONGTERM, &pages, &nr_fast), 1);
  EXPECT_EQ(nr_fast, 1);
  EXPECT_EQ(pages[1], pages[0]);
  for (pfn_t p : pages) unpin_user_page(k, p);
  pages.clear();
  const uint64_t x = map(k, 0, vma_backing::anon, true, RW, 1);
  ASSERT_EQ(pin_user_pages(k, 0, x, 1, FOLL_WRITE | FOLL_LONGTERM, &pages), 1);
  unpin_user_page(k, pages[0]);
}

TEST_F(Model, ReadOnlyLongtermPinUnsharesTheZeroPage) {
  const uint64_t v = map(k, 0, vma_backing::anon, false, RW, 1);
  ASSERT_EQ(user_read(k, 0, v).pfn, ZERO_PFN);
  ASSERT_EQ(pin_user_pages(k, 0, v, 1, FOLL_LONGTERM, &pages), 1);
  const pfn_t p = pages[0];
  EXPECT_NE(p, ZERO_PFN);
  EXPECT_TRUE(k.folios[p].anon);
  EXPECT_TRUE(k.folios[p].anon_exclusive);
  EXPECT_EQ(k.folios[p].refcount, 1 + GUP_PIN_COUNTING_BIAS);
  EXPECT_EQ(pte_of(k, 0, v).pfn, p);
  EXPECT_FALSE(pte_of(k, 0, v).write);  // unsharing never maps writable
  EXPECT_EQ(zero_refs(k), ZERO_PAGE_BASE_REFCOUNT);
  EXPECT_EQ(user_read(k, 0, v).value, 0u);
  unpin_user_page(k, p);
  pages.clear();

  // A short-term R/O pin leaves the zero page mapped and takes it.
  const uint64_t w = map(k, 0, vma_backing::anon, false, RW, 1);
  ASSERT_EQ(user_read(k, 0, w).pfn, ZERO_PFN);
  ASSERT_EQ(pin_user_pages(k, 0, w, 1, 0, &pages), 1);
  EXPECT_EQ(pages[0], ZERO_PFN);
  EXPECT_EQ(pte_of(k, 0, w).pfn, ZERO_PFN);
  EXPECT_EQ(zero_refs(k), ZERO_PAGE_BASE_REFCOUNT);
  unpin_user_page(k, ZERO_PFN);
  pages.clear();

  // GUP-fast cannot decide without the VMA: the slow path unshares.
  const uint64_t x = map(k, 0, vma_backing::anon, false, RW, 1);
  ASSERT_EQ(user_read(k, 0, x).pfn, ZERO_PFN);
  ASSERT_EQ(pin_user_pages_fast(k, 0, x, 1, FOLL_LONGTERM, &pages, &nr_fast), 1);
  EXPECT_EQ(nr_fast, 0);
  EXPECT_NE(pages[0], ZERO_PFN);
  EXPECT_TRUE(k.folios[pages[0]].anon_exclusive);
  unpin_user_page(k, pages[0]);
}

TEST_F(Model, GupFastNeverReturnsTheZeroPageButTheSlowPathDoes) {
  const uint64_t v = map(k, 0, vma_backing::anon, false, RW, 2);
  const pfn_t p = user_write(k, 0, v, 5);
  ASSERT_EQ(user_read(k, 0, v + 1).pfn, ZERO_PFN);

  ASSERT_EQ(get_user_pages_fast(k, 0, v, 2, 0, &pages, &nr_fast), 2);
  EXPECT_EQ(nr_fast, 1);  // the normal page only
  ASSERT_EQ(pages.size(), 2u);
  EXPECT_EQ(pages[0], p);
  EXPECT_EQ(pages[1], ZERO_PFN);
  EXPECT_EQ(k.folios[p].refcount, 2);
  EXPECT_EQ(zero_refs(k), ZERO_PAGE_BASE_REFCOUNT + 1);
  for (pfn_t q : pages) put_page(k, q);
  pages.clear();

  ASSERT_EQ(pin_user_pages_fast(k, 0, v + 1, 1, 0, &pages, &nr_fast), 1);
  EXPECT_EQ(nr_fast, 0);
  EXPECT_EQ(pages[0], ZERO_PFN);
  EXPECT_EQ(zero_refs(k), ZERO_PAGE_BASE_REFCOUNT);
  unpin_user_page(k, ZERO_PFN);
  EXPECT_EQ(zero_refs(k), ZERO_PAGE_BASE_REFCOUNT);
  EXPECT_TRUE(k.tasks[0].mm.has_pinned);
}

// ---------------------------------------------------------------------------
// vm_normal_page()

TEST_F(Model, VmNormalPageWithPteSpecial) {
  const uint64_t v = map(k, 0, vma_backing::anon, false, RW, 2);
  ASSERT_EQ(user_read(k, 0, v).pfn, ZERO_PFN);
  const pfn_t p = user_write(k, 0, v + 1, 9);
  EXPECT_EQ(vm_normal_page(k, vma_of(k, 0, v), v, pte_of(k, 0, v)), 0u);
  EXPECT_EQ(vm_normal_page(k, vma_of(k, 0, v), v + 1, pte_of(k, 0, v + 1)), p);

  const uint64_t pf = map(k, 0, vma_backing::pfnmap, false, RW, 1);
  ASSERT_TRUE(pte_of(k, 0, pf).special);
  EXPECT_EQ(vm_normal_page(k, vma_of(k, 0, pf), pf, pte_of(k, 0, pf)), 0u);

  const uint64_t mx = map(k, 0, vma_backing::mixedmap, true, RW, 2);
  ASSERT_EQ(vmf_insert_mixed(k, 0, vma_of(k, 0, mx), mx, device_alloc_pfn(k)), VM_FAULT_NOPAGE);
  ASSERT_EQ(vmf_insert_mixed(k, 0, vma_of(k, 0, mx), mx + 1, driver_alloc_page(k)), VM_FAULT_NOPAGE);
  EXPECT_EQ(vm_normal_page(k, vma_of(k, 0, mx), mx, pte_of(k, 0, mx)), 0u);
  // A pfn with a struct page inserted through insert_pfn() is special too.
  EXPECT_TRUE(pte_of(k, 0, mx + 1).special);
  EXPECT_EQ(vm_normal_page(k, vma_of(k, 0, mx), mx + 1, pte_of(k, 0, mx + 1)), 0u);
}

TEST_F(Model, VmNormalPageWithoutPteSpecialPfnmapLinearityRule) {
  k.arch_has_pte_special = false;
  const pfn_t first = folio_alloc(k);
  const pfn_t second = folio_alloc(k);
  const pfn_t cowed = folio_alloc(k);
  ASSERT_EQ(second, first + 1);

  vm_area_struct cow;
  cow.vm_start = 0x100;
  cow.vm_end = 0x102;
  cow.vm_flags = VM_READ | VM_WRITE | VM_MAYREAD | VM_MAYWRITE | VM_REMAP_FLAGS;
  cow.vm_pgoff = first;
  cow.backing = vma_backing::pfnmap;
  ASSERT_TRUE(is_cow_mapping(cow.vm_flags));
  pte_t pte;
  pte.present = true;

  pte.pfn = first;  // vm_pgoff + 0 at vm_start: the raw remapped pfn
  EXPECT_EQ(vm_normal_page(k, cow, 0x100, pte), 0u);
  pte.pfn = second;  // vm_pgoff + 1 at vm_start + 1
  EXPECT_EQ(vm_normal_page(k, cow, 0x101, pte), 0u);
  pte.pfn = cowed;  // breaks linearity in a COW mapping: a COWed anonymous page
  EXPECT_EQ(vm_normal_page(k, cow, 0x100, pte), cowed);
  pte.pfn = first;  // the first pfn, but not at its linear address
  EXPECT_EQ(vm_normal_page(k, cow, 0x101, pte), first);

  vm_area_struct shared = cow;
  shared.vm_flags |= VM_SHARED | VM_MAYSHARE;
  ASSERT_FALSE(is_cow_mapping(shared.vm_flags));
  pte.pfn = cowed;  // not a COW mapping: nothing in it is normal
  EXPECT_EQ(vm_normal_page(k, shared, 0x100, pte), 0u);
  pte.pfn = first;
  EXPECT_EQ(vm_normal_page(k, shared, 0x100, pte), 0u);
}

TEST_F(Model, VmNormalPageWithoutPteSpecialMixedmapPfnValidRule) {
  k.arch_has_pte_special = false;
  const pfn_t page = folio_alloc(k);
  const pfn_t dev = device_alloc_pfn(k);
  ASSERT_FALSE(pfn_valid(k, dev));

  vm_area_struct mixed;
  mixed.vm_start = 0x100;
  mixed.vm_end = 0x104;
  mixed.vm_flags = VM_READ | VM_WRITE | VM_MAYREAD | VM_MAYWRITE | VM_SHARED | VM_MAYSHARE | VM_MIXEDMAP;
  mixed.backing = vma_backing::mixedmap;
  pte_t pte;
  pte.present = true;
  pte.pfn = page;  // has a struct page: normal
  EXPECT_EQ(vm_normal_page(k, mixed, 0x100, pte), page);
  pte.pfn = dev;  // !pfn_valid(): not normal
  EXPECT_EQ(vm_normal_page(k, mixed, 0x101, pte), 0u);
  pte.pfn = ZERO_PFN;  // the zero pfn is never normal
  EXPECT_EQ(vm_normal_page(k, mixed, 0x102, pte), 0u);

  vm_area_struct anon;
  anon.vm_start = 0x200;
  anon.vm_end = 0x201;
  anon.vm_flags = VM_READ | VM_WRITE | VM_MAYREAD | VM_MAYWRITE;
  EXPECT_EQ(vm_normal_page(k, anon, 0x200, pte), 0u);  // zero pfn, no special bit
  pte.pfn = page;
  EXPECT_EQ(vm_normal_page(k, anon, 0x200, pte), page);
}

TEST_F(Model, VmNormalPageWithoutPteSpecialOnARealPfnmap) {
  k.arch_has_pte_special = false;
  const uint64_t v = map(k, 0, vma_backing::pfnmap, false, RW, 2);
  const pfn_t raw = pte_of(k, 0, v).pfn;
  EXPECT_EQ(vma_of(k, 0, v).vm_pgoff, raw);
  EXPECT_EQ(vm_normal_page(k, vma_of(k, 0, v), v, pte_of(k, 0, v)), 0u);
  // A write COWs the raw page (copied through the user address).
  write_pfn(k, raw, 0x77);
  const pfn_t p = user_write(k, 0, v, 0x78);
  EXPECT_NE(p, raw);
  EXPECT_EQ(vm_normal_page(k, vma_of(k, 0, v), v, pte_of(k, 0, v)), p);
  EXPECT_EQ(read_pfn(k, raw), 0x77u);
  EXPECT_EQ(k.folios[raw].refcount, 1);  // the driver's own reference only
  ASSERT_EQ(do_munmap(k, 0, v, 2), 0);
  EXPECT_TRUE(k.folios[p].freed);
  EXPECT_EQ(k.folios[raw].refcount, 1);
}

// ---------------------------------------------------------------------------
// fork: copy_present_pte()

TEST_F(Model, ForkCopiesAPinnedExclusivePageForTheChild) {
  const uint64_t v = map(k, 0, vma_backing::anon, false, RW, 1);
  const pfn_t p = user_write(k, 0, v, 0x41);
  ASSERT_EQ(pin_user_pages(k, 0, v, 1, FOLL_WRITE | FOLL_LONGTERM, &pages), 1);
  ASSERT_EQ(pages[0], p);
  ASSERT_TRUE(k.tasks[0].mm.has_pinned);

  const int child = dup_mm_fork(k, 0);
  // The parent keeps its page mapped, writable and exclusive.
  EXPECT_EQ(pte_of(k, 0, v).pfn, p);
  EXPECT_TRUE(pte_of(k, 0, v).write);
  EXPECT_TRUE(k.folios[p].anon_exclusive);
  EXPECT_EQ(k.folios[p].mapcount, 1);
  EXPECT_EQ(k.folios[p].refcount, 1 + GUP_PIN_COUNTING_BIAS);
  // The child gets its own copy at once.
  const pfn_t c = pte_of(k, child, v).pfn;
  EXPECT_NE(c, p);
  EXPECT_TRUE(k.folios[c].anon_exclusive);
  EXPECT_EQ(k.folios[c].mapcount, 1);
  EXPECT_EQ(k.tasks[child].mm.rss[MM_ANONPAGES], 1);
  EXPECT_EQ(user_read(k, child, v).value, 0x41u);
  EXPECT_EQ(user_write(k, 0, v, 0x42), p);  // no COW in the parent
  EXPECT_EQ(user_read(k, child, v).value, 0x41u);
  unpin_user_page(k, p);
}

TEST_F(Model, ForkSharesAnUnpinnedPageReadOnly) {
  const uint64_t v = map(k, 0, vma_backing::anon, false, RW, 1);
  const pfn_t p = user_write(k, 0, v, 0x41);
  // MMF_HAS_PINNED alone does not force a copy: the page must look pinned.
  ASSERT_EQ(pin_user_pages(k, 0, v, 1, 0, &pages), 1);
  unpin_user_page(k, p);
  ASSERT_TRUE(k.tasks[0].mm.has_pinned);

  const int child = dup_mm_fork(k, 0);
  EXPECT_EQ(pte_of(k, child, v).pfn, p);
  EXPECT_EQ(k.folios[p].mapcount, 2);
  EXPECT_EQ(k.folios[p].refcount, 2);
  EXPECT_FALSE(k.folios[p].anon_exclusive);
  EXPECT_FALSE(pte_of(k, 0, v).write);
  EXPECT_FALSE(pte_of(k, child, v).write);
  EXPECT_EQ(k.tasks[0].mm.rss[MM_ANONPAGES], 1);
  EXPECT_EQ(k.tasks[child].mm.rss[MM_ANONPAGES], 1);
  EXPECT_FALSE(k.tasks[child].mm.has_pinned);  // MMF_HAS_PINNED is not inherited
}

// ---------------------------------------------------------------------------
// Write faults: do_wp_page() reuse

TEST_F(Model, WriteFaultReusesThePageOnceTheChildIsGone) {
  const uint64_t v = map(k, 0, vma_backing::anon, false, RW, 1);
  const pfn_t p = user_write(k, 0, v, 1);
  const int child = dup_mm_fork(k, 0);
  exit_mmap(k, child);
  ASSERT_FALSE(k.folios[p].anon_exclusive);
  ASSERT_EQ(k.folios[p].refcount, 1);
  ASSERT_EQ(k.folios[p].mapcount, 1);

  EXPECT_EQ(user_write(k, 0, v, 2), p);
  EXPECT_TRUE(k.folios[p].anon_exclusive);
  EXPECT_TRUE(pte_of(k, 0, v).write);
  EXPECT_EQ(user_read(k, 0, v).value, 2u);
}

TEST_F(Model, WriteFaultCopiesWhenAGupReferenceIsHeld) {
  const uint64_t v = map(k, 0, vma_backing::anon, false, RW, 1);
  const pfn_t p = user_write(k, 0, v, 1);
  const int child = dup_mm_fork(k, 0);
  exit_mmap(k, child);
  ASSERT_EQ(get_user_pages(k, 0, v, 1, 0, &pages), 1);  // FOLL_GET does not unshare
  ASSERT_EQ(pages[0], p);
  ASSERT_EQ(k.folios[p].refcount, 2);

  const pfn_t q = user_write(k, 0, v, 2);
  EXPECT_NE(q, p);
  EXPECT_TRUE(k.folios[q].anon_exclusive);
  EXPECT_TRUE(pte_of(k, 0, v).write);
  EXPECT_EQ(k.folios[p].refcount, 1);  // only the GUP reference is left
  EXPECT_EQ(k.folios[p].mapcount, 0);
  EXPECT_EQ(read_pfn(k, p), 1u);       // the holder still sees the old data
  EXPECT_EQ(read_pfn(k, q), 2u);
  put_page(k, p);
  EXPECT_TRUE(k.folios[p].freed);
}

// ---------------------------------------------------------------------------
// zap

TEST_F(Model, MunmapOfSpecialPtesLeavesTheirPagesAlone) {
  const uint64_t v = map(k, 0, vma_backing::anon, false, RW, 2);
  ASSERT_EQ(user_read(k, 0, v).pfn, ZERO_PFN);
  ASSERT_EQ(user_read(k, 0, v + 1).pfn, ZERO_PFN);
  ASSERT_EQ(do_munmap(k, 0, v, 2), 0);
  EXPECT_EQ(zero_refs(k), ZERO_PAGE_BASE_REFCOUNT);
  EXPECT_EQ(k.folios[ZERO_PFN].mapcount, 0);
  EXPECT_FALSE(k.folios[ZERO_PFN].freed);

  // The zero page through vm_insert_page() into a COW MIXEDMAP VMA.
  const uint64_t m = map(k, 0, vma_backing::mixedmap, false, RW, 1);
  ASSERT_EQ(vm_insert_page(k, 0, vma_of(k, 0, m), m, ZERO_PFN), 0);
  EXPECT_TRUE(pte_of(k, 0, m).special);
  EXPECT_EQ(zero_refs(k), ZERO_PAGE_BASE_REFCOUNT);
  ASSERT_EQ(do_munmap(k, 0, m, 1), 0);
  EXPECT_EQ(zero_refs(k), ZERO_PAGE_BASE_REFCOUNT);

  // A remap_pfn_range() driver keeps its own pages.
  const uint64_t pf = map(k, 0, vma_backing::pfnmap, false, RW, 1);
  const pfn_t raw = pte_of(k, 0, pf).pfn;
  ASSERT_EQ(do_munmap(k, 0, pf, 1), 0);
  EXPECT_EQ(k.folios[raw].refcount, 1);
  EXPECT_FALSE(k.folios[raw].freed);
  EXPECT_EQ(k.tasks[0].mm.rss[MM_ANONPAGES] + k.tasks[0].mm.rss[MM_FILEPAGES], 0);
}

TEST_F(Model, MunmapFreesPageTablesNoVmaCovers) {
  const uint64_t a = map(k, 0, vma_backing::anon, false, RW, 1);
  const uint64_t b = map(k, 0, vma_backing::anon, false, RW, 1);
  ASSERT_EQ(a / PTRS_PER_PTE, b / PTRS_PER_PTE);  // both in one PTE table
  const pfn_t pa = user_write(k, 0, a, 1);
  user_write(k, 0, b, 2);
  ASSERT_EQ(k.tasks[0].mm.tables.size(), 1u);

  ASSERT_EQ(do_munmap(k, 0, a, 1), 0);
  EXPECT_TRUE(k.folios[pa].freed);
  EXPECT_EQ(k.tasks[0].mm.tables.size(), 1u);  // b still uses the table
  ASSERT_EQ(do_munmap(k, 0, b, 1), 0);
  EXPECT_TRUE(k.tasks[0].mm.tables.empty());
  EXPECT_EQ(k.tasks[0].mm.rss[MM_ANONPAGES], 0);

  // A mapping spanning several tables.
  const uint64_t c = map(k, 0, vma_backing::anon, false, RW, 2 * PTRS_PER_PTE);
  for (uint64_t i = 0; i < 2 * PTRS_PER_PTE; i += PTRS_PER_PTE / 2) user_write(k, 0, c + i, i);
  EXPECT_GE(k.tasks[0].mm.tables.size(), 2u);
  ASSERT_EQ(do_munmap(k, 0, c, 2 * PTRS_PER_PTE), 0);
  EXPECT_TRUE(k.tasks[0].mm.tables.empty());
}

// ---------------------------------------------------------------------------
// VMA merging (mprotect_fixup(), mlock_fixup(), madvise_update_vma())

size_t vma_count(const kernel_state &k, int pid) { return k.tasks[pid].mm.vmas.size(); }

TEST_F(Model, MprotectThatChangesNothingMergesNothing) {
  // Two equal VMAs left apart: mprotect of one to what it already is returns
  // early in mprotect_fixup() and leaves them apart.
  const uint64_t v = map(k, 0, vma_backing::anon, false, RW, 3);
  ASSERT_EQ(do_mlock(k, 0, v, 1), 0);
  ASSERT_EQ(vma_count(k, 0), 2u);
  vma_of(k, 0, v).vm_flags &= ~VM_LOCKED;  // what fork does to the child's copy
  ASSERT_EQ(vma_of(k, 0, v).vm_flags, vma_of(k, 0, v + 1).vm_flags);
  ASSERT_EQ(do_mprotect(k, 0, v, 1, RW), 0);
  EXPECT_EQ(vma_count(k, 0), 2u);
  EXPECT_EQ(vma_of(k, 0, v).vm_end, v + 1);
}

TEST_F(Model, MprotectMergesOnlyTheModifiedRangeWithItsNeighbours) {
  const uint64_t v = map(k, 0, vma_backing::anon, false, RW, 4);
  ASSERT_EQ(do_mprotect(k, 0, v + 1, 2, R), 0);  // [v] [v+1, v+3) r [v+3]
  ASSERT_EQ(vma_count(k, 0), 3u);
  // Back to rw for v+1 only: it merges with its left neighbour, v+2 stays r.
  ASSERT_EQ(do_mprotect(k, 0, v + 1, 1, RW), 0);
  ASSERT_EQ(vma_count(k, 0), 3u);
  EXPECT_EQ(vma_of(k, 0, v).vm_end, v + 2);
  EXPECT_EQ(vma_of(k, 0, v + 2).vm_end, v + 3);
  // And v+2: all three merge back into one.
  ASSERT_EQ(do_mprotect(k, 0, v + 2, 1, RW), 0);
  EXPECT_EQ(vma_count(k, 0), 1u);
}

TEST_F(Model, PlacementAlignsPmdMultiplesOnly) {
  mmap_args one, pmd;
  pmd.npages = HPAGE_PMD_NR;
  EXPECT_EQ(get_unmapped_area(MMAP_MIN_VPN + 2, one), long(MMAP_MIN_VPN + 2));
  EXPECT_EQ(get_unmapped_area(MMAP_MIN_VPN + 2, pmd), long(MMAP_MIN_VPN + HPAGE_PMD_NR));
  pmd.shared = true;  // thp_get_unmapped_area(): private anonymous memory only
  EXPECT_EQ(get_unmapped_area(MMAP_MIN_VPN + 2, pmd), long(MMAP_MIN_VPN + 2));
  const uint64_t a = map(k, 0, vma_backing::anon, false, RW, 1);
  const uint64_t b = map(k, 0, vma_backing::anon, false, RW, HPAGE_PMD_NR);
  EXPECT_EQ(b % HPAGE_PMD_NR, 0u);
  EXPECT_GT(b, a + 2);  // a page index past m0's end is a hole, not m1
  EXPECT_EQ(madvise_dontneed(k, 0, a + 2, 1), -ENOMEM);
}

// ---------------------------------------------------------------------------
// Seed (e) variant switches

TEST(ModelVariant, MainlineNeverMovesTheZeroPageRefcount) {
  kernel_state k;
  const uint64_t v = map(k, 0, vma_backing::mixedmap, false, RW, 2);
  ASSERT_EQ(vm_insert_page(k, 0, vma_of(k, 0, v), v, ZERO_PFN), 0);
  EXPECT_TRUE(pte_of(k, 0, v).special);
  EXPECT_EQ(vmf_insert_mixed(k, 0, vma_of(k, 0, v), v + 1, ZERO_PFN), VM_FAULT_NOPAGE);
  EXPECT_TRUE(pte_of(k, 0, v + 1).special);
  EXPECT_EQ(zero_refs(k), ZERO_PAGE_BASE_REFCOUNT);
  EXPECT_EQ(k.folios[ZERO_PFN].mapcount, 0);
  EXPECT_EQ(k.tasks[0].mm.rss[MM_FILEPAGES], 0);
  ASSERT_EQ(do_munmap(k, 0, v, 2), 0);
  EXPECT_EQ(zero_refs(k), ZERO_PAGE_BASE_REFCOUNT);
  EXPECT_TRUE(k.warnings.empty()) << joined(k.warnings);

  // vm_mixed_zeropage_allowed(): not in a shared mapping that may become writable.
  const uint64_t s = map(k, 0, vma_backing::mixedmap, true, RW, 1);
  EXPECT_EQ(vm_insert_page(k, 0, vma_of(k, 0, s), s, ZERO_PFN), -EINVAL);
  EXPECT_EQ(vmf_insert_mixed(k, 0, vma_of(k, 0, s), s, ZERO_PFN), VM_FAULT_SIGBUS);
  EXPECT_EQ(zero_refs(k), ZERO_PAGE_BASE_REFCOUNT);
}

TEST(ModelVariant, InsertPageRefcountsTheZeroPage) {
  variant_switches sw;
  sw.insert_page_refcounts_zero_page = true;
  kernel_state k(sw);
  const uint64_t v = map(k, 0, vma_backing::mixedmap, false, RW, 1);
  ASSERT_EQ(vm_insert_page(k, 0, vma_of(k, 0, v), v, ZERO_PFN), 0);
  EXPECT_EQ(zero_refs(k), ZERO_PAGE_BASE_REFCOUNT + 1);
  EXPECT_FALSE(pte_of(k, 0, v).special);
  EXPECT_EQ(k.folios[ZERO_PFN].mapcount, 1);
}

TEST(ModelVariant, ZeroPageMixedmapRefcountLeaksOnMunmap) {
  const variant_info *vi = find_variant("zero-page-mixedmap-refcount");
  ASSERT_NE(vi, nullptr);
  EXPECT_TRUE(vi->sw.insert_page_refcounts_zero_page);
  EXPECT_TRUE(vi->sw.vm_normal_page_hides_zero_pfn);
  kernel_state k(vi->sw);
  const uint64_t v = map(k, 0, vma_backing::mixedmap, false, RW, 1);
  for (int round = 1; round <= 3; round++) {
    ASSERT_EQ(vm_insert_page(k, 0, vma_of(k, 0, v), v, ZERO_PFN), 0);
    EXPECT_EQ(zero_refs(k), ZERO_PAGE_BASE_REFCOUNT + round);
    madvise_dontneed(k, 0, v, 1);  // zap: vm_normal_page() hides the zero pfn
    EXPECT_FALSE(pte_of(k, 0, v).present);
    EXPECT_EQ(zero_refs(k), ZERO_PAGE_BASE_REFCOUNT + round);
  }
  ASSERT_EQ(vm_insert_page(k, 0, vma_of(k, 0, v), v, ZERO_PFN), 0);
  ASSERT_EQ(do_munmap(k, 0, v, 1), 0);
  EXPECT_EQ(zero_refs(k), ZERO_PAGE_BASE_REFCOUNT + 4);
  EXPECT_EQ(k.folios[ZERO_PFN].mapcount, 4);
}

TEST(ModelVariant, FindVariant) {
  ASSERT_FALSE(all_variants().empty());
  EXPECT_EQ(all_variants().front().name, "mainline");
  EXPECT_FALSE(all_variants().front().sw.any());
  EXPECT_EQ(find_variant("nope"), nullptr);
  for (const auto &v : all_variants()) {
    EXPECT_EQ(find_variant(v.name), &v);
    EXPECT_FALSE(v.description.empty());
    EXPECT_EQ(v.sw.any(), !v.switches.empty()) << v.name;
  }
}

}  // namespace
}  // namespace gupcheck::model
