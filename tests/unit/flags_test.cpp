// SPDX-License-Identifier: GPL-2.0-only
//
// model/flags.h against the kernel's own values (Linux v6.18:
// include/linux/mm.h, include/linux/mm_types.h, mm/internal.h, mm/gup.c,
// include/linux/page_ref.h). The expected numbers are written out here, not
// derived from flags.h, so a typo on either side shows.
#include <gtest/gtest.h>

#include <cerrno>
#include <cstdint>
#include <iterator>
#include <set>
#include <string>

#include "model/flags.h"

namespace gupcheck::model {
namespace {

// Composite masks are the OR of exactly their parts.
static_assert(VM_REMAP_FLAGS == (VM_IO | VM_PFNMAP | VM_DONTEXPAND | VM_DONTDUMP));
static_assert(VM_ACCESS_FLAGS == (VM_READ | VM_WRITE | VM_EXEC));
static_assert(INTERNAL_GUP_FLAGS ==
              (FOLL_TOUCH | FOLL_TRIED | FOLL_REMOTE | FOLL_PIN | FOLL_FAST_ONLY | FOLL_UNLOCKABLE | FOLL_MADV_POPULATE));
static_assert(GUP_FAST_ALLOWED_FLAGS == (FOLL_WRITE | FOLL_LONGTERM | FOLL_FORCE | FOLL_PIN | FOLL_GET | FOLL_FAST_ONLY |
                                         FOLL_NOFAULT | FOLL_PCI_P2PDMA | FOLL_HONOR_NUMA_FAULT));

TEST(Flags, CompositeMasksAreTheOrOfTheirParts) {
  EXPECT_EQ(VM_REMAP_FLAGS, vm_flags_t(0x00004000 | 0x00000400 | 0x00040000 | 0x04000000));
  EXPECT_EQ(VM_ACCESS_FLAGS, vm_flags_t(0x1 | 0x2 | 0x4));
  EXPECT_EQ(INTERNAL_GUP_FLAGS, uint32_t((1u << 16) | (1u << 17) | (1u << 18) | (1u << 19) | (1u << 20) |
                                         (1u << 21) | (1u << 22)));
  EXPECT_EQ(GUP_FAST_ALLOWED_FLAGS, uint32_t((1u << 0) | (1u << 8) | (1u << 3) | (1u << 19) | (1u << 1) |
                                             (1u << 20) | (1u << 5) | (1u << 10) | (1u << 12)));
  // Internal and public FOLL_* flags do not overlap.
  constexpr uint32_t kPublic = (1u << 13) - 1;
  EXPECT_EQ(INTERNAL_GUP_FLAGS & kPublic, 0u);
  // GUP-fast never accepts the flags only the slow path understands.
  for (uint32_t f : {FOLL_DUMP, FOLL_NOWAIT, FOLL_HWPOISON, FOLL_ANON, FOLL_SPLIT_PMD, FOLL_INTERRUPTIBLE, FOLL_TOUCH,
                     FOLL_TRIED, FOLL_REMOTE, FOLL_UNLOCKABLE, FOLL_MADV_POPULATE})
    EXPECT_EQ(GUP_FAST_ALLOWED_FLAGS & f, 0u) << f;
}

TEST(Flags, FollValuesMatchTheKernel) {
  // include/linux/mm_types.h enum foll_flags
  EXPECT_EQ(FOLL_WRITE, 0x1u);
  EXPECT_EQ(FOLL_GET, 0x2u);
  EXPECT_EQ(FOLL_DUMP, 0x4u);
  EXPECT_EQ(FOLL_FORCE, 0x8u);
  EXPECT_EQ(FOLL_NOWAIT, 0x10u);
  EXPECT_EQ(FOLL_NOFAULT, 0x20u);
  EXPECT_EQ(FOLL_HWPOISON, 0x40u);
  EXPECT_EQ(FOLL_ANON, 0x80u);
  EXPECT_EQ(FOLL_LONGTERM, 0x100u);
  EXPECT_EQ(FOLL_SPLIT_PMD, 0x200u);
  EXPECT_EQ(FOLL_PCI_P2PDMA, 0x400u);
  EXPECT_EQ(FOLL_INTERRUPTIBLE, 0x800u);
  EXPECT_EQ(FOLL_HONOR_NUMA_FAULT, 0x1000u);
  // mm/internal.h
  EXPECT_EQ(FOLL_TOUCH, 0x10000u);
  EXPECT_EQ(FOLL_TRIED, 0x20000u);
  EXPECT_EQ(FOLL_REMOTE, 0x40000u);
  EXPECT_EQ(FOLL_PIN, 0x80000u);
  EXPECT_EQ(FOLL_FAST_ONLY, 0x100000u);
  EXPECT_EQ(FOLL_UNLOCKABLE, 0x200000u);
  EXPECT_EQ(FOLL_MADV_POPULATE, 0x400000u);
  // include/linux/page_ref.h
  EXPECT_EQ(GUP_PIN_COUNTING_BIAS, 1024);
}

TEST(Flags, VmValuesMatchTheKernel) {
  EXPECT_EQ(VM_NONE, 0x00000000u);
  EXPECT_EQ(VM_READ, 0x00000001u);
  EXPECT_EQ(VM_WRITE, 0x00000002u);
  EXPECT_EQ(VM_EXEC, 0x00000004u);
  EXPECT_EQ(VM_SHARED, 0x00000008u);
  EXPECT_EQ(VM_MAYREAD, 0x00000010u);
  EXPECT_EQ(VM_MAYWRITE, 0x00000020u);
  EXPECT_EQ(VM_MAYEXEC, 0x00000040u);
  EXPECT_EQ(VM_MAYSHARE, 0x00000080u);
  EXPECT_EQ(VM_GROWSDOWN, 0x00000100u);
  EXPECT_EQ(VM_PFNMAP, 0x00000400u);
  EXPECT_EQ(VM_LOCKED, 0x00002000u);
  EXPECT_EQ(VM_IO, 0x00004000u);
  EXPECT_EQ(VM_DONTCOPY, 0x00020000u);
  EXPECT_EQ(VM_DONTEXPAND, 0x00040000u);
  EXPECT_EQ(VM_LOCKONFAULT, 0x00080000u);
  EXPECT_EQ(VM_ACCOUNT, 0x00100000u);
  EXPECT_EQ(VM_NORESERVE, 0x00200000u);
  EXPECT_EQ(VM_HUGETLB, 0x00400000u);
  EXPECT_EQ(VM_WIPEONFORK, 0x02000000u);
  EXPECT_EQ(VM_DONTDUMP, 0x04000000u);
  EXPECT_EQ(VM_SOFTDIRTY, 0x08000000u);  // CONFIG_MEM_SOFT_DIRTY (x86-64)
  EXPECT_EQ(VM_MIXEDMAP, 0x10000000u);
  EXPECT_EQ(VM_HUGEPAGE, 0x20000000u);
  EXPECT_EQ(VM_NOHUGEPAGE, 0x40000000u);
  EXPECT_EQ(VM_MERGEABLE, 0x80000000u);
  // VM_MAY* sit four bits above the rights they allow (mprotect relies on it).
  EXPECT_EQ(VM_READ << 4, VM_MAYREAD);
  EXPECT_EQ(VM_WRITE << 4, VM_MAYWRITE);
  EXPECT_EQ(VM_EXEC << 4, VM_MAYEXEC);
  EXPECT_EQ(VM_SHARED << 4, VM_MAYSHARE);
}

TEST(Flags, IsCowMappingTruthTable) {
  // (VM_SHARED, VM_MAYWRITE) -> is_cow_mapping()
  EXPECT_FALSE(is_cow_mapping(0));
  EXPECT_TRUE(is_cow_mapping(VM_MAYWRITE));
  EXPECT_FALSE(is_cow_mapping(VM_SHARED));
  EXPECT_FALSE(is_cow_mapping(VM_SHARED | VM_MAYWRITE));
  // Other bits do not matter; in particular VM_MAYSHARE is not VM_SHARED.
  constexpr vm_flags_t kOthers[] = {VM_READ,    VM_WRITE,   VM_EXEC,      VM_MAYREAD,  VM_MAYSHARE,
                                    VM_PFNMAP,  VM_MIXEDMAP, VM_IO,       VM_DONTCOPY, VM_REMAP_FLAGS,
                                    VM_ACCESS_FLAGS | VM_MAYREAD | VM_MAYEXEC | VM_MAYSHARE};
  for (vm_flags_t o : kOthers) {
    EXPECT_FALSE(is_cow_mapping(o)) << o;
    EXPECT_TRUE(is_cow_mapping(o | VM_MAYWRITE)) << o;
    EXPECT_FALSE(is_cow_mapping(o | VM_SHARED)) << o;
    EXPECT_FALSE(is_cow_mapping(o | VM_SHARED | VM_MAYWRITE)) << o;
  }
  // Typical mappings: MAP_PRIVATE of anything writable-in-principle is COW,
  // MAP_SHARED never is, a private mapping of a read-only file is not.
  EXPECT_TRUE(is_cow_mapping(VM_READ | VM_MAYREAD | VM_MAYWRITE | VM_MAYEXEC));
  EXPECT_FALSE(is_cow_mapping(VM_READ | VM_WRITE | VM_SHARED | VM_MAYREAD | VM_MAYWRITE | VM_MAYSHARE));
  EXPECT_FALSE(is_cow_mapping(VM_READ | VM_MAYREAD | VM_MAYEXEC));
  static_assert(is_cow_mapping(VM_MAYWRITE), "usable in constant expressions");
}

TEST(Flags, FollFlagNamesAreUniqueAndCompleteSingleBits) {
  std::set<std::string> names;
  std::set<uint32_t> values;
  uint32_t all = 0;
  for (const foll_flag_name &f : FOLL_FLAG_NAMES) {
    ASSERT_NE(f.name, nullptr);
    EXPECT_FALSE(std::string(f.name).empty());
    EXPECT_EQ(std::string(f.name).rfind("FOLL_", 0), std::string::npos) << f.name;  // no prefix
    EXPECT_TRUE(names.insert(f.name).second) << "duplicate name " << f.name;
    EXPECT_TRUE(values.insert(f.value).second) << "duplicate value " << f.value;
    EXPECT_NE(f.value, 0u) << f.name;
    EXPECT_EQ(f.value & (f.value - 1), 0u) << f.name << " is not a single bit";
    all |= f.value;
  }
  EXPECT_EQ(std::size(FOLL_FLAG_NAMES), 20u);
  const uint32_t every = FOLL_WRITE | FOLL_GET | FOLL_DUMP | FOLL_FORCE | FOLL_NOWAIT | FOLL_NOFAULT | FOLL_HWPOISON |
                         FOLL_ANON | FOLL_LONGTERM | FOLL_SPLIT_PMD | FOLL_PCI_P2PDMA | FOLL_INTERRUPTIBLE |
                         FOLL_HONOR_NUMA_FAULT | INTERNAL_GUP_FLAGS;
  EXPECT_EQ(all, every);
  // Spot-check the pairing of name and value.
  auto value_of = [](const std::string &name) -> uint32_t {
    for (const foll_flag_name &f : FOLL_FLAG_NAMES)
      if (name == f.name) return f.value;
    return 0;
  };
  EXPECT_EQ(value_of("WRITE"), FOLL_WRITE);
  EXPECT_EQ(value_of("LONGTERM"), FOLL_LONGTERM);
  EXPECT_EQ(value_of("PIN"), FOLL_PIN);
  EXPECT_EQ(value_of("HONOR_NUMA_FAULT"), FOLL_HONOR_NUMA_FAULT);
  EXPECT_EQ(value_of("MADV_POPULATE"), FOLL_MADV_POPULATE);
}

TEST(Flags, ErrnoNames) {
  EXPECT_STREQ(errno_name(-EFAULT), "EFAULT");
  EXPECT_STREQ(errno_name(EFAULT), "EFAULT");
  EXPECT_STREQ(errno_name(-EEXIST), "EEXIST");
  EXPECT_STREQ(errno_name(-EMLINK), "EMLINK");
  EXPECT_STREQ(errno_name(-EINVAL), "EINVAL");
  EXPECT_STREQ(errno_name(-ENOMEM), "ENOMEM");
  EXPECT_STREQ(errno_name(-EHWPOISON), "EHWPOISON");
  // The kernel's numbers (asm-generic/errno-base.h, errno.h).
  EXPECT_EQ(EFAULT, 14);
  EXPECT_EQ(EEXIST, 17);
  EXPECT_EQ(EINVAL, 22);
  EXPECT_EQ(EMLINK, 31);
  EXPECT_EQ(EHWPOISON, 133);
}

}  // namespace
}  // namespace gupcheck::model
