#include "engine/io/Hdf5Io.h"

#include <torch/torch.h>

namespace roundlab::hdf5 {

namespace {

const H5::PredType& fileType(at::ScalarType t) {
  switch (t) {
    case at::kChar:
      return H5::PredType::STD_I8LE;
    case at::kShort:
      return H5::PredType::STD_I16LE;
    case at::kInt:
      return H5::PredType::STD_I32LE;
    case at::kLong:
      return H5::PredType::STD_I64LE;
    case at::kDouble:
      return H5::PredType::IEEE_F64LE;
    default:
      return H5::PredType::IEEE_F32LE;
  }
}

const H5::PredType& memoryType(at::ScalarType t) {
  switch (t) {
    case at::kChar:
      return H5::PredType::NATIVE_INT8;
    case at::kShort:
      return H5::PredType::NATIVE_INT16;
    case at::kInt:
      return H5::PredType::NATIVE_INT32;
    case at::kLong:
      return H5::PredType::NATIVE_INT64;
    case at::kDouble:
      return H5::PredType::NATIVE_DOUBLE;
    default:
      return H5::PredType::NATIVE_FLOAT;
  }
}

void requireSingle(const H5::Attribute& a, bool text) {
  const H5T_class_t kind = a.getTypeClass();
  const bool fits = text ? kind == H5T_STRING : kind == H5T_INTEGER || kind == H5T_FLOAT;
  if (!fits || a.getSpace().getSimpleExtentNpoints() != 1)
    throw H5::AttributeIException(a.getName(), text ? "expected one text value" : "expected one number");
}

}  // namespace

void writeString(H5::H5Object& obj, const char* name, const std::string& value) {
  H5::StrType type(H5::PredType::C_S1, H5T_VARIABLE);
  const char* p = value.c_str();
  obj.createAttribute(name, type, H5::DataSpace(H5S_SCALAR)).write(type, &p);
}

void writeInt(H5::H5Object& obj, const char* name, int64_t value) {
  obj.createAttribute(name, H5::PredType::NATIVE_INT64, H5::DataSpace(H5S_SCALAR))
      .write(H5::PredType::NATIVE_INT64, &value);
}

void writeDouble(H5::H5Object& obj, const char* name, double value) {
  obj.createAttribute(name, H5::PredType::NATIVE_DOUBLE, H5::DataSpace(H5S_SCALAR))
      .write(H5::PredType::NATIVE_DOUBLE, &value);
}

std::string readString(const H5::H5Object& obj, const char* name) {
  H5::Attribute a = obj.openAttribute(name);
  requireSingle(a, true);
  std::string s;
  a.read(a.getStrType(), s);
  return s;
}

int64_t readInt(const H5::Attribute& a) {
  requireSingle(a, false);
  int64_t v = 0;
  a.read(H5::PredType::NATIVE_INT64, &v);
  return v;
}

double readDouble(const H5::Attribute& a) {
  requireSingle(a, false);
  double v = 0;
  a.read(H5::PredType::NATIVE_DOUBLE, &v);
  return v;
}

int64_t readInt(const H5::H5Object& obj, const char* name) { return readInt(obj.openAttribute(name)); }

double readDouble(const H5::H5Object& obj, const char* name) { return readDouble(obj.openAttribute(name)); }

void writeTensor(H5::Group& g, const char* name, const at::Tensor& tensor) {
  const at::Tensor t = tensor.contiguous();
  std::vector<hsize_t> dims(t.sizes().begin(), t.sizes().end());
  if (dims.empty()) dims.push_back(1);
  H5::DSetCreatPropList props;
  if (t.numel() > 4096) {
    std::vector<hsize_t> chunk = dims;
    const hsize_t rowElements = std::max<hsize_t>(1, static_cast<hsize_t>(t.numel()) / dims[0]);
    chunk[0] = std::max<hsize_t>(1, std::min<hsize_t>(dims[0], (hsize_t(1) << 16) / rowElements));
    props.setChunk(static_cast<int>(chunk.size()), chunk.data());
    props.setDeflate(4);  // integer codes compress well
  }
  g.createDataSet(name, fileType(t.scalar_type()), H5::DataSpace(static_cast<int>(dims.size()), dims.data()), props)
      .write(t.data_ptr(), memoryType(t.scalar_type()));
}

at::Tensor readTensor(const H5::Group& g, const char* name) {
  H5::DataSet d = g.openDataSet(name);
  H5::DataSpace space = d.getSpace();
  std::vector<hsize_t> dims(static_cast<size_t>(space.getSimpleExtentNdims()));
  space.getSimpleExtentDims(dims.data());
  const H5::DataType type = d.getDataType();
  at::ScalarType st = at::kFloat;
  if (type.getClass() == H5T_INTEGER)
    st = type.getSize() == 1   ? at::kChar
         : type.getSize() == 2 ? at::kShort
         : type.getSize() == 4 ? at::kInt
                               : at::kLong;
  else if (type.getSize() == 8)
    st = at::kDouble;
  at::Tensor t = at::empty(std::vector<int64_t>(dims.begin(), dims.end()), st);
  d.read(t.data_ptr(), memoryType(st));
  return t;
}

void appendRows(H5::Group& g, const char* name, const at::Tensor& rows) {
  const at::Tensor t = rows.contiguous();
  const int rank = static_cast<int>(t.dim());
  std::vector<hsize_t> dims(t.sizes().begin(), t.sizes().end());
  if (!g.nameExists(name)) {
    std::vector<hsize_t> start = dims, limit = dims, chunk = dims;
    start[0] = 0;
    limit[0] = H5S_UNLIMITED;
    chunk[0] = std::max<hsize_t>(1, dims[0]);
    H5::DSetCreatPropList props;
    props.setChunk(rank, chunk.data());
    g.createDataSet(name, fileType(t.scalar_type()), H5::DataSpace(rank, start.data(), limit.data()), props);
  }
  H5::DataSet d = g.openDataSet(name);
  std::vector<hsize_t> extent(static_cast<size_t>(rank));
  d.getSpace().getSimpleExtentDims(extent.data());
  const hsize_t offsetRows = extent[0];
  extent[0] += dims[0];
  d.extend(extent.data());
  H5::DataSpace fileSpace = d.getSpace();
  std::vector<hsize_t> offset(static_cast<size_t>(rank), 0);
  offset[0] = offsetRows;
  fileSpace.selectHyperslab(H5S_SELECT_SET, dims.data(), offset.data());
  d.write(t.data_ptr(), memoryType(t.scalar_type()), H5::DataSpace(rank, dims.data()), fileSpace);
}

}  // namespace roundlab::hdf5
