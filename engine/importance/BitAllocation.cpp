#include "engine/importance/BitAllocation.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include <torch/torch.h>

#include "engine/capture/ActivationCapture.h"
#include "engine/core/Error.h"
#include "engine/data/DataBatch.h"
#include "engine/data/Dataset.h"
#include "engine/model/Model.h"

namespace roundlab {

const EnumTable<BudgetKind>& budgetKindTable() {
  static const EnumTable<BudgetKind> t{"budget",
                                       {{BudgetKind::AverageBits, "avg-bits", "average bits per weight"},
                                        {BudgetKind::Bytes, "bytes", "total weight bytes"},
                                        {BudgetKind::Bops, "bops", "bit-operations per sample"}}};
  return t;
}

std::map<std::string, LayerCost> layerCosts(const Model& model, const Dataset& data) {
  CaptureOptions o;
  o.blocks = false;
  ActivationCapture capture(model, o);
  torch::NoGradGuard noGrad;
  const CaptureResult r = capture.run(data.read(0, 1).inputs);
  std::map<std::string, LayerCost> out;
  for (const LayerInfo& l : model.summary().layers) {
    LayerCost c;
    const at::Tensor w = model.weight(l.name);
    c.weights = w.numel();
    // MACs = weight elements × output positions per output channel (conv: H×W; linear: rows).
    if (auto calls = r.layers.find(l.name); calls != r.layers.end())
      for (const CapturedCall& call : calls->second) c.macs += w.numel() * (call.output.numel() / w.size(0));
    out[l.name] = c;
  }
  return out;
}

BitAllocationModel::BitAllocationModel(const ImportanceTable& table, const std::map<std::string, LayerCost>& costs,
                                       int activationBits)
    : bits_(table.bits), activationBits_(activationBits) {
  for (const std::string& l : table.layers) {
    const auto c = costs.find(l);
    if (c == costs.end()) continue;
    layers_.push_back(l);
    costs_.push_back(c->second);
    importance_.push_back(table.values.at(l));
  }
  if (layers_.empty() || bits_.empty())
    throw Error(ErrorCode::InvalidArgument, "allocation needs importance for at least one layer and one width");
}

size_t BitAllocationModel::indexOf(const std::string& layer) const {
  const auto at = std::find(layers_.begin(), layers_.end(), layer);
  if (at == layers_.end()) throw Error(ErrorCode::UnknownLayer, "no importance for layer '" + layer + "'");
  return static_cast<size_t>(at - layers_.begin());
}

LayerCost BitAllocationModel::layerCost(const std::string& layer) const { return costs_[indexOf(layer)]; }

double BitAllocationModel::importance(const std::string& layer, int bits) const {
  return importanceAt(indexOf(layer), bits);
}

double BitAllocationModel::importanceAt(size_t layer, int bits) const {
  const std::map<int, double>& m = importance_[layer];
  if (auto e = m.find(bits); e != m.end()) return e->second;
  const auto hi = m.lower_bound(bits);
  if (hi == m.begin()) return hi->second;
  if (hi == m.end()) return std::prev(hi)->second;
  const auto lo = std::prev(hi);
  const double t = static_cast<double>(bits - lo->first) / static_cast<double>(hi->first - lo->first);
  return lo->second + t * (hi->second - lo->second);
}

int64_t BitAllocationModel::cost(size_t l, int bits, BudgetKind kind) const {
  switch (kind) {
    case BudgetKind::AverageBits:
      return costs_[l].weights * bits;
    case BudgetKind::Bytes:
      return (costs_[l].weights * bits + 7) / 8;
    case BudgetKind::Bops:
      return costs_[l].macs * bits * activationBits_;
  }
  return 0;
}

std::pair<int64_t, int64_t> BitAllocationModel::costRange(BudgetKind kind,
                                                          const std::vector<std::vector<int>>& options) const {
  int64_t least = 0, most = 0;
  for (size_t l = 0; l < layers_.size(); ++l) {
    int64_t lo = std::numeric_limits<int64_t>::max(), hi = 0;
    for (int b : options[l]) lo = std::min(lo, cost(l, b, kind)), hi = std::max(hi, cost(l, b, kind));
    least += lo;
    most += hi;
  }
  return {least, most};
}

AllocationTotals BitAllocationModel::totals(const std::map<std::string, int>& bits) const {
  AllocationTotals t;
  int64_t weightBits = 0, weights = 0;
  for (size_t l = 0; l < layers_.size(); ++l) {
    const auto b = bits.find(layers_[l]);
    const int w = b == bits.end() ? 8 : b->second;
    weightBits += costs_[l].weights * w;
    weights += costs_[l].weights;
    t.bytes += (costs_[l].weights * w + 7) / 8;
    t.bops += static_cast<double>(costs_[l].macs) * w * activationBits_;
    t.predictedLoss += importanceAt(l, w);
  }
  t.averageBits = weights ? static_cast<double>(weightBits) / static_cast<double>(weights) : 0;
  return t;
}

double BitAllocationModel::budgetOf(const AllocationTotals& t, BudgetKind kind) const {
  return kind == BudgetKind::AverageBits ? t.averageBits
         : kind == BudgetKind::Bytes     ? static_cast<double>(t.bytes)
                                         : t.bops;
}

std::vector<std::vector<int>> BitAllocationModel::choices(const std::map<std::string, int>& pinned) const {
  for (const auto& [layer, b] : pinned) {
    if (std::find(layers_.begin(), layers_.end(), layer) == layers_.end())
      throw Error(ErrorCode::UnknownLayer, "cannot pin unknown layer '" + layer + "'");
    if (b < 2 || b > 8) throw Error(ErrorCode::InvalidArgument, "pinned bits must be 2..8 (" + layer + ")");
  }
  std::vector<std::vector<int>> out;
  for (const std::string& l : layers_) {
    const auto p = pinned.find(l);
    out.push_back(p != pinned.end() ? std::vector<int>{p->second} : bits_);
  }
  return out;
}

Allocation BitAllocationModel::finish(std::map<std::string, int> bits) const {
  Allocation a;
  a.totals = totals(bits);
  a.bits = std::move(bits);
  return a;
}

namespace {

// Budget in integer cost units (weight bits, bytes or BOPs).
int64_t integerBudget(BudgetKind kind, double budget, int64_t totalWeights) {
  const double b = kind == BudgetKind::AverageBits ? budget * static_cast<double>(totalWeights) : budget;
  return static_cast<int64_t>(std::floor(b + 1e-9));
}

// The multiple-choice knapsack table: best[r] = least importance using exactly r units, and each
// layer's choice at each r for backtracking.
struct KnapsackTable {
  int64_t unit = 1;
  std::vector<double> best;
  std::vector<std::vector<int8_t>> choice;  // [layer][r], -1: unreachable
  std::vector<std::vector<int64_t>> units;  // [layer][choice]: discretised cost
};

constexpr double kInf = std::numeric_limits<double>::infinity();

}  // namespace

Allocation BitAllocationModel::allocate(BudgetKind kind, double budget, const std::map<std::string, int>& pinned,
                                        bool exact, int resolution) const {
  const auto options = choices(pinned);
  int64_t totalWeights = 0;
  for (const LayerCost& c : costs_) totalWeights += c.weights;
  const int64_t least = costRange(kind, options).first;
  const int64_t limit = integerBudget(kind, budget, totalWeights);
  if (least > limit)
    throw Error(ErrorCode::InvalidArgument,
                std::string("the ") + budgetKindName(kind) + " budget " + std::to_string(budget) +
                    " is below the smallest allocation's " +
                    std::to_string(kind == BudgetKind::AverageBits ? static_cast<double>(least) / totalWeights
                                                                   : static_cast<double>(least)));
  if (!exact) {
    std::vector<size_t> at(layers_.size(), 0);  // index into options (sorted ascending)
    std::vector<std::vector<int>> sorted = options;
    for (auto& o : sorted) std::sort(o.begin(), o.end());
    int64_t used = 0;
    for (size_t l = 0; l < layers_.size(); ++l) used += cost(l, sorted[l][0], kind);
    for (;;) {
      double bestGain = 0;
      size_t bestLayer = layers_.size();
      for (size_t l = 0; l < layers_.size(); ++l) {
        if (at[l] + 1 >= sorted[l].size()) continue;
        const int from = sorted[l][at[l]], to = sorted[l][at[l] + 1];
        const int64_t extra = cost(l, to, kind) - cost(l, from, kind);
        if (used + extra > limit) continue;
        const double gain =
            (importanceAt(l, from) - importanceAt(l, to)) / static_cast<double>(std::max<int64_t>(1, extra));
        if (gain > bestGain) bestGain = gain, bestLayer = l;
      }
      if (bestLayer == layers_.size()) break;
      used += cost(bestLayer, sorted[bestLayer][at[bestLayer] + 1], kind) -
              cost(bestLayer, sorted[bestLayer][at[bestLayer]], kind);
      ++at[bestLayer];
    }
    std::map<std::string, int> bits;
    for (size_t l = 0; l < layers_.size(); ++l) bits[layers_[l]] = sorted[l][at[l]];
    return finish(bits);
  }
  return solve(kind, options, {limit}, resolution).at(0);
}

std::vector<Allocation> BitAllocationModel::solve(BudgetKind kind, const std::vector<std::vector<int>>& options,
                                                  const std::vector<int64_t>& limits, int resolution) const {
  const int64_t largest = *std::max_element(limits.begin(), limits.end());
  KnapsackTable t;
  t.unit = std::max<int64_t>(1, (largest + resolution - 1) / std::max(1, resolution));
  const int64_t slots = largest / t.unit;
  t.best.assign(static_cast<size_t>(slots + 1), kInf);
  t.best[0] = 0;
  for (size_t l = 0; l < layers_.size(); ++l) {
    std::vector<int64_t> units;
    std::vector<double> value;
    for (int b : options[l]) {
      units.push_back((cost(l, b, kind) + t.unit - 1) / t.unit);  // rounded up: never over
      value.push_back(importanceAt(l, b));
    }
    std::vector<double> next(t.best.size(), kInf);
    std::vector<int8_t> choice(t.best.size(), -1);
    for (int64_t r = 0; r <= slots; ++r) {
      if (t.best[static_cast<size_t>(r)] == kInf) continue;
      for (size_t c = 0; c < units.size(); ++c) {
        const int64_t to = r + units[c];
        if (to > slots) continue;
        const double v = t.best[static_cast<size_t>(r)] + value[c];
        if (v < next[static_cast<size_t>(to)]) {
          next[static_cast<size_t>(to)] = v;
          choice[static_cast<size_t>(to)] = static_cast<int8_t>(c);
        }
      }
    }
    t.best = std::move(next);
    t.choice.push_back(std::move(choice));
    t.units.push_back(std::move(units));
  }
  std::vector<Allocation> out;
  for (int64_t limit : limits) {
    int64_t at = -1;
    for (int64_t r = 0; r <= std::min(slots, limit / t.unit); ++r)
      if (t.best[static_cast<size_t>(r)] < kInf &&
          (at < 0 || t.best[static_cast<size_t>(r)] < t.best[static_cast<size_t>(at)]))
        at = r;
    if (at < 0)
      throw Error(ErrorCode::InvalidArgument, "no allocation fits the budget at this resolution; raise the budget");
    std::map<std::string, int> bits;
    for (size_t l = layers_.size(); l-- > 0;) {
      const int c = t.choice[l][static_cast<size_t>(at)];
      bits[layers_[l]] = options[l][static_cast<size_t>(c)];
      at -= t.units[l][static_cast<size_t>(c)];
    }
    out.push_back(finish(bits));
  }
  return out;
}

std::vector<Allocation> BitAllocationModel::paretoFront(BudgetKind kind, int points,
                                                        const std::map<std::string, int>& pinned,
                                                        int resolution) const {
  const auto options = choices(pinned);
  const auto [least, most] = costRange(kind, options);
  std::vector<int64_t> limits;
  const int n = std::max(2, points);
  for (int i = 0; i < n; ++i)
    limits.push_back(least + static_cast<int64_t>(std::llround(static_cast<double>(most - least) * i / (n - 1))));
  // The smallest budget must fit once costs are rounded up to units.
  const int64_t unit = std::max<int64_t>(1, (most + resolution - 1) / std::max(1, resolution));
  for (int64_t& l : limits) l = std::max(l, least + unit * static_cast<int64_t>(layers_.size()));
  std::vector<Allocation> front;
  for (Allocation& a : solve(kind, options, limits, resolution))
    if (front.empty() || a.totals.predictedLoss < front.back().totals.predictedLoss) front.push_back(std::move(a));
  return front;
}

}  // namespace roundlab
