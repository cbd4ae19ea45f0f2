#include "widgets/GraphLayout.h"

#include <graphviz/gvc.h>
#include <QByteArray>

#include <chrono>
#include <cmath>
#include <map>
#include <mutex>
#include <stdexcept>

namespace roundlab::widgets {

namespace {

// Graphviz's attribute setters take char*; the strings are copied.
void set(void* object, const char* name, const std::string& value) {
  agsafeset(object, const_cast<char*>(name), const_cast<char*>(value.c_str()), const_cast<char*>(""));
}

// Independent of the locale: Graphviz reads "1.5", never "1,5".
std::string inches(double points) { return QByteArray::number(points / 72.0, 'f', 4).toStdString(); }

std::mutex& layoutMutex() {
  static std::mutex m;  // Graphviz keeps global state: one layout at a time
  return m;
}

}  // namespace

GraphLayout layoutGraph(const GraphSpec& spec) {
  const auto start = std::chrono::steady_clock::now();
  std::lock_guard<std::mutex> lock(layoutMutex());
  // Graphviz finds its dot layout plugin as installed (Debian's libgvc6 registers it).
  GVC_t* gvc = gvContext();
  Agraph_t* g = agopen(const_cast<char*>("model"), Agdirected, nullptr);
  set(g, "rankdir", "TB");
  set(g, "nodesep", "0.25");
  set(g, "ranksep", "0.35");
  // The global ranking: Graphviz 2.42's per-cluster ranking frees memory twice (and takes the
  // process down) on some graphs whose labelled edges pass clusters by — a transformer's residual
  // stream, which feeds every later block (the bundled character GPT's graph is one).
  set(g, "newrank", "true");
  std::map<std::string, Agraph_t*> clusters;
  for (const GraphSpec::Cluster& c : spec.clusters) {
    Agraph_t* sub = agsubg(g, const_cast<char*>(("cluster_" + c.id).c_str()), 1);
    set(sub, "label", c.label);
    set(sub, "margin", "10");
    clusters[c.id] = sub;
  }
  std::map<std::string, Agnode_t*> nodes;
  for (const GraphSpec::Node& n : spec.nodes) {
    Agnode_t* node = agnode(g, const_cast<char*>(n.id.c_str()), 1);
    set(node, "shape", "box");
    set(node, "fixedsize", "true");
    set(node, "label", "");  // Qt draws the text; dot only needs the size
    set(node, "width", inches(n.width));
    set(node, "height", inches(n.height));
    if (const auto c = clusters.find(n.cluster); c != clusters.end()) agsubnode(c->second, node, 1);
    nodes[n.id] = node;
  }
  // A label is an empty table of the size Qt's text needs: dot leaves exactly that room beside the
  // edge whatever fonts Graphviz itself would measure with (or estimate, without a text plugin).
  Agsym_t* label = nullptr;
  for (const GraphSpec::Edge& e : spec.edges) {
    const auto a = nodes.find(e.from), b = nodes.find(e.to);
    if (a == nodes.end() || b == nodes.end()) continue;
    Agedge_t* edge = agedge(g, a->second, b->second, nullptr, 1);
    if (e.labelWidth <= 0 || e.labelHeight <= 0) continue;
    if (!label) label = agattr(g, AGEDGE, const_cast<char*>("label"), const_cast<char*>(""));
    const std::string table = "<TABLE BORDER=\"0\" CELLPADDING=\"0\" CELLSPACING=\"0\" FIXEDSIZE=\"TRUE\" WIDTH=\"" +
                              std::to_string(static_cast<int>(std::ceil(e.labelWidth))) + "\" HEIGHT=\"" +
                              std::to_string(static_cast<int>(std::ceil(e.labelHeight))) +
                              "\"><TR><TD></TD></TR></TABLE>";
    char* html = agstrdup_html(g, const_cast<char*>(table.c_str()));
    agxset(edge, label, html);
    agstrfree(g, html);
  }
  if (gvLayout(gvc, g, "dot") != 0) {
    const char* reason = aglasterr();
    const std::string why = reason && *reason ? std::string(": ") + reason : std::string();
    agclose(g);
    gvFreeContext(gvc);
    throw std::runtime_error("Graphviz could not lay the graph out with dot" + why);
  }
  GraphLayout out;
  const boxf bb = GD_bb(g);
  out.width = bb.UR.x - bb.LL.x;
  out.height = bb.UR.y - bb.LL.y;
  // Graphviz's y grows upwards from the bounding box's lower left; Qt's downwards.
  auto flip = [&](pointf p) { return std::make_pair(p.x - bb.LL.x, bb.UR.y - p.y); };
  for (const GraphSpec::Node& n : spec.nodes) {
    Agnode_t* node = nodes.at(n.id);
    const auto [x, y] = flip(ND_coord(node));
    out.nodes.push_back({n.id, x, y, ND_width(node) * 72.0, ND_height(node) * 72.0});
    for (Agedge_t* e = agfstout(g, node); e; e = agnxtout(g, e)) {
      GraphLayout::Edge edge;
      edge.from = agnameof(agtail(e));
      edge.to = agnameof(aghead(e));
      if (const splines* s = ED_spl(e); s && s->size > 0) {
        const bezier& bz = s->list[0];
        for (int i = 0; i < bz.size; ++i) edge.spline.push_back(flip(bz.list[i]));
        edge.arrowAtEnd = bz.eflag != 0;
        if (bz.eflag) edge.arrowTip = flip(bz.ep);
      }
      if (const textlabel_t* l = ED_label(e); l && l->set) {
        edge.hasLabel = true;
        edge.labelCenter = flip(l->pos);
      }
      out.edges.push_back(std::move(edge));
    }
  }
  for (const GraphSpec::Cluster& c : spec.clusters) {
    const boxf cb = GD_bb(clusters.at(c.id));
    const auto [left, top] = flip(pointf{cb.LL.x, cb.UR.y});
    out.clusters.push_back({c.id, c.label, left, top, cb.UR.x - cb.LL.x, cb.UR.y - cb.LL.y});
  }
  gvFreeLayout(gvc, g);
  agclose(g);
  gvFreeContext(gvc);
  out.milliseconds = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  return out;
}

}  // namespace roundlab::widgets
