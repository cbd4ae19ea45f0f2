#pragma once
// Every setting of a QuantizationRequest by its name ("wbits", "learning_rate", …), in one list:
// what session files write as typed attributes and what the workbench remembers between starts,
// so a setting added to the request is added to both at once. Per-layer bit overrides are not
// fields (they belong to one model); sessions keep them in a group of their own.
#include <cstdint>
#include <map>
#include <string>
#include <variant>
#include <vector>

#include "engine/pipeline/QuantizationRequest.h"

namespace roundlab {

using FieldValue = std::variant<int64_t, double, std::string>;

struct RequestField {
  const char* key;
  FieldValue (*get)(const QuantizationRequest&);
  // Throws InvalidArgument for a value of the wrong type or a name no table knows.
  void (*set)(QuantizationRequest&, const FieldValue&);
  bool optional;  // absent from sessions written before the setting existed: the default holds
};

const std::vector<RequestField>& requestFields();

// The fields as text (numbers exact: a double reads back bit for bit), and back; keys not given
// keep `base`'s values. Throws InvalidArgument naming the field whose text does not parse.
std::map<std::string, std::string> requestToText(const QuantizationRequest& request);
QuantizationRequest requestFromText(const std::map<std::string, std::string>& fields, QuantizationRequest base = {});

}  // namespace roundlab
