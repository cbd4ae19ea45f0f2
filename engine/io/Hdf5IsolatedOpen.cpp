#include "engine/io/Hdf5IsolatedOpen.h"

#include <atomic>
#include <csignal>
#include <filesystem>
#include <vector>

#include "engine/core/ChildProcess.h"
#include "engine/core/Error.h"
#include "engine/io/Hdf5MemoryFile.h"

namespace roundlab::hdf5 {

namespace {

constexpr size_t kMaxAttributeBytes = size_t{64} << 20;

// One attribute of the source root, read in its native form and written anew: variable-length
// strings land in the copy's own, freshly written global heap.
herr_t copyRootAttribute(hid_t source, const char* name, const H5A_info_t*, void* target) {
  const hid_t a = H5Aopen(source, name, H5P_DEFAULT);
  if (a < 0) return 0;
  const hid_t stored = H5Aget_type(a), space = H5Aget_space(a);
  const hid_t native = stored >= 0 ? H5Tget_native_type(stored, H5T_DIR_DEFAULT) : -1;
  const hssize_t points = space >= 0 ? H5Sget_simple_extent_npoints(space) : -1;
  if (native >= 0 && points >= 0) {
    const size_t bytes = H5Tget_size(native) * static_cast<size_t>(points);
    if (bytes <= kMaxAttributeBytes) {
      std::vector<unsigned char> buffer(std::max<size_t>(bytes, 1));
      if (H5Aread(a, native, buffer.data()) >= 0) {
        const hid_t copy = H5Acreate2(*static_cast<hid_t*>(target), name, stored, space, H5P_DEFAULT, H5P_DEFAULT);
        if (copy >= 0) {
          H5Awrite(copy, native, buffer.data());
          H5Aclose(copy);
        }
        if (H5Tdetect_class(native, H5T_VLEN) > 0 || H5Tis_variable_str(native) > 0)
          H5Dvlen_reclaim(native, space, H5P_DEFAULT, buffer.data());
      }
    }
  }
  if (native >= 0) H5Tclose(native);
  if (space >= 0) H5Sclose(space);
  if (stored >= 0) H5Tclose(stored);
  H5Aclose(a);
  return 0;  // on to the next one, whatever happened to this one
}

herr_t copyLink(hid_t source, const char* name, const H5L_info_t*, void* target) {
  H5Ocopy(source, name, *static_cast<hid_t*>(target), name, H5P_DEFAULT, H5P_DEFAULT);
  return 0;  // an object that does not copy is missing from the copy: its reader says so
}

std::string signalName(int signal) {
  switch (signal) {
    case SIGSEGV:
      return "a segmentation fault";
    case SIGBUS:
      return "a bus error";
    case SIGABRT:
      return "an abort";
    case SIGFPE:
      return "an arithmetic fault";
    case SIGILL:
      return "an illegal instruction";
    case 0:
      return "an abnormal exit";
    default:
      return "signal " + std::to_string(signal);
  }
}

// A copy's image opened in memory (HDF5 keeps its own copy of the bytes).
H5::H5File openImage(const std::string& image) {
  static std::atomic<unsigned> counter{0};
  H5::FileAccPropList access;
  access.setCore(1 << 20, false);
  if (H5Pset_file_image(access.getId(), const_cast<char*>(image.data()), image.size()) < 0)
    throw H5::FileIException("H5Pset_file_image", "cannot use the copy's image");
  return H5::H5File("roundlab-isolated-copy-" + std::to_string(counter++) + ".h5", H5F_ACC_RDONLY,
                    H5::FileCreatPropList::DEFAULT, access);
}

}  // namespace

std::string copyToMemory(const std::string& path) {
  H5::Exception::dontPrint();
  const hid_t source = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  if (source < 0) return {};
  std::string image;
  try {
    MemoryFile copy;
    hid_t target = copy.file().getId();
    H5Aiterate2(source, H5_INDEX_NAME, H5_ITER_INC, nullptr, copyRootAttribute, &target);
    H5Literate(source, H5_INDEX_NAME, H5_ITER_INC, nullptr, copyLink, &target);
    image = copy.image();
  } catch (const H5::Exception&) {
    image.clear();
  }
  H5Fclose(source);
  return image;
}

H5::H5File openForReading(const std::string& path) {
  H5::Exception::dontPrint();
  switch (checkSeal(path)) {
    case Seal::Intact:
      return H5::H5File(path, H5F_ACC_RDONLY);
    case Seal::Broken:
      throw Error(ErrorCode::BadDataFile,
                  path +
                      " is damaged: its checksum does not match its content (changed or corrupted after "
                      "RoundLab wrote it)");
    case Seal::Absent:
      break;
  }
  std::error_code ec;
  const auto bytes = std::filesystem::file_size(path, ec);
  // Generous: a sound file copies at hundreds of MB/s; only a looping parser gets near this.
  const double limitSeconds = 10.0 + (ec ? 0.0 : static_cast<double>(bytes) / 20e6);
  const ChildOutcome outcome = runInChildProcess([&] { return copyToMemory(path); }, limitSeconds);
  switch (outcome.kind) {
    case ChildOutcome::Kind::Finished:
      if (outcome.output.empty()) throw H5::FileIException("H5Fopen", "not an HDF5 file HDF5 can open");
      return openImage(outcome.output);
    case ChildOutcome::Kind::NotStarted:
      throw Error(ErrorCode::BadDataFile, "cannot read " + path + ": no process could be started to read it");
    case ChildOutcome::Kind::Crashed:
      throw Error(ErrorCode::BadDataFile, path + " is damaged: the HDF5 library failed with " +
                                              signalName(outcome.signal) +
                                              " while reading it (in a separate process; nothing was lost)");
    case ChildOutcome::Kind::TimedOut:
      break;
  }
  throw Error(ErrorCode::BadDataFile, path + " is damaged: the HDF5 library was still reading it after " +
                                          std::to_string(static_cast<int>(limitSeconds)) +
                                          " s (a damaged structure that makes it loop); it was stopped");
}

}  // namespace roundlab::hdf5
