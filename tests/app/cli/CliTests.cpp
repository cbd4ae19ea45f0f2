// roundlab-cli end to end: real processes on the shipped demo, Fashion-MNIST and temp files;
// HDF5 outputs are read back with the HDF5 C API, not with RoundLab's reader.
#include <H5Cpp.h>
#include <sys/stat.h>
#include <zlib.h>

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QImage>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRegularExpression>
#include <QSet>
#include <QTemporaryDir>
#include <QTest>

#include "CliRun.h"

namespace {

using clitest::cli;
using clitest::demo;
using clitest::Run;
QString fixture(const char* f) { return QString(ROUNDLAB_TEST_DATA_DIR) + "/" + f; }
QString fmnist(const char* f) { return QString(FASHION_MNIST_DIR) + "/" + f; }

// Fashion-MNIST is optional data (Debian's dataset-fashion-mnist): tests that read it skip without it.
#define SKIP_WITHOUT_FASHION_MNIST()                                                                   \
  do {                                                                                                 \
    if (!QFile::exists(fmnist("t10k-images-idx3-ubyte.gz")))                                           \
      QSKIP("Fashion-MNIST is not installed (apt install dataset-fashion-mnist): this test needs it"); \
  } while (0)

QJsonObject manifestModels() {
  QFile f(demo("demo.json"));
  f.open(QIODevice::ReadOnly);
  return QJsonDocument::fromJson(f.readAll()).object()["models"].toObject();
}

struct H5Images {
  std::vector<hsize_t> dims;
  std::vector<uint8_t> pixels;
  std::vector<int64_t> labels;
  std::vector<float> mean;
};

H5Images readH5(const QString& path) {
  H5::H5File f(path.toStdString(), H5F_ACC_RDONLY);
  H5::DataSet d = f.openDataSet("images");
  H5Images r;
  r.dims.resize(4);
  d.getSpace().getSimpleExtentDims(r.dims.data());
  r.pixels.resize(r.dims[0] * r.dims[1] * r.dims[2] * r.dims[3]);
  d.read(r.pixels.data(), H5::PredType::NATIVE_UINT8);
  if (f.nameExists("labels")) {
    r.labels.resize(r.dims[0]);
    f.openDataSet("labels").read(r.labels.data(), H5::PredType::NATIVE_INT64);
  }
  if (f.attrExists("mean")) {
    r.mean.resize(static_cast<size_t>(f.openAttribute("mean").getSpace().getSimpleExtentNpoints()));
    f.openAttribute("mean").read(H5::PredType::NATIVE_FLOAT, r.mean.data());
  }
  return r;
}

QByteArray gunzip(const QString& path) {
  gzFile f = gzopen(path.toLocal8Bit().constData(), "rb");
  QByteArray all;
  char buf[1 << 16];
  int n;
  while ((n = gzread(f, buf, sizeof buf)) > 0) all.append(buf, n);
  gzclose(f);
  return all;
}

// The demo's JSON without wall times and session paths, which differ between runs.
QJsonObject withoutDemoTimes(QJsonObject demo) {
  QJsonArray models;
  for (const auto& v : demo["models"].toArray()) {
    QJsonObject m = v.toObject();
    m.remove("session");
    QJsonArray rows;
    for (const auto& r : m["rows"].toArray()) {
      QJsonObject row = r.toObject();
      row.remove("wall_s");
      rows.append(row);
    }
    m["rows"] = rows;
    models.append(m);
  }
  demo["models"] = models;
  demo.remove("validation");
  return demo;
}

// The demo's text as a user reads it: single spaces, no rule lines, times and session paths out.
QString comparableDemoText(const QString& text) {
  QStringList out;
  for (QString line : text.split('\n')) {
    line = line.simplified();
    if (line.startsWith("Session: ") || line.startsWith("Quantization took") ||
        QString(line).remove('-').remove(' ').isEmpty())
      continue;
    line.replace(QRegularExpression("\\d+\\.\\d s$"), "# s");
    out << line;
  }
  return out.join('\n');
}

// Per-layer results without their wall times, which differ between runs.
QJsonArray withoutTimes(const QJsonArray& layers) {
  QJsonArray out;
  for (const auto& v : layers) {
    QJsonObject o = v.toObject();
    o.remove("seconds");
    out.append(o);
  }
  return out;
}

}  // namespace

class CliTests : public QObject {
  Q_OBJECT
 private Q_SLOTS:
  void infoJsonListsEveryLayer() {
    for (const char* model : {"fmnist_resnet.pt", "fmnist_transformer.pt"}) {
      const Run r = cli({"info", demo(model), "--json"});
      QCOMPARE(r.exitCode, 0);
      const QJsonObject o = r.json();
      const QJsonArray layers = o["layers"].toArray();
      QCOMPARE(layers.size(), 10);
      qint64 params = 0;
      for (const auto& v : layers) {
        const QJsonObject l = v.toObject();
        for (const char* key : {"name", "kind", "weight_shape", "params", "block"}) QVERIFY2(l.contains(key), key);
        qint64 prod = 1;
        for (const auto& d : l["weight_shape"].toArray()) prod *= d.toInteger();
        QCOMPARE(l["params"].toInteger(), prod);
        params += prod;
      }
      QCOMPARE(o["quantizable_params"].toInteger(), params);
      QVERIFY(o["not_quantized"].toArray().size() > 0);
    }
    const QJsonArray t = cli({"info", demo("fmnist_transformer.pt"), "--json"}).json()["layers"].toArray();
    QStringList kinds;
    for (const auto& v : t) kinds << v.toObject()["kind"].toString();
    QCOMPARE(kinds.count("MultiheadAttention.in_proj"), 2);
    QCOMPARE(kinds.count("MultiheadAttention.out_proj"), 2);
  }

  void infoTextTable() {
    const Run r = cli({"info", fixture("resnet_traced.pt")});
    QCOMPARE(r.exitCode, 0);
    QVERIFY(r.out.contains("layer2.0.downsample.0"));
    QVERIFY(r.out.contains("BasicBlock"));
    QVERIFY(r.out.contains("not quantized"));
  }

  void badInputGivesOneClearLine_data() {
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<int>("exitCode");
    QTest::addColumn<QString>("needle");
    QTest::newRow("missing model") << QStringList{"info", "/nonexistent/model.pt"} << 1 << "not found";
    QTest::newRow("not torchscript") << QStringList{"info", fixture("not_a_model.pt")} << 1 << "not a TorchScript file";
    QTest::newRow("no layers") << QStringList{"info", fixture("no_layers.pt")} << 1 << "no quantizable layer";
    QTest::newRow("wrong data") << QStringList{"eval", demo("fmnist_resnet.pt"), "--data", fixture("not_a_model.pt")}
                                << 1 << "neither an HDF5";
    QTest::newRow("no data option") << QStringList{"eval", demo("fmnist_resnet.pt")} << 2 << "--data";
    QTest::newRow("unknown command") << QStringList{"quantise"} << 2 << "unknown command";
    QTest::newRow("bad count") << QStringList{"make-calib", fmnist("t10k-images-idx3-ubyte.gz"),
                                              "-o",         "/tmp/x.h5",
                                              "--count",    "-4"}
                               << 2 << "--count";
    QTest::newRow("no args") << QStringList{} << 2 << "usage";
    // Numbers that would wrap or make no sense are refused before any work.
    const QStringList quantize{"quantize", demo("fmnist_resnet.pt"), "--calib", demo("fmnist_calib.h5")};
    QTest::newRow("wbits wraps") << (quantize + QStringList{"--wbits", "4294967298"}) << 2 << "--wbits";
    QTest::newRow("iters wraps") << (quantize + QStringList{"--iters", "4294967297"}) << 2 << "--iters";
    QTest::newRow("negative warmup") << (quantize + QStringList{"--warmup", "-1"}) << 2 << "--warmup";
    QTest::newRow("zero lr") << (quantize + QStringList{"--lr", "0"}) << 2 << "--lr expects a number above 0";
    QTest::newRow("nan lambda") << (quantize + QStringList{"--lambda", "nan"}) << 2 << "--lambda";
    QTest::newRow("threads wrap") << (quantize + QStringList{"--threads", "99999999999"}) << 2 << "--threads";
    // Outputs are checked before any work: a missing folder, a folder, one of the inputs.
    QTest::newRow("session into a missing folder")
        << (quantize + QStringList{"--session", "/nonexistent/dir/s.rlab"}) << 2 << "does not exist";
    QTest::newRow("export onto a folder") << (quantize + QStringList{"--export-h5", "/tmp"}) << 2 << "is a folder";
    QTest::newRow("session onto the model")
        << (quantize + QStringList{"--session", demo("fmnist_resnet.pt")}) << 2 << "also an input";
    QTest::newRow("export onto the calibration set")
        << (quantize + QStringList{"--export-h5", demo("fmnist_calib.h5")}) << 2 << "also an input";
  }

  void badInputGivesOneClearLine() {
    QFETCH(QStringList, args);
    QFETCH(int, exitCode);
    QFETCH(QString, needle);
    const Run r = cli(args);
    QCOMPARE(r.exitCode, exitCode);
    QVERIFY2(r.err.contains(needle.toUtf8()), r.err.constData());
    if (!args.isEmpty()) QCOMPARE(r.stderrLines(), 1);
  }

  // Special files never hang a run: a FIFO as the model, the data or a session is refused at once.
  void specialFilesAreRefusedAtOnce() {
    QTemporaryDir dir;
    const QString fifo = dir.filePath("pipe");
    QVERIFY(::mkfifo(fifo.toLocal8Bit().constData(), 0600) == 0);
    for (const QStringList& args :
         {QStringList{"info", fifo}, QStringList{"eval", demo("fmnist_resnet.pt"), "--data", fifo},
          QStringList{"session", fifo}}) {
      QElapsedTimer clock;
      clock.start();
      const Run r = cli(args);
      QCOMPARE(r.exitCode, 1);
      QVERIFY2(r.err.contains("not a regular file"), r.err.constData());
      QCOMPARE(r.stderrLines(), 1);
      QVERIFY(clock.elapsed() < 60000);
    }
    // More threads than the machine has: a note, then the machine's own count.
    const Run many = cli({"info", demo("fmnist_resnet.pt"), "--threads", "1000"});
    QCOMPARE(many.exitCode, 0);
    QVERIFY2(many.err.contains("hardware threads"), many.err.constData());
  }

  void evalReproducesRecordedAccuracy() {
    const QJsonObject models = manifestModels();
    for (const char* model : {"fmnist_resnet.pt", "fmnist_transformer.pt"}) {
      const Run r = cli({"eval", demo(model), "--data", demo("fmnist_val.h5"), "--json"});
      QCOMPARE(r.exitCode, 0);
      const QJsonObject o = r.json();
      const QJsonObject rec = models[model].toObject();
      QCOMPARE(o["samples"].toInteger(), rec["val_samples"].toInteger());
      QVERIFY2(std::abs(o["correct"].toInteger() - rec["val_correct"].toInteger()) <= 1, r.out.constData());
      QVERIFY(std::abs(o["top1"].toDouble() - rec["val_top1"].toDouble()) <= 100.0 / rec["val_samples"].toDouble());
    }
  }

  void threadsOptionGivesSameResults() {
    const QStringList args{"eval",  demo("fmnist_transformer.pt"), "--data", demo("fmnist_val.h5"), "--count", "300",
                           "--json"};
    const Run one = cli(args), two = cli(args + QStringList{"--threads", "2"});
    QCOMPARE(two.exitCode, 0);
    QCOMPARE(two.json()["correct"].toInteger(), one.json()["correct"].toInteger());
    QCOMPARE(cli(args + QStringList{"--threads", "0"}).exitCode, 2);
  }

  void evalAgainstReferenceAndIdx() {
    SKIP_WITHOUT_FASHION_MNIST();
    const Run self =
        cli({"eval", demo("fmnist_resnet.pt"), "--data", fmnist("t10k-images-idx3-ubyte.gz"), "--mean", "0.2860",
             "--std", "0.3530", "--count", "500", "--reference", demo("fmnist_resnet.pt"), "--per-layer", "--json"});
    QCOMPARE(self.exitCode, 0);
    const QJsonObject o = self.json();
    QCOMPARE(o["samples"].toInteger(), 500);
    QCOMPARE(o["agreement"].toDouble(), 100.0);
    QVERIFY(std::abs(o["kl"].toDouble()) < 1e-9);
    QVERIFY(o["top1"].toDouble() > 85.0);  // a real subset of the test split
    QCOMPARE(o["layers"].toArray().size(), 10);
    for (const auto& l : o["layers"].toArray()) QVERIFY(l.toObject()["sqnr_db"].isNull());  // identical: infinite
  }

  void makeCalibFromIdxIsDeterministicAndExact() {
    SKIP_WITHOUT_FASHION_MNIST();
    QTemporaryDir dir;
    const QString a = dir.filePath("a.h5"), b = dir.filePath("b.h5"), c = dir.filePath("c.h5");
    const QStringList common{
        "make-calib", fmnist("t10k-images-idx3-ubyte.gz"), "--count", "100", "--mean", "0.286", "--std", "0.353"};
    QCOMPARE(cli(common + QStringList{"-o", a, "--seed", "3"}).exitCode, 0);
    QCOMPARE(cli(common + QStringList{"-o", b, "--seed", "3"}).exitCode, 0);
    const Run rc = cli(common + QStringList{"-o", c, "--seed", "4", "--json"});
    QCOMPARE(rc.exitCode, 0);
    QCOMPARE(rc.json()["samples"].toInteger(), 100);
    const H5Images ha = readH5(a), hb = readH5(b), hc = readH5(c);
    QCOMPARE(ha.dims, (std::vector<hsize_t>{100, 1, 28, 28}));
    QCOMPARE(ha.labels.size(), size_t(100));
    QVERIFY(ha.pixels == hb.pixels && ha.labels == hb.labels);
    QVERIFY(ha.pixels != hc.pixels);
    QCOMPARE(ha.mean, std::vector<float>{0.286f});
    // Every sample is an image of the IDX file with its own label.
    const QByteArray images = gunzip(fmnist("t10k-images-idx3-ubyte.gz")).mid(16);
    const QByteArray labels = gunzip(fmnist("t10k-labels-idx1-ubyte.gz")).mid(8);
    QHash<QByteArray, QSet<int>> labelsOf;
    for (int i = 0; i < 10000; ++i) labelsOf[images.mid(i * 784, 784)].insert(labels[i]);
    for (size_t k = 0; k < 100; ++k) {
      const QByteArray img(reinterpret_cast<const char*>(ha.pixels.data() + k * 784), 784);
      QVERIFY(labelsOf.contains(img));
      QVERIFY(labelsOf[img].contains(static_cast<int>(ha.labels[k])));
    }
  }

  void makeCalibFromImageFolder() {
    QTemporaryDir dir;
    QDir root(dir.path());
    const QStringList classes{"boot", "coat", "shirt"};
    for (int c = 0; c < classes.size(); ++c) {
      root.mkpath("imgs/" + classes[c]);
      for (int i = 0; i < 2; ++i) {
        QImage img(16, 12, QImage::Format_RGB32);
        img.fill(QColor(40 * (c + 1) + i, 40 * (c + 1) + i, 40 * (c + 1) + i));
        QVERIFY(img.save(root.filePath(QString("imgs/%1/%2.png").arg(classes[c]).arg(i))));
      }
    }
    const QString out = dir.filePath("folder.h5");
    const Run r = cli({"make-calib", root.filePath("imgs"), "-o", out, "--resize", "8x6", "--json"});
    QCOMPARE(r.exitCode, 0);
    const H5Images h = readH5(out);
    QCOMPARE(h.dims, (std::vector<hsize_t>{6, 1, 6, 8}));
    QCOMPARE(h.labels, (std::vector<int64_t>{0, 0, 1, 1, 2, 2}));
    for (size_t k = 0; k < 6; ++k) {
      const int expected = 40 * (static_cast<int>(k / 2) + 1) + static_cast<int>(k % 2);
      QCOMPARE(static_cast<int>(h.pixels[k * 48 + 17]), expected);  // flat colour survives resizing
    }
    // An RGB set does not fit the 1-channel demo model: clear error, one line.
    const QString rgb = dir.filePath("rgb.h5");
    QCOMPARE(cli({"make-calib", root.filePath("imgs"), "-o", rgb, "--resize", "28x28", "--rgb"}).exitCode, 0);
    const Run bad = cli({"eval", demo("fmnist_resnet.pt"), "--data", rgb});
    QCOMPARE(bad.exitCode, 1);
    QVERIFY2(bad.err.contains("does not fit"), bad.err.constData());
    QCOMPARE(bad.stderrLines(), 1);
    // A corrupt image is named in the error; the earlier output stays untouched.
    QFile junk(root.filePath("imgs/coat/broken.png"));
    QVERIFY(junk.open(QIODevice::WriteOnly));
    junk.write("not a png");
    junk.close();
    QFile o(out);
    QVERIFY(o.open(QIODevice::ReadOnly));
    const QByteArray original = o.readAll();
    o.close();
    const Run broken = cli({"make-calib", root.filePath("imgs"), "-o", out, "--resize", "8x6"});
    QCOMPARE(broken.exitCode, 1);
    QVERIFY2(broken.err.contains("broken.png"), broken.err.constData());
    QVERIFY(o.open(QIODevice::ReadOnly));
    QCOMPARE(o.readAll(), original);
  }

  void quantizeRtnAndAdaRoundWithExport() {
    QTemporaryDir dir;
    const QStringList common{"quantize",      demo("fmnist_resnet.pt"),
                             "--calib",       demo("fmnist_calib.h5"),
                             "--calib-count", "256",
                             "--wbits",       "3",
                             "--eval",        demo("fmnist_val.h5"),
                             "--json"};
    const Run rtn = cli(common + QStringList{"--method", "rtn"});
    QCOMPARE(rtn.exitCode, 0);
    const QJsonObject r = rtn.json();
    for (const char* key : {"method", "wbits", "abits", "top1_fp", "top1_quantized", "wall_s", "phases", "layers"})
      QVERIFY2(r.contains(key), key);
    QCOMPARE(r["method"].toString(), QString("rtn"));
    QCOMPARE(r["layers"].toArray().size(), 10);
    QCOMPARE(r["layers"].toArray().first().toObject()["bits"].toInt(), 8);  // first and last layers stay at 8 bits
    QCOMPARE(r["layers"].toArray()[1].toObject()["bits"].toInt(), 3);

    const QString out = dir.filePath("q.pt");
    const QStringList ada =
        common + QStringList{"--method", "adaround", "--iters", "150", "--input", "fp", "--export-torchscript", out};
    const Run a = cli(ada);
    QCOMPARE(a.exitCode, 0);
    QVERIFY(a.err.contains("[reconstruct"));  // progress on stderr
    const QJsonObject j = a.json();
    // Learned rounding never loses to RTN on its own objective (FP inputs: same data as RTN's loss).
    for (const auto& v : j["layers"].toArray()) {
      const QJsonObject l = v.toObject();
      QVERIFY2(l["loss_after"].toDouble() <= l["loss_before"].toDouble() * 1.0001, l["name"].toString().toUtf8());
    }
    QVERIFY(j["export"].toObject()["validated"].toBool());
    // The exported file reproduces the in-app accuracy.
    const Run e = cli({"eval", out, "--data", demo("fmnist_val.h5"), "--json"});
    QCOMPARE(e.exitCode, 0);
    QCOMPARE(e.json()["top1"].toDouble(), j["top1_quantized"].toDouble());
    // Same request, same seed: the same result, bit for bit.
    const Run again = cli(common + QStringList{"--method", "adaround", "--iters", "150", "--input", "fp"});
    QCOMPARE(withoutTimes(again.json()["layers"].toArray()), withoutTimes(j["layers"].toArray()));
  }

  void quantizeActivationsWithQdrop() {
    QTemporaryDir dir;
    const QString out = dir.filePath("w4a4.pt"), enc = dir.filePath("w4a4.json");
    // The transformer: its exported graph must keep attention's projections (and their input
    // quantizers) out of the fused kernel when PyTorch or RoundLab runs it without autograd.
    const Run q = cli({"quantize",
                       demo("fmnist_transformer.pt"),
                       "--calib",
                       demo("fmnist_calib.h5"),
                       "--method",
                       "qdrop",
                       "--wbits",
                       "4",
                       "--abits",
                       "4",
                       "--iters",
                       "20",
                       "--calib-count",
                       "64",
                       "--eval",
                       demo("fmnist_val.h5"),
                       "--export-torchscript",
                       out,
                       "--export-encodings",
                       enc,
                       "--json"});
    QCOMPARE(q.exitCode, 0);
    const QJsonObject j = q.json();
    QCOMPARE(j["abits"].toInt(), 4);
    QCOMPARE(j["qdrop_p"].toDouble(), 0.5);
    const QJsonArray layers = j["layers"].toArray();
    for (qsizetype i = 0; i < layers.size(); ++i) {
      const QJsonObject l = layers[i].toObject();
      QCOMPARE(l["input_bits"].toInt(), i == 0 || i == layers.size() - 1 ? 8 : 4);
      QVERIFY(l["input_scale"].toDouble() > 0);
    }
    const Run e = cli({"eval", out, "--data", demo("fmnist_val.h5"), "--json"});
    QCOMPARE(e.exitCode, 0);
    QCOMPARE(e.json()["top1"].toDouble(), j["top1_quantized"].toDouble());
    QFile f(enc);
    QVERIFY(f.open(QIODevice::ReadOnly));
    const QJsonObject acts = QJsonDocument::fromJson(f.readAll()).object()["activation_encodings"].toObject();
    QCOMPARE(acts.size(), layers.size());
    const QJsonObject first = acts[layers[1].toObject()["name"].toString() + ".input"].toArray()[0].toObject();
    QCOMPARE(first["bitwidth"].toInt(), 4);
    const double scale = layers[1].toObject()["input_scale"].toDouble();
    QVERIFY(std::abs(first["scale"].toDouble() - scale) <= 1e-7 * scale);  // 9 significant digits

    const Run noBits = cli({"quantize", demo("fmnist_resnet.pt"), "--calib", demo("fmnist_calib.h5"), "--method",
                            "qdrop", "--wbits", "4"});
    QCOMPARE(noBits.exitCode, 1);
    QVERIFY2(noBits.err.contains("--abits"), noBits.err.constData());
  }

  void sessionSavesAndRerunsToTheSameBits() {
    QTemporaryDir dir;
    const QString session = dir.filePath("run.rlab");
    // A private copy of the model, so the test can change it afterwards.
    const QString model = dir.filePath("model.pt");
    QVERIFY(QFile::copy(demo("fmnist_resnet.pt"), model));
    // Layers matched after their activation: a setting of the run, kept by the session.
    const Run q =
        cli({"quantize", model, "--calib", demo("fmnist_calib.h5"), "--method", "adaround", "--iters", "40",
             "--calib-count", "64", "--seed", "9", "--layer-target", "activation", "--session", session, "--json"});
    QCOMPARE(q.exitCode, 0);
    QCOMPARE(q.json()["settings"].toObject()["target_after_activation"].toString(), QString("1"));
    QVERIFY2(q.out.contains("fc's output is the model's output"), "the note names the layer without an epilogue");
    const Run show = cli({"session", session, "--json"});
    QCOMPARE(show.exitCode, 0);
    QCOMPARE(show.json()["seed"].toInteger(), 9);
    QCOMPARE(show.json()["layers"].toArray().size(), 10);
    const Run rerun = cli({"rerun", session, "--json"});
    QCOMPARE(rerun.exitCode, 0);
    QVERIFY(rerun.json()["identical"].toBool());
    // Changing the model file is detected before anything runs.
    QFile f(model);
    QVERIFY(f.open(QIODevice::Append));
    f.write("x");
    f.close();
    const Run changed = cli({"rerun", session});
    QCOMPARE(changed.exitCode, 1);
    QVERIFY2(changed.err.contains("has changed"), changed.err.constData());
    QCOMPARE(changed.stderrLines(), 1);
  }

  void quantizeBadInput() {
    const Run unknownLayer = cli({"quantize", demo("fmnist_resnet.pt"), "--calib", demo("fmnist_calib.h5"), "--method",
                                  "rtn", "--bits", "layer9.conv=4"});
    QCOMPARE(unknownLayer.exitCode, 1);
    QVERIFY2(unknownLayer.err.contains("layer9.conv"), unknownLayer.err.constData());
    QCOMPARE(unknownLayer.stderrLines(), 1);
    const Run badBits = cli({"quantize", demo("fmnist_resnet.pt"), "--calib", demo("fmnist_calib.h5"), "--wbits", "9"});
    QCOMPARE(badBits.exitCode, 2);
    QVERIFY2(badBits.err.contains("--wbits expects a whole number from 2 to 8, got '9'"), badBits.err.constData());
    const Run noCalib = cli({"quantize", demo("fmnist_resnet.pt")});
    QCOMPARE(noCalib.exitCode, 2);
    const Run badMethod =
        cli({"quantize", demo("fmnist_resnet.pt"), "--calib", demo("fmnist_calib.h5"), "--method", "magic"});
    QCOMPARE(badMethod.exitCode, 2);  // a usage error, naming every method the build has
    QVERIFY2(badMethod.err.contains(
                 "--method: method must be one of rtn, adaround, brecq, qdrop, gptq, recommended, got 'magic'"),
             badMethod.err.constData());
    const Run badTarget =
        cli({"quantize", demo("fmnist_resnet.pt"), "--calib", demo("fmnist_calib.h5"), "--layer-target", "relu"});
    QCOMPARE(badTarget.exitCode, 2);
    QVERIFY2(badTarget.err.contains("--layer-target: unknown layer target 'relu'"), badTarget.err.constData());
  }

  void compareShowsTwoSessionsSideBySide() {
    QTemporaryDir dir;
    for (const char* bits : {"4", "3"})
      QCOMPARE(cli({"quantize", demo("fmnist_resnet.pt"), "--calib", demo("fmnist_calib.h5"), "--method", "rtn",
                    "--calib-count", "128", "--wbits", bits, "--session", dir.filePath(QString("w%1.rlab").arg(bits))})
                   .exitCode,
               0);
    const Run r = cli({"compare", dir.filePath("w4.rlab"), dir.filePath("w3.rlab"), "--json"});
    QCOMPARE(r.exitCode, 0);
    const QJsonArray a = cli({"session", dir.filePath("w4.rlab"), "--json"}).json()["layers"].toArray();
    const QJsonArray layers = r.json()["layers"].toArray();
    QCOMPARE(layers.size(), a.size());
    for (int i = 0; i < layers.size(); ++i) {
      const QJsonObject l = layers[i].toObject();
      QCOMPARE(l["name"].toString(), a[i].toObject()["name"].toString());
      QCOMPARE(l["bits_a"].toInt(), a[i].toObject()["bits"].toInt());
      const bool firstOrLast = i == 0 || i == layers.size() - 1;
      QCOMPARE(l["bits_b"].toInt(), firstOrLast ? 8 : 3);
      if (!firstOrLast) {
        QVERIFY(l["sqnr_delta_db"].toDouble() < 0);  // a bit fewer, a worse output
        QVERIFY(std::abs(l["sqnr_delta_db"].toDouble() - (l["sqnr_db_b"].toDouble() - l["sqnr_db_a"].toDouble())) <
                1e-9);
      }
    }
    const Run one = cli({"compare", dir.filePath("w4.rlab")});
    QCOMPARE(one.exitCode, 2);
  }

  // The headless main job prints the table that the README shows (the wall times aside), and
  // --quick --json gives the one recorded in tests/data/demo-quick.json: fixed seeds, same bits.
  void demoPrintsTheRecordedTable() {
    QTemporaryDir dir;
    const Run quick = cli({"demo", "--quick", "--json", "--sessions", dir.path()});
    QCOMPARE(quick.exitCode, 0);
    QFile recorded(fixture("demo-quick.json"));
    QVERIFY(recorded.open(QIODevice::ReadOnly));
    QCOMPARE(withoutDemoTimes(quick.json()), withoutDemoTimes(QJsonDocument::fromJson(recorded.readAll()).object()));
    const QJsonArray models = quick.json()["models"].toArray();
    QCOMPARE(models.size(), 3);     // the two Fashion-MNIST models and the character GPT
    for (const auto& m : models) {  // each model's session opens
      const QString session = m.toObject()["session"].toString();
      QVERIFY(session.startsWith(dir.path()));
      QCOMPARE(cli({"session", session, "--json"}).exitCode, 0);
    }

    const Run full = cli({"demo", "--sessions", dir.path()});
    QCOMPARE(full.exitCode, 0);
    QFile readme(QString(ROUNDLAB_SOURCE_DIR) + "/README.md");
    QVERIFY(readme.open(QIODevice::ReadOnly));
    const QString shown = comparableDemoText(QString::fromUtf8(readme.readAll()));
    const QString printed = comparableDemoText(QString::fromUtf8(full.out));
    QVERIFY2(printed.count('\n') > 10 && shown.contains(printed),
             qPrintable("the README does not show the table the demo prints (scripts/demo-table.sh updates it):\n" +
                        printed));
    // FP top-1 as the demo's manifest records it.
    const QJsonObject manifest = manifestModels();
    for (const QString& model : {QString("fmnist_resnet.pt"), QString("fmnist_transformer.pt")})
      QVERIFY(
          printed.contains(QString("%1 %2 FP top-1 %3 %")
                               .arg(model, model == "fmnist_resnet.pt" ? "(residual CNN):" : "(vision transformer):")
                               .arg(manifest[model].toObject()["val_top1"].toDouble(), 0, 'f', 2)));
    // The character GPT's FP perplexity on its whole validation set, as the manifest records it.
    QFile demoManifest(demo("demo.json"));
    QVERIFY(demoManifest.open(QIODevice::ReadOnly));
    const QJsonObject lm = QJsonDocument::fromJson(demoManifest.readAll()).object()["language_model"].toObject();
    const QJsonObject val = lm["validation"].toObject();
    QVERIFY2(
        printed.contains(QString("fortunes_gpt.pt (character-level GPT): FP perplexity %1 on %2 validation sequences")
                             .arg(val["perplexity"].toDouble(), 0, 'f', 3)
                             .arg(val["sequences"].toInt())),
        qPrintable(printed));
    // GPTQ does better than rounding to nearest at every width of the language-model rows.
    const QJsonArray lmRows = models[2].toObject()["rows"].toArray();
    QVERIFY(!lmRows.isEmpty());
    for (const auto& r : lmRows)
      QVERIFY(r.toObject()["learned_perplexity"].toDouble() < r.toObject()["rtn_perplexity"].toDouble());
  }
};

QTEST_GUILESS_MAIN(CliTests)
#include "CliTests.moc"
