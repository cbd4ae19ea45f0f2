#include "engine/session/RequestIo.h"

#include "engine/io/Hdf5Io.h"
#include "engine/pipeline/RequestFields.h"

namespace roundlab {

void writeRequest(H5::Group& g, const QuantizationRequest& r) {
  using namespace hdf5;
  for (const RequestField& f : requestFields()) {  // each setting a typed attribute
    const FieldValue v = f.get(r);
    if (const auto* i = std::get_if<int64_t>(&v))
      writeInt(g, f.key, *i);
    else if (const auto* d = std::get_if<double>(&v))
      writeDouble(g, f.key, *d);
    else
      writeString(g, f.key, std::get<std::string>(v));
  }
  H5::Group overrides = g.createGroup("bit_overrides");
  for (const auto& [layer, bits] : r.bits) writeInt(overrides, layer.c_str(), bits);
}

QuantizationRequest readRequest(const H5::Group& g) {
  using namespace hdf5;
  QuantizationRequest r;
  for (const RequestField& f : requestFields()) {
    if (f.optional && !g.attrExists(f.key)) continue;  // older sessions: the default
    const FieldValue kind = f.get(r);                  // the field's type
    if (std::holds_alternative<int64_t>(kind))
      f.set(r, readInt(g, f.key));
    else if (std::holds_alternative<double>(kind))
      f.set(r, readDouble(g, f.key));
    else
      f.set(r, readString(g, f.key));
  }
  const H5::Group overrides = g.openGroup("bit_overrides");
  for (int i = 0; i < overrides.getNumAttrs(); ++i) {
    const H5::Attribute a = overrides.openAttribute(static_cast<unsigned>(i));
    r.bits[a.getName()] = static_cast<int>(readInt(a));
  }
  return r;
}

}  // namespace roundlab
