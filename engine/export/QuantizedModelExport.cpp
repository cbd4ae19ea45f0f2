#include "engine/export/QuantizedModelExport.h"

#include <H5Cpp.h>

#include <cstdio>
#include <sstream>

#include <torch/torch.h>

#include "engine/core/AtomicFile.h"
#include "engine/core/Error.h"
#include "engine/core/NumberText.h"
#include "engine/core/Runtime.h"
#include "engine/io/Hdf5Io.h"
#include "engine/io/Hdf5IsolatedOpen.h"
#include "engine/io/Hdf5MemoryFile.h"
#include "engine/model/Model.h"
#include "engine/quant/WeightGridHdf5.h"

namespace roundlab {

namespace {

// Layer names contain '.', which HDF5 allows in link names; '/' never appears in them.
std::string groupName(const std::string& layer) { return "/layers/" + layer; }

void writeText(const std::string& path, const std::string& text) {
  AtomicFile file(path);
  file.write(text);
  file.commit();
}

void writeQuantized(H5::H5File& f, const Model& model, const QuantizedWeights& w, const QuantizedExportInfo& info) {
  hdf5::writeString(f, "format", "roundlab-quantized-1");
  hdf5::writeString(f, "model", info.modelPath);
  hdf5::writeString(f, "method", info.method);
  hdf5::writeInt(f, "seed", static_cast<int64_t>(info.seed));
  const LibraryVersions v = libraryVersions();
  hdf5::writeString(f, "roundlab_version", v.roundlab);
  hdf5::writeString(f, "torch_version", v.torch);
  f.createGroup("/layers");
  for (const auto& [name, codes] : w.codes) {
    const LayerInfo& l = model.layer(name);
    H5::Group lg = f.createGroup(groupName(name));
    hdf5::writeString(lg, "kind", layerKindName(l.kind));
    hdf5::writeString(lg, "weight", l.weightPath);
    // Codes are [out, in] always; a parameter stored [in, out] (Conv1D) is their transpose.
    hdf5::writeString(lg, "weight_layout", l.weightTransposed ? "in,out" : "out,in");
    hdf5::writeCodesAndGrid(lg, codes, w.grids.at(name));
    const at::Tensor bias = model.bias(name);
    if (bias.defined()) hdf5::writeTensor(lg, "bias", bias.detach().to(at::kFloat));
    if (auto a = model.activationQuantization().find(name); a != model.activationQuantization().end()) {
      hdf5::writeInt(lg, "input_bits", a->second.bits);
      hdf5::writeDouble(lg, "input_scale", a->second.scale);
      hdf5::writeInt(lg, "input_qmin", a->second.qmin);
      hdf5::writeInt(lg, "input_qmax", a->second.qmax);
    }
  }
  if (w.tableCodes.empty()) return;
  f.createGroup("/embedding_tables");  // by parameter name: a table is no layer
  for (const auto& [parameter, codes] : w.tableCodes) {
    H5::Group tg = f.createGroup("/embedding_tables/" + parameter);
    hdf5::writeString(tg, "kind", "embedding");
    hdf5::writeCodesAndGrid(tg, codes, w.tableGrids.at(parameter));
  }
}

// group -> dequantized codes of each of its members, from a file written by writeQuantized.
std::map<std::string, at::Tensor> readQuantizedGroup(const std::string& path, const char* group, bool optional) {
  H5::Exception::dontPrint();
  std::map<std::string, at::Tensor> out;
  try {
    H5::H5File f = hdf5::openForReading(path);
    if (!f.attrExists("format") || hdf5::readString(f, "format") != "roundlab-quantized-1")
      throw Error(ErrorCode::BadDataFile, path + " is not a RoundLab quantized-model file");
    if (optional && !f.nameExists(group)) return out;
    H5::Group members = f.openGroup(group);
    for (hsize_t i = 0; i < members.getNumObjs(); ++i) {
      const std::string name = members.getObjnameByIdx(i);
      const auto [codes, grid] = hdf5::readCodesAndGrid(members.openGroup(name));
      out[name] = dequantize(codes, grid);
    }
  } catch (const H5::Exception& e) {
    throw Error(ErrorCode::BadDataFile, path + ": unreadable quantized-model file (" + e.getDetailMsg() + ")");
  }
  return out;
}

}  // namespace

void exportQuantizedHdf5(const std::string& path, const Model& model, const QuantizedWeights& w,
                         const QuantizedExportInfo& info) {
  H5::Exception::dontPrint();
  AtomicFile file(path);
  std::string image;
  try {
    hdf5::MemoryFile memory;
    writeQuantized(memory.file(), model, w, info);
    image = memory.image();
  } catch (const H5::Exception& e) {
    throw Error(ErrorCode::WriteFailed, "cannot build " + path + ": " + e.getDetailMsg());
  }
  file.write(image);
  // Validate by reading back what was written.
  for (const auto& [name, weight] : readQuantizedHdf5(file.tempPath()))
    if (!at::equal(weight, model.weight(name).detach().to(at::kFloat)))
      throw Error(ErrorCode::Internal,
                  "the written file does not reproduce the weights of " + name + "; nothing was written");
  for (const auto& [parameter, table] : readQuantizedTablesHdf5(file.tempPath()))
    if (!at::equal(table, model.embeddingTable(parameter).detach().to(at::kFloat)))
      throw Error(ErrorCode::Internal,
                  "the written file does not reproduce the embedding table " + parameter + "; nothing was written");
  file.commit();
}

std::map<std::string, at::Tensor> readQuantizedHdf5(const std::string& path) {
  return readQuantizedGroup(path, "/layers", false);
}

std::map<std::string, at::Tensor> readQuantizedTablesHdf5(const std::string& path) {
  return readQuantizedGroup(path, "embedding_tables", true);
}

namespace {

// One encodings entry per row or group of a uniform grid: w = scale * (u + offset), u unsigned in
// [0, qmax - qmin].
std::string gridEncodings(const WeightGrid& g) {
  const at::Tensor s = g.scale.flatten().to(at::kDouble), z = g.zeroPoint.flatten().to(at::kDouble);
  const bool symmetric = g.qmin < 0;
  std::ostringstream entries;
  for (int64_t i = 0; i < s.numel(); ++i) {
    const double scale = s[i].item<double>(), zp = z[i].item<double>();
    const double offset = static_cast<double>(g.qmin) - zp;
    entries << (i ? ", " : "") << "{\"bitwidth\": " << g.bits << ", \"dtype\": \"int\", \"is_symmetric\": \""
            << (symmetric ? "True" : "False") << "\", \"min\": " << exactNumber(scale * offset)
            << ", \"max\": " << exactNumber(scale * (offset + static_cast<double>(g.qmax - g.qmin)))
            << ", \"offset\": " << exactNumber(offset) << ", \"scale\": " << exactNumber(scale) << "}";
  }
  return entries.str();
}

}  // namespace

void exportEncodingsJson(const std::string& path, const Model& model, const QuantizedWeights& w) {
  for (const auto& [name, g] : w.tableGrids)
    if (g.exponent != 1.0)
      throw Error(ErrorCode::InvalidArgument,
                  "embedding table " + name + " uses a power grid; encodings describe uniform grids only");
  for (const auto& [name, g] : w.grids)
    if (g.exponent != 1.0)
      throw Error(ErrorCode::InvalidArgument, "layer " + name + " uses a power grid (exponent " +
                                                  std::to_string(g.exponent) +
                                                  "); encodings describe uniform grids only");
  std::ostringstream js;
  js << "{\n  \"version\": \"0.6.1\",\n  \"activation_encodings\": {";
  bool firstLayer = true;
  // A layer's input x = scale * q, q in [qmin, qmax]: offset qmin on the unsigned code range.
  for (const auto& [name, a] : model.activationQuantization()) {
    js << (firstLayer ? "\n" : ",\n") << "    \"" << name << ".input\": [{\"bitwidth\": " << a.bits
       << ", \"dtype\": \"int\", \"is_symmetric\": \"" << (a.qmin < 0 ? "True" : "False")
       << "\", \"min\": " << exactNumber(a.scale * static_cast<double>(a.qmin))
       << ", \"max\": " << exactNumber(a.scale * static_cast<double>(a.qmax)) << ", \"offset\": " << a.qmin
       << ", \"scale\": " << exactNumber(a.scale) << "}]";
    firstLayer = false;
  }
  js << (firstLayer ? "},\n  \"param_encodings\": {" : "\n  },\n  \"param_encodings\": {");
  firstLayer = true;
  const auto write = [&](const std::string& parameter, const std::string& entries) {
    js << (firstLayer ? "\n" : ",\n") << "    \"" << parameter << "\": [" << entries << "]";
    firstLayer = false;
  };
  for (const auto& [name, codes] : w.codes) {
    const std::string entries = gridEncodings(w.grids.at(name));
    // A tied parameter (LM head and token embedding) is one tensor: each of its names gets its encodings.
    const LayerInfo& l = model.layer(name);
    write(l.weightPath, entries);
    for (const std::string& parameter : l.tiedWith) write(parameter, entries);
  }
  for (const auto& [parameter, grid] : w.tableGrids) write(parameter, gridEncodings(grid));
  js << "\n  }\n}\n";
  writeText(path, js.str());
}

void exportResultsCsv(const std::string& path, const QuantizationResult& r) {
  std::ostringstream csv;
  csv << "layer,unit,bits,input_bits,input_scale,weights,flips_up,flips_down,flip_rate,loss_before,loss_after,"
         "sqnr_db,seconds\n";
  for (const LayerOutcome& l : r.layers)
    csv << l.layer << ',' << l.unit << ',' << l.bits << ',' << l.activation.bits << ','
        << exactNumber(l.activation.scale) << ',' << l.weights << ',' << l.flipsUp << ',' << l.flipsDown << ','
        << exactNumber(l.flipRate) << ',' << exactNumber(l.lossBefore) << ',' << exactNumber(l.lossAfter) << ','
        << exactNumber(l.sqnrDb) << ',' << exactNumber(l.seconds) << '\n';
  writeText(path, csv.str());
}

}  // namespace roundlab
