// SPDX-License-Identifier: GPL-2.0-only
//
// VM_* and FOLL_* flags with the kernel's names and bit values (Linux v6.18:
// include/linux/mm.h, include/linux/mm_types.h, mm/internal.h). Composite
// masks are built from their parts; tests/unit/flags_test.cpp checks each.
#pragma once

#include <cerrno>
#include <cstdint>

namespace gupcheck::model {

using vm_flags_t = uint64_t;

// include/linux/mm.h
constexpr vm_flags_t VM_NONE = 0x00000000;
constexpr vm_flags_t VM_READ = 0x00000001;
constexpr vm_flags_t VM_WRITE = 0x00000002;
constexpr vm_flags_t VM_EXEC = 0x00000004;
constexpr vm_flags_t VM_SHARED = 0x00000008;
constexpr vm_flags_t VM_MAYREAD = 0x00000010;
constexpr vm_flags_t VM_MAYWRITE = 0x00000020;
constexpr vm_flags_t VM_MAYEXEC = 0x00000040;
constexpr vm_flags_t VM_MAYSHARE = 0x00000080;
constexpr vm_flags_t VM_GROWSDOWN = 0x00000100;
constexpr vm_flags_t VM_UFFD_MISSING = 0x00000200;
constexpr vm_flags_t VM_PFNMAP = 0x00000400;
constexpr vm_flags_t VM_LOCKED = 0x00002000;
constexpr vm_flags_t VM_IO = 0x00004000;
constexpr vm_flags_t VM_DONTCOPY = 0x00020000;
constexpr vm_flags_t VM_DONTEXPAND = 0x00040000;
constexpr vm_flags_t VM_LOCKONFAULT = 0x00080000;
constexpr vm_flags_t VM_ACCOUNT = 0x00100000;
constexpr vm_flags_t VM_NORESERVE = 0x00200000;
constexpr vm_flags_t VM_HUGETLB = 0x00400000;
constexpr vm_flags_t VM_WIPEONFORK = 0x02000000;
constexpr vm_flags_t VM_DONTDUMP = 0x04000000;
constexpr vm_flags_t VM_SOFTDIRTY = 0x08000000;
constexpr vm_flags_t VM_MIXEDMAP = 0x10000000;
constexpr vm_flags_t VM_HUGEPAGE = 0x20000000;
constexpr vm_flags_t VM_NOHUGEPAGE = 0x40000000;
constexpr vm_flags_t VM_MERGEABLE = 0x80000000;

// Flags remap_pfn_range() sets (mm/memory.c remap_pfn_range_internal()).
constexpr vm_flags_t VM_REMAP_FLAGS = VM_IO | VM_PFNMAP | VM_DONTEXPAND | VM_DONTDUMP;
constexpr vm_flags_t VM_ACCESS_FLAGS = VM_READ | VM_WRITE | VM_EXEC;

// Models: include/linux/mm.h is_cow_mapping() (v6.18)
constexpr bool is_cow_mapping(vm_flags_t flags) { return (flags & (VM_SHARED | VM_MAYWRITE)) == VM_MAYWRITE; }

// include/linux/mm_types.h enum foll_flags (public)
constexpr uint32_t FOLL_WRITE = 1u << 0;
constexpr uint32_t FOLL_GET = 1u << 1;
constexpr uint32_t FOLL_DUMP = 1u << 2;
constexpr uint32_t FOLL_FORCE = 1u << 3;
constexpr uint32_t FOLL_NOWAIT = 1u << 4;
constexpr uint32_t FOLL_NOFAULT = 1u << 5;
constexpr uint32_t FOLL_HWPOISON = 1u << 6;
constexpr uint32_t FOLL_ANON = 1u << 7;
constexpr uint32_t FOLL_LONGTERM = 1u << 8;
constexpr uint32_t FOLL_SPLIT_PMD = 1u << 9;
constexpr uint32_t FOLL_PCI_P2PDMA = 1u << 10;
constexpr uint32_t FOLL_INTERRUPTIBLE = 1u << 11;
constexpr uint32_t FOLL_HONOR_NUMA_FAULT = 1u << 12;
// mm/internal.h enum (internal GUP flags)
constexpr uint32_t FOLL_TOUCH = 1u << 16;
constexpr uint32_t FOLL_TRIED = 1u << 17;
constexpr uint32_t FOLL_REMOTE = 1u << 18;
constexpr uint32_t FOLL_PIN = 1u << 19;
constexpr uint32_t FOLL_FAST_ONLY = 1u << 20;
constexpr uint32_t FOLL_UNLOCKABLE = 1u << 21;
constexpr uint32_t FOLL_MADV_POPULATE = 1u << 22;
// Pre-5535be309971 (v6.0) internal flag, set only by the shm-dirty-cow
// variant's faultin_page(): "the COW was broken, accept a dirty R/O PTE".
// The kernel's value was 0x4000; it is never part of a trace's flags.
constexpr uint32_t FOLL_COW = 1u << 14;

// mm/internal.h INTERNAL_GUP_FLAGS
constexpr uint32_t INTERNAL_GUP_FLAGS =
    FOLL_TOUCH | FOLL_TRIED | FOLL_REMOTE | FOLL_PIN | FOLL_FAST_ONLY | FOLL_UNLOCKABLE | FOLL_MADV_POPULATE;

// mm/gup.c gup_fast_fallback(): the flags GUP-fast accepts.
constexpr uint32_t GUP_FAST_ALLOWED_FLAGS = FOLL_WRITE | FOLL_LONGTERM | FOLL_FORCE | FOLL_PIN | FOLL_GET |
                                            FOLL_FAST_ONLY | FOLL_NOFAULT | FOLL_PCI_P2PDMA |
                                            FOLL_HONOR_NUMA_FAULT;

// include/linux/page_ref.h
constexpr int GUP_PIN_COUNTING_BIAS = 1 << 10;

// One FOLL_* flag's name (without the prefix) and value, for the trace text form.
struct foll_flag_name {
  const char *name;
  uint32_t value;
};
constexpr foll_flag_name FOLL_FLAG_NAMES[] = {
    {"WRITE", FOLL_WRITE},       {"GET", FOLL_GET},
    {"DUMP", FOLL_DUMP},         {"FORCE", FOLL_FORCE},
    {"NOWAIT", FOLL_NOWAIT},     {"NOFAULT", FOLL_NOFAULT},
    {"HWPOISON", FOLL_HWPOISON}, {"ANON", FOLL_ANON},
    {"LONGTERM", FOLL_LONGTERM}, {"SPLIT_PMD", FOLL_SPLIT_PMD},
    {"PCI_P2PDMA", FOLL_PCI_P2PDMA}, {"INTERRUPTIBLE", FOLL_INTERRUPTIBLE},
    {"HONOR_NUMA_FAULT", FOLL_HONOR_NUMA_FAULT}, {"TOUCH", FOLL_TOUCH},
    {"TRIED", FOLL_TRIED},       {"REMOTE", FOLL_REMOTE},
    {"PIN", FOLL_PIN},           {"FAST_ONLY", FOLL_FAST_ONLY},
    {"UNLOCKABLE", FOLL_UNLOCKABLE}, {"MADV_POPULATE", FOLL_MADV_POPULATE},
};

// Errno values: <cerrno> on Linux has the kernel's own numbers (EFAULT 14,
// EEXIST 17, EMLINK 31, EHWPOISON 133, ...); the model returns them negated.
const char *errno_name(long err);  // "EFAULT" for 14 (positive or negative)

}  // namespace gupcheck::model
