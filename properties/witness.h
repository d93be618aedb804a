// SPDX-License-Identifier: GPL-2.0-only
//
// Witness properties: named predicates that are EXPECTED to be violated, as
// DieHard's NotSolved is written to be broken. Each states "the generators
// never reach state S"; a campaign that breaks it proves the generators do
// reach S, one of the states where GUP bugs live. They have the shape of an
// invariant (properties/invariants.h) but live in their own registry, so a
// normal campaign never stops on them; select one by name
// (`gupcheck fuzz --witness NAME`), or count them (`gupcheck fuzz --stats`).
// tests/manifest.txt records the case budget within which each is reached.
#pragma once

#include <vector>

#include "properties/invariants.h"

namespace gupcheck::props {

// Every witness (ids W1, W2, ...).
const std::vector<Invariant> &all_witnesses();

// Registered witnesses whose state the model cannot reach yet, with what
// they wait for (listed by `gupcheck list witnesses`; the manifest marks them
// 'pending' and its test checks they are indeed not reached, so the manifest
// is updated when the model that reaches them lands).
struct PendingWitness {
  const char *name;
  const char *waiting_for;
};
const std::vector<PendingWitness> &pending_witnesses();

}  // namespace gupcheck::props
