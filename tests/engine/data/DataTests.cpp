// Calibration data: IDX and HDF5 readers against hand-made files and the real Fashion-MNIST
// split; every malformed-file case expects its specific error.
#include <H5Cpp.h>
#include <zlib.h>

#include <QFile>
#include <QTemporaryDir>

#include <filesystem>

#include "EngineTests.h"
#include "TestSupport.h"
#include "engine/data/AugmentedDataset.h"
#include "engine/data/DataBatch.h"
#include "engine/data/Dataset.h"

ROUNDLAB_ENGINE_SUITE("data", DataTests);

using namespace roundlab;

namespace {

void writeGz(const std::string& path, const std::vector<uint8_t>& bytes) {
  gzFile f = gzopen(path.c_str(), "wb");
  gzwrite(f, bytes.data(), static_cast<unsigned>(bytes.size()));
  gzclose(f);
}

std::vector<uint8_t> idxHeader(uint32_t magic, std::vector<uint32_t> dims) {
  std::vector<uint8_t> out;
  auto put = [&](uint32_t v) {
    for (int s = 24; s >= 0; s -= 8) out.push_back(static_cast<uint8_t>(v >> s));
  };
  put(magic);
  for (uint32_t d : dims) put(d);
  return out;
}

// A small raw HDF5 file written with the plain C++ API (not RoundLab's writer).
void writeRawHdf5(const std::string& path, const char* name, std::vector<hsize_t> dims,
                  const std::vector<float>& values, const std::vector<int64_t>& labels = {}) {
  H5::H5File f(path, H5F_ACC_TRUNC);
  f.createDataSet(name, H5::PredType::NATIVE_FLOAT, H5::DataSpace(static_cast<int>(dims.size()), dims.data()))
      .write(values.data(), H5::PredType::NATIVE_FLOAT);
  if (!labels.empty()) {
    hsize_t n = labels.size();
    f.createDataSet("labels", H5::PredType::NATIVE_INT64, H5::DataSpace(1, &n))
        .write(labels.data(), H5::PredType::NATIVE_INT64);
  }
}

ImageSet smallImageSet(int64_t n) {
  ImageSet s;
  s.n = n;
  s.channels = 2;
  s.height = 3;
  s.width = 4;
  for (int64_t i = 0; i < n * 24; ++i) s.pixels.push_back(static_cast<uint8_t>((i * 37) % 256));
  for (int64_t i = 0; i < n; ++i) s.labels.push_back(i % 3);
  s.mean = {0.5f, 0.25f};
  s.std = {0.2f, 0.4f};
  s.classNames = {"a", "b", "c"};
  s.source = "unit test";
  return s;
}

}  // namespace

void DataTests::idxFashionMnistTestSplit() {
  SKIP_WITHOUT_FASHION_MNIST();
  const std::string images = testsupport::fashionMnist("t10k-images-idx3-ubyte.gz");
  const auto data = openDataset(images);
  QCOMPARE(data->info().samples, int64_t(10000));
  QCOMPARE(data->info().sampleShape, (std::vector<int64_t>{1, 28, 28}));
  QVERIFY(data->info().hasLabels);  // labels file found beside the images
  const DataBatch all = data->read(0, 10000);
  // The Fashion-MNIST test split has exactly 1000 images of each of its 10 classes.
  const at::Tensor counts = at::bincount(all.labels);
  QCOMPARE(counts.size(0), int64_t(10));
  QVERIFY(counts.eq(1000).all().item<bool>());
  QVERIFY(all.inputs.min().item<float>() >= 0.f && all.inputs.max().item<float>() <= 1.f);
}

void DataTests::idxRoundTripOfHandWrittenFile() {
  QTemporaryDir dir;
  std::vector<uint8_t> img = idxHeader(0x803, {3, 2, 2});
  for (uint8_t v : {0, 51, 102, 255, 1, 2, 3, 4, 200, 100, 50, 25}) img.push_back(v);
  std::vector<uint8_t> lab = idxHeader(0x801, {3});
  for (uint8_t v : {7, 0, 9}) lab.push_back(v);
  const std::string ip = dir.filePath("toy-images-idx3-ubyte.gz").toStdString();
  writeGz(ip, img);
  writeGz(dir.filePath("toy-labels-idx1-ubyte.gz").toStdString(), lab);
  DataOptions o;
  o.mean = {0.5f};
  o.std = {0.25f};
  const auto data = openDataset(ip, o);
  const DataBatch b = data->read(1, 2);
  QCOMPARE(b.labels[0].item<int64_t>(), int64_t(0));
  QCOMPARE(b.labels[1].item<int64_t>(), int64_t(9));
  // (200/255 - 0.5) / 0.25, computed here in double
  QVERIFY(std::abs(b.inputs[1][0][0][0].item<double>() - (200.0 / 255.0 - 0.5) / 0.25) < 1e-6);
  QVERIFY(std::abs(b.inputs[0][0][1][1].item<double>() - (4.0 / 255.0 - 0.5) / 0.25) < 1e-6);
}

void DataTests::idxErrors() {
  QTemporaryDir dir;
  const std::string truncated = dir.filePath("t-images-idx3-ubyte.gz").toStdString();
  std::vector<uint8_t> img = idxHeader(0x803, {10, 28, 28});
  img.resize(img.size() + 100);
  writeGz(truncated, img);
  EXPECT_ERROR(openDataset(truncated), ErrorCode::BadDataFile);
  const std::string labelsAsImages = dir.filePath("l.gz").toStdString();
  writeGz(labelsAsImages, idxHeader(0x801, {3}));
  EXPECT_ERROR(openDataset(labelsAsImages), ErrorCode::BadDataFile);
  // Labels count differs from images count.
  const std::string ip = dir.filePath("m-images-idx3-ubyte.gz").toStdString();
  std::vector<uint8_t> ok = idxHeader(0x803, {2, 1, 1});
  ok.push_back(1);
  ok.push_back(2);
  writeGz(ip, ok);
  std::vector<uint8_t> lab = idxHeader(0x801, {3});
  lab.insert(lab.end(), {1, 2, 3});
  writeGz(dir.filePath("m-labels-idx1-ubyte.gz").toStdString(), lab);
  EXPECT_ERROR(openDataset(ip), ErrorCode::DataShapeMismatch);
  DataOptions wrongChannels;
  wrongChannels.mean = {0.1f, 0.2f, 0.3f};
  wrongChannels.std = {1.f, 1.f, 1.f};
  if (testsupport::haveFashionMnist())
    EXPECT_ERROR(openDataset(testsupport::fashionMnist("t10k-images-idx3-ubyte.gz"), wrongChannels),
                 ErrorCode::InvalidArgument);
}

void DataTests::hdf5RoundTripNormalises() {
  QTemporaryDir dir;
  const std::string path = dir.filePath("set.h5").toStdString();
  const ImageSet s = smallImageSet(5);
  writeImageSet(path, s);
  const auto data = openDataset(path);
  QCOMPARE(data->info().format, std::string("hdf5"));
  QCOMPARE(data->info().storedType, std::string("uint8"));
  QCOMPARE(data->info().samples, int64_t(5));
  QCOMPARE(data->info().sampleShape, (std::vector<int64_t>{2, 3, 4}));
  QCOMPARE(data->info().classNames, s.classNames);
  QCOMPARE(data->info().source, s.source);
  const DataBatch b = data->read(0, 5);
  for (int64_t i = 0; i < 5 * 24; ++i) {
    const int64_t n = i / 24, c = (i / 12) % 2, y = (i / 4) % 3, x = i % 4;
    const double expected = (s.pixels[static_cast<size_t>(i)] / 255.0 - s.mean[c]) / s.std[c];
    QVERIFY(std::abs(b.inputs[n][c][y][x].item<double>() - expected) < 1e-5);
  }
  QCOMPARE(b.labels[4].item<int64_t>(), int64_t(1));
}

void DataTests::hdf5ReadsFilesFromTheCApi() {
  QTemporaryDir dir;
  const std::string inputs = dir.filePath("inputs.h5").toStdString();
  std::vector<float> v(6 * 10);
  for (size_t i = 0; i < v.size(); ++i) v[i] = static_cast<float>(i) * 0.5f - 3.f;
  writeRawHdf5(inputs, "inputs", {6, 10}, v);
  const auto d = openDataset(inputs);
  QCOMPARE(d->info().sampleShape, (std::vector<int64_t>{10}));
  QVERIFY(!d->info().hasLabels);
  const DataBatch b = d->read(2, 3);
  QCOMPARE(b.inputs[1][4].item<float>(), v[3 * 10 + 4]);
  QVERIFY(!b.labels.defined());

  const std::string images = dir.filePath("float_images.h5").toStdString();
  writeRawHdf5(images, "images", {2, 1, 2, 2}, {0, 1, 2, 3, 4, 5, 6, 7}, {1, 0});
  const DataBatch f = openDataset(images)->read(0, 2);
  QCOMPARE(f.inputs[1][0][1][0].item<float>(), 6.f);  // float images are used as stored
  QCOMPARE(f.labels[0].item<int64_t>(), int64_t(1));
}

void DataTests::hdf5Errors() {
  QTemporaryDir dir;
  EXPECT_ERROR(openDataset(dir.filePath("missing.h5").toStdString()), ErrorCode::FileNotFound);
  const std::string noImages = dir.filePath("noimages.h5").toStdString();
  writeRawHdf5(noImages, "weights", {2, 2}, {1, 2, 3, 4});
  EXPECT_ERROR(openDataset(noImages), ErrorCode::BadDataFile);
  const std::string rank3 = dir.filePath("rank3.h5").toStdString();
  writeRawHdf5(rank3, "images", {2, 2, 2}, {1, 2, 3, 4, 5, 6, 7, 8});
  EXPECT_ERROR(openDataset(rank3), ErrorCode::DataShapeMismatch);
  const std::string badLabels = dir.filePath("badlabels.h5").toStdString();
  writeRawHdf5(badLabels, "inputs", {3, 1}, {1, 2, 3}, {0, 1});
  EXPECT_ERROR(openDataset(badLabels), ErrorCode::DataShapeMismatch);
  const std::string nan = dir.filePath("nan.h5").toStdString();
  writeRawHdf5(nan, "inputs", {2, 2}, {1, std::numeric_limits<float>::quiet_NaN(), 3, 4});
  const auto nanData = openDataset(nan);
  EXPECT_ERROR(nanData->read(0, 2), ErrorCode::NonFiniteValues);
  // A valid file cut in half.
  const std::string full = dir.filePath("full.h5").toStdString();
  writeImageSet(full, smallImageSet(300));
  const auto size = std::filesystem::file_size(full);
  std::filesystem::resize_file(full, size / 2);
  EXPECT_ERROR(openDataset(full)->read(0, 300), ErrorCode::BadDataFile);
  // Random bytes.
  const std::string junk = dir.filePath("junk.h5").toStdString();
  QFile j(QString::fromStdString(junk));
  QVERIFY(j.open(QIODevice::WriteOnly));
  j.write(QByteArray(1000, 'x'));
  j.close();
  EXPECT_ERROR(openDataset(junk), ErrorCode::BadDataFile);
  EXPECT_ERROR(openDataset(dir.path().toStdString()), ErrorCode::BadDataFile);
}

void DataTests::readIndicesKeepsOrder() {
  QTemporaryDir dir;
  const std::string path = dir.filePath("set.h5").toStdString();
  writeImageSet(path, smallImageSet(20));
  const auto data = openDataset(path);
  const std::vector<int64_t> idx{13, 2, 2, 19, 0, 7};
  const DataBatch picked = data->readIndices(idx);
  const DataBatch all = data->read(0, 20);
  for (size_t k = 0; k < idx.size(); ++k)
    QCOMPARE(testsupport::maxAbsDiff(picked.inputs[static_cast<int64_t>(k)], all.inputs[idx[k]]), 0.0);
  QCOMPARE(picked.labels[0].item<int64_t>(), idx[0] % 3);
  EXPECT_ERROR(data->readIndices({20}), ErrorCode::InvalidArgument);
}

void DataTests::subsetIsDeterministic() {
  const auto a = sampleIndices(1000, 50, 42), b = sampleIndices(1000, 50, 42), c = sampleIndices(1000, 50, 43);
  QCOMPARE(a, b);
  QVERIFY(a != c);
  QCOMPARE(a.size(), size_t(50));
  QVERIFY(std::is_sorted(a.begin(), a.end()));
  QVERIFY(std::adjacent_find(a.begin(), a.end()) == a.end());
  QVERIFY(a.front() >= 0 && a.back() < 1000);
  QCOMPARE(sampleIndices(10, 0, 1).size(), size_t(10));
  QCOMPARE(sampleIndices(10, 99, 1).size(), size_t(10));
  // Uniformity, roughly: over many seeds every index is drawn about count/size of the time.
  std::vector<int> hits(20, 0);
  for (uint64_t seed = 0; seed < 2000; ++seed)
    for (int64_t i : sampleIndices(20, 5, seed)) hits[static_cast<size_t>(i)]++;
  for (int h : hits) QVERIFY2(h > 400 && h < 600, std::to_string(h).c_str());

  QTemporaryDir dir;
  const std::string path = dir.filePath("set.h5").toStdString();
  writeImageSet(path, smallImageSet(40));
  std::shared_ptr<const Dataset> base = openDataset(path);
  const auto sub = subsetDataset(base, 8, 3);
  QCOMPARE(sub->info().samples, int64_t(8));
  const auto idx = sampleIndices(40, 8, 3);
  QCOMPARE(testsupport::maxAbsDiff(sub->read(0, 8).inputs, base->readIndices(idx).inputs), 0.0);
  QCOMPARE(testsupport::maxAbsDiff(sub->read(2, 3).inputs, base->readIndices({idx[2], idx[3], idx[4]}).inputs), 0.0);
}

void DataTests::writeIsAtomic() {
  QTemporaryDir dir;
  const std::string path = dir.filePath("out.h5").toStdString();
  writeImageSet(path, smallImageSet(4));
  writeImageSet(path, smallImageSet(6));  // replaces
  QCOMPARE(openDataset(path)->info().samples, int64_t(6));
  // A failing write (folder missing, or a bad set) leaves the existing file intact.
  EXPECT_ERROR(writeImageSet(dir.filePath("nope/out.h5").toStdString(), smallImageSet(2)), ErrorCode::WriteFailed);
  ImageSet broken = smallImageSet(3);
  broken.pixels.pop_back();
  EXPECT_ERROR(writeImageSet(path, broken), ErrorCode::InvalidArgument);
  QCOMPARE(openDataset(path)->info().samples, int64_t(6));
  // No temporary files are left behind.
  int files = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir.path().toStdString()))
    files += e.is_regular_file() ? 1 : 0;
  QCOMPARE(files, 1);
}

void DataTests::augmentationIsPerSampleAndDeterministic() {
  std::shared_ptr<const Dataset> base = openDataset(testsupport::demoFile("fmnist_calib.h5"));
  const DataBatch original = base->read(0, 16);
  const auto flips = augmentedDataset(base, parseAugmentation("flip"), 7);
  const DataBatch f = flips->read(0, 16);
  int flipped = 0;
  for (int64_t i = 0; i < 16; ++i) {
    const bool same = at::equal(f.inputs[i], original.inputs[i]);
    const bool mirrored = at::equal(f.inputs[i], original.inputs[i].flip({2}));
    QVERIFY(same || mirrored);
    flipped += mirrored && !same ? 1 : 0;
  }
  QVERIFY(flipped > 2 && flipped < 14);
  QVERIFY(at::equal(f.labels, original.labels));
  // A sample's augmentation depends on its index only, not on how it is batched.
  const auto all = augmentedDataset(base, parseAugmentation("flip+crop+noise+mix"), 3);
  const DataBatch whole = all->read(0, 8);
  const DataBatch pieces = all->readIndices({5, 2});
  QVERIFY(at::equal(pieces.inputs[0], whole.inputs[5]));
  QVERIFY(at::equal(pieces.inputs[1], whole.inputs[2]));
  QVERIFY(testsupport::maxAbsDiff(whole.inputs, original.inputs.slice(0, 0, 8)) > 0.05);
  QVERIFY(at::equal(augmentedDataset(base, parseAugmentation("noise"), 3)->read(0, 4).inputs,
                    augmentedDataset(base, parseAugmentation("noise"), 3)->read(0, 4).inputs));
  QCOMPARE(augmentationName(parseAugmentation("noise+flip")), std::string("flip+noise"));
  QCOMPARE(augmentationName(parseAugmentation("none")), std::string("none"));
  EXPECT_ERROR(parseAugmentation("rotate"), ErrorCode::InvalidArgument);
}
