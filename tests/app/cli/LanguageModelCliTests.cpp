// Language models from the command line: token sets made from plain text, perplexity in eval,
// quantize, experiment and the exported model, and bad token data refused in one clear line.
#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTest>

#include <cmath>

#include "CliRun.h"

using clitest::cli;
using clitest::Run;

namespace {

QString fixture(const char* f) { return QString(ROUNDLAB_TEST_DATA_DIR) + "/" + f; }

// PyTorch's figures for a fixture model on a fixture data file (tests/data/lm_fixtures.json).
QJsonObject pytorch(const char* model, const char* data) {
  QFile f(fixture("lm_fixtures.json"));
  if (!f.open(QIODevice::ReadOnly)) return {};
  return QJsonDocument::fromJson(f.readAll())
      .object()["models"]
      .toObject()[model]
      .toObject()["data"]
      .toObject()[data]
      .toObject();
}

QString writeText(const QTemporaryDir& dir, const QString& name, const QByteArray& text) {
  QFile f(dir.filePath(name));
  if (f.open(QIODevice::WriteOnly)) f.write(text);
  return f.fileName();
}

bool oneClearLine(const Run& r, const QString& mustName) {
  return r.exitCode == 1 && r.stderrLines() == 1 && r.err.contains(mustName.toUtf8()) && !r.err.contains("c10::") &&
         !r.err.contains("Exception raised");
}

}  // namespace

class LanguageModelCliTests : public QObject {
  Q_OBJECT
 private Q_SLOTS:
  void textBecomesATokenSet() {
    QTemporaryDir dir;
    QByteArray text;
    for (int i = 0; i < 40; ++i) text += "the quick brown fox jumps over the lazy dog " + QByteArray::number(i) + "\n";
    const QString txt = writeText(dir, "story.txt", text);
    const QString out = dir.filePath("story.h5");
    const Run r = cli({"make-calib", "--text", txt, "--vocab", "bytes", "--context", "32", "--count", "10", "--seed",
                       "3", "-o", out, "--json"});
    QCOMPARE(r.exitCode, 0);
    QCOMPARE(r.json()["samples"].toInt(), 10);
    QCOMPARE(r.json()["vocab_size"].toInt(), 256);
    // The set evaluates on a byte-level model; its labels are stored, so no note about shifting.
    const Run e = cli({"eval", fixture("gpt_scripted.pt"), "--data", out, "--json"});
    QCOMPARE(e.exitCode, 0);
    QCOMPARE(e.json()["task"].toString(), QString("language-model"));
    QCOMPARE(e.json()["tokens"].toInt(), 10 * 32);
    QVERIFY(!e.json().contains("note"));
    // A character vocabulary: ids are ranks of the text's characters (fewer than 40 here).
    const Run chars = cli(
        {"make-calib", "--text", txt, "--vocab", "chars", "--context", "16", "-o", dir.filePath("chars.h5"), "--json"});
    QCOMPARE(chars.exitCode, 0);
    QVERIFY(chars.json()["vocab_size"].toInt() < 40);
    // A vocabulary file that does not cover the text names the line and the text.
    const QString vocab = writeText(dir, "vocab.json", R"({"the": 0, " ": 1, "quick": 2})");
    const Run uncovered =
        cli({"make-calib", "--text", txt, "--vocab", vocab, "--context", "8", "-o", dir.filePath("v.h5")});
    QVERIFY2(oneClearLine(uncovered, "story.txt line 1: the text 'b'"), uncovered.err.constData());
    const Run broken = cli({"make-calib", "--text", txt, "--vocab", writeText(dir, "bad.json", "{\"a\": "), "--context",
                            "8", "-o", dir.filePath("b.h5")});
    QVERIFY2(oneClearLine(broken, "bad.json is not JSON"), broken.err.constData());
    QVERIFY(!QFile::exists(dir.filePath("b.h5")));
    const Run tooShort =
        cli({"make-calib", "--text", writeText(dir, "tiny.txt", "abc"), "--context", "8", "-o", dir.filePath("t.h5")});
    QVERIFY2(oneClearLine(tooShort, "tiny.txt has 3 tokens"), tooShort.err.constData());
  }

  void evalReportsPyTorchsPerplexity() {
    const QJsonObject want = pytorch("gpt2_traced.pt", "lm_tokens.h5");
    const QJsonObject ref = pytorch("gpt_scripted.pt", "lm_tokens.h5");
    const Run r = cli({"eval", fixture("gpt2_traced.pt"), "--data", fixture("lm_tokens.h5"), "--reference",
                       fixture("gpt_scripted.pt"), "--json"});
    QCOMPARE(r.exitCode, 0);
    const QJsonObject o = r.json();
    QCOMPARE(o["tokens"].toInt(), want["tokens"].toInt());
    QVERIFY(std::abs(o["loss"].toDouble() - want["loss"].toDouble()) < 1e-5);
    QVERIFY(std::abs(o["perplexity"].toDouble() - want["perplexity"].toDouble()) < 1e-4);
    QVERIFY(std::abs(o["token_top1"].toDouble() - want["token_top1"].toDouble()) < 1e-9);
    QVERIFY(std::abs(o["reference_perplexity"].toDouble() - ref["perplexity"].toDouble()) < 1e-4);
    QVERIFY(o["kl"].toDouble() > 0);
    QVERIFY(o["note"].toString().contains("next token"));  // the file has no /labels
    const Run text = cli({"eval", fixture("gpt2_traced.pt"), "--data", fixture("lm_tokens.h5")});
    QVERIFY(text.out.contains("perplexity " + QByteArray::number(want["perplexity"].toDouble(), 'f', 3)));
    QVERIFY(text.out.contains("not scored"));
  }

  void quantizeExportsAModelWithTheSamePerplexity() {
    QTemporaryDir dir;
    const QString exported = dir.filePath("gpt2_w4.pt"), encodings = dir.filePath("gpt2_w4.json");
    const Run q = cli({"quantize", fixture("gpt2_traced.pt"), "--calib", fixture("lm_tokens.h5"), "--eval",
                       fixture("lm_tokens_labelled.h5"), "--method", "gptq", "--wbits", "4", "--gptq-act-order",
                       "--export-torchscript", exported, "--export-encodings", encodings, "--json"});
    QCOMPARE(q.exitCode, 0);
    const QJsonObject o = q.json();
    QCOMPARE(o["activation_spill_bytes"].toInt(-1), 0);  // a small set stays in memory
    // With no memory budget every activation goes to the temporary file: its bytes are reported,
    // as many as the in-memory run held (each projection's inputs and outputs, 16 x 32 rows).
    const Run spilled = cli({"quantize", fixture("gpt2_traced.pt"), "--calib", fixture("lm_tokens.h5"), "--method",
                             "rtn", "--activation-memory", "0", "--json"});
    QCOMPARE(spilled.exitCode, 0);
    QVERIFY(spilled.json()["activation_spill_bytes"].toInt() > 16 * 32 * 4 * (32 + 96));
    // The tied head and token embedding are one tensor: both names carry the same encodings,
    // one per row of the [vocab, width] table.
    QFile enc(encodings);
    QVERIFY(enc.open(QIODevice::ReadOnly));
    const QJsonObject params = QJsonDocument::fromJson(enc.readAll()).object()["param_encodings"].toObject();
    QCOMPARE(params["lm_head.weight"].toArray().size(), 256);
    QCOMPARE(params["transformer.wte.weight"], params["lm_head.weight"]);
    QCOMPARE(params["transformer.h.0.attn.c_attn.weight"].toArray().size(), 96);  // packed q|k|v: 3 x 32 columns
    QVERIFY(std::abs(o["perplexity_fp"].toDouble() -
                     pytorch("gpt2_traced.pt", "lm_tokens_labelled.h5")["perplexity"].toDouble()) < 1e-4);
    QVERIFY(std::abs(o["loss_quantized"].toDouble() - std::log(o["perplexity_quantized"].toDouble())) < 1e-9);
    // Quantized: not the FP model's perplexity, but near it at 4 bits.
    QVERIFY(o["perplexity_quantized"].toDouble() != o["perplexity_fp"].toDouble());
    QVERIFY(std::abs(o["perplexity_quantized"].toDouble() / o["perplexity_fp"].toDouble() - 1) < 0.1);
    const Run e = cli({"eval", exported, "--data", fixture("lm_tokens_labelled.h5"), "--json"});
    QCOMPARE(e.exitCode, 0);
    QVERIFY(std::abs(e.json()["perplexity"].toDouble() - o["perplexity_quantized"].toDouble()) < 1e-4);
  }

  void embeddingTablesQuantizeOnRequest() {
    // The position table is listed with its reason and the option that changes it; asked for, the
    // run reports it and the exported model evaluates to the run's perplexity.
    const Run info = cli({"info", fixture("gpt2_traced.pt")});
    QVERIFY(info.out.contains("transformer.wpe.weight") && info.out.contains("embedding bits"));
    QTemporaryDir dir;
    const QString exported = dir.filePath("w4e4.pt");
    const Run q = cli({"quantize", fixture("gpt2_traced.pt"), "--calib", fixture("lm_tokens.h5"), "--eval",
                       fixture("lm_tokens_labelled.h5"), "--method", "rtn", "--embedding-bits", "4",
                       "--export-torchscript", exported, "--json"});
    QCOMPARE(q.exitCode, 0);
    const QJsonArray tables = q.json()["embedding_tables"].toArray();
    QCOMPARE(tables.size(), 1);
    QCOMPARE(tables[0].toObject()["parameter"].toString(), QString("transformer.wpe.weight"));
    QCOMPARE(tables[0].toObject()["rows"].toInt(), 32);
    QVERIFY(tables[0].toObject()["sqnr_db"].toDouble() > 10);
    const Run plain = cli({"quantize", fixture("gpt2_traced.pt"), "--calib", fixture("lm_tokens.h5"), "--eval",
                           fixture("lm_tokens_labelled.h5"), "--method", "rtn", "--json"});
    QVERIFY(plain.json()["embedding_tables"].toArray().isEmpty());
    QVERIFY(plain.json()["perplexity_quantized"].toDouble() != q.json()["perplexity_quantized"].toDouble());
    const Run e = cli({"eval", exported, "--data", fixture("lm_tokens_labelled.h5"), "--json"});
    QVERIFY(std::abs(e.json()["perplexity"].toDouble() - q.json()["perplexity_quantized"].toDouble()) < 1e-4);
    const Run bad =
        cli({"quantize", fixture("gpt2_traced.pt"), "--calib", fixture("lm_tokens.h5"), "--embedding-bits", "1"});
    QCOMPARE(bad.exitCode, 2);
    QVERIFY2(bad.err.contains("--embedding-bits must be 2..8"), bad.err.constData());
  }

  void experimentRowsCarryPerplexity() {
    const Run r =
        cli({"experiment", fixture("gpt2_traced.pt"), "--calib", fixture("lm_tokens.h5"), "--eval",
             fixture("lm_tokens_labelled.h5"), "--axis", "method", "--values", "rtn,gptq", "--wbits", "3", "--json"});
    QCOMPARE(r.exitCode, 0);
    const QJsonArray rows = r.json()["rows"].toArray();
    QCOMPARE(rows.size(), 2);
    for (const auto& v : rows) {
      const QJsonObject row = v.toObject();
      QVERIFY(std::abs(row["perplexity_quantized"].toDouble() - std::exp(row["loss_quantized"].toDouble())) < 1e-9);
      QVERIFY(row.contains("perplexity_fp"));
    }
    QVERIFY(rows[1].toObject()["perplexity_quantized"].toDouble() <
            rows[0].toObject()["perplexity_quantized"].toDouble());
  }

  // The study on a language model leaves out augmentation (token ids have nothing to flip or crop,
  // and such a run is refused); every other axis stays. Written as jobs, so nothing runs.
  void studyOnTokensHasNoAugmentation() {
    QTemporaryDir dir;
    const QString jobs = dir.filePath("jobs");
    const Run r = cli({"experiment", fixture("gpt2_traced.pt"), "--calib", fixture("lm_tokens.h5"), "--study",
                       "--iters", "10", "--jobs-dir", jobs});
    QCOMPARE(r.exitCode, 0);
    QStringList labels;
    for (const QString& name : QDir(jobs).entryList({"job-*.json"}, QDir::Files, QDir::Name)) {
      QFile f(QDir(jobs).filePath(name));
      QVERIFY(f.open(QIODevice::ReadOnly));
      labels << QJsonDocument::fromJson(f.readAll()).object()["label"].toString();
    }
    QVERIFY2(labels.filter("method=adaround").size() == 1 && labels.filter("variable=offset").size() == 2,
             qPrintable(labels.join("; ")));
    QVERIFY2(labels.filter("augment").isEmpty(), qPrintable(labels.join("; ")));
  }

  void badTokenDataIsExplained() {
    QTemporaryDir dir;
    // Ids of a larger vocabulary: the largest id and the table are named.
    QByteArray wide;
    for (int i = 0; i < 200; ++i) wide += QByteArray("\xc3\xa9\xe2\x82\xac abc ");  // é € : multi-byte characters
    const QString txt = writeText(dir, "wide.txt", wide);
    QByteArray vocab = "[";
    for (int i = 0; i < 300; ++i) vocab += (i ? ",\"" : "\"") + QByteArray("t") + QByteArray::number(i) + "\"";
    vocab += ",\"\xc3\xa9\",\"\xe2\x82\xac\",\" \",\"a\",\"b\",\"c\"]";
    const QString v = writeText(dir, "vocab.json", vocab);
    QCOMPARE(
        cli({"make-calib", "--text", txt, "--vocab", v, "--context", "16", "-o", dir.filePath("wide.h5")}).exitCode, 0);
    const Run big = cli({"eval", fixture("gpt_scripted.pt"), "--data", dir.filePath("wide.h5")});
    QVERIFY2(oneClearLine(big,
                          "token id 305 (the largest in this batch) is outside the embedding table wte.weight of "
                          "256 rows"),
             big.err.constData());
    // Longer sequences than the model's context (32 positions).
    QByteArray text;
    for (int i = 0; i < 50; ++i) text += "sequences longer than the context ";
    QCOMPARE(cli({"make-calib", "--text", writeText(dir, "long.txt", text), "--context", "64", "-o",
                  dir.filePath("long.h5")})
                 .exitCode,
             0);
    const Run longer = cli({"eval", fixture("gpt2_traced.pt"), "--data", dir.filePath("long.h5")});
    QVERIFY2(oneClearLine(longer, "longer than the model's context of 32"), longer.err.constData());
    // Images for a token model, token ids for an image model.
    const Run floats =
        cli({"eval", fixture("gpt_scripted.pt"), "--data", QString(ROUNDLAB_DEMO_DIR) + "/fmnist_val.h5"});
    QVERIFY2(oneClearLine(floats, "the model reads token ids"), floats.err.constData());
    const Run ids = cli({"eval", QString(ROUNDLAB_DEMO_DIR) + "/fmnist_resnet.pt", "--data", fixture("lm_tokens.h5")});
    QVERIFY2(ids.exitCode == 1 && ids.stderrLines() == 1 && !ids.err.contains("c10::"), ids.err.constData());
  }
};

QTEST_GUILESS_MAIN(LanguageModelCliTests)
#include "LanguageModelCliTests.moc"
