#include "engine/workspace/RunRecord.h"

namespace roundlab {

const LayerOutcome* RunRecord::outcome(const std::string& layer) const {
  for (const LayerOutcome& o : result.layers)
    if (o.layer == layer) return &o;
  return nullptr;
}

std::string RunRecord::label() const {
  return "#" + std::to_string(number) + " " + (name.empty() ? settingsLabel() : name);
}

std::string RunRecord::settingsLabel() const {
  const QuantizationRequest& q = result.request;
  std::string s = std::string(quantMethodName(q.method)) + " ";
  s += q.bits.empty() ? "W" + std::to_string(q.weights.bits) : std::string("mixed W/");
  s += q.activations.enabled() ? "A" + std::to_string(q.activations.bits) : std::string("A32");
  if (!result.tables.empty()) s += " E" + std::to_string(q.embeddingBits);  // embedding tables per row
  return s;
}

RunComparison compareRuns(const RunRecord& a, const RunRecord& b) {
  RunComparison c{a.label(), b.label(), a.top1(), b.top1(), {}};
  auto fill = [](LayerDelta& d, const LayerOutcome& o, bool first) {
    (first ? d.hasA : d.hasB) = true;
    (first ? d.bitsA : d.bitsB) = o.bits;
    (first ? d.sqnrA : d.sqnrB) = o.sqnrDb;
    (first ? d.flipRateA : d.flipRateB) = o.flipRate;
    (first ? d.lossA : d.lossB) = o.lossAfter;
  };
  for (const LayerOutcome& o : a.result.layers) {
    LayerDelta d;
    d.layer = o.layer;
    fill(d, o, true);
    if (const LayerOutcome* ob = b.outcome(o.layer)) {
      fill(d, *ob, false);
      // Both exact (+inf dB): no difference.
      d.sqnrDelta = d.sqnrA == d.sqnrB ? 0.0 : d.sqnrB - d.sqnrA;
    }
    c.layers.push_back(d);
  }
  for (const LayerOutcome& o : b.result.layers)
    if (!a.outcome(o.layer)) {
      LayerDelta d;
      d.layer = o.layer;
      fill(d, o, false);
      c.layers.push_back(d);
    }
  return c;
}

}  // namespace roundlab
