#include "engine/pipeline/RequestFields.h"

#include <charconv>

#include "engine/core/Error.h"

namespace roundlab {

namespace {

int64_t integer(const FieldValue& v) {
  if (const auto* i = std::get_if<int64_t>(&v)) return *i;
  throw Error(ErrorCode::InvalidArgument, "expected an integer");
}

double real(const FieldValue& v) {
  if (const auto* d = std::get_if<double>(&v)) return *d;
  if (const auto* i = std::get_if<int64_t>(&v)) return static_cast<double>(*i);
  throw Error(ErrorCode::InvalidArgument, "expected a number");
}

const std::string& text(const FieldValue& v) {
  if (const auto* s = std::get_if<std::string>(&v)) return *s;
  throw Error(ErrorCode::InvalidArgument, "expected a name");
}

}  // namespace

// Each field: its key, how it reads from a request, how it writes into one.
#define ROUNDLAB_INT_FIELD(key, member, type, optional)                                                         \
  RequestField {                                                                                                \
    key, [](const QuantizationRequest& r) -> FieldValue { return static_cast<int64_t>(r.member); },             \
        [](QuantizationRequest& r, const FieldValue& v) { r.member = static_cast<type>(integer(v)); }, optional \
  }
#define ROUNDLAB_REAL_FIELD(key, member, optional)                                        \
  RequestField {                                                                          \
    key, [](const QuantizationRequest& r) -> FieldValue { return r.member; },             \
        [](QuantizationRequest& r, const FieldValue& v) { r.member = real(v); }, optional \
  }
#define ROUNDLAB_NAME_FIELD(key, member, name, parse)                                            \
  RequestField {                                                                                 \
    key, [](const QuantizationRequest& r) -> FieldValue { return std::string(name(r.member)); }, \
        [](QuantizationRequest& r, const FieldValue& v) { r.member = parse(text(v)); }, false    \
  }

const std::vector<RequestField>& requestFields() {
  static const std::vector<RequestField> fields{
      ROUNDLAB_NAME_FIELD("method", method, quantMethodName, parseQuantMethod),
      ROUNDLAB_INT_FIELD("wbits", weights.bits, int, false),
      ROUNDLAB_INT_FIELD("symmetric", weights.symmetric, bool, false),
      ROUNDLAB_NAME_FIELD("granularity", weights.granularity, granularityName, parseGranularity),
      ROUNDLAB_INT_FIELD("group_size", weights.groupSize, int64_t, false),
      ROUNDLAB_NAME_FIELD("range_init", weights.rangeInit, rangeInitName, parseRangeInit),
      ROUNDLAB_REAL_FIELD("lp_norm", weights.lpNorm, false),
      ROUNDLAB_INT_FIELD("range_candidates", weights.rangeCandidates, int, false),
      ROUNDLAB_NAME_FIELD("grid", weights.grid, gridKindName, parseGridKind),
      ROUNDLAB_REAL_FIELD("exponent", weights.exponent, false),
      ROUNDLAB_INT_FIELD("first_last_8bit", firstLastEightBit, bool, false),
      ROUNDLAB_INT_FIELD("iterations", adaround.iterations, int, false),
      ROUNDLAB_INT_FIELD("batch", adaround.batch, int64_t, false),
      ROUNDLAB_REAL_FIELD("learning_rate", adaround.learningRate, false),
      ROUNDLAB_REAL_FIELD("lambda", adaround.lambda, false),
      ROUNDLAB_REAL_FIELD("warmup", adaround.warmup, false),
      ROUNDLAB_REAL_FIELD("beta_start", adaround.betaStart, false),
      ROUNDLAB_REAL_FIELD("beta_end", adaround.betaEnd, false),
      ROUNDLAB_INT_FIELD("cosine_beta", adaround.cosineBeta, bool, false),
      ROUNDLAB_INT_FIELD("relu_after", adaround.reluAfter, bool, false),
      ROUNDLAB_INT_FIELD("curve_points", adaround.curvePoints, int, false),
      ROUNDLAB_NAME_FIELD("optimizer", adaround.optimizer, optimizerName, parseOptimizer),
      ROUNDLAB_REAL_FIELD("momentum", adaround.momentum, false),
      ROUNDLAB_INT_FIELD("cosine_lr", adaround.cosineLr, bool, false),
      ROUNDLAB_NAME_FIELD("variable", adaround.variable, variableName, parseVariable),
      ROUNDLAB_NAME_FIELD("freedom", adaround.freedom, freedomName, parseFreedom),
      ROUNDLAB_NAME_FIELD("selection", adaround.selection, selectionName, parseSelection),
      ROUNDLAB_REAL_FIELD("select_fraction", adaround.selectFraction, false),
      ROUNDLAB_NAME_FIELD("input", input, reconInputName, parseReconInput),
      ROUNDLAB_NAME_FIELD("block_loss", blockLoss, blockLossName, parseBlockLoss),
      ROUNDLAB_INT_FIELD("calibration_count", calibrationCount, int64_t, false),
      ROUNDLAB_NAME_FIELD("augmentation", augmentation, augmentationName, parseAugmentation),
      ROUNDLAB_INT_FIELD("capture_batch", captureBatch, int64_t, false),
      ROUNDLAB_INT_FIELD("seed", seed, uint64_t, false),
      // Sessions written before activation quantization and the output-level term have none.
      ROUNDLAB_INT_FIELD("abits", activations.bits, int, true),
      ROUNDLAB_REAL_FIELD("qdrop_probability", activations.dropProbability, true),
      ROUNDLAB_REAL_FIELD("act_learning_rate", activations.learningRate, true),
      ROUNDLAB_REAL_FIELD("act_lp_norm", activations.lpNorm, true),
      ROUNDLAB_REAL_FIELD("output_kl_weight", outputKlWeight, true),
      ROUNDLAB_REAL_FIELD("kl_temperature", klTemperature, true),
      ROUNDLAB_REAL_FIELD("gptq_damping", gptqDamping, true),
      ROUNDLAB_INT_FIELD("gptq_act_order", gptqActOrder, bool, true),
      ROUNDLAB_INT_FIELD("embedding_bits", embeddingBits, int, true),
      ROUNDLAB_INT_FIELD("stop_when_settled", adaround.stopWhenSettled, bool, true),
      ROUNDLAB_INT_FIELD("target_after_activation", adaround.targetAfterActivation, bool, true),
  };
  return fields;
}

#undef ROUNDLAB_INT_FIELD
#undef ROUNDLAB_REAL_FIELD
#undef ROUNDLAB_NAME_FIELD

std::map<std::string, std::string> requestToText(const QuantizationRequest& request) {
  std::map<std::string, std::string> out;
  for (const RequestField& f : requestFields()) {
    const FieldValue v = f.get(request);
    if (const auto* i = std::get_if<int64_t>(&v)) {
      out[f.key] = std::to_string(*i);
    } else if (const auto* d = std::get_if<double>(&v)) {
      // The shortest text that reads back as the same double, in no locale ("0.001", never "0,001").
      char buffer[64];
      const auto end = std::to_chars(buffer, buffer + sizeof buffer, *d).ptr;
      out[f.key] = std::string(buffer, end);
    } else {
      out[f.key] = std::get<std::string>(v);
    }
  }
  return out;
}

QuantizationRequest requestFromText(const std::map<std::string, std::string>& fields, QuantizationRequest base) {
  for (const RequestField& f : requestFields()) {
    const auto it = fields.find(f.key);
    if (it == fields.end()) continue;
    const std::string& t = it->second;
    try {
      // The field's own type decides how its text reads.
      const FieldValue kind = f.get(base);
      const char *first = t.data(), *last = t.data() + t.size();
      if (std::holds_alternative<int64_t>(kind)) {
        int64_t v = 0;
        const auto [end, error] = std::from_chars(first, last, v);
        if (t.empty() || end != last || error != std::errc())
          throw Error(ErrorCode::InvalidArgument, "expected an integer");
        f.set(base, v);
      } else if (std::holds_alternative<double>(kind)) {
        double v = 0;
        const auto [end, error] = std::from_chars(first, last, v);
        if (t.empty() || end != last || error != std::errc())
          throw Error(ErrorCode::InvalidArgument, "expected a number");
        f.set(base, v);
      } else {
        f.set(base, t);
      }
    } catch (const Error& e) {
      throw Error(ErrorCode::InvalidArgument, std::string("setting ") + f.key + " = '" + t + "': " + e.what());
    }
  }
  return base;
}

}  // namespace roundlab
