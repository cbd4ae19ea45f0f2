// roundlab-cli make-calib: a calibration or validation set in RoundLab's HDF5 layout, from a
// folder of images, from MNIST-style IDX files, or token windows from plain text.
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>

#include "app/cli/CliSupport.h"
#include "app/common/ImageFolderImport.h"
#include "engine/data/Dataset.h"
#include "engine/data/TextTokens.h"

namespace roundlab::cli {

namespace {

QByteArray readWholeFile(const QString& path, const char* what) {
  QFile f(path);
  if (!QFileInfo(path).isFile()) throw Error(ErrorCode::FileNotFound, path.toStdString() + ": no such " + what);
  if (!f.open(QIODevice::ReadOnly)) throw Error(ErrorCode::FileNotFound, path.toStdString() + " cannot be read");
  return f.readAll();
}

// A vocabulary file: {"token": id, ...} or ["token", ...] by id, matched longest token first (right
// for character and word vocabularies; a BPE tokenizer's vocab.json needs the tokenizer itself).
Vocabulary vocabularyFile(const QString& path) {
  QJsonParseError error;
  const QJsonDocument doc = QJsonDocument::fromJson(readWholeFile(path, "vocabulary file"), &error);
  const std::string origin = path.toStdString();
  if (error.error != QJsonParseError::NoError)
    throw Error(ErrorCode::BadDataFile, origin + " is not JSON: " + error.errorString().toStdString() + " at byte " +
                                            std::to_string(error.offset));
  std::vector<std::string> tokens;
  if (doc.isArray()) {
    for (const QJsonValue& v : doc.array()) tokens.push_back(v.toString().toStdString());
  } else if (doc.isObject()) {
    const QJsonObject o = doc.object();
    for (auto it = o.begin(); it != o.end(); ++it) {
      const double id = it.value().toDouble(-1);
      if (!it.value().isDouble() || id < 0 || id != static_cast<double>(static_cast<int64_t>(id)) || id > 1e7)
        throw Error(ErrorCode::BadDataFile,
                    origin + ": the token '" + it.key().toStdString() + "' has no valid id (a whole number >= 0)");
      const auto i = static_cast<size_t>(id);
      if (tokens.size() <= i) tokens.resize(i + 1);
      if (!tokens[i].empty())
        throw Error(ErrorCode::BadDataFile, origin + ": id " + std::to_string(i) + " is given to two tokens");
      tokens[i] = it.key().toStdString();
    }
  } else {
    throw Error(ErrorCode::BadDataFile, origin + " must hold {\"token\": id, ...} or [\"token\", ...]");
  }
  return listedVocabulary(std::move(tokens), origin);
}

int makeTokenSet(const QCommandLineParser& p, const QString& textPath, int64_t count, uint64_t seed) {
  for (const char* image : {"resize", "rgb", "mean", "std"})
    if (p.isSet(image)) throw UsageError{QString("--%1 does not apply to --text").arg(image)};
  const QString vocabName = p.value("vocab");
  const int64_t context = parseInt(p.value("context"), "--context", 1, 1 << 20);
  const std::string text = readWholeFile(textPath, "text file").toStdString();
  const Vocabulary vocab = vocabName == "bytes"   ? byteVocabulary()
                           : vocabName == "chars" ? charVocabulary(text)
                                                  : vocabularyFile(vocabName);
  const std::vector<int64_t> ids = tokenize(text, vocab, textPath.toStdString());
  TokenSet set = tokenWindows(ids, context, count, seed, textPath.toStdString());
  set.vocab = vocab;
  set.source = QFileInfo(textPath).fileName().toStdString() + " (vocab " + vocab.kind + ", context " +
               std::to_string(context) + ", count " + std::to_string(set.n) + ", seed " + std::to_string(seed) + ")";
  const QString out = p.value("output");
  writeTokenSet(out.toStdString(), set);
  if (p.isSet("json")) {
    printJson({{"output", out},
               {"samples", static_cast<qint64>(set.n)},
               {"context", static_cast<qint64>(context)},
               {"vocab", QString::fromStdString(vocab.kind)},
               {"vocab_size", static_cast<qint64>(vocab.size())},
               {"tokens", static_cast<qint64>(ids.size())},
               {"seed", static_cast<qint64>(seed)}});
  } else {
    printLine(QString("wrote %1: %2 sequences of %3 tokens with next-token labels (vocabulary: %4, %5 tokens)")
                  .arg(out)
                  .arg(set.n)
                  .arg(context)
                  .arg(QString::fromStdString(vocab.kind))
                  .arg(vocab.size()));
  }
  return 0;
}

}  // namespace

int runMakeCalib(const QStringList& args) {
  QCommandLineParser p;
  p.addOption({{"o", "output"}, "Output HDF5 file (written atomically).", "OUT.h5"});
  p.addOption({"count", "Number of samples drawn without replacement (default: all).", "N", "0"});
  p.addOption({"seed", "Seed of the draw (default 0).", "N", "0"});
  p.addOption({"resize", "Image folders: resize every image to WxH.", "WxH"});
  p.addOption({"rgb", "Image folders: keep 3 colour channels (default: grayscale)."});
  p.addOption({"mean", "Per-channel mean stored for normalisation (after scaling to [0,1]).", "M[,M..]"});
  p.addOption({"std", "Per-channel std stored for normalisation.", "S[,S..]"});
  p.addOption({"text", "Token windows from a plain text file (instead of images).", "FILE.txt"});
  p.addOption({"vocab", "With --text: bytes (256 ids), chars (the text's characters) or a VOCAB.json.",
               "bytes|chars|VOCAB.json", "bytes"});
  p.addOption({"context", "With --text: tokens per sequence.", "T", "128"});
  if (!parseCommand(p, args, "Write a calibration/validation set (uint8 images or token ids, optional labels).",
                    "SOURCE",
                    "A folder of PNG/JPEG images (sub-folders = classes), or IDX images [+ IDX labels]; none with "
                    "--text."))
    return 0;
  const QStringList pos = p.positionalArguments();
  if (!p.isSet("output")) throw UsageError{"-o OUT.h5 is required"};
  const int64_t count = parseInt(p.value("count"), "--count", 0);
  const uint64_t seed =
      static_cast<uint64_t>(parseInt(p.value("seed"), "--seed", 0, std::numeric_limits<int64_t>::max()));
  if (p.isSet("text")) {
    if (!pos.isEmpty()) throw UsageError{"--text takes no other input"};
    checkOutputOption(p, "output", {p.value("text")});
    return makeTokenSet(p, p.value("text"), count, seed);
  }
  if (p.isSet("vocab") || p.isSet("context")) throw UsageError{"--vocab and --context apply to --text only"};
  if (pos.isEmpty() || pos.size() > 2) throw UsageError{"expects IMAGE_DIR, or IMAGES-IDX [LABELS-IDX], or --text"};
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
