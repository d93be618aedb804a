// SPDX-License-Identifier: GPL-2.0-only
//
// Variants: named sets of switches over the mainline (v6.18) model. Each
// switch brings back one historical rule; a variant is data, never a fork of
// the code. The model functions consult the switches at the exact point where
// the historical code differed.
#pragma once

#include <string>
#include <vector>

namespace gupcheck::model {

struct variant_switches {
  // Pre-"mm/memory: cleanly support zeropage in vm_insert_page*(),
  // vm_map_pages*() and vmf_insert_mixed()" (David Hildenbrand, v6.11, seed (e)):
  // insert_page() took a reference on the shared zero page, added it to the
  // rmap and rss and mapped it without pte_special.
  bool insert_page_refcounts_zero_page = false;
  // The matching unmap side of the same bug: vm_normal_page() refused to
  // return the zero pfn (the !ARCH_HAS_PTE_SPECIAL rule for a VMA it does not
  // treat as VM_MIXEDMAP), so zap never dropped the reference insert took.
  bool vm_normal_page_hides_zero_pfn = false;

  bool any() const { return insert_page_refcounts_zero_page || vm_normal_page_hides_zero_pfn; }
};

struct variant_info {
  std::string name;
  std::string commit;       // the commit that removed the rule
  std::string description;  // one line
  std::vector<std::string> switches;
  variant_switches sw;
};

// Every known variant, mainline first.
const std::vector<variant_info> &all_variants();
// Return: the variant, or nullptr if no variant has that name.
const variant_info *find_variant(const std::string &name);

}  // namespace gupcheck::model
