#include "engine/session/ImportanceIo.h"

#include <set>
#include <sstream>

#include <torch/torch.h>

#include "engine/core/Error.h"
#include "engine/core/Shape.h"
#include "engine/io/Hdf5Io.h"

namespace roundlab {

H5::Group writeImportance(H5::Group& parent, const ImportanceTable& t) {
  using namespace hdf5;
  H5::Group g = parent.createGroup(importanceEstimatorName(t.estimator));
  std::string layers;
  for (const std::string& l : t.layers) layers += (layers.empty() ? "" : "\n") + l;
  writeString(g, "layers", layers);
  writeDouble(g, "fp_loss", t.fpLoss);
  writeDouble(g, "seconds", t.seconds);
  writeTensor(g, "bits", at::tensor(std::vector<int32_t>(t.bits.begin(), t.bits.end()), at::kInt));
  at::Tensor values =
      at::empty({static_cast<int64_t>(t.layers.size()), static_cast<int64_t>(t.bits.size())}, at::kDouble);
  for (size_t i = 0; i < t.layers.size(); ++i)
    for (size_t j = 0; j < t.bits.size(); ++j)
      values[static_cast<int64_t>(i)][static_cast<int64_t>(j)] = t.values.at(t.layers[i]).at(t.bits[j]);
  writeTensor(g, "values", values);
  if (!t.errors.empty()) {
    at::Tensor errors = at::zeros_like(values);  // 0: no error known (e.g. a part merged from an older job)
    for (size_t i = 0; i < t.layers.size(); ++i) {
      const auto layer = t.errors.find(t.layers[i]);
      for (size_t j = 0; j < t.bits.size() && layer != t.errors.end(); ++j)
        if (layer->second.count(t.bits[j]))
          errors[static_cast<int64_t>(i)][static_cast<int64_t>(j)] = layer->second.at(t.bits[j]);
    }
    writeTensor(g, "errors", errors);
  }
  if (t.channels.empty()) return g;
  H5::Group channels = g.createGroup("channels");
  for (const auto& [layer, perBits] : t.channels) {
    std::vector<at::Tensor> rows;
    for (int b : t.bits) rows.push_back(at::tensor(perBits.at(b), at::kDouble));
    writeTensor(channels, layer.c_str(), at::stack(rows));  // [bits, channels]
  }
  return g;
}

ImportanceTable readImportance(const H5::Group& g) {
  using namespace hdf5;
  ImportanceTable t;
  t.estimator = parseImportanceEstimator(g.getObjName().substr(g.getObjName().rfind('/') + 1));
  std::istringstream layers(readString(g, "layers"));
  for (std::string l; std::getline(layers, l);) t.layers.push_back(l);
  t.fpLoss = readDouble(g, "fp_loss");
  t.seconds = readDouble(g, "seconds");
  const at::Tensor bits = readTensor(g, "bits").to(at::kInt);
  for (int64_t j = 0; j < bits.numel(); ++j) t.bits.push_back(bits[j].item<int>());
  const std::set<int> distinct(t.bits.begin(), t.bits.end());
  if (distinct.size() != t.bits.size() || (!t.bits.empty() && (*distinct.begin() < 1 || *distinct.rbegin() > 32)))
    throw Error(ErrorCode::BadDataFile, "its importance bit-widths repeat or lie outside 1..32");
  const at::Tensor values = readTensor(g, "values").to(at::kDouble);
  if (!at::isfinite(values).all().item<bool>())
    throw Error(ErrorCode::BadDataFile, "its importance values include a non-finite number");
  const std::vector<int64_t> expected{static_cast<int64_t>(t.layers.size()), static_cast<int64_t>(t.bits.size())};
  if (values.sizes().vec() != expected)
    throw Error(ErrorCode::BadDataFile, "its importance values are " + formatShape(values.sizes().vec()) + " for " +
                                            std::to_string(t.layers.size()) + " layers and " +
                                            std::to_string(t.bits.size()) + " bit-widths");
  for (size_t i = 0; i < t.layers.size(); ++i)
    for (size_t j = 0; j < t.bits.size(); ++j)
      t.values[t.layers[i]][t.bits[j]] = values[static_cast<int64_t>(i)][static_cast<int64_t>(j)].item<double>();
  if (g.nameExists("errors")) {  // sessions before the standard errors have none
    const at::Tensor errors = readTensor(g, "errors").to(at::kDouble);
    if (errors.sizes() != values.sizes())
      throw Error(ErrorCode::BadDataFile, "its importance errors are " + formatShape(errors.sizes().vec()) +
                                              ", its values " + formatShape(values.sizes().vec()));
    if (!at::isfinite(errors).all().item<bool>() || (errors < 0).any().item<bool>())
      throw Error(ErrorCode::BadDataFile, "its importance errors include a negative or non-finite standard error");
    for (size_t i = 0; i < t.layers.size(); ++i)
      for (size_t j = 0; j < t.bits.size(); ++j)
        t.errors[t.layers[i]][t.bits[j]] = errors[static_cast<int64_t>(i)][static_cast<int64_t>(j)].item<double>();
  }
  if (!g.nameExists("channels")) return t;
  const H5::Group channels = g.openGroup("channels");
  for (hsize_t i = 0; i < channels.getNumObjs(); ++i) {
    const std::string layer = channels.getObjnameByIdx(i);
    const at::Tensor c = readTensor(channels, layer.c_str()).to(at::kDouble).contiguous();
    if (c.dim() != 2 || c.size(0) != static_cast<int64_t>(t.bits.size()))
      throw Error(ErrorCode::BadDataFile, "its per-channel importance of " + layer + " is " +
                                              formatShape(c.sizes().vec()) + ", not one row per bit-width");
    for (size_t j = 0; j < t.bits.size(); ++j) {
      const at::Tensor row = c[static_cast<int64_t>(j)].contiguous();
      t.channels[layer][t.bits[j]] = std::vector<double>(row.data_ptr<double>(), row.data_ptr<double>() + row.numel());
    }
  }
  return t;
}

}  // namespace roundlab
