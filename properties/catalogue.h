// SPDX-License-Identifier: GPL-2.0-only
//
// The invariant catalogue as a document: docs/invariants.md is this text,
// generated from the registries (properties/invariants.h, witness.h) by
// `gupcheck list invariants --markdown`, and CTest (docs.invariants) fails
// when the committed file and the registries disagree.
#pragma once

#include <string>

namespace gupcheck::props {

std::string catalogue_markdown();

}  // namespace gupcheck::props
