#pragma once
// Model evaluation. Classification (N x K logits, N labels): top-1 accuracy. Language modelling
// (N x T x V logits, N x T labels): mean cross-entropy per token, perplexity and next-token
// top-1. On any data: KL divergence and top-1 agreement against a reference model (usually the
// FP original), per sample or per token.
#include <cmath>
#include <cstdint>
#include <vector>

#include "engine/core/EnumTable.h"
#include "engine/core/Job.h"

namespace roundlab {

class Model;
class Dataset;

// Auto: told by the shapes (N x K logits: classification; N x T x V: language modelling).
enum class EvalTask { Auto, Classification, LanguageModel };
const EnumTable<EvalTask>& evalTaskTable();  // "auto" | "classification" | "language-model"

// The most bytes of logits one evaluation batch holds: `EvalOptions::batch` shrinks below it.
constexpr int64_t kEvalBatchBytes = int64_t(128) << 20;

struct EvalOptions {
  int64_t batch = 256;               // samples, fewer where their logits would exceed kEvalBatchBytes
  const Model* reference = nullptr;  // FP model for KL / agreement
  EvalTask task = EvalTask::Auto;
  ProgressFn progress;
  CancelToken cancel;
  // Keep each sample's KL and correctness (EvalReport::sampleKl, …): two models evaluated on the
  // same data then compare pairwise, with the noise of the difference (PairedDifference.h).
  bool perSample = false;
};

struct EvalReport {
  EvalTask task = EvalTask::Classification;  // the task evaluated (never Auto)
  int64_t samples = 0;                       // samples (sequences, for a language model)
  bool hasLabels = false;
  int64_t scored = 0;   // labelled positions scored: samples, or tokens whose label is not ignored
  int64_t correct = 0;  // of those, predicted right
  double top1 = 0;      // percent of scored, when labelled (next-token top-1 for a language model)
  // Language model: mean cross-entropy per scored token (nats); perplexity = exp(loss).
  double loss = 0;
  bool hasReference = false;
  double referenceTop1 = 0;  // percent, when labelled
  double referenceLoss = 0;  // language model, when labelled
  int64_t compared = 0;      // positions compared with the reference: samples, or every token
  double kl = 0;             // mean KL(p_reference || p_model) per compared position, nats
  double agreement = 0;      // percent of compared positions where both predict the same
  double wallSeconds = 0;
  // With EvalOptions::perSample, one entry per sample (a language model's sequence), in data
  // order: its KL summed over its compared positions (positionsPerSample each), its scored
  // positions and how many of them were predicted right. Per sample, not per token: a
  // sequence's tokens are not independent, and a long evaluation set stays small.
  std::vector<double> sampleKl;
  std::vector<int32_t> sampleScored, sampleCorrect;
  int64_t positionsPerSample = 1;

  bool languageModel() const { return task == EvalTask::LanguageModel; }
  double perplexity() const { return std::exp(loss); }
  double referencePerplexity() const { return std::exp(referenceLoss); }
};

// Throws InputShapeMismatch (data does not fit the model), DataShapeMismatch (labels outside
// the model's classes or vocabulary, labels that do not fit the output), Cancelled.
EvalReport evaluate(const Model& model, const Dataset& data, const EvalOptions& options = {});

}  // namespace roundlab
