#pragma once
// A directed graph laid out by Graphviz's dot (cgraph + gvc): nodes of given sizes, optionally in
// clusters, and the edges between them as Bézier splines, each with room for a label of a given
// size beside it (dot places it clear of the nodes; Qt draws the text). Plain values in points with y growing
// downwards, so a Qt scene draws them as they are. Thread-safe: layouts run one at a time.
#include <string>
#include <utility>
#include <vector>

namespace roundlab::widgets {

struct GraphSpec {
  struct Node {
    std::string id;
    double width = 72, height = 36;  // points
    std::string cluster;             // empty: at top level
  };
  struct Edge {
    std::string from, to;
    double labelWidth = 0, labelHeight = 0;  // points; 0: no label
  };
  struct Cluster {
    std::string id, label;
  };
  std::vector<Node> nodes;
  std::vector<Edge> edges;
  std::vector<Cluster> clusters;
};

struct GraphLayout {
  struct Node {
    std::string id;
    double x = 0, y = 0, width = 0, height = 0;  // the centre, and the size
  };
  struct Edge {
    std::string from, to;
    std::vector<std::pair<double, double>> spline;  // cubic Bézier: p0, then (c1, c2, p) triples
    bool arrowAtEnd = false;
    std::pair<double, double> arrowTip{0, 0};
    bool hasLabel = false;
    std::pair<double, double> labelCenter{0, 0};  // where dot put the label's centre
  };
  struct Cluster {
    std::string id, label;
    double left = 0, top = 0, width = 0, height = 0;
  };
  std::vector<Node> nodes;
  std::vector<Edge> edges;
  std::vector<Cluster> clusters;
  double width = 0, height = 0;
  double milliseconds = 0;  // the layout's own time
  std::string error;        // why there is no layout (empty: there is one)
};

// Throws std::runtime_error with Graphviz's reason when dot cannot lay the graph out.
GraphLayout layoutGraph(const GraphSpec& spec);

}  // namespace roundlab::widgets
