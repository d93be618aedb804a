// SPDX-License-Identifier: GPL-2.0-only
//
// The counterexample graph (see graph.h).
#include "reports/graph.h"

#include <boost/graph/graphviz.hpp>
#include <boost/property_map/dynamic_property_map.hpp>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <unistd.h>

#include "reports/picture.h"
#include "trace/text.h"

namespace gupcheck::reports {

using namespace gupcheck::model;
using props::hex;

namespace {

using Vertex = boost::graph_traits<StateGraph>::vertex_descriptor;

// Fill colours by kind; highlighted nodes are drawn red whatever their kind.
const char *fill_of(NodeKind k) {
  switch (k) {
    case NodeKind::title: return "white";
    case NodeKind::process: return "#dbe9f6";
    case NodeKind::vma: return "#e8f3e0";
    case NodeKind::pte: return "#f4f4f4";
    case NodeKind::folio: return "#fff5d6";
    case NodeKind::zero_page: return "#e6ddf2";
    case NodeKind::device_pfn: return "#d9d9d9";
    case NodeKind::gup: return "#fde0c5";
    case NodeKind::file: return "#e0f0f0";
    case NodeKind::driver: return "#e0f0f0";
  }
  return "white";
}

const char *shape_of(NodeKind k) {
  switch (k) {
    case NodeKind::title: return "plaintext";
    case NodeKind::process: return "box3d";
    case NodeKind::vma: return "box";
    case NodeKind::pte: return "box";
    case NodeKind::folio: return "ellipse";
    case NodeKind::zero_page: return "doubleoctagon";
    case NodeKind::device_pfn: return "hexagon";
    case NodeKind::gup: return "cds";
    case NodeKind::file: return "folder";
    case NodeKind::driver: return "component";
  }
  return "box";
}

std::string join(const std::vector<std::string> &lines) {
  std::string s;
  for (const auto &l : lines) s += (s.empty() ? "" : "\\n") + l;
  return s;
}

// Graphviz's escape sequences start with a backslash; labels never need a literal one.
std::string clean(std::string s) {
  std::replace(s.begin(), s.end(), '\\', '/');
  std::replace(s.begin(), s.end(), '"', '\'');
  return s;
}

class Builder {
 public:
  Builder(StateGraph &g, const props::World &w, const Highlight &h, const std::string &prefix)
      : g_(g), w_(w), k_(w.kernel()), h_(h), prefix_(prefix) {}

  void build(const std::string &title) {
    const Vertex t = node(NodeKind::title, "title", {clean(title)}, false);
    g_[t].style = "bold";
    g_[t].fillcolor = "white";
    // Every folio the state shows, with who holds it.
    for (int pid = 0; pid < int(k_.tasks.size()); pid++) {
      const Vertex p = add_process(pid);
      edge(t, p, "", "invis");
    }
    add_gups();
    add_page_cache_and_drivers();
    // The zero page is always drawn, even when nothing maps it (the
    // invisible edge keeps it beside its own state's processes).
    edge(t, folio_node(ZERO_PFN), "", "invis");
  }

 private:
  bool hl_pfn(pfn_t p) const { return std::find(h_.pfns.begin(), h_.pfns.end(), p) != h_.pfns.end(); }
  bool hl_pte(int pid, uint64_t vpn) const {
    return std::find(h_.ptes.begin(), h_.ptes.end(), std::make_pair(pid, vpn)) != h_.ptes.end();
  }
  bool hl_gup(int gi) const { return std::find(h_.gups.begin(), h_.gups.end(), gi) != h_.gups.end(); }

  Vertex node(NodeKind kind, const std::string &id, const std::vector<std::string> &lines, bool highlighted) {
    const Vertex v = boost::add_vertex(g_);
    GraphNode &n = g_[v];
    n.kind = kind;
    n.id = prefix_ + id;
    n.label = join(lines);
    n.shape = shape_of(kind);
    n.fillcolor = fill_of(kind);
    n.style = kind == NodeKind::title ? "solid" : "filled";
    n.highlighted = highlighted;
    if (highlighted) {
      n.fillcolor = "#ffb3b3";
      n.color = "red";
      n.penwidth = "3";
      n.style = "filled,bold";
    }
    return v;
  }

  void edge(Vertex a, Vertex b, const std::string &label, const std::string &style = "solid",
            bool highlighted = false) {
    auto e = boost::add_edge(a, b, g_).first;
    GraphEdge &x = g_[e];
    x.label = label;
    x.style = style;
    x.highlighted = highlighted;
    if (highlighted) {
      x.color = "red";
      x.penwidth = "3";
    }
  }

  Vertex add_process(int pid) {
    const task_struct &t = k_.tasks[pid];
    std::vector<std::string> lines{proc_label(w_, pid)};
    if (!t.alive) {
      lines.push_back("exited");
      const Vertex v = node(NodeKind::process, "proc_" + std::to_string(pid), lines, false);
      g_[v].style = "dashed";
      procs_[pid] = v;
      return v;
    }
    const mm_struct &mm = t.mm;
    lines.push_back("rss anon=" + std::to_string(mm.rss[MM_ANONPAGES]) + " file=" +
                    std::to_string(mm.rss[MM_FILEPAGES]) + " shmem=" + std::to_string(mm.rss[MM_SHMEMPAGES]));
    if (mm.has_pinned) lines.push_back("MMF_HAS_PINNED");
    const Vertex p = node(NodeKind::process, "proc_" + std::to_string(pid), lines, false);
    procs_[pid] = p;
    for (const vm_area_struct &v : mm.vmas) add_vma(p, pid, v);
    return p;
  }

  void add_vma(Vertex p, int pid, const vm_area_struct &v) {
    const mm_struct &mm = k_.tasks[pid].mm;
    std::vector<std::string> lines{"VMA " + hex(v.vm_start << 12) + "-" + hex(v.vm_end << 12),
                                   perms(v.vm_flags) + "  " + backing_text(w_, v)};
    std::string flags, handles;
    for (auto &f : flag_names(v.vm_flags)) flags += (flags.empty() ? "" : " ") + f;
    for (auto &m : mapping_names(w_, pid, v)) handles += (handles.empty() ? "" : " ") + m;
    if (!flags.empty()) lines.push_back(flags);
    if (!handles.empty()) lines.push_back(handles);
    const Vertex vv = node(NodeKind::vma, "vma_" + std::to_string(pid) + "_" + hex(v.vm_start), lines, false);
    int ptes = 0;
    bool hl = false;
    for (uint64_t a = v.vm_start; a < v.vm_end; a++) {
      const pte_t *pte = pte_offset(mm, a);
      if (!pte || !pte->present) continue;
      ptes++;
      hl = hl || hl_pte(pid, a);
      add_pte(vv, pid, a, *pte);
    }
    edge(p, vv, std::to_string(ptes) + (ptes == 1 ? " PTE" : " PTEs"), "solid", hl);
  }

  void add_pte(Vertex vma, int pid, uint64_t vpn, const pte_t &pte) {
    std::string bits = pte.protnone ? "protnone" : pte.write ? "rw" : "ro";
    if (pte.dirty) bits += " dirty";
    if (pte.special) bits += " special";
    const bool hl = hl_pte(pid, vpn);
    const Vertex v = node(NodeKind::pte, "pte_" + std::to_string(pid) + "_" + hex(vpn),
                          {"PTE " + hex(vpn << 12), bits}, hl);
    edge(vma, v, "", "solid", hl);
    const Vertex target = pfn_node(pte.pfn);
    edge(v, target, pte.special ? "special" : "maps", pte.special ? "dashed" : "solid",
         hl && (hl_pfn(pte.pfn) || h_.pfns.empty()));
  }

  // The node of a pfn a PTE or GUP call names: a folio, the zero page, or a device pfn.
  Vertex pfn_node(pfn_t pfn) {
    if (pfn_valid(k_, pfn) && pfn < k_.folios.size()) return folio_node(pfn);
    auto it = nodes_.find(pfn);
    if (it != nodes_.end()) return it->second;
    const bool device = pfn >= DEVICE_PFN_BASE;
    const Vertex v = node(NodeKind::device_pfn, "pfn_" + hex(pfn),
                          {device ? "device pfn " + hex(pfn) : "pfn " + hex(pfn) + " (invalid)", "no struct page"},
                          hl_pfn(pfn));
    nodes_[pfn] = v;
    return v;
  }

  Vertex folio_node(pfn_t pfn) {
    auto it = nodes_.find(pfn);
    if (it != nodes_.end()) return it->second;
    const folio &f = k_.folios[pfn];
    const props::Census &c = w_.census();
    std::vector<std::string> lines;
    lines.push_back(f.zero ? "zero page (pfn " + hex(pfn) + ")" : "pfn " + hex(pfn) + "  " + folio_kind(w_, f));
    lines.push_back("ref " + refcount_text(f.refcount) + "  map " + std::to_string(f.mapcount));
    if (pfn < c.pins.size() && (c.pins[pfn] || c.gets[pfn]))
      lines.push_back("pins " + std::to_string(c.pins[pfn]) + "  gets " + std::to_string(c.gets[pfn]));
    const Vertex v = node(f.zero ? NodeKind::zero_page : NodeKind::folio, "pfn_" + hex(pfn), lines, hl_pfn(pfn));
    if (f.freed && !g_[v].highlighted) g_[v].style = "dashed";
    nodes_[pfn] = v;
    return v;
  }

  void add_gups() {
    const auto &gups = w_.gup_calls();
    for (size_t gi = 0; gi < gups.size(); gi++) {
      const props::GupCall &g = gups[gi];
      if (!g.exists) continue;
      // Calls that hold nothing any more are drawn only when the invariant names them.
      if (!g.holds() && !hl_gup(int(gi))) continue;
      std::string state = !g.completed ? "in flight" : g.released ? "released" : "ret " + std::to_string(g.ret);
      const int proc = w_.proc_of(g.pid);
      const Vertex v = node(NodeKind::gup, "gup_" + std::to_string(gi),
                            {clean(trace::print_op(g.op)),
                             (proc >= 0 ? "p" + std::to_string(proc) : "pid " + std::to_string(g.pid)) + ", " + state},
                            hl_gup(int(gi)));
      if (auto pit = procs_.find(g.pid); pit != procs_.end()) edge(pit->second, v, "calls", "dotted");
      if (!g.holds()) continue;
      std::map<pfn_t, int> count;
      for (pfn_t p : g.pages) count[p]++;
      for (const auto &[p, n] : count) {
        const Vertex target = pfn_node(p);
        const bool hl = hl_gup(int(gi)) && hl_pfn(p);
        edge(v, target, std::string(g.pin ? "pin" : "get") + " x" + std::to_string(n), "bold", hl);
      }
    }
  }

  void add_page_cache_and_drivers() {
    std::map<int, Vertex> files;
    Vertex driver{};
    bool have_driver = false;
    for (pfn_t p = 2; p < k_.folios.size(); p++) {
      const folio &f = k_.folios[p];
      if (f.freed && !hl_pfn(p)) continue;
      if (f.pagecache && f.file >= 0) {
        auto it = files.find(f.file);
        if (it == files.end()) {
          const file_state &fs = k_.files[f.file];
          it = files
                   .emplace(f.file, node(NodeKind::file, "file_" + std::to_string(f.file),
                                         {"file " + file_label(w_, f.file), fs.shmem ? "shmem" : "page cache"}, false))
                   .first;
        }
        edge(it->second, folio_node(p), "cache [" + std::to_string(f.index) + "]", "dashed");
      } else if (f.driver) {
        if (!have_driver) driver = node(NodeKind::driver, "driver", {"driver", "owns its pages"}, false);
        have_driver = true;
        edge(driver, folio_node(p), "owns", "dashed");
      } else if (hl_pfn(p)) {
        folio_node(p);
      }
    }
  }

  StateGraph &g_;
  const props::World &w_;
  const kernel_state &k_;
  const Highlight &h_;
  std::string prefix_;
  std::map<pfn_t, Vertex> nodes_;
  std::map<int, Vertex> procs_;
};

// Replays the first n steps of t on a fresh world. Return: the number of steps that ran.
size_t run_prefix(props::World &w, const trace::Trace &t, size_t n) {
  size_t i = 0;
  try {
    for (; i < n && i < t.ops.size(); i++) w.step(t.ops[i]);
  } catch (const std::exception &) {
    // A bad trace or a model bug: draw the state reached.
  }
  return i;
}

std::string step_title(const ReplayLog &log, size_t i) {
  return "step " + std::to_string(i + 1) + ": " + trace::print_op(log.steps[i].op);
}

}  // namespace

Highlight highlight_of(const props::Violation &v) {
  Highlight h;
  if (!v.found) return h;
  h.pfns = v.pfns;
  h.ptes = v.ptes;
  h.gups = v.gups;
  return h;
}

void add_state(StateGraph &g, const props::World &w, const Highlight &h, const std::string &prefix,
               const std::string &title) {
  Builder(g, w, h, prefix).build(title);
}

StateGraph replay_graph(const ReplayLog &log, const model::variant_switches &sw) {
  StateGraph g;
  const Highlight h = highlight_of(log.violation);
  const size_t n = log.steps.size();
  if (log.failed() && n > 0) {
    g[boost::graph_bundle].label =
        clean(log.violation.found ? "violates " + log.violation.invariant + ": " + log.violation.why
                                  : "bad trace: " + log.error);
    // Graphviz stacks the components of a left-to-right graph bottom-up in
    // the order they come: "after" first puts "before" on top.
    props::World after(sw);
    const size_t ran = run_prefix(after, log.trace, n);
    add_state(g, after, h, "a_",
              ran == n ? "AFTER " + step_title(log, n - 1) : "AFTER step " + std::to_string(n) + " (it did not complete)");
    props::World before(sw);
    run_prefix(before, log.trace, n - 1);
    add_state(g, before, h, "b_", "BEFORE " + step_title(log, n - 1));
  } else {
    g[boost::graph_bundle].label = "holds: final state after " + std::to_string(n) + (n == 1 ? " step" : " steps");
    props::World w(sw);
    run_prefix(w, log.trace, n);
    add_state(g, w, h, "a_", n ? "FINAL STATE after " + step_title(log, n - 1) : "INITIAL STATE");
  }
  return g;
}

std::string graph_to_dot(const StateGraph &g) {
  boost::dynamic_properties dp;
  // write_graphviz_dp() reads through these maps; the graph is not modified.
  StateGraph &mg = const_cast<StateGraph &>(g);
  dp.property("node_id", boost::get(&GraphNode::id, mg));
  dp.property("label", boost::get(&GraphNode::label, mg));
  dp.property("shape", boost::get(&GraphNode::shape, mg));
  dp.property("style", boost::get(&GraphNode::style, mg));
  dp.property("fillcolor", boost::get(&GraphNode::fillcolor, mg));
  dp.property("color", boost::get(&GraphNode::color, mg));
  dp.property("penwidth", boost::get(&GraphNode::penwidth, mg));
  dp.property("label", boost::get(&GraphEdge::label, mg));
  dp.property("style", boost::get(&GraphEdge::style, mg));
  dp.property("color", boost::get(&GraphEdge::color, mg));
  dp.property("penwidth", boost::get(&GraphEdge::penwidth, mg));
  GraphProps gp = g[boost::graph_bundle];
  std::string labelloc = "t", fontsize = "16";
  dp.property("rankdir", boost::ref_property_map<StateGraph *, std::string>(gp.rankdir));
  dp.property("label", boost::ref_property_map<StateGraph *, std::string>(gp.label));
  dp.property("labelloc", boost::ref_property_map<StateGraph *, std::string>(labelloc));
  dp.property("fontsize", boost::ref_property_map<StateGraph *, std::string>(fontsize));
  std::ostringstream os;
  boost::write_graphviz_dp(os, g, dp, "node_id");
  return os.str();
}

bool graphviz_available() { return std::system("command -v dot >/dev/null 2>&1") == 0; }

std::string dot_to_svg(const std::string &dot, std::string *error) {
  if (!graphviz_available()) {
    if (error) *error = "Graphviz's dot program is not installed (Debian package graphviz)";
    return "";
  }
  char in[] = "/tmp/gupcheck-graph-XXXXXX";
  const int fd = mkstemp(in);
  if (fd < 0) {
    if (error) *error = "cannot create a temporary file";
    return "";
  }
  close(fd);
  const std::string in_path = in, out_path = in_path + ".svg", err_path = in_path + ".err";
  {
    std::ofstream f(in_path, std::ios::binary);
    f << dot;
  }
  const std::string cmd = "dot -Tsvg '" + in_path + "' -o '" + out_path + "' 2>'" + err_path + "'";
  const int rc = std::system(cmd.c_str());
  std::string svg, err;
  {
    std::ifstream f(out_path, std::ios::binary);
    std::ostringstream s;
    s << f.rdbuf();
    svg = s.str();
    std::ifstream e(err_path);
    std::ostringstream es;
    es << e.rdbuf();
    err = es.str();
  }
  std::remove(in_path.c_str());
  std::remove(out_path.c_str());
  std::remove(err_path.c_str());
  if (rc != 0 || svg.empty()) {
    if (error) *error = "dot -Tsvg failed" + (err.empty() ? std::string() : ": " + err);
    return "";
  }
  return svg;
}

}  // namespace gupcheck::reports
