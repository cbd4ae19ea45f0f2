#include "engine/export/TorchScriptExport.h"

#include <sstream>

#include <torch/script.h>

#include "engine/core/AtomicFile.h"
#include "engine/core/Error.h"
#include "engine/data/DataBatch.h"
#include "engine/data/Dataset.h"
#include "engine/model/Model.h"

namespace roundlab {

ExportReport exportTorchScript(const Model& model, const std::string& path, const Dataset& probeData,
                               int64_t probeSamples) {
  const at::Tensor probe = probeData.read(0, std::min(probeSamples, probeData.info().samples)).inputs;
  AtomicFile file(path);
  // Serialised in memory: LibTorch's file writer finishes the archive in its destructor, where a
  // full disk would abort the process. The checked write below is the only disk access.
  std::ostringstream archive;
  try {
    model.exportableModule().save(archive);
  } catch (const std::exception& e) {
    throw Error(ErrorCode::WriteFailed, "cannot serialise " + path + ": " + conciseTorchMessage(e.what()));
  }
  file.write(archive.str());
  ExportReport r;
  r.path = path;
  r.probeSamples = probe.size(0);
  try {
    Model reloaded = Model::load(file.tempPath());
    reloaded.setOutputChoice(model.summary().outputChoice);  // the file is the module: the same output compared
    r.maxAbsDiff = (reloaded.forward(probe) - model.forward(probe)).abs().max().item<double>();
  } catch (const Error& e) {
    throw Error(ErrorCode::Internal, "exported file does not reload: " + std::string(e.what()));
  }
  if (r.maxAbsDiff != 0)
    throw Error(ErrorCode::Internal, "exported model differs from the in-app model (max |diff| " +
                                         std::to_string(r.maxAbsDiff) + "); nothing was written");
  file.commit();
  r.validated = true;
  return r;
}

}  // namespace roundlab
