// SPDX-License-Identifier: GPL-2.0-only
//
// The trace language's own vocabulary of GUP flags: the names a trace writes
// (`WRITE|LONGTERM`, with or without `FOLL_`) and the bits they stand for.
// The bits are, by definition of the language, the kernel's FOLL_* values in
// Linux v6.18 (include/linux/mm_types.h, mm/internal.h), so that a number in
// a trace means to a reader what it means to the kernel. trace/ does not use
// the model's types; properties/translate.h maps these bits to the model's
// encoding, and checks at compile time that every name means the same bit.
#pragma once

#include <cstdint>

namespace gupcheck::trace {

struct GupFlagName {
  const char *name;  // without the FOLL_ prefix
  uint32_t bit;
};

inline constexpr GupFlagName kGupFlagNames[] = {
    {"WRITE", 1u << 0},         {"GET", 1u << 1},
    {"DUMP", 1u << 2},          {"FORCE", 1u << 3},
    {"NOWAIT", 1u << 4},        {"NOFAULT", 1u << 5},
    {"HWPOISON", 1u << 6},      {"ANON", 1u << 7},
    {"LONGTERM", 1u << 8},      {"SPLIT_PMD", 1u << 9},
    {"PCI_P2PDMA", 1u << 10},   {"INTERRUPTIBLE", 1u << 11},
    {"HONOR_NUMA_FAULT", 1u << 12}, {"TOUCH", 1u << 16},
    {"TRIED", 1u << 17},        {"REMOTE", 1u << 18},
    {"PIN", 1u << 19},          {"FAST_ONLY", 1u << 20},
    {"UNLOCKABLE", 1u << 21},   {"MADV_POPULATE", 1u << 22},
};

// The bit of a name in kGupFlagNames, for the few places of the trace floor
// that need one (e.g. "a DMA write needs a WRITE call").
constexpr uint32_t gup_flag(const char *name) {
  for (const auto &f : kGupFlagNames) {
    const char *a = f.name, *b = name;
    while (*a && *a == *b) a++, b++;
    if (*a == *b) return f.bit;
  }
  return 0;
}

}  // namespace gupcheck::trace
