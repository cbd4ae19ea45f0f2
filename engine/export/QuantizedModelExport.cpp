#include "engine/export/QuantizedModelExport.h"

#include <H5Cpp.h>

#include <cstdio>
#include <fstream>
#include <sstream>

#include <torch/torch.h>

#include "engine/AtomicFile.h"
#include "engine/Error.h"
#include "engine/Model.h"
#include "engine/Runtime.h"

namespace roundlab {

namespace {

void stringAttribute(H5::H5Object& obj, const char* name, const std::string& value) {
  H5::StrType type(H5::PredType::C_S1, H5T_VARIABLE);
  const char* p = value.c_str();
  obj.createAttribute(name, type, H5::DataSpace(H5S_SCALAR)).write(type, &p);
}

std::string readStringAttribute(const H5::H5Object& obj, const char* name) {
  H5::Attribute a = obj.openAttribute(name);
  std::string s;
  a.read(a.getStrType(), s);
  return s;
}

void intAttribute(H5::H5Object& obj, const char* name, int64_t value) {
  obj.createAttribute(name, H5::PredType::NATIVE_INT64, H5::DataSpace(H5S_SCALAR))
      .write(H5::PredType::NATIVE_INT64, &value);
}

int64_t readIntAttribute(const H5::H5Object& obj, const char* name) {
  int64_t v = 0;
  obj.openAttribute(name).read(H5::PredType::NATIVE_INT64, &v);
  return v;
}

void dataset(H5::Group& g, const char* name, const at::Tensor& t, const H5::PredType& fileType,
             const H5::PredType& memType) {
  std::vector<hsize_t> dims(t.sizes().begin(), t.sizes().end());
  const at::Tensor c = t.contiguous();
  H5::DSetCreatPropList props;
  if (t.numel() > 4096) {
    std::vector<hsize_t> chunk = dims;
    const hsize_t rowElements = std::max<hsize_t>(1, static_cast<hsize_t>(c.numel()) / dims[0]);
    chunk[0] = std::max<hsize_t>(1, std::min<hsize_t>(dims[0], (hsize_t(1) << 16) / rowElements));
    props.setChunk(static_cast<int>(chunk.size()), chunk.data());
    props.setDeflate(4);  // integer codes compress well
  }
  g.createDataSet(name, fileType, H5::DataSpace(static_cast<int>(dims.size()), dims.data()), props)
      .write(c.data_ptr(), memType);
}

at::Tensor readDataset(const H5::Group& g, const char* name, at::ScalarType type, const H5::PredType& memType) {
  H5::DataSet d = g.openDataSet(name);
  H5::DataSpace space = d.getSpace();
  std::vector<hsize_t> dims(static_cast<size_t>(space.getSimpleExtentNdims()));
  space.getSimpleExtentDims(dims.data());
  at::Tensor t = at::empty(std::vector<int64_t>(dims.begin(), dims.end()), type);
  d.read(t.data_ptr(), memType);
  return t;
}

// Layer names contain '.', which HDF5 allows in link names; '/' never appears in them.
std::string groupName(const std::string& layer) { return "/layers/" + layer; }

std::string number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.9g", v);
  return buf;
}

void writeText(const std::string& path, const std::string& text) {
  AtomicFile file(path);
  {
    std::ofstream out(file.tempPath(), std::ios::binary);
    out << text;
    out.flush();
    if (!out) throw Error(ErrorCode::WriteFailed, "writing " + path + " failed (disk full or not writable?)");
  }
  file.commit();
}

}  // namespace

void exportQuantizedHdf5(const std::string& path, const Model& model, const QuantizedWeights& w,
                         const QuantizedExportInfo& info) {
  H5::Exception::dontPrint();
  AtomicFile file(path);
  try {
    H5::H5File f(file.tempPath(), H5F_ACC_TRUNC);
    stringAttribute(f, "format", "roundlab-quantized-1");
    stringAttribute(f, "model", info.modelPath);
    stringAttribute(f, "method", info.method);
    intAttribute(f, "seed", static_cast<int64_t>(info.seed));
    const LibraryVersions v = libraryVersions();
    stringAttribute(f, "roundlab_version", v.roundlab);
    stringAttribute(f, "torch_version", v.torch);
    H5::Group layers = f.createGroup("/layers");
    for (const auto& [name, codes] : w.codes) {
      const WeightGrid& g = w.grids.at(name);
      const LayerInfo& l = model.layer(name);
      H5::Group lg = f.createGroup(groupName(name));
      stringAttribute(lg, "kind", layerKindName(l.kind));
      stringAttribute(lg, "weight", l.weightPath);
      stringAttribute(lg, "granularity", granularityName(g.granularity));
      intAttribute(lg, "bits", g.bits);
      lg.createAttribute("exponent", H5::PredType::NATIVE_DOUBLE, H5::DataSpace(H5S_SCALAR))
          .write(H5::PredType::NATIVE_DOUBLE, &g.exponent);
      intAttribute(lg, "group_size", g.groupSize);
      intAttribute(lg, "qmin", g.qmin);
      intAttribute(lg, "qmax", g.qmax);
      const bool fitsInt8 = g.qmin >= -128 && g.qmax <= 127;
      const at::Tensor c = codes.to(fitsInt8 ? at::kChar : at::kShort);
      dataset(lg, "codes", c, fitsInt8 ? H5::PredType::STD_I8LE : H5::PredType::STD_I16LE,
              fitsInt8 ? H5::PredType::NATIVE_INT8 : H5::PredType::NATIVE_INT16);
      dataset(lg, "scale", g.scale.squeeze(-1).to(at::kFloat), H5::PredType::IEEE_F32LE, H5::PredType::NATIVE_FLOAT);
      dataset(lg, "zero_point", g.zeroPoint.squeeze(-1).to(at::kInt), H5::PredType::STD_I32LE,
              H5::PredType::NATIVE_INT32);
      const at::Tensor bias = model.bias(name);
      if (bias.defined())
        dataset(lg, "bias", bias.detach().to(at::kFloat), H5::PredType::IEEE_F32LE, H5::PredType::NATIVE_FLOAT);
    }
    f.close();
  } catch (const H5::Exception& e) {
    throw Error(ErrorCode::WriteFailed,
                "writing " + path + " failed (disk full or not writable?): " + e.getDetailMsg());
  }
  // Validate by reading back what was written.
  for (const auto& [name, weight] : readQuantizedHdf5(file.tempPath()))
    if (!at::equal(weight, model.weight(name).detach().to(at::kFloat)))
      throw Error(ErrorCode::Internal,
                  "the written file does not reproduce the weights of " + name + "; nothing was written");
  file.commit();
}

std::map<std::string, at::Tensor> readQuantizedHdf5(const std::string& path) {
  H5::Exception::dontPrint();
  std::map<std::string, at::Tensor> out;
  try {
    H5::H5File f(path, H5F_ACC_RDONLY);
    if (readStringAttribute(f, "format") != "roundlab-quantized-1")
      throw Error(ErrorCode::BadDataFile, path + " is not a RoundLab quantized-model file");
    H5::Group layers = f.openGroup("/layers");
    for (hsize_t i = 0; i < layers.getNumObjs(); ++i) {
      const std::string name = layers.getObjnameByIdx(i);
      H5::Group lg = layers.openGroup(name);
      WeightGrid g;
      const at::Tensor codes = readDataset(lg, "codes", at::kInt, H5::PredType::NATIVE_INT32);
      g.weightShape = codes.sizes().vec();
      const std::string gran = readStringAttribute(lg, "granularity");
      g.granularity = gran == "tensor"  ? Granularity::PerTensor
                      : gran == "group" ? Granularity::PerGroup
                                        : Granularity::PerChannel;
      g.groupSize = readIntAttribute(lg, "group_size");
      g.bits = static_cast<int>(readIntAttribute(lg, "bits"));
      lg.openAttribute("exponent").read(H5::PredType::NATIVE_DOUBLE, &g.exponent);
      g.qmin = readIntAttribute(lg, "qmin");
      g.qmax = readIntAttribute(lg, "qmax");
      g.scale = readDataset(lg, "scale", at::kFloat, H5::PredType::NATIVE_FLOAT).unsqueeze(-1);
      g.zeroPoint = readDataset(lg, "zero_point", at::kInt, H5::PredType::NATIVE_INT32).to(at::kFloat).unsqueeze(-1);
      out[name] = dequantize(codes, g);
    }
  } catch (const H5::Exception& e) {
    throw Error(ErrorCode::BadDataFile, path + ": unreadable quantized-model file (" + e.getDetailMsg() + ")");
  }
  return out;
}

void exportEncodingsJson(const std::string& path, const Model& model, const QuantizedWeights& w) {
  for (const auto& [name, g] : w.grids)
    if (g.exponent != 1.0)
      throw Error(ErrorCode::InvalidArgument, "layer " + name + " uses a power grid (exponent " +
                                                  std::to_string(g.exponent) +
                                                  "); encodings describe uniform grids only");
  std::ostringstream js;
  js << "{\n  \"version\": \"0.6.1\",\n  \"activation_encodings\": {},\n  \"param_encodings\": {";
  bool firstLayer = true;
  for (const auto& [name, codes] : w.codes) {
    const WeightGrid& g = w.grids.at(name);
    const at::Tensor s = g.scale.flatten().to(at::kDouble), z = g.zeroPoint.flatten().to(at::kDouble);
    const bool symmetric = g.qmin < 0;
    js << (firstLayer ? "\n" : ",\n") << "    \"" << model.layer(name).weightPath << "\": [";
    firstLayer = false;
    for (int64_t i = 0; i < s.numel(); ++i) {
      const double scale = s[i].item<double>(), zp = z[i].item<double>();
      // w = scale * (u + offset) with unsigned u in [0, qmax - qmin]
      const double offset = static_cast<double>(g.qmin) - zp;
      js << (i ? ", " : "") << "{\"bitwidth\": " << g.bits << ", \"dtype\": \"int\", \"is_symmetric\": \""
         << (symmetric ? "True" : "False") << "\", \"min\": " << number(scale * offset)
         << ", \"max\": " << number(scale * (offset + static_cast<double>(g.qmax - g.qmin)))
         << ", \"offset\": " << number(offset) << ", \"scale\": " << number(scale) << "}";
    }
    js << "]";
  }
  js << "\n  }\n}\n";
  writeText(path, js.str());
}

void exportResultsCsv(const std::string& path, const QuantizationResult& r) {
  std::ostringstream csv;
  csv << "layer,unit,bits,weights,flips_up,flips_down,flip_rate,loss_before,loss_after,sqnr_db,seconds\n";
  for (const LayerOutcome& l : r.layers)
    csv << l.layer << ',' << l.unit << ',' << l.bits << ',' << l.weights << ',' << l.flipsUp << ',' << l.flipsDown
        << ',' << number(l.flipRate) << ',' << number(l.lossBefore) << ',' << number(l.lossAfter) << ','
        << number(l.sqnrDb) << ',' << number(l.seconds) << '\n';
  writeText(path, csv.str());
}

}  // namespace roundlab
