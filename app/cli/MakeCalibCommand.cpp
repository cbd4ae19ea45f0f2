// roundlab-cli make-calib: a calibration or validation set in RoundLab's HDF5 layout, from a
// folder of images or from MNIST-style IDX files.
#include <QFileInfo>

#include "app/cli/CliSupport.h"
#include "app/common/ImageFolderImport.h"
#include "engine/data/Dataset.h"

namespace roundlab::cli {

int runMakeCalib(const QStringList& args) {
  QCommandLineParser p;
  p.addOption({{"o", "output"}, "Output HDF5 file (written atomically).", "OUT.h5"});
  p.addOption({"count", "Number of samples drawn without replacement (default: all).", "N", "0"});
  p.addOption({"seed", "Seed of the draw (default 0).", "N", "0"});
  p.addOption({"resize", "Image folders: resize every image to WxH.", "WxH"});
  p.addOption({"rgb", "Image folders: keep 3 colour channels (default: grayscale)."});
  p.addOption({"mean", "Per-channel mean stored for normalisation (after scaling to [0,1]).", "M[,M..]"});
  p.addOption({"std", "Per-channel std stored for normalisation.", "S[,S..]"});
  if (!parseCommand(p, args, "Write a calibration/validation set (uint8 images, optional labels).", "SOURCE",
                    "A folder of PNG/JPEG images (sub-folders = classes), or IDX images [+ IDX labels]."))
    return 0;
  const QStringList pos = p.positionalArguments();
  if (pos.isEmpty() || pos.size() > 2) throw UsageError{"expects IMAGE_DIR, or IMAGES-IDX [LABELS-IDX]"};
  if (!p.isSet("output")) throw UsageError{"-o OUT.h5 is required"};
  const int64_t count = parseInt(p.value("count"), "--count", 0);
  const uint64_t seed =
      static_cast<uint64_t>(parseInt(p.value("seed"), "--seed", 0, std::numeric_limits<int64_t>::max()));
  std::vector<float> mean, std;
  if (p.isSet("mean")) mean = parseFloatList(p.value("mean"), "--mean");
  if (p.isSet("std")) std = parseStdList(p.value("std"));
  if (mean.size() != std.size()) throw UsageError{"--mean and --std need the same number of values"};
  checkOutputOption(p, "output", pos);

  ImageSet set;
  if (QFileInfo(pos[0]).isDir()) {
    if (pos.size() != 1) throw UsageError{"an image folder takes no second input"};
    app::ImageImportOptions o;
    o.channels = p.isSet("rgb") ? 3 : 1;
    o.count = count;
    o.seed = seed;
    if (p.isSet("resize")) {
      const QStringList wh = p.value("resize").toLower().split('x');
      if (wh.size() != 2) throw UsageError{"--resize expects WxH, e.g. 28x28"};
      o.width = static_cast<int>(parseInt(wh[0], "--resize width", 1, 16384));
      o.height = static_cast<int>(parseInt(wh[1], "--resize height", 1, 16384));
    }
    set = app::importImageFolder(pos[0], o);
  } else {
    if (p.isSet("resize") || p.isSet("rgb")) throw UsageError{"--resize and --rgb apply to image folders only"};
    const ImageSet all = readIdxImages(pos[0].toStdString(), pos.size() > 1 ? pos[1].toStdString() : std::string());
    set = selectImages(all, sampleIndices(all.n, count, seed));
  }
  if (!mean.empty()) {
    if (mean.size() == 1 && set.channels > 1)
      mean.assign(static_cast<size_t>(set.channels), mean[0]), std.assign(static_cast<size_t>(set.channels), std[0]);
    if (static_cast<int64_t>(mean.size()) != set.channels)
      throw UsageError{QString("--mean/--std need %1 values, one per channel").arg(set.channels)};
    set.mean = mean;
    set.std = std;
  }
  set.source += " (count " + std::to_string(set.n) + ", seed " + std::to_string(seed) + ")";
  const QString out = p.value("output");
  writeImageSet(out.toStdString(), set);
  if (p.isSet("json")) {
    printJson({{"output", out},
               {"samples", static_cast<qint64>(set.n)},
               {"shape", toJsonArray({set.channels, set.height, set.width})},
               {"labels", !set.labels.empty()},
               {"classes", static_cast<qint64>(set.classNames.size())},
               {"seed", static_cast<qint64>(seed)}});
  } else {
    printLine(QString("wrote %1: %2 samples of %3x%4x%5%6")
                  .arg(out)
                  .arg(set.n)
                  .arg(set.channels)
                  .arg(set.height)
                  .arg(set.width)
                  .arg(set.labels.empty() ? QString(", no labels") : QString(", with labels")));
  }
  return 0;
}

}  // namespace roundlab::cli
