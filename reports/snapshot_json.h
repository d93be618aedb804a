// SPDX-License-Identifier: GPL-2.0-only
//
// A Snapshot (properties/snapshot.h) as JSON data: the "before" and "after"
// states of the JSON report (reports/json.h), described field by field in
// schemas/gupcheck-report.schema.json ("$defs/snapshot"):
//
//   {"processes": [{"pid": 0, "process": "p0" | null, "alive": true,
//                   "rss": {"anon", "file", "shmem"}, "has_pinned", "forbids_zeropage",
//                   "write_protect_seq",
//                   "vmas": [{"start", "end" (vpn, end exclusive), "flags" (VM_* bits),
//                             "flag_names": ["VM_READ", ...], "perms": "rw-p",
//                             "backing": "anon"|"file"|"fsdax"|"shmem"|"pfnmap"|"mixedmap"|"secretmem",
//                             "file": "f0" | "anon-shmem#1" | null, "pgoff", "anon_vma",
//                             "zone": "normal"|"movable"|"cma", "mappings": ["m0", ...]}],
//                   "page_tables": [{"base" (vpn), "pmd_leaf",
//                                    "pmd": {"pfn", "write", "dirty", "young", "protnone"} | null,
//                                    "detached"}],
//                   "ptes": [{"vpn", "pfn", "present", "write", "dirty", "young",
//                             "special", "protnone", "hwpoison"}]}],
//    "zero_page": {"pfn": 1, "refcount", "huge_zero_pfn": N | null},
//    "folios": [{"pfn", "kind": "zero"|"anon"|"pagecache"|"driver"|"other", "refcount"
//                (the kernel's encoding), "mapcount", "pincount", "maybe_dma_pinned",
//                "large", "head": N | null, "anon", "anon_exclusive", "zero", "huge_zero",
//                "ksm", "pagecache", "driver", "freed", "dirty", "hwpoison", "fsdax",
//                "secretmem", "file": "f0" | null, "index", "data", "zone",
//                "census": {"ptes", "special_ptes", "gets", "pins"}}],
//    "gup_calls": [{"handle": "g0", "op": "g0 = pin p0 m0+0 1 WRITE", "pid",
//                   "process": "p0" | null, "pin", "state": "in-flight"|"holding"|"released",
//                   "interleaved", "point": "..." | null, "ret", "pages": [pfn, ...]}],
//    "mappings": [{"handle": "m0", "start", "npages", "created_by" (pid)}],
//    "pin_counters": {"acquired", "released"},
//    "warnings": ["..."]}
//
// Every PTE that is not pte_none() is listed (present, or a hwpoison entry);
// every folio the model has allocated, freed ones included; every GUP call
// the trace created, released ones included; every mapping handle that
// exists. Numbers are plain integers: vpns (page numbers; the byte address
// is vpn * 4096), pfns (device pfns from 2^32), counts.
#pragma once

#include <nlohmann/json.hpp>

#include "properties/snapshot.h"

namespace gupcheck::reports {

nlohmann::json snapshot_json(const props::Snapshot &s);

}  // namespace gupcheck::reports
