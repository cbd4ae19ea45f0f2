#include "engine/eval/Evaluation.h"
#include "engine/eval/LabelRange.h"

#include <algorithm>
#include <chrono>

#include <torch/torch.h>

#include "engine/core/Error.h"
#include "engine/core/Shape.h"
#include "engine/data/DataBatch.h"
#include "engine/data/Dataset.h"
#include "engine/model/Model.h"

namespace roundlab {

const EnumTable<EvalTask>& evalTaskTable() {
  static const EnumTable<EvalTask> t{
      "task",
      {{EvalTask::Auto, "auto", "told by the shapes: N x K logits classify, N x T x V logits model language"},
       {EvalTask::Classification, "classification", "top-1 accuracy of N x K logits against N labels"},
       {EvalTask::LanguageModel, "language-model",
        "cross-entropy, perplexity and next-token top-1 of N x T x V logits against N x T labels"}}};
  return t;
}

namespace {

EvalTask taskOf(const at::Tensor& logits, int64_t count, EvalTask asked, const std::string& dataPath) {
  const EvalTask task = asked != EvalTask::Auto ? asked
                        : logits.dim() == 3     ? EvalTask::LanguageModel
                                                : EvalTask::Classification;
  const int64_t dims = task == EvalTask::LanguageModel ? 3 : 2;
  if (logits.dim() != dims || logits.size(0) != count)
    throw Error(ErrorCode::InvalidArgument, "model output has shape " + formatShape(logits.sizes().vec()) + " for " +
                                                std::to_string(count) + " samples of " + dataPath + "; " +
                                                evalTaskTable().name(task) + " evaluation expects " +
                                                (dims == 3 ? "N x T x vocabulary logits" : "N x classes logits"));
  return task;
}

}  // namespace

EvalReport evaluate(const Model& model, const Dataset& data, const EvalOptions& options) {
  const auto t0 = std::chrono::steady_clock::now();
  torch::NoGradGuard noGrad;
  EvalReport r;
  r.samples = data.info().samples;
  r.hasLabels = data.info().hasLabels;
  r.hasReference = options.reference != nullptr;
  int64_t batch = std::max<int64_t>(1, options.batch);
  if (batch > 1 && r.samples > 1) {
    // A language model's logits are large (128 sequences x 256 tokens x 8192 ids: 1 GB, and the
    // KL holds several such): a one-sample probe bounds a batch's logits to kEvalBatchBytes.
    // Classifiers keep the batch asked for.
    const int64_t perSample = model.forward(data.read(0, 1).inputs).numel() * int64_t(sizeof(float));
    batch = std::clamp<int64_t>(kEvalBatchBytes / std::max<int64_t>(1, perSample), 1, batch);
  }
  int64_t refCorrect = 0, agree = 0;
  double klSum = 0, lossSum = 0, refLossSum = 0;
  for (int64_t begin = 0; begin < r.samples; begin += batch) {
    options.cancel.throwIfCancelled("evaluation");
    const int64_t count = std::min(batch, r.samples - begin);
    const DataBatch b = data.read(begin, count);
    const at::Tensor logits = model.forward(b.inputs).to(torch::kFloat);
    r.task = taskOf(logits, count, options.task, data.info().path);
    const at::Tensor logQ = torch::log_softmax(logits, -1);
    const at::Tensor pred = logits.argmax(-1);
    at::Tensor scored;  // labels that count, where labelled
    if (r.hasLabels) {
      requireLabelsFit(b.labels, logits, data.info().path);
      scored = b.labels.ne(kIgnoredLabel);
      r.scored += scored.sum().item<int64_t>();
      r.correct += pred.eq(b.labels).logical_and(scored).sum().item<int64_t>();
      if (options.perSample) {
        const auto perSample = [](const at::Tensor& t) {  // [count] or [count, T] -> [count] int32
          const at::Tensor s = (t.dim() > 1 ? t.sum(1) : t).to(at::kInt).contiguous();
          return std::vector<int32_t>(s.data_ptr<int32_t>(), s.data_ptr<int32_t>() + s.numel());
        };
        const std::vector<int32_t> right = perSample(pred.eq(b.labels).logical_and(scored)), all = perSample(scored);
        r.sampleCorrect.insert(r.sampleCorrect.end(), right.begin(), right.end());
        r.sampleScored.insert(r.sampleScored.end(), all.begin(), all.end());
      }
    }
    // Cross-entropy of the scored positions (ignored labels gather a valid index, then count 0).
    const auto crossEntropy = [&](const at::Tensor& logProbs) {
      const at::Tensor nll = -logProbs.gather(-1, b.labels.clamp_min(0).unsqueeze(-1)).squeeze(-1);
      return nll.to(at::kDouble).mul(scored).sum().item<double>();
    };
    if (r.hasLabels && r.languageModel()) lossSum += crossEntropy(logQ);
    if (options.reference) {
      const at::Tensor ref = options.reference->forward(b.inputs).to(torch::kFloat);
      if (ref.sizes() != logits.sizes())
        throw Error(ErrorCode::InvalidArgument, "the reference model's output has shape " +
                                                    formatShape(ref.sizes().vec()) + ", the model's " +
                                                    formatShape(logits.sizes().vec()));
      const at::Tensor refPred = ref.argmax(-1);
      const at::Tensor logP = torch::log_softmax(ref, -1);
      if (r.hasLabels) {
        refCorrect += refPred.eq(b.labels).logical_and(scored).sum().item<int64_t>();
        if (r.languageModel()) refLossSum += crossEntropy(logP);
      }
      agree += refPred.eq(pred).sum().item<int64_t>();
      r.compared += pred.numel();
      const at::Tensor klTerms = logP.exp() * (logP - logQ);
      klSum += klTerms.sum().item<double>();
      if (options.perSample) {
        at::Tensor each = klTerms.sum(-1).to(at::kDouble);  // per position
        if (each.dim() > 1) each = each.sum(1);             // per sequence
        each = each.contiguous();
        r.sampleKl.insert(r.sampleKl.end(), each.data_ptr<double>(), each.data_ptr<double>() + each.numel());
        r.positionsPerSample = pred.numel() / count;
      }
    }
    if (options.progress) {
      const double done = static_cast<double>(begin + count) / static_cast<double>(r.samples);
      options.progress(
          {"evaluate", done, std::to_string(begin + count) + "/" + std::to_string(r.samples) + " samples", 0, false});
    }
  }
  if (r.hasLabels && r.languageModel() && r.scored == 0)
    throw Error(ErrorCode::DataShapeMismatch,
                data.info().path +
                    ": no position has a label to score (every label is -100, or sequences of one "
                    "token whose next-token labels are derived); perplexity needs scored tokens");
  if (r.scored > 0) {
    const double n = static_cast<double>(r.scored);
    r.top1 = 100.0 * static_cast<double>(r.correct) / n;
    r.referenceTop1 = 100.0 * static_cast<double>(refCorrect) / n;
    r.loss = lossSum / n;
    r.referenceLoss = refLossSum / n;
  }
  if (r.compared > 0) {
    const double n = static_cast<double>(r.compared);
    r.agreement = 100.0 * static_cast<double>(agree) / n;
    r.kl = klSum / n;
  }
  r.wallSeconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return r;
}

}  // namespace roundlab
