#include "engine/eval/Evaluation.h"
#include "engine/eval/LabelRange.h"

#include <chrono>

#include <torch/torch.h>

#include "engine/data/DataBatch.h"
#include "engine/data/Dataset.h"
#include "engine/model/Model.h"

namespace roundlab {

EvalReport evaluate(const Model& model, const Dataset& data, const EvalOptions& options) {
  const auto t0 = std::chrono::steady_clock::now();
  torch::NoGradGuard noGrad;
  EvalReport r;
  r.samples = data.info().samples;
  r.hasLabels = data.info().hasLabels;
  r.hasReference = options.reference != nullptr;
  const int64_t batch = std::max<int64_t>(1, options.batch);
  int64_t refCorrect = 0, agree = 0;
  double klSum = 0;
  for (int64_t begin = 0; begin < r.samples; begin += batch) {
    options.cancel.throwIfCancelled("evaluation");
    const int64_t count = std::min(batch, r.samples - begin);
    const DataBatch b = data.read(begin, count);
    const at::Tensor logits = model.forward(b.inputs).to(torch::kFloat);
    if (logits.dim() != 2 || logits.size(0) != count)
      throw Error(ErrorCode::InvalidArgument, "model output has shape " + formatShape(logits.sizes().vec()) +
                                                  "; evaluation expects N x classes logits");
    const at::Tensor pred = logits.argmax(1);
    if (r.hasLabels) {
      requireLabelsInRange(b.labels, logits.size(1), data.info().path);
      r.correct += pred.eq(b.labels).sum().item<int64_t>();
    }
    if (options.reference) {
      const at::Tensor ref = options.reference->forward(b.inputs).to(torch::kFloat);
      const at::Tensor refPred = ref.argmax(1);
      if (r.hasLabels) refCorrect += refPred.eq(b.labels).sum().item<int64_t>();
      agree += refPred.eq(pred).sum().item<int64_t>();
      const at::Tensor logP = torch::log_softmax(ref, 1), logQ = torch::log_softmax(logits, 1);
      klSum += (logP.exp() * (logP - logQ)).sum().item<double>();
    }
    if (options.progress) {
      const double done = static_cast<double>(begin + count) / static_cast<double>(r.samples);
      options.progress(
          {"evaluate", done, std::to_string(begin + count) + "/" + std::to_string(r.samples) + " samples", 0, false});
    }
  }
  if (r.samples > 0) {
    const double n = static_cast<double>(r.samples);
    r.top1 = 100.0 * static_cast<double>(r.correct) / n;
    r.referenceTop1 = 100.0 * static_cast<double>(refCorrect) / n;
    r.agreement = 100.0 * static_cast<double>(agree) / n;
    r.kl = klSum / n;
  }
  r.wallSeconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return r;
}

}  // namespace roundlab
