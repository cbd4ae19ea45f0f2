#include "app/common/ImageFolderImport.h"

#include <fcntl.h>
#include <unistd.h>

#include <QDir>
#include <QImage>
#include <QImageReader>

#include "engine/core/Error.h"

namespace roundlab::app {

namespace {

constexpr int64_t kMaxPixels = int64_t(64) << 20;

// libpng's default error handler writes "libpng error: ..." straight to stderr, under Qt's PNG
// reader; the importer reports a failed image itself, naming the file. Silences fd 2 meanwhile.
class QuietStderr {
 public:
  QuietStderr() : saved_(::dup(2)) {
    const int null = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
    if (saved_ >= 0 && null >= 0) ::dup2(null, 2);
    if (null >= 0) ::close(null);
  }
  ~QuietStderr() {
    if (saved_ < 0) return;
    ::dup2(saved_, 2);
    ::close(saved_);
  }
  QuietStderr(const QuietStderr&) = delete;
  QuietStderr& operator=(const QuietStderr&) = delete;

 private:
  int saved_;
};

QStringList imageFiles(const QDir& dir) {
  QStringList filters;
  for (const char* ext : {"png", "jpg", "jpeg", "bmp", "pgm", "ppm"})
    filters << QString("*.%1").arg(ext) << QString("*.%1").arg(QString(ext).toUpper());
  return dir.entryList(filters, QDir::Files, QDir::Name);
}

}  // namespace

ImageSet importImageFolder(const QString& folder, const ImageImportOptions& o) {
  const QDir root(folder);
  if (!root.exists()) throw Error(ErrorCode::FileNotFound, "image folder not found: " + folder.toStdString());
  if (o.channels != 1 && o.channels != 3)
    throw Error(ErrorCode::InvalidArgument, "channels must be 1 (grayscale) or 3 (RGB)");

  std::vector<std::pair<QString, int64_t>> files;  // path, label (-1 = none)
  std::vector<std::string> classes;
  for (const QString& f : imageFiles(root)) files.emplace_back(root.filePath(f), -1);
  const QStringList subdirs = root.entryList(QDir::Dirs | QDir::NoDotAndDotDot, QDir::Name);
  if (files.empty()) {
    for (const QString& sub : subdirs) {
      const QDir d(root.filePath(sub));
      const QStringList list = imageFiles(d);
      if (list.isEmpty()) continue;
      const int64_t label = static_cast<int64_t>(classes.size());
      classes.push_back(sub.toStdString());
      for (const QString& f : list) files.emplace_back(d.filePath(f), label);
    }
  }
  if (files.empty())
    throw Error(ErrorCode::BadDataFile,
                folder.toStdString() + " holds no PNG/JPEG images (directly or in class sub-folders)");

  const auto picked = sampleIndices(static_cast<int64_t>(files.size()), o.count, o.seed);
  ImageSet s;
  s.n = static_cast<int64_t>(picked.size());
  s.channels = o.channels;
  s.mean = o.mean;
  s.std = o.std;
  s.classNames = classes;
  s.source = "image folder " + root.dirName().toStdString();
  for (int64_t idx : picked) {
    const auto& [path, label] = files[static_cast<size_t>(idx)];
    QImageReader reader(path);
    // A header may claim any size: refuse absurd ones before decoding allocates for them.
    QSize claimed;
    QImage img;
    {
      const QuietStderr quiet;
      claimed = reader.size();
      if (!claimed.isValid() || static_cast<int64_t>(claimed.width()) * claimed.height() <= kMaxPixels)
        img = reader.read();
    }
    if (claimed.isValid() && static_cast<int64_t>(claimed.width()) * claimed.height() > kMaxPixels)
      throw Error(ErrorCode::BadDataFile, "image " + path.toStdString() + " claims " + std::to_string(claimed.width()) +
                                              "x" + std::to_string(claimed.height()) +
                                              " pixels; RoundLab imports images of up to 64 megapixels");
    if (img.isNull())
      throw Error(ErrorCode::BadDataFile, "cannot read image " + path.toStdString() +
                                              ": damaged, or not the image format its name says (" +
                                              reader.errorString().toStdString() + ")");
    if (o.width > 0 && o.height > 0 && (img.width() != o.width || img.height() != o.height))
      img = img.scaled(o.width, o.height, Qt::IgnoreAspectRatio, Qt::SmoothTransformation);
    if (s.width == 0) {
      s.width = img.width();
      s.height = img.height();
      s.pixels.reserve(static_cast<size_t>(s.n * s.channels * s.height * s.width));
    } else if (img.width() != s.width || img.height() != s.height) {
      throw Error(ErrorCode::DataShapeMismatch, "image " + path.toStdString() + " is " + std::to_string(img.width()) +
                                                    "x" + std::to_string(img.height()) + ", others are " +
                                                    std::to_string(s.width) + "x" + std::to_string(s.height) +
                                                    "; pass --resize WxH");
    }
    img = img.convertToFormat(o.channels == 1 ? QImage::Format_Grayscale8 : QImage::Format_RGB888);
    // Planar layout: channel-major, as N x C x H x W expects.
    for (int c = 0; c < o.channels; ++c)
      for (int y = 0; y < img.height(); ++y) {
        const uchar* row = img.constScanLine(y);
        for (int x = 0; x < img.width(); ++x) s.pixels.push_back(row[x * o.channels + c]);
      }
    if (label >= 0) s.labels.push_back(label);
  }
  return s;
}

}  // namespace roundlab::app
