#include "engine/eval/LayerComparison.h"

#include <cmath>
#include <limits>
#include <map>

#include "engine/capture/ActivationCapture.h"
#include "engine/data/DataBatch.h"
#include "engine/data/Dataset.h"

namespace roundlab {

std::vector<LayerComparison> compareLayerOutputs(const Model& reference, const Model& other, const Dataset& data,
                                                 const CompareOptions& options) {
  const auto& layers = reference.summary().layers;
  if (other.summary().layers.size() != layers.size())
    throw Error(ErrorCode::InvalidArgument, "models " + reference.path() + " and " + other.path() +
                                                " have different layers; per-layer comparison needs one architecture");
  CaptureOptions co;
  co.blocks = false;
  ActivationCapture capRef(reference, co), capOther(other, co);
  struct Acc {
    double err = 0, sig = 0, oth = 0, dot = 0;
    int64_t n = 0;
  };
  std::map<std::string, Acc> acc;
  const int64_t total =
      options.maxSamples > 0 ? std::min(options.maxSamples, data.info().samples) : data.info().samples;
  const int64_t batch = std::max<int64_t>(1, options.batch);
  for (int64_t begin = 0; begin < total; begin += batch) {
    options.cancel.throwIfCancelled("layer comparison");
    const int64_t count = std::min(batch, total - begin);
    const at::Tensor x = data.read(begin, count).inputs;
    const CaptureResult a = capRef.run(x), b = capOther.run(x);
    for (const LayerInfo& l : layers) {
      auto ia = a.layers.find(l.name), ib = b.layers.find(l.name);
      if (ia == a.layers.end() || ib == b.layers.end()) continue;
      Acc& s = acc[l.name];
      for (size_t k = 0; k < std::min(ia->second.size(), ib->second.size()); ++k) {
        const at::Tensor r = ia->second[k].output.to(at::kDouble), o = ib->second[k].output.to(at::kDouble);
        s.err += (r - o).pow(2).sum().item<double>();
        s.sig += r.pow(2).sum().item<double>();
        s.oth += o.pow(2).sum().item<double>();
        s.dot += (r * o).sum().item<double>();
        s.n += r.numel();
      }
    }
    if (options.progress)
      options.progress({"compare", static_cast<double>(begin + count) / static_cast<double>(total), "", 0, false});
  }
  std::vector<LayerComparison> out;
  for (const LayerInfo& l : layers) {
    const Acc& s = acc[l.name];
    LayerComparison c;
    c.layer = l.name;
    c.elements = s.n;
    c.mse = s.n ? s.err / static_cast<double>(s.n) : 0;
    c.sqnrDb = s.err > 0 ? 10.0 * std::log10(s.sig / s.err) : std::numeric_limits<double>::infinity();
    c.cosine = (s.sig > 0 && s.oth > 0) ? s.dot / std::sqrt(s.sig * s.oth) : 0;
    out.push_back(c);
  }
  return out;
}

}  // namespace roundlab
