// SPDX-License-Identifier: GPL-2.0-only
//
// The counterexample graph (reports/graph.h) and the campaign page
// (reports/html.h): node and edge counts against the model state walked
// independently, the zero page and device pfns as their own nodes, the nodes
// a violation names drawn highlighted, dot output that Graphviz accepts, and
// the page's sections and escaping.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <string>

#include "model/variant.h"
#include "properties/invariants.h"
#include "properties/world.h"
#include "reports/graph.h"
#include "reports/html.h"
#include "properties/replay.h"
#include "properties/snapshot.h"
#include "trace/text.h"

namespace gupcheck::reports {
namespace {

using Vertex = boost::graph_traits<StateGraph>::vertex_descriptor;

trace::Trace parse(const std::string &body) { return trace::parse_trace("# gupcheck trace v1\n" + body); }

props::World run(const trace::Trace &t, const model::variant_switches &sw = {}) {
  props::World w(sw);
  for (const trace::Op &op : t.ops) w.step(op);
  return w;
}

std::map<NodeKind, int> count_kinds(const StateGraph &g) {
  std::map<NodeKind, int> n;
  for (Vertex v : boost::make_iterator_range(boost::vertices(g))) n[g[v].kind]++;
  return n;
}

const GraphNode *find_node(const StateGraph &g, const std::string &id) {
  for (Vertex v : boost::make_iterator_range(boost::vertices(g)))
    if (g[v].id == id) return &g[v];
  return nullptr;
}

std::vector<std::string> edge_labels_into(const StateGraph &g, const std::string &id) {
  std::vector<std::string> out;
  for (auto e : boost::make_iterator_range(boost::edges(g)))
    if (g[boost::target(e, g)].id == id) out.push_back(g[e].label);
  return out;
}

// Present PTEs of every live process, walked here rather than by the graph code.
int present_ptes(const model::kernel_state &k) {
  int n = 0;
  for (const model::task_struct &t : k.tasks)
    if (t.alive)
      for (const model::pte_table &tab : t.mm.tables)
        for (const model::pte_t &p : tab.ptes) n += p.present;
  return n;
}

int vmas(const model::kernel_state &k) {
  int n = 0;
  for (const model::task_struct &t : k.tasks)
    if (t.alive) n += int(t.mm.vmas.size());
  return n;
}

const model::variant_info &variant(const std::string &name) {
  const model::variant_info *v = model::find_variant(name);
  EXPECT_NE(v, nullptr) << name;
  return *v;
}

TEST(StateGraph, CountsMatchTheModelState) {
  const trace::Trace t = parse(
      "m0 = mmap p0 anon private rw 3\n"
      "read p0 m0+0\n"
      "write p0 m0+1 0x41\n"
      "g0 = pin p0 m0+1 1 WRITE|LONGTERM\n"
      "g1 = get p0 m0+1 1 0\n"
      "p1 = fork p0\n"
      "read p1 m0+0\n");
  const props::World w = run(t);
  StateGraph g;
  add_state(g, props::take_snapshot(w), {}, "a_", "final");
  auto n = count_kinds(g);
  EXPECT_EQ(n[NodeKind::title], 1);
  EXPECT_EQ(n[NodeKind::process], 2);
  EXPECT_EQ(n[NodeKind::vma], vmas(w.kernel()));
  EXPECT_EQ(n[NodeKind::pte], present_ptes(w.kernel()));
  EXPECT_EQ(n[NodeKind::zero_page], 1);
  EXPECT_EQ(n[NodeKind::gup], 2);
  EXPECT_EQ(n[NodeKind::device_pfn], 0);
  // Edges: title->process (2) and title->zero page (1, invisible),
  // process->VMA, VMA->PTE and PTE->page (one per PTE each), process->GUP
  // call (2), GUP call->page (one per distinct page: 2).
  const int expected_edges = 3 + vmas(w.kernel()) + 2 * present_ptes(w.kernel()) + 2 + 2;
  EXPECT_EQ(int(boost::num_edges(g)), expected_edges);
  // The zero page is one node, mapped by both processes' read faults.
  const auto into_zero = edge_labels_into(g, "a_pfn_0x1");
  EXPECT_EQ(std::count(into_zero.begin(), into_zero.end(), "special"), 2);
  // The pinned page: the pin and the FOLL_GET reference, labelled with counts.
  const props::GupCall &g0 = w.gup_calls()[0];
  ASSERT_EQ(g0.pages.size(), 1u);
  const auto into_pinned = edge_labels_into(g, "a_pfn_" + props::hex(g0.pages[0]));
  EXPECT_NE(std::find(into_pinned.begin(), into_pinned.end(), "pin x1"), into_pinned.end());
  EXPECT_NE(std::find(into_pinned.begin(), into_pinned.end(), "get x1"), into_pinned.end());
  // Nothing is highlighted without a violation.
  for (Vertex v : boost::make_iterator_range(boost::vertices(g))) EXPECT_FALSE(g[v].highlighted) << g[v].id;
}

TEST(StateGraph, ZeroPageIsDrawnEvenWhenUnmapped) {
  const props::World w = run(parse(""));
  StateGraph g;
  add_state(g, props::take_snapshot(w), {}, "x_", "initial");
  auto n = count_kinds(g);
  EXPECT_EQ(n[NodeKind::zero_page], 1);
  EXPECT_EQ(n[NodeKind::process], 1);
  EXPECT_EQ(n[NodeKind::pte], 0);
  ASSERT_NE(find_node(g, "x_pfn_0x1"), nullptr);
  EXPECT_NE(find_node(g, "x_pfn_0x1")->label.find("zero page"), std::string::npos);
}

TEST(StateGraph, DevicePfnIsItsOwnNode) {
  const props::World w = run(parse(
      "m0 = mmap p0 mixedmap shared rw 2\n"
      "insert_mixed p0 m0+0 dev\n"));
  StateGraph g;
  add_state(g, props::take_snapshot(w), {}, "a_", "final");
  auto n = count_kinds(g);
  EXPECT_EQ(n[NodeKind::device_pfn], 1);
  const GraphNode *dev = find_node(g, "a_pfn_" + props::hex(model::DEVICE_PFN_BASE));
  ASSERT_NE(dev, nullptr);
  EXPECT_EQ(dev->kind, NodeKind::device_pfn);
  EXPECT_EQ(edge_labels_into(g, dev->id).size(), 1u);
}

TEST(StateGraph, ViolationHighlightsTheZeroPageAndItsPte) {
  const model::variant_info &v = variant("zero-page-mixedmap-refcount");
  const trace::Trace t = parse(
      "m0 = mmap p0 mixedmap private rw 1\n"
      "read p0 m0+0\n");
  const props::ReplayRecord log = props::replay_for_report(t, v.name, v.sw, props::InvariantSet());
  ASSERT_TRUE(log.violation.found);
  EXPECT_EQ(log.violation.invariant, "ZeroPageAlwaysSpecial");
  EXPECT_NE(std::find(log.violation.pfns.begin(), log.violation.pfns.end(), model::ZERO_PFN),
            log.violation.pfns.end());
  const StateGraph g = replay_graph(log);
  // Both states are drawn; the PTE exists only after the read fault.
  EXPECT_EQ(count_kinds(g)[NodeKind::title], 2);
  ASSERT_NE(find_node(g, "b_pfn_0x1"), nullptr);
  ASSERT_NE(find_node(g, "a_pfn_0x1"), nullptr);
  EXPECT_TRUE(find_node(g, "a_pfn_0x1")->highlighted);
  const int pid = 0;
  const std::string pte_id = "a_pte_" + std::to_string(pid) + "_" + props::hex(model::MMAP_MIN_VPN);
  ASSERT_NE(find_node(g, pte_id), nullptr);
  EXPECT_TRUE(find_node(g, pte_id)->highlighted);
  EXPECT_EQ(find_node(g, "b_" + pte_id.substr(2)), nullptr);
  int highlighted = 0;
  for (Vertex x : boost::make_iterator_range(boost::vertices(g))) highlighted += g[x].highlighted;
  EXPECT_EQ(highlighted, 3);  // the zero page before and after, and the PTE
  // On mainline the same trace holds: one state, nothing highlighted.
  const props::ReplayRecord ok = props::replay_for_report(t, "mainline", {}, props::InvariantSet());
  ASSERT_FALSE(ok.violation.found);
  const StateGraph h = replay_graph(ok);
  EXPECT_EQ(count_kinds(h)[NodeKind::title], 1);
  for (Vertex x : boost::make_iterator_range(boost::vertices(h))) EXPECT_FALSE(h[x].highlighted) << h[x].id;
}

// Every regression trace's violation names something, and the graph shows it.
TEST(StateGraph, EveryRegressionTraceHighlightsWhatItViolates) {
  const std::filesystem::path dir = std::filesystem::path(GUPCHECK_SOURCE_DIR) / "tests" / "regression";
  int seen = 0;
  for (const auto &e : std::filesystem::directory_iterator(dir)) {
    if (e.path().extension() != ".trace") continue;
    seen++;
    const trace::Trace t = trace::parse_trace_file(e.path().string());
    const model::variant_info &v = variant(t.variant);
    const props::ReplayRecord log = props::replay_for_report(t, v.name, v.sw, props::InvariantSet());
    ASSERT_TRUE(log.violation.found) << e.path();
    EXPECT_FALSE(log.violation.pfns.empty() && log.violation.ptes.empty() && log.violation.gups.empty())
        << e.path() << " violates " << log.violation.invariant << " without naming anything";
    const StateGraph g = replay_graph(log);
    int after = 0;
    for (Vertex x : boost::make_iterator_range(boost::vertices(g)))
      after += g[x].highlighted && g[x].id.rfind("a_", 0) == 0;
    EXPECT_GT(after, 0) << e.path() << ": nothing highlighted after the failing step";
  }
  EXPECT_GE(seen, 8);
}

TEST(StateGraph, DotOutputIsGraphviz) {
  const model::variant_info &v = variant("zero-page-pin-counted");
  const trace::Trace t = parse(
      "m0 = mmap p0 anon private rw 1\n"
      "read p0 m0+0\n"
      "g0 = pin p0 m0+0 1 0\n");
  const props::ReplayRecord log = props::replay_for_report(t, v.name, v.sw, props::InvariantSet());
  ASSERT_TRUE(log.violation.found);
  const std::string dot = graph_to_dot(replay_graph(log));
  EXPECT_EQ(dot.rfind("digraph G {", 0), 0u);
  EXPECT_NE(dot.find("a_pfn_0x1 ["), std::string::npos);
  EXPECT_NE(dot.find("rankdir=LR"), std::string::npos);
  EXPECT_NE(dot.find("violates " + log.violation.invariant), std::string::npos);
  if (!graphviz_available()) GTEST_SKIP() << "Graphviz's dot is not installed: the dot text was not parsed";
  std::string err;
  const std::string svg = dot_to_svg(dot, &err);
  ASSERT_FALSE(svg.empty()) << err;
  EXPECT_NE(svg.find("<svg"), std::string::npos);
  EXPECT_NE(svg.find("zero page"), std::string::npos);
  // A malformed graph is refused with dot's message, not an empty success.
  EXPECT_TRUE(dot_to_svg("digraph { a -> }", &err).empty());
  EXPECT_FALSE(err.empty());
}

TEST(CampaignPage, SectionsAndEscaping) {
  HtmlPage p;
  p.title = "fuzz <mainline> & co";
  p.verdict = "no invariant violated";
  p.config = {{"seed", "42"}};
  p.samples = {{0.5, 1000, 10}, {1.0, 3000, 20}};
  p.invariants = invariant_rows(props::InvariantSet(), 3000, "GupGrabArithmetic");
  const std::string html = render_html(p);
  EXPECT_NE(html.find("<title>fuzz &lt;mainline&gt; &amp; co</title>"), std::string::npos);
  EXPECT_EQ(html.find("<mainline>"), std::string::npos);
  EXPECT_NE(html.find("id=\"config\""), std::string::npos);
  EXPECT_NE(html.find("id=\"invariants\""), std::string::npos);
  EXPECT_EQ(html.find("id=\"variants\""), std::string::npos);
  EXPECT_NE(html.find("<polyline class=\"series rate\""), std::string::npos);
  // Self-contained: nothing is fetched.
  EXPECT_EQ(html.find("src="), std::string::npos);
  EXPECT_EQ(html.find("href="), std::string::npos);
  EXPECT_EQ(html.find("http://www.w3.org/2000/svg"), html.find("http"));  // the SVG namespace only
  // One row per invariant; the violated one marked.
  EXPECT_EQ(p.invariants.size(), props::all_invariants().size());
  EXPECT_NE(html.find("<tr class=\"hit\"><td>A1</td><td>GupGrabArithmetic</td>"), std::string::npos);
  // A campaign too short to measure gets no plot (and no empty line for the browser test to trip on).
  HtmlPage quick = p;
  quick.samples = {{0.0, 0, 0}};
  EXPECT_EQ(render_html(quick).find("<polyline"), std::string::npos);
  // The gate's table, when asked for.
  p.show_variants = true;
  p.variants.push_back({"zero-page-pin-counted", true, "GupGrabArithmetic", "GupGrabArithmetic", 0.25, 3, ""});
  p.variants.push_back({"ro-pin-no-unshare", false, "", "NoKernelWarning", -1, -1, "time budget spent"});
  const std::string gate = render_html(p);
  EXPECT_NE(gate.find("id=\"variants\""), std::string::npos);
  EXPECT_NE(gate.find("<tr class=\"miss\"><td>ro-pin-no-unshare</td><td>NO</td>"), std::string::npos);
  EXPECT_NE(gate.find("<td class=\"num\">0.25</td><td class=\"num\">3</td>"), std::string::npos);
}

TEST(CampaignPage, CounterexampleCarriesTraceViolationAndGraph) {
  const model::variant_info &v = variant("zero-page-pin-counted");
  const trace::Trace t = parse(
      "m0 = mmap p0 anon private rw 1\n"
      "read p0 m0+0\n"
      "g0 = pin p0 m0+0 1 0\n");
  props::ReplayRecord log = props::replay_for_report(t, v.name, v.sw, props::InvariantSet());
  HtmlPage p;
  p.counterexamples.push_back(counterexample_from_log("cx", log));
  const HtmlCounterexample &c = p.counterexamples[0];
  EXPECT_NE(c.violation.find(log.violation.invariant), std::string::npos);
  EXPECT_NE(c.trace.find("g0 = pin p0 m0+0 1"), std::string::npos);
  EXPECT_EQ(c.dot.rfind("digraph", 0), 0u);
  const std::string html = render_html(p);
  if (graphviz_available()) {
    EXPECT_NE(html.find("<div class=\"graph\">\n<svg"), std::string::npos);
    EXPECT_EQ(html.find("<?xml"), std::string::npos);
  } else {
    EXPECT_NE(html.find("<pre class=\"dot\">"), std::string::npos);
  }
  // Without the SVG the dot text is shown instead.
  p.counterexamples[0].svg.clear();
  EXPECT_NE(render_html(p).find("<pre class=\"dot\">digraph"), std::string::npos);
}

}  // namespace
}  // namespace gupcheck::reports
