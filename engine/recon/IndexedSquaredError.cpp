#include "engine/recon/IndexedSquaredError.h"

#include <ATen/Parallel.h>

#include "engine/rounding/ReconstructionKernels.h"
#include "engine/rounding/RoundingVariable.h"

namespace roundlab {

namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

class IndexedSquaredError : public torch::autograd::Function<IndexedSquaredError> {
 public:
  // scale * sum_r |prediction[r] - targets[index[r]]|^2, its gradient 2 scale (prediction - target)
  static at::Tensor forward(AutogradContext* ctx, const at::Tensor& prediction, const at::Tensor& targets,
                            const at::Tensor& index, double scale) {
    const at::Tensor p = prediction.contiguous();
    at::Tensor grad = at::empty_like(p);
    const int64_t rows = p.size(0), row = rows ? p.numel() / rows : 0;
    const float* pp = p.data_ptr<float>();
    const float* pt = targets.data_ptr<float>();
    const int64_t* pi = index.data_ptr<int64_t>();
    float* pg = grad.data_ptr<float>();
    const float twoScale = static_cast<float>(2 * scale);
    for (int64_t r = 0; r < rows; ++r)
      TORCH_CHECK(pi[r] >= 0 && pi[r] < targets.size(0), "target row ", pi[r], " out of range");
    std::vector<double> rowSums(static_cast<size_t>(rows));
    at::parallel_for(0, rows, 1, [&](int64_t begin, int64_t end) {
      for (int64_t r = begin; r < end; ++r)
        rowSums[static_cast<size_t>(r)] = squaredErrorRow(pp + r * row, pt + pi[r] * row, twoScale, pg + r * row, row);
    });
    double total = 0;
    for (double s : rowSums) total += s;
    ctx->save_for_backward({grad});
    return at::scalar_tensor(scale * total, at::kFloat);
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    const at::Tensor grad = ctx->get_saved_variables()[0];
    // The reconstruction loss is the root (upstream gradient 1) unless an output term is added.
    const bool unit = grads[0].item<float>() == 1.0f;
    return {unit ? grad : grads[0] * grad, at::Tensor(), at::Tensor(), at::Tensor()};
  }
};

}  // namespace

at::Tensor indexedReconstructionLoss(const at::Tensor& prediction, const at::Tensor& targets, const at::Tensor& index) {
  const bool direct = prediction.scalar_type() == at::kFloat && targets.scalar_type() == at::kFloat &&
                      targets.is_contiguous() && index.scalar_type() == at::kLong && index.dim() == 1 &&
                      prediction.dim() >= 1 && prediction.size(0) == index.size(0) &&
                      prediction.sizes().slice(1) == targets.sizes().slice(1) && index.is_contiguous();
  if (!direct) return reconstructionLoss(prediction, targets.index_select(0, index));
  // reconstructionLoss: the total over numel / size(1)
  const double n =
      static_cast<double>(prediction.numel()) / static_cast<double>(prediction.dim() > 1 ? prediction.size(1) : 1);
  return IndexedSquaredError::apply(prediction, targets, index, 1.0 / n);
}

}  // namespace roundlab
