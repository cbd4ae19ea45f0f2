#pragma once
// Which of a model's outputs RoundLab scores and reconstructs against. A model may return one
// tensor, a tuple (e.g. Hugging Face's (logits, past_key_values)) or a dict of outputs
// ({"logits": ..., "hidden_states": ...}); the user chooses one by index or key.
#include <string>
#include <utility>
#include <vector>

namespace at {
class Tensor;
}
namespace c10 {
struct IValue;
}

namespace roundlab {

// The output `choice` names in `out`: empty means the tensor itself, a tuple's or list's first
// element, or a dict's "logits"; a number is a tuple/list index; anything else a dict key.
// Throws InvalidArgument naming `modelPath`, what the model returns and how to choose
// (--model-output).
at::Tensor selectModelOutput(const c10::IValue& out, const std::string& choice, const std::string& modelPath);

// For a model that returns more than one tensor: which output is used, among which, and how to
// choose another, e.g. "the model returns a tuple of 2 outputs (0: tensor [1,32,256], 1: tuple);
// RoundLab uses output 0 (--model-output chooses another)". Empty for a single tensor.
std::string describeModelOutput(const c10::IValue& out, const std::string& choice);

// A tuple's, list's or dict's outputs as (choice, what): ("0", "tensor [1,32,256]"),
// ("logits", "tensor [...]"); empty for a single tensor. What a chooser offers.
std::vector<std::pair<std::string, std::string>> listModelOutputs(const c10::IValue& out);

}  // namespace roundlab
