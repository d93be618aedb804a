// SPDX-License-Identifier: GPL-2.0-only
//
// The counterexample graph: who holds which page, drawn with Boost.Graph and
// written as Graphviz dot by boost::write_graphviz_dp().
//
// Nodes: processes, their VMAs, their present PTEs, folios (the shared zero
// page as its own node, page-cache and driver pages), device pfns without a
// struct page, GUP calls that hold pages, files with cached pages and "the
// driver" that owns driver pages. Edges: process -> VMA ("N PTEs"),
// VMA -> PTE, PTE -> folio or device pfn (labelled with the PTE bits),
// GUP call -> folio ("pin xN" / "get xN": the references it holds), file ->
// folio ("cache [index]"), driver -> folio. Nodes and edges the violated
// invariant names (props::Violation::pfns/ptes/gups) are drawn red and bold.
//
// A replay is drawn as one graph of two components: the state before the
// failing step and the state after it (the final state alone when the trace
// holds), each headed by a title node; the "after" component comes first
// in the graph (Graphviz then draws "before" above it). Node ids carry the component's prefix
// ("b_" before, "a_" after), e.g. "a_pfn_0x1" for the zero page after.
//
// Boost.Graph stays out of model/ and properties/: only reports/ and the
// tests include this header.
#pragma once

#include <boost/graph/adjacency_list.hpp>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "model/variant.h"
#include "properties/invariants.h"
#include "properties/world.h"
#include "reports/replay.h"

namespace gupcheck::reports {

enum class NodeKind { title, process, vma, pte, folio, zero_page, device_pfn, gup, file, driver };

// Bundled vertex properties; every string is a Graphviz attribute value.
struct GraphNode {
  NodeKind kind = NodeKind::folio;
  std::string id;     // Graphviz node id, unique in the graph
  std::string label;  // lines separated by "\n" (two characters: Graphviz's newline escape)
  std::string shape = "box";
  std::string style = "filled";
  std::string fillcolor = "white";
  std::string color = "black";
  std::string penwidth = "1";
  bool highlighted = false;
};

struct GraphEdge {
  std::string label;
  std::string style = "solid";
  std::string color = "black";
  std::string penwidth = "1";
  bool highlighted = false;
};

struct GraphProps {
  std::string rankdir = "LR";
  std::string label;  // graph title
};

using StateGraph = boost::adjacency_list<boost::vecS, boost::vecS, boost::directedS, GraphNode, GraphEdge, GraphProps>;

// What to draw in red.
struct Highlight {
  std::vector<model::pfn_t> pfns;
  std::vector<std::pair<int, uint64_t>> ptes;  // (model pid, vpn)
  std::vector<int> gups;
  bool empty() const { return pfns.empty() && ptes.empty() && gups.empty(); }
};
Highlight highlight_of(const props::Violation &v);

// Adds one component to g: the state of w, headed by a title node, node ids
// prefixed with `prefix`.
void add_state(StateGraph &g, const props::World &w, const Highlight &h, const std::string &prefix,
               const std::string &title);

// The graph of a replay: before and after the failing step, or the final
// state when nothing failed. Reruns the steps of log.trace on `sw` (the
// model is a pure function of the variant and the trace). A step that
// throws ends the rerun; the state drawn is then the last one reached.
StateGraph replay_graph(const ReplayLog &log, const model::variant_switches &sw);

// Graphviz dot text of g, written by boost::write_graphviz_dp().
std::string graph_to_dot(const StateGraph &g);

// Whether Graphviz's `dot` program is on PATH.
bool graphviz_available();
// Renders dot text as SVG with `dot -Tsvg`. Return: the SVG, or an empty
// string with *error set (dot missing, or dot refused the input).
std::string dot_to_svg(const std::string &dot, std::string *error);

}  // namespace gupcheck::reports
