#include "engine/session/SessionFile.h"

#include <H5Cpp.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include <torch/torch.h>

#include "engine/core/AtomicFile.h"
#include "engine/core/Error.h"
#include "engine/core/FileChecks.h"
#include "engine/core/NumberText.h"
#include "engine/io/Hdf5Io.h"
#include "engine/io/Hdf5IsolatedOpen.h"
#include "engine/io/Hdf5MemoryFile.h"
#include "engine/model/Model.h"
#include "engine/quant/WeightGridHdf5.h"
#include "engine/session/ExperimentIo.h"
#include "engine/session/ImportanceIo.h"
#include "engine/session/RequestIo.h"

namespace roundlab {

namespace {

constexpr const char* kFormat = "roundlab-session-1";

// The rounding trace as a group of five small datasets (shapes say the snapshot count).
void writeTrace(H5::Group& layer, const RoundingTrace& t) {
  H5::Group g = layer.createGroup("rounding_trace");
  const auto snapshots = static_cast<int64_t>(t.iterations.size());
  const auto tracked = static_cast<int64_t>(t.tracked.size());
  auto copy = [](auto* data, std::vector<int64_t> shape, at::ScalarType type) {
    return at::from_blob(const_cast<void*>(static_cast<const void*>(data)), shape, type).clone();
  };
  hdf5::writeTensor(g, "iterations", copy(t.iterations.data(), {snapshots}, at::kInt));
  hdf5::writeTensor(g, "histogram", copy(t.histogram.data(), {snapshots, RoundingTrace::kBins}, at::kFloat));
  hdf5::writeTensor(g, "undecided", copy(t.undecided.data(), {snapshots}, at::kFloat));
  hdf5::writeTensor(g, "tracked", copy(t.tracked.data(), {tracked}, at::kLong));
  hdf5::writeTensor(g, "trajectories", copy(t.trajectories.data(), {snapshots, tracked}, at::kFloat));
}

RoundingTrace readTrace(const H5::Group& layer) {
  const H5::Group g = layer.openGroup("rounding_trace");
  auto values = [&g](const char* name, auto sample) {
    using T = decltype(sample);
    const at::Tensor t = hdf5::readTensor(g, name).to(c10::CppTypeToScalarType<T>::value).contiguous();
    return std::vector<T>(t.data_ptr<T>(), t.data_ptr<T>() + t.numel());
  };
  RoundingTrace t;
  t.iterations = values("iterations", int32_t{});
  t.histogram = values("histogram", float{});
  t.undecided = values("undecided", float{});
  t.tracked = values("tracked", int64_t{});
  t.trajectories = values("trajectories", float{});
  const size_t n = t.iterations.size();
  auto bad = [](const std::string& why) { return Error(ErrorCode::BadDataFile, "rounding_trace: " + why); };
  if (t.histogram.size() != n * RoundingTrace::kBins || t.undecided.size() != n ||
      t.trajectories.size() != n * t.tracked.size() || t.tracked.size() > 64)
    throw bad("its datasets' sizes do not agree");
  for (size_t i = 1; i < n; ++i)
    if (t.iterations[i] <= t.iterations[i - 1]) throw bad("its iterations do not increase");
  for (const std::vector<float>* v : {&t.histogram, &t.undecided, &t.trajectories})
    for (float x : *v)
      if (!(x >= 0 && x <= 1)) throw bad("a share or a rounding value outside [0, 1]");
  return t;
}

void writeLayer(H5::Group& g, const LayerOutcome& o, const QuantizedWeights& w) {
  using namespace hdf5;
  writeString(g, "unit", o.unit);
  writeInt(g, "weights", o.weights);
  writeInt(g, "flips_up", o.flipsUp);
  writeInt(g, "flips_down", o.flipsDown);
  writeDouble(g, "flip_rate", o.flipRate);
  writeDouble(g, "loss_before", o.lossBefore);
  writeDouble(g, "loss_after", o.lossAfter);
  writeDouble(g, "sqnr_db", o.sqnrDb);
  writeDouble(g, "seconds", o.seconds);
  if (o.activation.enabled()) {
    writeInt(g, "act_bits", o.activation.bits);
    writeDouble(g, "act_scale", o.activation.scale);
    writeInt(g, "act_qmin", o.activation.qmin);
    writeInt(g, "act_qmax", o.activation.qmax);
  }
  if (auto it = w.codes.find(o.layer); it != w.codes.end()) {
    writeCodesAndGrid(g, it->second, w.grids.at(o.layer));
    if (auto rtn = w.rtnCodes.find(o.layer); rtn != w.rtnCodes.end())
      writeTensor(g, "rtn_codes", rtn->second.to(at::kShort));
  }
  if (auto b = w.biases.find(o.layer); b != w.biases.end()) writeTensor(g, "learned_bias", b->second.to(at::kFloat));
  at::Tensor curve = at::empty({static_cast<int64_t>(o.curve.size()), 2}, at::kDouble);
  for (size_t i = 0; i < o.curve.size(); ++i) {
    curve[static_cast<int64_t>(i)][0] = o.curve[i].first;
    curve[static_cast<int64_t>(i)][1] = o.curve[i].second;
  }
  if (!o.curve.empty()) writeTensor(g, "loss_curve", curve);
  const RoundingTrace& t = o.trace;
  const size_t n = t.iterations.size();
  if (n > 0 && t.histogram.size() == n * RoundingTrace::kBins && t.undecided.size() == n &&
      t.trajectories.size() == n * t.tracked.size())  // a trace that does not hold together is not written
    writeTrace(g, t);
}

LayerOutcome readLayer(const H5::Group& g, const std::string& name, QuantizedWeights& w) {
  using namespace hdf5;
  LayerOutcome o;
  o.layer = name;
  o.unit = readString(g, "unit");
  o.weights = readInt(g, "weights");
  o.flipsUp = readInt(g, "flips_up");
  o.flipsDown = readInt(g, "flips_down");
  o.flipRate = readDouble(g, "flip_rate");
  o.lossBefore = readDouble(g, "loss_before");
  o.lossAfter = readDouble(g, "loss_after");
  o.sqnrDb = readDouble(g, "sqnr_db");
  o.seconds = readDouble(g, "seconds");
  if (g.attrExists("act_bits")) {
    o.activation.bits = static_cast<int>(readInt(g, "act_bits"));
    o.activation.scale = readDouble(g, "act_scale");
    o.activation.qmin = readInt(g, "act_qmin");
    o.activation.qmax = readInt(g, "act_qmax");
  }
  if (g.nameExists("codes")) {
    auto [codes, grid] = readCodesAndGrid(g);
    o.bits = grid.bits;
    o.exponent = grid.exponent;
    w.codes[name] = codes;
    w.grids[name] = grid;
    if (g.nameExists("rtn_codes")) w.rtnCodes[name] = readTensor(g, "rtn_codes").to(at::kInt);
  }
  if (g.nameExists("learned_bias")) w.biases[name] = readTensor(g, "learned_bias").to(at::kFloat);
  if (g.nameExists("loss_curve")) {
    const at::Tensor c = readTensor(g, "loss_curve");
    for (int64_t i = 0; i < c.size(0); ++i)
      o.curve.emplace_back(static_cast<int>(c[i][0].item<double>()), c[i][1].item<double>());
  }
  if (g.nameExists("rounding_trace")) o.trace = readTrace(g);  // sessions before it have none
  return o;
}

// The members of `group`, each read by `read(member, name)`, in the order their "order" attributes
// give (groups list by name); `reading` names the member being read, for errors.
template <typename T, typename Read>
std::vector<T> readInOrder(const H5::Group& group, const std::string& what, std::string& reading, Read read) {
  std::vector<std::pair<int64_t, T>> ordered;
  for (hsize_t i = 0; i < group.getNumObjs(); ++i) {
    const std::string name = group.getObjnameByIdx(i);
    reading = what + " " + name;
    const H5::Group g = group.openGroup(name);
    ordered.emplace_back(hdf5::readInt(g, "order"), read(g, name));
  }
  std::stable_sort(ordered.begin(), ordered.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<T> out;
  for (auto& [order, item] : ordered) out.push_back(std::move(item));
  return out;
}

// Per-channel values as text, "%.9g" each: a float survives the round trip exactly.
std::string joinFloats(const std::vector<float>& values) {
  std::string out;
  for (float v : values) out += (out.empty() ? "" : ",") + exactNumber(v);
  return out;
}

std::vector<float> splitFloats(const std::string& text) {
  std::vector<float> out;
  size_t begin = 0;
  while (begin < text.size()) {
    const size_t end = std::min(text.find(',', begin), text.size());
    const std::string item = text.substr(begin, end - begin);
    char* stop = nullptr;
    const float v = std::strtof(item.c_str(), &stop);
    if (item.empty() || *stop != '\0' || !std::isfinite(v))
      throw H5::AttributeIException("calibration_options", "'" + text + "' is not a list of numbers");
    out.push_back(v);
    begin = end + 1;
  }
  return out;
}

void writeDataOptions(H5::Group g, const DataOptions& o) {
  hdf5::writeString(g, "normalize", normalizationTable().name(o.normalization));
  hdf5::writeString(g, "mean", joinFloats(o.mean));
  hdf5::writeString(g, "std", joinFloats(o.std));
  hdf5::writeString(g, "labels_path", o.labelsPath);
}

DataOptions readDataOptions(const H5::Group& g) {
  DataOptions o;
  o.normalization = normalizationTable().parse(hdf5::readString(g, "normalize"));  // unknown: InvalidArgument
  o.mean = splitFloats(hdf5::readString(g, "mean"));
  o.std = splitFloats(hdf5::readString(g, "std"));
  o.labelsPath = hdf5::readString(g, "labels_path");
  return o;
}

void writeSession(H5::H5File& f, const Session& s) {
  using namespace hdf5;
  writeString(f, "format", kFormat);
  H5::Group manifest = f.createGroup("/manifest");
  writeString(manifest, "model_path", s.modelPath);
  writeString(manifest, "model_sha256", s.modelSha256);
  if (!s.modelOutput.empty()) writeString(manifest, "model_output", s.modelOutput);
  writeString(manifest, "calibration_path", s.calibrationPath);
  writeString(manifest, "calibration_sha256", s.calibrationSha256);
  writeDataOptions(f.createGroup("/manifest/calibration_options"), s.calibrationOptions);
  writeString(manifest, "roundlab_version", s.versions.roundlab);
  writeString(manifest, "torch_version", s.versions.torch);
  writeString(manifest, "hdf5_version", s.versions.hdf5);
  writeString(manifest, "zlib_version", s.versions.zlib);
  if (!s.runName.empty()) writeString(manifest, "run_name", s.runName);
  H5::Group request = f.createGroup("/manifest/request");
  writeRequest(request, s.result.request);
  H5::Group allocation = f.createGroup("/manifest/allocation");
  for (const LayerOutcome& o : s.result.layers) writeInt(allocation, o.layer.c_str(), o.bits);
  H5::Group results = f.createGroup("/results");
  writeDouble(results, "wall_s", s.result.wallSeconds);
  H5::Group phases = f.createGroup("/results/phases");
  for (const auto& [name, seconds] : s.result.phases) writeDouble(phases, name.c_str(), seconds);
  H5::Group layers = f.createGroup("/results/layers");
  writeInt(layers, "count", static_cast<int64_t>(s.result.layers.size()));
  for (size_t i = 0; i < s.result.layers.size(); ++i) {
    const LayerOutcome& o = s.result.layers[i];
    H5::Group g = layers.createGroup(o.layer);
    writeInt(g, "order", static_cast<int64_t>(i));
    writeLayer(g, o, s.weights);
  }
  if (!s.result.tables.empty()) {
    H5::Group tables = f.createGroup("/results/embedding_tables");
    for (size_t i = 0; i < s.result.tables.size(); ++i) {
      const TableOutcome& t = s.result.tables[i];
      H5::Group g = tables.createGroup(t.parameter);
      writeInt(g, "order", static_cast<int64_t>(i));
      writeDouble(g, "sqnr_db", t.sqnrDb);
      writeCodesAndGrid(g, s.weights.tableCodes.at(t.parameter), s.weights.tableGrids.at(t.parameter));
    }
  }
  if (!s.importance.empty()) {
    H5::Group importance = f.createGroup("/importance");
    for (size_t i = 0; i < s.importance.size(); ++i) {
      H5::Group g = writeImportance(importance, s.importance[i]);
      hdf5::writeInt(g, "order", static_cast<int64_t>(i));  // groups list by name; keep the caller's order
    }
  }
  if (!s.experiments.empty()) {
    H5::Group experiments = f.createGroup("/experiments");
    for (const ExperimentRecord& e : s.experiments) writeExperiment(experiments, e);
  }
}

}  // namespace

void saveSession(const std::string& path, const Session& s) {
  H5::Exception::dontPrint();
  AtomicFile file(path);
  std::string image;
  try {
    hdf5::MemoryFile memory;
    writeSession(memory.file(), s);
    image = memory.image();
  } catch (const H5::Exception& e) {
    throw Error(ErrorCode::WriteFailed, "cannot build session " + path + ": " + e.getDetailMsg());
  }
  file.write(image);
  file.commit();
}

Session loadSession(const std::string& path) {
  H5::Exception::dontPrint();
  requireReadableFile(path, "session file", ErrorCode::BadDataFile);
  if (!H5::H5File::isHdf5(path))
    throw Error(ErrorCode::BadDataFile, path + " is not a RoundLab session (not an HDF5 file)");
  Session s;
  std::string reading = "the file's start";  // what was being read when a read failed
  try {
    using namespace hdf5;
    H5::H5File f = hdf5::openForReading(path);
    reading = "the format marker";
    if (!f.attrExists("format") || readString(f, "format") != kFormat)
      throw Error(ErrorCode::BadDataFile,
                  path + " is not a RoundLab session (no '" + std::string(kFormat) + "' marker)");
    reading = "/manifest";
    const H5::Group manifest = f.openGroup("/manifest");
    s.modelPath = readString(manifest, "model_path");
    s.modelSha256 = readString(manifest, "model_sha256");
    if (manifest.attrExists("model_output")) s.modelOutput = readString(manifest, "model_output");
    s.calibrationPath = readString(manifest, "calibration_path");
    s.calibrationSha256 = readString(manifest, "calibration_sha256");
    s.versions = {readString(manifest, "roundlab_version"), readString(manifest, "torch_version"),
                  readString(manifest, "hdf5_version"), readString(manifest, "zlib_version")};
    if (manifest.attrExists("run_name")) s.runName = readString(manifest, "run_name");
    reading = "/manifest/calibration_options";
    if (manifest.nameExists("calibration_options"))  // sessions before it was recorded: the defaults
      s.calibrationOptions = readDataOptions(manifest.openGroup("calibration_options"));
    reading = "/manifest/request";
    s.result.request = readRequest(f.openGroup("/manifest/request"));
    reading = "/results";
    const H5::Group results = f.openGroup("/results");
    s.result.wallSeconds = readDouble(results, "wall_s");
    const H5::Group phases = f.openGroup("/results/phases");
    for (int i = 0; i < phases.getNumAttrs(); ++i) {
      const H5::Attribute a = phases.openAttribute(static_cast<unsigned>(i));
      s.result.phases.emplace_back(a.getName(), readDouble(a));
    }
    reading = "/results/layers (the layer results)";
    const H5::Group layers = f.openGroup("/results/layers");
    s.result.layers = readInOrder<LayerOutcome>(
        layers, "layer", reading,
        [&](const H5::Group& g, const std::string& name) { return readLayer(g, name, s.weights); });
    if (static_cast<int64_t>(s.result.layers.size()) != readInt(layers, "count"))
      throw Error(ErrorCode::BadDataFile, path + " is incomplete: layer results are missing");
    if (results.nameExists("embedding_tables"))  // runs that quantized no table have none
      s.result.tables = readInOrder<TableOutcome>(
          results.openGroup("embedding_tables"), "embedding table", reading,
          [&](const H5::Group& g, const std::string& name) {
            auto [codes, grid] = readCodesAndGrid(g);
            if (codes.dim() != 2) throw Error(ErrorCode::BadDataFile, "its codes are not a [rows, columns] table");
            s.weights.tableCodes[name] = codes;
            s.weights.tableGrids[name] = grid;
            return TableOutcome{name, grid.bits, codes.size(0), codes.size(1), readDouble(g, "sqnr_db")};
          });
    reading = "/importance";
    if (f.nameExists("importance")) {  // sessions of runs without importance have none
      const H5::Group importance = f.openGroup("/importance");
      std::vector<std::pair<int64_t, ImportanceTable>> tables;  // (order, table); older files: by estimator
      for (hsize_t i = 0; i < importance.getNumObjs(); ++i) {
        const H5::Group g = importance.openGroup(importance.getObjnameByIdx(i));
        ImportanceTable t = readImportance(g);
        const int64_t order = g.attrExists("order") ? hdf5::readInt(g, "order") : static_cast<int64_t>(t.estimator);
        tables.emplace_back(order, std::move(t));
      }
      std::stable_sort(tables.begin(), tables.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
      for (auto& [order, t] : tables) s.importance.push_back(std::move(t));
    }
    reading = "/experiments";
    if (f.nameExists("experiments")) s.experiments = readExperiments(f.openGroup("/experiments"));
  } catch (const H5::Exception&) {
    throw Error(ErrorCode::BadDataFile, path + " is truncated or damaged: cannot read " + reading);
  } catch (const Error& e) {
    if (e.code() != ErrorCode::BadDataFile && e.code() != ErrorCode::InvalidArgument) throw;
    const std::string what = e.what();
    if (what.rfind(path, 0) == 0) throw;  // already names the file
    throw Error(ErrorCode::BadDataFile, path + ": " + reading + ": " + what);
  } catch (const std::bad_alloc&) {  // a damaged shape asking for more memory than there is
    throw Error(ErrorCode::BadDataFile, path + " is damaged: " + reading + " declares an impossible size");
  } catch (const c10::Error&) {  // a dataset of the wrong type or rank for what it holds
    throw Error(ErrorCode::BadDataFile, path + " is damaged: cannot read " + reading);
  }
  return s;
}

void applySession(Model& model, const Session& s) { applyRun(model, s.result, s.weights); }

void applyRun(Model& model, const QuantizationResult& result, const QuantizedWeights& weights) {
  for (const auto& [name, codes] : weights.codes) model.setWeight(name, dequantize(codes, weights.grids.at(name)));
  for (const auto& [name, bias] : weights.biases) model.setBias(name, bias);
  for (const auto& [name, codes] : weights.tableCodes)
    model.setEmbeddingTable(name, dequantize(codes, weights.tableGrids.at(name)));
  std::map<std::string, ActivationQuantParams> activations;
  for (const LayerOutcome& o : result.layers)
    if (o.activation.enabled()) activations[o.layer] = o.activation;
  model.setActivationQuantization(activations);
}

}  // namespace roundlab
