// SPDX-License-Identifier: GPL-2.0-only
//
// The registry of the model's coverage points (model/coverage.h).
#include "model/coverage.h"

namespace gupcheck::model::cov {

namespace {
constexpr PointInfo kInfo[kNumPoints] = {
#define GUPCHECK_COV_INFO(id, fn, branch) {fn, branch},
    GUPCHECK_COV_POINTS(GUPCHECK_COV_INFO)
#undef GUPCHECK_COV_INFO
};
}  // namespace

const PointInfo &info(Point p) { return kInfo[p]; }

std::string name(Point p) { return std::string(kInfo[p].function) + ": " + kInfo[p].branch; }

}  // namespace gupcheck::model::cov
