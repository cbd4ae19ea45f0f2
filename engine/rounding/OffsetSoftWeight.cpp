#include "engine/rounding/OffsetSoftWeight.h"

#include <atomic>

#include <ATen/ExpandUtils.h>

namespace roundlab {

namespace {

std::atomic<bool>& fusedSwitch() {
  static std::atomic<bool> fused{true};
  return fused;
}

struct OffsetSoftWeightNode : torch::autograd::Function<OffsetSoftWeightNode> {
  static at::Tensor forward(torch::autograd::AutogradContext* ctx, const at::Tensor& offset, const at::Tensor& logStep,
                            const OffsetConstants* c) {
    const at::Tensor rounded = (c->scaled + offset).round();
    at::Tensor code = rounded, pass = c->selected;
    if (!c->freeIntegers) {
      const at::Tensor ceil = c->floor + 1;
      code = at::clamp(rounded, c->floor, ceil);
      pass = pass & rounded.ge(c->floor) & rounded.le(ceil);
    }
    code = at::where(c->selected, code, c->fallback) + c->zeroPoint;
    pass = pass & code.ge(c->qmin) & code.le(c->qmax);  // clamp passes the gradient on its bounds
    const at::Tensor level = code.clamp(c->qmin, c->qmax) - c->zeroPoint;
    const at::Tensor step = c->scale * logStep.exp();
    // The composed form's straight-through gradient is halved inside {floor, floor + 1}: there the
    // rounded code ties with one of the bounds of at::maximum / at::minimum, whose backward splits
    // a tie's gradient between both arguments.
    const double straightThrough = c->freeIntegers ? 1.0 : 0.5;
    ctx->saved_data["straight_through"] = straightThrough;
    ctx->saved_data["log_step_shape"] = logStep.sizes().vec();  // what its gradient sums to
    ctx->save_for_backward({pass, level, step});
    return level * step;
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grads) {
    const auto saved = ctx->get_saved_variables();
    const at::Tensor &pass = saved[0], &level = saved[1], &step = saved[2];
    const at::Tensor& grad = grads[0];
    const double straightThrough = ctx->saved_data["straight_through"].toDouble();
    at::Tensor gradOffset, gradLogStep;
    if (ctx->needs_input_grad(0)) gradOffset = grad * step * pass.to(grad.scalar_type()) * straightThrough;
    if (ctx->needs_input_grad(1))
      gradLogStep = at::sum_to(grad * level * step, ctx->saved_data["log_step_shape"].toIntVector());
    return {gradOffset, gradLogStep, at::Tensor()};
  }
};

}  // namespace

at::Tensor offsetSoftWeight(const at::Tensor& offset, const at::Tensor& logStep, const OffsetConstants& constants) {
  return OffsetSoftWeightNode::apply(offset, logStep, &constants);
}

void setOffsetSoftWeightFused(bool fused) { fusedSwitch() = fused; }
bool offsetSoftWeightFused() { return fusedSwitch(); }

}  // namespace roundlab
