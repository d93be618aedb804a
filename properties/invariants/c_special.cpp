// SPDX-License-Identifier: GPL-2.0-only
//
// Catalogue C: special mappings, VM_PFNMAP and VM_MIXEDMAP (C1-C9).
// Each invariant is a pure function of the world after a step (see
// properties/invariants/internal.h); ids and statements follow
// docs/invariants.md, and the registry (properties/invariants/registry.cpp)
// names each with its statement and source.
#include "properties/invariants/internal.h"

#include <algorithm>
#include <sstream>

namespace gupcheck::props::inv {

using namespace gupcheck::model;
using trace::OpKind;

// C1
bool pfnmap_never_normal(const World &w, std::string &why) {
  const kernel_state &k = w.kernel();
  std::vector<pfn_t> raw;
  for (size_t pid = 0; pid < k.tasks.size(); pid++) {
    const mm_struct &mm = k.tasks[pid].mm;
    for (const auto &v : mm.vmas) {
      if (!(v.vm_flags & VM_PFNMAP)) continue;
      for (uint64_t a = v.vm_start; a < v.vm_end; a++) {
        const pte_t *p = pte_offset(mm, a);
        if (!p || !p->present) continue;
        const bool linear = !is_cow_mapping(v.vm_flags) || p->pfn == v.vm_pgoff + (a - v.vm_start);
        if (linear) {
          raw.push_back(p->pfn);
          if (k.arch_has_pte_special && !p->special) {
            why = "a raw PFNMAP PTE at " + addr_s(a) + " is not special";
            return false;
          }
        } else if (!pfn_valid(k, p->pfn) || !k.folios[p->pfn].anon) {
          why = "a PFNMAP PTE at " + addr_s(a) + " breaks the vm_pgoff linearity rule without being a COWed page";
          return false;
        }
      }
    }
  }
  if (raw.empty()) return true;
  for (const GupCall &g : w.gup_calls())
    if (g.holds())
      for (pfn_t p : g.pages)
        if (std::find(raw.begin(), raw.end(), p) != raw.end()) {
          why = "a GUP call holds " + pfn_s(p) + ", a raw PFNMAP page";
          return false;
        }
  const Census &c = w.census();
  for (pfn_t p : raw)
    if (pfn_valid(k, p) && (k.folios[p].mapcount != c.ptes[p] || c.ptes[p] != 0)) {
      why = "raw PFNMAP " + pfn_s(p) + " is counted as mapped";
      return false;
    }
  return true;
}

// C3
bool gup_rejects_pfnmap(const World &w, std::string &why) {
  const OpKind kind = w.last_op().kind;
  const bool populate = kind == OpKind::Populate;
  if (!is_gup_step(w) && !populate) return true;
  const Probe &pr = w.probe();
  const long ret = populate ? w.last_outcome().ret : w.last_gup()->ret;
  if (!populate && gup_args_invalid(w.last_gup()->op.api, w.last_gup()->op.gup_flags)) return true;
  // GUP-fast walks page tables without VMAs: a COWed anonymous page inside a
  // private PFNMAP is a normal page to it. check_vma_flags() guards the slow path.
  const long nr_fast = populate ? 0 : w.last_gup()->nr_fast;
  for (size_t i = size_t(nr_fast); i < pr.range_flags.size(); i++) {
    if (!(pr.range_flags[i] & (VM_IO | VM_PFNMAP))) continue;
    if (i == 0 && ret != -EFAULT) {
      why = "GUP starting in a VM_IO|VM_PFNMAP VMA returned " + std::to_string(ret) + " instead of -EFAULT";
      return false;
    }
    if (long(i) < ret) {
      why = "the slow GUP path processed page " + std::to_string(i) + " inside a VM_IO|VM_PFNMAP VMA";
      return false;
    }
    break;
  }
  return true;
}

// C4
bool pfn_only_stops_gup(const World &w, std::string &why) {
  if (!is_gup_step(w)) return true;
  const GupCall &g = *w.last_gup();
  const kernel_state &k = w.kernel();
  for (pfn_t p : g.pages)
    if (!pfn_valid(k, p)) {
      name_pfn(p);
      name_gup(gup_index(w, g));
      why = "GUP returned " + pfn_s(p) + ", which has no struct page";
      return false;
    }
  const Probe &pr = w.probe();
  if (gup_args_invalid(g.op.api, g.op.gup_flags) || !pr.had_vma || !pr.had_pte || !pr.pte.present) return true;
  const pte_t &pte = pr.pte;
  if (!pte.special || is_zero_pfn(pte.pfn) || is_huge_zero_pfn(k, pte.pfn) || (pr.vma.vm_flags & (VM_IO | VM_PFNMAP))) return true;
  if ((g.op.gup_flags & FOLL_WRITE) && !pte.write) return true;  // a write fault replaces it first
  if (g.op.gup_flags & FOLL_DUMP) return true;  // a core dump treats it as a hole: -EFAULT
  if (check_vma_flags(k, pr.vma, g.op.gup_flags | (g.pin ? FOLL_PIN : FOLL_GET))) return true;
  if (g.ret != -EEXIST) {
    name_pfn(pte.pfn);
    name_pte(g.pid, g.start);
    name_gup(gup_index(w, g));
    why = "GUP with pages[] starting on a PFN-only PTE returned " + std::to_string(g.ret) + ", expected -EEXIST";
    return false;
  }
  return true;
}

// C10: the states behind vm_normal_page()'s print_bad_page_map() reports,
// stated on the page tables themselves rather than left to NoKernelWarning
// (which sees them only when some walker happens to call vm_normal_page() on
// that PTE, and also fires when the walker's own check is wrong). With
// pte_special (x86-64), a special PTE maps the zero page or lies in a
// VM_PFNMAP|VM_MIXEDMAP VMA, and a PTE that is not special maps a pfn that
// has a struct page. Without pte_special the VMA flags decide and no PTE is
// special, which the variant that turns it off checks through C1/C6.
bool special_ptes_well_placed(const World &w, std::string &why) {
  const kernel_state &k = w.kernel();
  if (!k.arch_has_pte_special) return true;
  for (size_t pid = 0; pid < k.tasks.size(); pid++) {
    if (!k.tasks[pid].alive) continue;
    const mm_struct &mm = k.tasks[pid].mm;
    for (const pte_table &tab : mm.tables) {
      if (tab.pmd_leaf) continue;
      for (unsigned i = 0; i < PTRS_PER_PTE; i++) {
        const pte_t &p = tab.ptes[i];
        if (!p.present) continue;
        const uint64_t vpn = tab.base + i;
        if (!p.special && !pfn_valid(k, p.pfn)) {
          name_pte(int(pid), vpn);
          why = "p" + std::to_string(w.proc_of(int(pid))) + " maps " + pfn_s(p.pfn) + ", which has no struct page, at " +
                addr_s(vpn) + " with a PTE that is not special";
          return false;
        }
        if (!p.special || is_zero_pfn(p.pfn)) continue;
        const vm_area_struct *v = find_vma(mm, vpn);
        if (!v || !(v->vm_flags & (VM_PFNMAP | VM_MIXEDMAP))) {
          name_pte(int(pid), vpn);
          why = "p" + std::to_string(w.proc_of(int(pid))) + " has a special PTE for " + pfn_s(p.pfn) + " at " +
                addr_s(vpn) + " in a VMA that is neither VM_PFNMAP nor VM_MIXEDMAP";
          return false;
        }
      }
    }
  }
  return true;
}

// C9
bool zap_special_only_clears(const World &w, std::string &why) {
  const kernel_state &k = w.kernel();
  if (k.folios[ZERO_PFN].freed) {
    why = "the zero page was freed";
    return false;
  }
  for (pfn_t p : PfnScan(w, 2))
    if (k.folios[p].driver && (k.folios[p].freed || k.folios[p].refcount < 1)) {
      why = "driver " + pfn_s(p) + " lost the driver's own reference";
      return false;
    }
  return true;
}

// C2
bool remap_covers_cow_vma(const World &w, std::string &why) {
  const kernel_state &k = w.kernel();
  for (size_t pid = 0; pid < k.tasks.size(); pid++) {
    const mm_struct &mm = k.tasks[pid].mm;
    for (const auto &v : mm.vmas) {
      if (!(v.vm_flags & VM_PFNMAP)) continue;
      if ((v.vm_flags & VM_REMAP_FLAGS) != VM_REMAP_FLAGS) {
        why = "the VM_PFNMAP VMA at " + addr_s(v.vm_start) + " lacks one of VM_IO|VM_PFNMAP|VM_DONTEXPAND|VM_DONTDUMP";
        return false;
      }
      if (!is_cow_mapping(v.vm_flags)) continue;
      for (uint64_t a = v.vm_start; a < v.vm_end; a++) {
        const pte_t *p = pte_offset(mm, a);
        if (p && p->present && p->special && p->pfn != v.vm_pgoff + (a - v.vm_start)) {
          why = "a special PTE at " + addr_s(a) + " of a COW PFNMAP maps " + pfn_s(p->pfn) + ", not vm_pgoff + " +
                std::to_string(a - v.vm_start) + " = " + pfn_s(v.vm_pgoff + (a - v.vm_start));
          return false;
        }
      }
    }
  }
  // The driver's ->mmap remaps the whole VMA: right after it, every page is mapped.
  const trace::Op &op = w.last_op();
  if (op.kind == OpKind::Mmap && op.map_kind == trace::MapKind::Pfnmap && w.last_outcome().ret == 0) {
    const int pid = w.pid_of(op.proc);
    const mm_struct &mm = k.tasks[pid].mm;
    const uint64_t start = w.address(op.result, 0);
    for (uint64_t a = start; a < start + op.npages; a++) {
      const pte_t *p = pte_offset(mm, a);
      if (!p || !p->present) {
        why = "remap_pfn_range() of a new PFNMAP left " + addr_s(a) + " unmapped";
        return false;
      }
    }
  }
  return true;
}

// C5
bool gup_fast_rejects_special(const World &w, std::string &why) {
  if (!is_gup_step(w)) return true;
  const GupCall &g = *w.last_gup();
  const mm_struct &mm = w.kernel().tasks[g.pid].mm;
  for (long i = 0; i < g.nr_fast && size_t(i) < g.pages.size(); i++) {
    const pte_t *p = pte_offset(mm, g.start + uint64_t(i));
    if (p && p->present && p->special) {
      why = "GUP-fast took page " + std::to_string(i) + " (" + pfn_s(p->pfn) + ") from a special PTE at " +
            addr_s(g.start + uint64_t(i));
      return false;
    }
  }
  return true;
}

// C6
bool mixedmap_pages_refcounted(const World &w, std::string &why) {
  const kernel_state &k = w.kernel();
  for (size_t pid = 0; pid < k.tasks.size(); pid++) {
    const mm_struct &mm = k.tasks[pid].mm;
    for (const auto &v : mm.vmas) {
      if ((v.vm_flags & VM_PFNMAP) && (v.vm_flags & VM_MIXEDMAP)) {
        why = "the VMA at " + addr_s(v.vm_start) + " has both VM_PFNMAP and VM_MIXEDMAP";
        return false;
      }
      if (!(v.vm_flags & VM_MIXEDMAP)) continue;
      for (uint64_t a = v.vm_start; a < v.vm_end; a++) {
        const pte_t *p = pte_offset(mm, a);
        if (!p || !p->present || p->special) continue;
        if (!pfn_valid(k, p->pfn)) {
          why = "a MIXEDMAP PTE at " + addr_s(a) + " maps " + pfn_s(p->pfn) + " without struct page and without pte_special";
          return false;
        }
        const folio &f = k.folios[p->pfn];
        if (f.freed || f.mapcount < 1 || f.refcount < f.mapcount) {
          why = "a normal MIXEDMAP PTE at " + addr_s(a) + " maps " + pfn_s(p->pfn) + " with refcount " +
                std::to_string(f.refcount) + " and mapcount " + std::to_string(f.mapcount) +
                ": a pfn_valid() page must be refcounted";
          return false;
        }
      }
    }
  }
  return true;
}

// C7
bool fork_copies_special_ptes(const World &w, std::string &why) {
  const trace::Op &op = w.last_op();
  if (op.kind != OpKind::Fork) return true;
  const kernel_state &k = w.kernel();
  const int parent = w.pid_of(op.proc), child = w.pid_of(op.result);
  if (parent < 0 || child < 0) return true;
  const mm_struct &pm = k.tasks[parent].mm, &cm = k.tasks[child].mm;
  for (const auto &v : pm.vmas) {
    if (!(v.vm_flags & (VM_PFNMAP | VM_MIXEDMAP)) || (v.vm_flags & (VM_DONTCOPY | VM_WIPEONFORK))) continue;
    for (uint64_t a = v.vm_start; a < v.vm_end; a++) {
      const pte_t *p = pte_offset(pm, a);
      if (!p || !p->present) continue;
      const pte_t *c = pte_offset(cm, a);
      if (!c || !c->present) {
        why = "fork did not copy the " + std::string((v.vm_flags & VM_PFNMAP) ? "PFNMAP" : "MIXEDMAP") +
              " PTE at " + addr_s(a) + " into the child";
        return false;
      }
      if (p->special && (!c->special || c->pfn != p->pfn)) {
        why = "fork copied the special PTE at " + addr_s(a) + " (" + pfn_s(p->pfn) + ") as " +
              (c->special ? "" : "non-special ") + pfn_s(c->pfn);
        return false;
      }
    }
  }
  return true;
}

// C8
bool cow_of_pfn_copies(const World &w, std::string &why) {
  const trace::Op &op = w.last_op();
  const bool user_write = op.kind == OpKind::Write && !w.last_outcome().signal;
  const bool gup_write = is_gup_step(w) && (w.last_gup()->op.gup_flags & FOLL_WRITE) && w.last_gup()->ret > 0;
  if (!user_write && !gup_write) return true;
  const Probe &pr = w.probe();
  if (!pr.had_vma || !is_cow_mapping(pr.vma.vm_flags) || !pr.had_pte || !pr.pte.present) return true;
  // A source vm_normal_page() does not return: special (not the zero page or
  // the huge zero folio, whose COW allocates a zeroed page or THP instead:
  // do_huge_zero_wp_pmd()) or without a struct page.
  const kernel_state &k = w.kernel();
  const pte_t &old = pr.pte;
  if (is_zero_pfn(old.pfn) || is_huge_zero_pfn(k, old.pfn) || !(old.special || !pfn_valid(k, old.pfn))) return true;
  const int pid = gup_write ? w.last_gup()->pid : w.pid_of(op.proc);
  const uint64_t vpn = gup_write ? w.last_gup()->start : w.address(op.map, op.page);
  const pte_t *now = pte_offset(k.tasks[pid].mm, vpn);
  if (!now || !now->present || now->pfn == old.pfn) {
    why = "a write to the struct-page-less " + pfn_s(old.pfn) + " at " + addr_s(vpn) + " in a COW mapping left " +
          (now && now->present ? "it mapped" : "nothing mapped") + " instead of a copy";
    return false;
  }
  const folio &f = k.folios[now->pfn];
  if (now->special || !f.anon || !f.anon_exclusive || f.mapcount != 1) {
    why = "the COW copy of " + pfn_s(old.pfn) + " at " + addr_s(vpn) + " is not a normal exclusive anonymous page";
    return false;
  }
  const uint64_t want = user_write ? op.value : read_pfn(k, old.pfn);
  if (f.data != want) {
    why = "the COW copy of " + pfn_s(old.pfn) + " at " + addr_s(vpn) + " holds " + hex(f.data) + ", expected " +
          hex(want) + (user_write ? " (the value written)" : " (the source's content, copied through the user address)");
    return false;
  }
  return true;
}

}  // namespace gupcheck::props::inv
