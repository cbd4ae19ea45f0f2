// Writes the bad inputs of RoundLab's reliability corpus that need LibTorch or HDF5 to make:
// models with non-finite or corrupted weights, HDF5 data sets that break the layout in one way
// each, IDX files with lying headers, image folders with broken images, and sessions whose codes
// lie. Called by make-bad-inputs.sh, which makes the rest with shell tools.
//   roundlab_bad_input_writer OUT_DIR DEMO_DIR VALID_SESSION
#include <H5Cpp.h>
#include <zlib.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include <torch/script.h>

#include "engine/io/Hdf5MemoryFile.h"

namespace fs = std::filesystem;

namespace {

std::string out;

std::string at(const std::string& name) { return (fs::path(out) / name).string(); }

std::vector<char> readBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void writeBytes(const std::string& path, const std::vector<char>& bytes) {
  std::ofstream(path, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

// ---- models

void modelWithWeight(const std::string& demo, const std::string& name, float value) {
  torch::jit::Module m = torch::jit::load(demo);
  for (const auto& p : m.named_parameters())
    if (p.value.dim() == 4) {
      torch::NoGradGuard guard;
      p.value.view(-1)[7].fill_(value);
      break;
    }
  m.save(at(name));
}

// Flips bytes in the middle of the largest stored record: the archive's structure stays intact,
// only a record's CRC-32 tells.
void corruptArchive(const std::string& demo) {
  std::vector<char> bytes = readBytes(demo);
  for (size_t i = bytes.size() / 2; i < bytes.size() / 2 + 64; ++i) bytes[i] = static_cast<char>(bytes[i] ^ 0x5a);
  writeBytes(at("model-corrupt-record.pt"), bytes);
}

// ---- HDF5 data sets

struct Calib {
  std::vector<hsize_t> dims;  // N C H W
  std::vector<uint8_t> pixels;
  std::vector<int64_t> labels;
};

Calib readCalib(const std::string& path, hsize_t keep) {
  H5::H5File f(path, H5F_ACC_RDONLY);
  H5::DataSet d = f.openDataSet("images");
  Calib c;
  c.dims.resize(4);
  d.getSpace().getSimpleExtentDims(c.dims.data());
  std::vector<uint8_t> all(c.dims[0] * c.dims[1] * c.dims[2] * c.dims[3]);
  d.read(all.data(), H5::PredType::NATIVE_UINT8);
  std::vector<int64_t> labels(c.dims[0]);
  f.openDataSet("labels").read(labels.data(), H5::PredType::NATIVE_INT64);
  const hsize_t per = c.dims[1] * c.dims[2] * c.dims[3];
  c.dims[0] = keep;
  c.pixels.assign(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(keep * per));
  c.labels.assign(labels.begin(), labels.begin() + static_cast<std::ptrdiff_t>(keep));
  return c;
}

void floatAttribute(H5::H5File& f, const char* name, std::vector<float> v) {
  hsize_t n = v.size();
  f.createAttribute(name, H5::PredType::NATIVE_FLOAT, H5::DataSpace(1, &n)).write(H5::PredType::NATIVE_FLOAT, v.data());
}

template <class T>
void dataset(H5::H5File& f, const char* name, const H5::PredType& fileType, const H5::PredType& memType,
             std::vector<hsize_t> dims, const std::vector<T>& values) {
  f.createDataSet(name, fileType, H5::DataSpace(static_cast<int>(dims.size()), dims.data()))
      .write(values.data(), memType);
}

void labels(H5::H5File& f, std::vector<int64_t> v) {
  dataset(f, "labels", H5::PredType::STD_I64LE, H5::PredType::NATIVE_INT64, {v.size()}, v);
}

std::vector<float> scaled(const Calib& c, float mean, float std) {
  std::vector<float> x(c.pixels.size());
  for (size_t i = 0; i < x.size(); ++i) x[i] = (static_cast<float>(c.pixels[i]) / 255.f - mean) / std;
  return x;
}

void dataSets(const std::string& demoDir) {
  const Calib c = readCalib(demoDir + "/fmnist_calib.h5", 64);
  const float mean = 0.2860f, std = 0.3530f;
  auto uint8Set = [&](const char* name, std::vector<float> m, std::vector<float> s, std::vector<int64_t> l) {
    H5::H5File f(at(name), H5F_ACC_TRUNC);
    dataset(f, "images", H5::PredType::STD_U8LE, H5::PredType::NATIVE_UINT8, c.dims, c.pixels);
    if (!l.empty()) labels(f, l);
    if (!m.empty()) floatAttribute(f, "mean", m);
    if (!s.empty()) floatAttribute(f, "std", s);
  };
  const float nan = std::numeric_limits<float>::quiet_NaN();
  uint8Set("data-std-zero.h5", {mean}, {0.f}, c.labels);
  uint8Set("data-mean-nan.h5", {nan}, {std}, c.labels);
  std::vector<int64_t> wrong = c.labels;
  wrong[3] = -3;
  wrong[5] = 10;
  uint8Set("data-labels-out-of-range.h5", {mean}, {std}, wrong);
  uint8Set("data-good-first64.h5", {mean}, {std}, c.labels);  // the same samples, as make-calib writes them
  std::vector<int64_t> shifted = c.labels;  // every label names the next class: a usable file, wrong labels
  for (int64_t& l : shifted) l = (l + 1) % 10;
  uint8Set("data-labels-shifted.h5", {mean}, {std}, shifted);
  uint8Set("data-labels-short.h5", {mean}, {std}, std::vector<int64_t>(c.labels.begin(), c.labels.begin() + 10));
  {  // Already standardised float32 images that record what was done: ambiguous.
    H5::H5File f(at("data-float-prenormalised.h5"), H5F_ACC_TRUNC);
    dataset(f, "images", H5::PredType::IEEE_F32LE, H5::PredType::NATIVE_FLOAT, c.dims, scaled(c, mean, std));
    labels(f, c.labels);
    floatAttribute(f, "mean", {mean});
    floatAttribute(f, "std", {std});
  }
  {
    H5::H5File f(at("data-float64.h5"), H5F_ACC_TRUNC);
    std::vector<double> x(c.pixels.begin(), c.pixels.end());
    for (double& v : x) v /= 255.0;
    dataset(f, "images", H5::PredType::IEEE_F64LE, H5::PredType::NATIVE_DOUBLE, c.dims, x);
    labels(f, c.labels);
  }
  {
    H5::H5File f(at("data-int8.h5"), H5F_ACC_TRUNC);
    std::vector<int8_t> x(c.pixels.size());
    for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<int8_t>(c.pixels[i] - 128);
    dataset(f, "images", H5::PredType::STD_I8LE, H5::PredType::NATIVE_INT8, c.dims, x);
    labels(f, c.labels);
  }
  {
    H5::H5File f(at("data-nan-pixels.h5"), H5F_ACC_TRUNC);
    std::vector<float> x = scaled(c, 0.f, 1.f);
    x[100] = nan;
    dataset(f, "images", H5::PredType::IEEE_F32LE, H5::PredType::NATIVE_FLOAT, c.dims, x);
    labels(f, c.labels);
  }
  {
    H5::H5File f(at("data-rank2.h5"), H5F_ACC_TRUNC);
    dataset(f, "images", H5::PredType::STD_U8LE, H5::PredType::NATIVE_UINT8, {c.dims[0], 784}, c.pixels);
  }
  {
    H5::H5File f(at("data-32px.h5"), H5F_ACC_TRUNC);
    dataset(f, "images", H5::PredType::STD_U8LE, H5::PredType::NATIVE_UINT8, {4, 1, 32, 32},
            std::vector<uint8_t>(4 * 32 * 32, 100));
  }
  {
    H5::H5File f(at("data-zero-samples.h5"), H5F_ACC_TRUNC);
    dataset(f, "images", H5::PredType::STD_U8LE, H5::PredType::NATIVE_UINT8, {0, 1, 28, 28}, std::vector<uint8_t>{});
  }
  {
    H5::H5File f(at("data-no-images.h5"), H5F_ACC_TRUNC);
    labels(f, c.labels);
  }
  {
    H5::H5File f(at("data-string-images.h5"), H5F_ACC_TRUNC);
    H5::StrType type(H5::PredType::C_S1, 8);
    hsize_t n = 2;
    const char text[16] = "abcdefgh1234567";
    f.createDataSet("images", type, H5::DataSpace(1, &n)).write(text, type);
  }
  {
    // A header claiming ~16 TB per sample: chunked, so the file itself stays a few KB.
    H5::H5File f(at("data-huge-sample.h5"), H5F_ACC_TRUNC);
    hsize_t dims[4] = {2, 3, 1u << 21, 1u << 21};
    hsize_t chunk[4] = {1, 1, 16, 16};
    H5::DSetCreatPropList plist;
    plist.setChunk(4, chunk);
    f.createDataSet("images", H5::PredType::STD_U8LE, H5::DataSpace(4, dims), plist);
  }
}

// ---- IDX files

void be32(std::vector<char>& b, uint32_t v) {
  for (int s = 24; s >= 0; s -= 8) b.push_back(static_cast<char>((v >> s) & 0xff));
}

void idxFiles() {
  std::vector<char> huge{0, 0, 8, 3};
  be32(huge, 4000000000u);
  be32(huge, 28);
  be32(huge, 28);
  huge.resize(huge.size() + 784 * 2, 7);
  writeBytes(at("idx-huge-count-images-idx3-ubyte"), huge);

  std::vector<char> images{0, 0, 8, 3};
  be32(images, 10);
  be32(images, 28);
  be32(images, 28);
  images.resize(images.size() + 784 * 10, 50);
  writeBytes(at("idx-ok-images-idx3-ubyte"), images);
  std::vector<char> truncated(images.begin(), images.begin() + 16 + 784 * 3 + 100);
  writeBytes(at("idx-truncated-images-idx3-ubyte"), truncated);
  std::vector<char> badMagic = images;
  badMagic[2] = 0x0d;  // float data type code
  writeBytes(at("idx-bad-type-images-idx3-ubyte"), badMagic);

  std::vector<char> labelsBad{0, 0, 8, 1};
  be32(labelsBad, 10);
  for (int i = 0; i < 10; ++i) labelsBad.push_back(static_cast<char>(i == 4 ? 200 : i));
  writeBytes(at("idx-labels-out-of-range-labels-idx1-ubyte"), labelsBad);
  std::vector<char> labelsShort{0, 0, 8, 1};
  be32(labelsShort, 7);
  for (int i = 0; i < 7; ++i) labelsShort.push_back(static_cast<char>(i));
  writeBytes(at("idx-labels-count-labels-idx1-ubyte"), labelsShort);
}

// ---- image folders

void imageFolders() {
  fs::create_directories(at("images-corrupt-png/shirt"));
  const char png[] = "\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x1c\0\0\0\x1c\x08\0\0\0\0garbagegarbage";
  std::ofstream(at("images-corrupt-png/shirt/a.png"), std::ios::binary).write(png, sizeof png - 1);
  // A well-formed header (valid CRC) that claims 60000 x 60000 RGBA pixels: 14 GB to decode.
  fs::create_directories(at("images-huge-png/shirt"));
  std::vector<char> huge{'\x89', 'P', 'N', 'G', '\r', '\n', '\x1a', '\n'};
  be32(huge, 13);
  std::vector<char> ihdr{'I', 'H', 'D', 'R'};
  be32(ihdr, 60000);
  be32(ihdr, 60000);
  for (char c : {8, 6, 0, 0, 0}) ihdr.push_back(c);
  huge.insert(huge.end(), ihdr.begin(), ihdr.end());
  be32(huge,
       static_cast<uint32_t>(crc32(0, reinterpret_cast<const Bytef*>(ihdr.data()), static_cast<uInt>(ihdr.size()))));
  // A few bytes of image data and the end chunk, so that the header is read as complete.
  std::vector<char> idat{'I', 'D', 'A', 'T', 0x78, 0x01, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01};
  be32(huge, 8);
  huge.insert(huge.end(), idat.begin(), idat.end());
  be32(huge,
       static_cast<uint32_t>(crc32(0, reinterpret_cast<const Bytef*>(idat.data()), static_cast<uInt>(idat.size()))));
  be32(huge, 0);
  for (char c : {'I', 'E', 'N', 'D'}) huge.push_back(c);
  be32(huge, static_cast<uint32_t>(crc32(0, reinterpret_cast<const Bytef*>("IEND"), 4)));
  writeBytes(at("images-huge-png/shirt/a.png"), huge);
  fs::create_directories(at("images-empty"));
  fs::create_directories(at("images-text-only/notes"));
  std::ofstream(at("images-text-only/notes/readme.txt")) << "not an image\n";
}

// ---- sessions (copies of a valid one, each lying in one way)

template <class F>
void tamperedSession(const std::string& valid, const std::string& name, F&& change) {
  fs::copy_file(valid, at(name), fs::copy_options::overwrite_existing);
  // Sealed again afterwards: these stand for files edited on purpose, which only validation catches.
  struct Reseal {
    std::string path;
    ~Reseal() { roundlab::hdf5::resealFile(path); }
  } reseal{at(name)};
  H5::H5File f(at(name), H5F_ACC_RDWR);
  // The first layer with a narrow grid (the first and last layers keep 8 bits).
  H5::Group layers = f.openGroup("/results/layers");
  for (hsize_t i = 0; i < layers.getNumObjs(); ++i) {
    H5::Group g = layers.openGroup(layers.getObjnameByIdx(i));
    int64_t bits = 8;
    if (g.attrExists("bits")) g.openAttribute("bits").read(H5::PredType::NATIVE_INT64, &bits);
    if (bits < 8) return change(f, g);
  }
  throw std::runtime_error(valid + " has no layer below 8 bits");
}

void replaceCodes(H5::Group& g, std::vector<hsize_t> dims, int8_t value) {
  g.unlink("codes");
  hsize_t n = 1;
  for (hsize_t d : dims) n *= d;
  g.createDataSet("codes", H5::PredType::STD_I8LE, H5::DataSpace(static_cast<int>(dims.size()), dims.data()))
      .write(std::vector<int8_t>(n, value).data(), H5::PredType::NATIVE_INT8);
}

void setIntAttribute(H5::Group& g, const char* name, int64_t v) {
  g.removeAttr(name);
  g.createAttribute(name, H5::PredType::NATIVE_INT64, H5::DataSpace(H5S_SCALAR)).write(H5::PredType::NATIVE_INT64, &v);
}

void sessions(const std::string& valid) {
  tamperedSession(valid, "session-codes-shape.rlab", [](H5::H5File&, H5::Group& g) { replaceCodes(g, {3, 5}, 0); });
  tamperedSession(valid, "session-codes-range.rlab", [](H5::H5File&, H5::Group& g) {
    std::vector<hsize_t> dims(static_cast<size_t>(g.openDataSet("codes").getSpace().getSimpleExtentNdims()));
    g.openDataSet("codes").getSpace().getSimpleExtentDims(dims.data());
    replaceCodes(g, dims, 120);
  });
  tamperedSession(valid, "session-bits-99.rlab", [](H5::H5File&, H5::Group& g) { setIntAttribute(g, "bits", 99); });
  tamperedSession(valid, "session-scale-nan.rlab", [](H5::H5File&, H5::Group& g) {
    H5::DataSet s = g.openDataSet("scale");
    std::vector<float> v(static_cast<size_t>(s.getSpace().getSimpleExtentNpoints()),
                         std::numeric_limits<float>::quiet_NaN());
    s.write(v.data(), H5::PredType::NATIVE_FLOAT);
  });
  tamperedSession(valid, "session-no-layers.rlab", [](H5::H5File& f, H5::Group&) { f.unlink("/results/layers"); });
  tamperedSession(valid, "session-unknown-method.rlab", [](H5::H5File& f, H5::Group&) {
    H5::Group r = f.openGroup("/manifest/request");
    r.removeAttr("method");
    H5::StrType type(H5::PredType::C_S1, H5T_VARIABLE);
    const char* v = "magic";
    r.createAttribute("method", type, H5::DataSpace(H5S_SCALAR)).write(type, &v);
  });
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: roundlab_bad_input_writer OUT_DIR DEMO_DIR VALID_SESSION\n");
    return 2;
  }
  out = argv[1];
  const std::string demoDir = argv[2];
  H5::Exception::dontPrint();
  try {
    modelWithWeight(demoDir + "/fmnist_resnet.pt", "model-nan-weight.pt", std::numeric_limits<float>::quiet_NaN());
    modelWithWeight(demoDir + "/fmnist_resnet.pt", "model-inf-weight.pt", std::numeric_limits<float>::infinity());
    corruptArchive(demoDir + "/fmnist_resnet.pt");
    dataSets(demoDir);
    idxFiles();
    imageFolders();
    sessions(argv[3]);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "roundlab_bad_input_writer: %s\n", e.what());
    return 1;
  } catch (const H5::Exception& e) {
    std::fprintf(stderr, "roundlab_bad_input_writer: %s\n", e.getDetailMsg().c_str());
    return 1;
  }
  return 0;
}
