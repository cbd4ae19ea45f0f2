#include "engine/rounding/RectifiedSigmoidRounding.h"

#include <ATen/Parallel.h>

#include "engine/rounding/ReconstructionKernels.h"

namespace roundlab {

namespace {

constexpr int64_t kGrain = 1 << 15;

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

// Computes its derivative in the forward loop (a backward always follows while optimising), so
// the backward is one multiplication.
class Regularizer : public torch::autograd::Function<Regularizer> {
 public:
  static at::Tensor forward(AutogradContext* ctx, const at::Tensor& v, const RoundingConstants* c, double beta) {
    const at::Tensor vc = v.contiguous();
    at::Tensor derivative = at::empty_like(vc);
    const float* pv = vc.data_ptr<float>();
    const float* mask = c->mask.data_ptr<float>();
    float* pd = derivative.data_ptr<float>();
    const float b = static_cast<float>(beta);
    const double sum = at::parallel_reduce(
        0, vc.numel(), kGrain, 0.0,
        [&](int64_t begin, int64_t end, double acc) {
          return acc + rectifiedSigmoidRegularizer(pv, mask, b, pd, begin, end);
        },
        std::plus<double>());
    ctx->save_for_backward({derivative});
    return at::scalar_tensor(sum, at::kFloat);
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    return {grads[0] * ctx->get_saved_variables()[0], at::Tensor(), at::Tensor()};
  }
};

}  // namespace

at::Tensor rectifiedSigmoidRegularizer(const at::Tensor& v, const RoundingConstants& c, double beta) {
  return Regularizer::apply(v, &c, beta);
}

}  // namespace roundlab
