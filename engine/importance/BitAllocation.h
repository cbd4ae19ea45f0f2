#pragma once
// Mixed-precision allocation from importance (algorithms.md §4): choose a bit-width per layer
// minimising the predicted loss Σ_l I_l(b_l) under a budget on average weight bits, weight bytes
// or bit-operations (BOPs = Σ_l MACs_l · b_l · activation bits).
//
// Exact: dynamic programming over the budget discretised into `resolution` integer units
// (multiple-choice knapsack); costs are rounded up to whole units, so an allocation never
// exceeds its budget, and with costs below `resolution` units the result is the exact optimum.
// Greedy: from the smallest widths, repeatedly take the upgrade with the largest loss reduction
// per extra cost that still fits. One DP table answers every budget up to the largest, so the
// Pareto front (predicted loss against size) comes from one pass and is monotone.
//
// BitAllocationModel holds only numbers (importance table, per-layer weights and MACs): the
// interactive estimate of an edited allocation never touches the model.
#include <map>
#include <string>
#include <vector>

#include "engine/core/Job.h"
#include "engine/importance/Importance.h"

namespace roundlab {

class Model;
class Dataset;

enum class BudgetKind { AverageBits, Bytes, Bops };
const EnumTable<BudgetKind>& budgetKindTable();  // "avg-bits" | "bytes" | "bops"
inline const char* budgetKindName(BudgetKind k) { return budgetKindTable().name(k); }

struct LayerCost {
  int64_t weights = 0;  // weight elements
  int64_t macs = 0;     // multiply-accumulates per sample
};

// Weights and per-sample MACs of every quantizable layer, from one sample of `data`.
std::map<std::string, LayerCost> layerCosts(const Model& model, const Dataset& data);

struct AllocationTotals {
  double averageBits = 0;  // weight bits / weights
  int64_t bytes = 0;       // Σ ceil(weights · bits / 8)
  double bops = 0;         // Σ MACs · weight bits · activation bits, per sample
  double predictedLoss = 0;
};

struct Allocation {
  std::map<std::string, int> bits;
  AllocationTotals totals;
};

class BitAllocationModel {
 public:
  // Layers are those of the table that have costs; activationBits enters BOPs only.
  BitAllocationModel(const ImportanceTable& importance, const std::map<std::string, LayerCost>& costs,
                     int activationBits = 8);

  const std::vector<std::string>& layers() const { return layers_; }
  const std::vector<int>& bitChoices() const { return bits_; }
  LayerCost layerCost(const std::string& layer) const;  // throws UnknownLayer
  // Importance of a layer at any width 2..8: the table's value, linear between the table's widths.
  double importance(const std::string& layer, int bits) const;
  // The interactive estimate: totals of an allocation (layers missing from `bits` count at 8).
  AllocationTotals totals(const std::map<std::string, int>& bits) const;
  // The budget an allocation uses, in the kind's unit (average bits, bytes, BOPs).
  double budgetOf(const AllocationTotals& t, BudgetKind kind) const;

  // Throws InvalidArgument when even the smallest widths (with the pins) exceed the budget.
  Allocation allocate(BudgetKind kind, double budget, const std::map<std::string, int>& pinned = {}, bool exact = true,
                      int resolution = 4096) const;
  // Optimal allocations at `points` budgets from the smallest to the largest possible, dominated
  // points dropped: predicted loss strictly falls as the budget grows.
  std::vector<Allocation> paretoFront(BudgetKind kind, int points = 25, const std::map<std::string, int>& pinned = {},
                                      int resolution = 4096) const;

 private:
  int64_t cost(size_t layer, int bits, BudgetKind kind) const;  // integer: weight bits or BOPs
  double importanceAt(size_t layer, int bits) const;
  size_t indexOf(const std::string& layer) const;  // throws UnknownLayer
  // The smallest and largest total cost the options allow.
  std::pair<int64_t, int64_t> costRange(BudgetKind kind, const std::vector<std::vector<int>>& options) const;
  std::vector<std::vector<int>> choices(const std::map<std::string, int>& pinned) const;
  Allocation finish(std::map<std::string, int> bits) const;
  // Exact allocations for several budgets (integer units) from one knapsack table.
  std::vector<Allocation> solve(BudgetKind kind, const std::vector<std::vector<int>>& options,
                                const std::vector<int64_t>& limits, int resolution) const;

  std::vector<std::string> layers_;
  std::vector<int> bits_;
  std::vector<LayerCost> costs_;
  std::vector<std::map<int, double>> importance_;
  int activationBits_;
};

}  // namespace roundlab
