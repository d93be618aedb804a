// SPDX-License-Identifier: GPL-2.0-only
#include "model/variant.h"

namespace gupcheck::model {

const std::vector<variant_info> &all_variants() {
  static const std::vector<variant_info> v = [] {
    std::vector<variant_info> out;
    out.push_back({"mainline", "v6.18", "Linux v6.18 semantics, every historical rule off", {}, {}});
    {
      variant_info vi;
      vi.name = "zero-page-mixedmap-refcount";
      vi.commit = "\"mm/memory: cleanly support zeropage in vm_insert_page*(), vm_map_pages*() and "
                  "vmf_insert_mixed()\" (v6.11, lkml 20240522125713.775114-3-david@redhat.com; seed e)";
      vi.description = "the zero page is refcounted when inserted into a MIXEDMAP VMA but not when unmapped";
      vi.switches = {"insert_page_refcounts_zero_page", "vm_normal_page_hides_zero_pfn"};
      vi.sw.insert_page_refcounts_zero_page = true;
      vi.sw.vm_normal_page_hides_zero_pfn = true;
      out.push_back(vi);
    }
    return out;
  }();
  return v;
}

const variant_info *find_variant(const std::string &name) {
  for (const auto &v : all_variants())
    if (v.name == name) return &v;
  return nullptr;
}

}  // namespace gupcheck::model
