#include "engine/data/AugmentedDataset.h"

#include <sstream>

#include <torch/torch.h>

#include "engine/core/Error.h"
#include "engine/data/DataBatch.h"

namespace roundlab {

namespace {

class AugmentedDataset : public Dataset {
 public:
  AugmentedDataset(std::shared_ptr<const Dataset> base, Augmentation a, uint64_t seed)
      : base_(std::move(base)), a_(a), seed_(seed) {}
  const DatasetInfo& info() const override { return base_->info(); }
  DataBatch read(int64_t begin, int64_t count) const override {
    std::vector<int64_t> idx(static_cast<size_t>(count));
    for (int64_t i = 0; i < count; ++i) idx[static_cast<size_t>(i)] = begin + i;
    return readIndices(idx);
  }
  DataBatch readIndices(const std::vector<int64_t>& indices) const override {
    DataBatch b = base_->readIndices(indices);
    at::Tensor x = b.inputs.clone();
    const int64_t n = info().samples;
    for (size_t k = 0; k < indices.size(); ++k) {
      const int64_t i = indices[k];
      auto gen = at::detail::createCPUGenerator(seed_ * 0x9E3779B97F4A7C15ull + static_cast<uint64_t>(i) + 1);
      at::Tensor xi = x[static_cast<int64_t>(k)];
      const bool image = xi.dim() == 3;
      if (a_.flip && image && at::rand({1}, gen).item<float>() < 0.5f) xi.copy_(xi.flip({2}));
      if (a_.crop && image) {
        const at::Tensor shift = at::randint(-2, 3, {2}, gen);
        const int64_t dy = shift[0].item<int64_t>(), dx = shift[1].item<int64_t>();
        const int64_t h = xi.size(1), w = xi.size(2);
        at::Tensor padded = at::constant_pad_nd(xi, {2, 2, 2, 2}, 0);
        xi.copy_(padded.slice(1, 2 + dy, 2 + dy + h).slice(2, 2 + dx, 2 + dx + w));
      }
      if (a_.mix) {
        const at::Tensor other = base_->readIndices({(i + 1) % n}).inputs[0];
        const double lambda = 0.6 + 0.4 * at::rand({1}, gen).item<double>();
        xi.mul_(lambda).add_(other * (1 - lambda));
      }
      if (a_.noise) xi.add_(at::randn(xi.sizes(), gen) * 0.1);
    }
    b.inputs = x;
    return b;
  }

 private:
  std::shared_ptr<const Dataset> base_;
  Augmentation a_;
  uint64_t seed_;
};

}  // namespace

Augmentation parseAugmentation(const std::string& text) {
  Augmentation a;
  if (text.empty() || text == "none") return a;
  std::string part;
  std::istringstream in(text);
  while (std::getline(in, part, '+')) {
    std::istringstream inner(part);
    std::string p;
    while (std::getline(inner, p, ',')) {
      if (p == "flip")
        a.flip = true;
      else if (p == "crop")
        a.crop = true;
      else if (p == "noise")
        a.noise = true;
      else if (p == "mix")
        a.mix = true;
      else
        throw Error(ErrorCode::InvalidArgument, "augmentation '" + p + "' unknown (none, flip, crop, noise, mix)");
    }
  }
  return a;
}

std::string augmentationName(const Augmentation& a) {
  std::string s;
  for (const auto& [on, name] :
       {std::pair<bool, const char*>{a.flip, "flip"}, {a.crop, "crop"}, {a.noise, "noise"}, {a.mix, "mix"}})
    if (on) s += (s.empty() ? "" : "+") + std::string(name);
  return s.empty() ? "none" : s;
}

std::unique_ptr<Dataset> augmentedDataset(std::shared_ptr<const Dataset> base, const Augmentation& augmentation,
                                          uint64_t seed) {
  if (base->info().tokenIds && augmentation.any())
    throw Error(ErrorCode::InvalidArgument, base->info().path +
                                                " holds token ids; augmentation (flips, crops, noise, mixing) applies "
                                                "to images and float inputs only: use --augment none");
  return std::make_unique<AugmentedDataset>(std::move(base), augmentation, seed);
}

}  // namespace roundlab
