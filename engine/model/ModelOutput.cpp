#include "engine/model/ModelOutput.h"

#include <algorithm>
#include <cctype>

#include <ATen/core/ivalue.h>

#include "engine/core/Error.h"
#include "engine/core/Shape.h"

namespace roundlab {

namespace {

constexpr size_t kListedOutputs = 8;  // a list of every hidden state is named by its first few

bool isIndex(const std::string& s) {
  return !s.empty() && s.size() < 9 &&
         std::all_of(s.begin(), s.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; });
}

bool isContainer(const c10::IValue& v) { return v.isTuple() || v.isList() || v.isGenericDict(); }

std::string kindOf(const c10::IValue& v) {
  if (v.isTensor()) return "tensor " + formatShape(v.toTensor().sizes().vec());
  if (v.isTuple()) return "tuple";
  if (v.isList()) return "list";
  if (v.isGenericDict()) return "dict";
  if (v.isNone()) return "None";
  return v.tagKind();
}

std::string keyText(const c10::IValue& key) {
  if (key.isString()) return key.toStringRef();
  if (key.isInt()) return std::to_string(key.toInt());
  return key.tagKind();
}

size_t countOf(const c10::IValue& out) {
  if (out.isTuple()) return out.toTupleRef().elements().size();
  if (out.isList()) return out.toList().size();
  if (out.isGenericDict()) return out.toGenericDict().size();
  return 1;
}

// "0: tensor [1,32,256], 1: tuple" or "logits: tensor [...], loss: tensor []", the first few.
std::string listing(const c10::IValue& out) {
  std::string s;
  size_t listed = 0;
  const auto add = [&](const std::string& key, const c10::IValue& v) {
    if (listed++ < kListedOutputs) s += (s.empty() ? "" : ", ") + key + ": " + kindOf(v);
  };
  if (out.isTuple()) {
    const auto& e = out.toTupleRef().elements();
    for (size_t i = 0; i < e.size(); ++i) add(std::to_string(i), e[i]);
  } else if (out.isList()) {
    const c10::List<c10::IValue> l = out.toList();
    for (size_t i = 0; i < l.size(); ++i) add(std::to_string(i), l.get(i));
  } else if (out.isGenericDict()) {
    for (const auto& entry : out.toGenericDict()) add(keyText(entry.key()), entry.value());
  }
  if (listed > kListedOutputs) s += ", … (" + std::to_string(listed) + " in all)";
  return s;
}

// "a tuple of 2 outputs (0: …, 1: …)", "an empty tuple".
std::string containerText(const c10::IValue& out) {
  const std::string name = out.isTuple() ? "tuple" : out.isList() ? "list" : "dict";
  const size_t n = countOf(out);
  if (n == 0) return "an empty " + name;
  return "a " + name + " of " + std::to_string(n) + (n == 1 ? " output (" : " outputs (") + listing(out) + ")";
}

// The chosen element, or None with `why` set.
c10::IValue element(const c10::IValue& out, const std::string& choice, std::string& why) {
  if (out.isTuple() || out.isList()) {
    const std::string index = choice.empty() ? "0" : choice;
    if (!isIndex(index)) {
      why = "\"" + choice + "\" is not an index of its " + std::string(out.isTuple() ? "tuple" : "list");
      return {};
    }
    const size_t i = std::stoul(index);
    if (i >= countOf(out)) {
      why = "it has no output " + index;
      return {};
    }
    return out.isTuple() ? out.toTupleRef().elements()[i] : out.toList().get(i);
  }
  const std::string key = choice.empty() ? "logits" : choice;
  for (const auto& entry : out.toGenericDict())
    if (keyText(entry.key()) == key) return entry.value();
  why = choice.empty() ? "it has no \"logits\"" : "it has no output \"" + key + "\"";
  return {};
}

}  // namespace

at::Tensor selectModelOutput(const c10::IValue& out, const std::string& choice, const std::string& modelPath) {
  if (out.isTensor() && choice.empty()) return out.toTensor();
  if (out.isTensor())
    throw Error(ErrorCode::InvalidArgument, "model " + modelPath + " returns a single tensor: --model-output " +
                                                choice + " applies only to a model that returns a tuple or dict");
  if (!isContainer(out))
    throw Error(ErrorCode::InvalidArgument,
                "model " + modelPath + " returns " + kindOf(out) + ", expected a tensor of logits");
  std::string why;
  const c10::IValue v = element(out, choice, why);
  if (v.isTensor()) return v.toTensor();
  if (why.empty()) why = "its output " + (choice.empty() ? std::string("0") : choice) + " is " + kindOf(v);
  throw Error(ErrorCode::InvalidArgument, "model " + modelPath + " returns " + containerText(out) + ": " + why +
                                              "; choose the logits with --model-output " +
                                              (out.isGenericDict() ? "KEY" : "N"));
}

std::vector<std::pair<std::string, std::string>> listModelOutputs(const c10::IValue& out) {
  std::vector<std::pair<std::string, std::string>> outputs;
  if (out.isTuple()) {
    const auto& e = out.toTupleRef().elements();
    for (size_t i = 0; i < e.size(); ++i) outputs.emplace_back(std::to_string(i), kindOf(e[i]));
  } else if (out.isList()) {
    const c10::List<c10::IValue> l = out.toList();
    for (size_t i = 0; i < l.size(); ++i) outputs.emplace_back(std::to_string(i), kindOf(l.get(i)));
  } else if (out.isGenericDict()) {
    for (const auto& entry : out.toGenericDict()) outputs.emplace_back(keyText(entry.key()), kindOf(entry.value()));
  }
  return outputs;
}

std::string describeModelOutput(const c10::IValue& out, const std::string& choice) {
  if (!isContainer(out)) return {};
  std::string why;
  const c10::IValue v = element(out, choice, why);
  const std::string used = choice.empty() ? (out.isGenericDict() ? "logits" : "0") : choice;
  return "the model returns " + containerText(out) + "; RoundLab uses output " + used +
         (v.isTensor() ? "" : " (not a tensor)") + " (--model-output chooses another)";
}

}  // namespace roundlab
