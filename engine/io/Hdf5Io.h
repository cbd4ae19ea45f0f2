#pragma once
// Small typed helpers over the HDF5 C++ API shared by RoundLab's files (quantized-model exports,
// sessions, the activation cache): scalar attributes and tensor datasets.
#include <H5Cpp.h>

#include <string>

#include <torch/types.h>

namespace roundlab::hdf5 {

void writeString(H5::H5Object& obj, const char* name, const std::string& value);
void writeInt(H5::H5Object& obj, const char* name, int64_t value);
void writeDouble(H5::H5Object& obj, const char* name, double value);
// The readers throw H5::AttributeIException unless the attribute holds exactly one value of the
// expected kind (text; a number): a damaged file's N values must never land in room for one.
std::string readString(const H5::H5Object& obj, const char* name);
int64_t readInt(const H5::H5Object& obj, const char* name);
double readDouble(const H5::H5Object& obj, const char* name);
int64_t readInt(const H5::Attribute& a);
double readDouble(const H5::Attribute& a);

// Tensor datasets: int8/int16/int32/float32/float64 tensors, chunked and compressed when large.
void writeTensor(H5::Group& g, const char* name, const at::Tensor& t);
at::Tensor readTensor(const H5::Group& g, const char* name);
// Appends rows (along dim 0) to an extendible, chunked dataset, creating it on first use; later
// rows must have the first ones' trailing shape and type.
void appendRows(H5::Group& g, const char* name, const at::Tensor& rows);

}  // namespace roundlab::hdf5
