#include "app/report/ReportSections.h"

#include <QFileInfo>

#include <algorithm>
#include <map>

#include "app/report/ReportCommands.h"
#include "app/report/ReportMarkup.h"
#include "engine/pipeline/ModelQuantizer.h"
#include "engine/pipeline/RequestFields.h"

namespace roundlab::report {

namespace {

QString q(const std::string& s) { return QString::fromStdString(s); }
QString code(const QString& text) { return "<code>" + esc(text) + "</code>"; }

QString top1Text(const ReportContent& c) {
  if (!c.evaluated || !c.evaluation.hasLabels)
    return c.sessionPath.isEmpty() || !c.evaluationPath.isEmpty()
               ? QString("not evaluated")
               : QString("not recorded (session files keep no evaluation; see Reproduce for --eval)");
  if (c.evaluation.languageModel()) {  // perplexity first; top-1 is the next token's
    const EvalReport& e = c.evaluation;
    QString text = fixed(e.perplexity(), 3);
    if (e.hasReference)
      text += QString(" (FP model %1, change %2)")
                  .arg(fixed(e.referencePerplexity(), 3), fixed(e.perplexity() - e.referencePerplexity(), 3));
    text += QString(" on %1 tokens of %2 sequences").arg(e.scored).arg(e.samples);
    if (!c.evaluationPath.isEmpty()) text += " of " + QFileInfo(c.evaluationPath).fileName();
    return esc(text + QString("; next-token top-1 %1 %").arg(fixed(e.top1, 2)));
  }
  QString text = fixed(c.evaluation.top1, 2) + " %";
  if (c.evaluation.hasReference)
    text += QString(" (FP model %1 %, change %2 points)")
                .arg(fixed(c.evaluation.referenceTop1, 2), fixed(c.evaluation.top1 - c.evaluation.referenceTop1, 2));
  text += QString(" on %1 samples").arg(c.evaluation.samples);
  if (!c.evaluationPath.isEmpty()) text += " of " + QFileInfo(c.evaluationPath).fileName();
  return esc(text);
}

// The weights' widths as the request sets them: one for all, or per layer (mixed precision).
QString widths(const ReportContent& c) {
  const QuantizationRequest& r = c.result.request;
  if (r.bits.empty())
    return QString("%1 bits%2").arg(r.weights.bits).arg(r.firstLastEightBit ? ", the first and last layers at 8" : "");
  int lo = 8, hi = 2;
  for (const auto& [layer, bits] : r.bits) {
    lo = std::min(lo, bits);
    hi = std::max(hi, bits);
  }
  return QString("mixed precision: %1 layers at their own width (%2–%3 bits), the others at %4")
      .arg(r.bits.size())
      .arg(lo)
      .arg(hi)
      .arg(r.weights.bits);
}

ReportBlock summary(const ReportContent& c) {
  const QuantizationRequest& r = c.result.request;
  const int64_t weights = [&] {
    int64_t n = 0;
    for (int64_t w : c.allocation.weights) n += w;
    return n;
  }();
  QList<QPair<QString, QString>> rows{
      {"Model", esc(QFileInfo(c.modelPath).fileName())},
      {"Run", esc(c.runLabel)},
      {"Method", esc(named(quantMethodTable(), r.method))},
      {"Weights", esc(widths(c) + QString(", %1 bits per weight on average over %2 weights")
                                      .arg(fixed(c.allocation.averageBits, 3))
                                      .arg(weights))},
      {"Activations", esc(r.activations.enabled()
                              ? QString("%1 bits (every quantized layer's input, LSQ step)").arg(r.activations.bits)
                              : QString("floating point (A32)"))},
      {"Seed", code(QString::number(r.seed))},
      {"Calibration samples", esc(QString::number(r.calibrationCount))},
      {c.evaluated && c.evaluation.languageModel() ? "Perplexity" : "Top-1", top1Text(c)},
      {"Quantization time", esc(fixed(c.result.wallSeconds, 1) + " s")},
      {"Quantized layers", esc(QString::number(c.result.layers.size()))},
  };
  return {heading(2, "Summary", "summary") + facts(rows), {}};
}

ReportBlock reproduce(const ReportContent& c) {
  const ReproductionCommands commands = reproductionCommands(c);
  QString html = heading(2, "Reproduce", "reproduce");
  if (!commands.rerun.isEmpty())
    html += paragraph(
                "Rerun the saved session exactly: RoundLab checks that the model and the calibration set still "
                "have the SHA-256 hashes below, quantizes again with the recorded settings and seed, and "
                "compares every layer's integer codes with the saved ones bit for bit.") +
            command(commands.rerun);
  else
    html += paragraph(
        "This run is not saved in a session file, so there is no rerun command: save the session "
        "(File ▸ Save session), then run <code>roundlab-cli rerun SESSION.rlab</code>.");
  html += paragraph(
              "The same settings as a new run (every setting written out, defaults included; the model and "
              "calibration set must hash as below):") +
          command(commands.quantize);
  if (c.evaluationPath.isEmpty())
    html += paragraph(
        "Add <code>--eval DATA.h5</code> to evaluate the new run (this report does not know the "
        "validation set).");
  if (!commands.withoutOption.isEmpty())
    html +=
        paragraph(esc("These settings have no command-line option and differ from the defaults, so only the rerun "
                      "reproduces them: " +
                      commands.withoutOption.join(", ") + "."));
  for (int i = 0; i < commands.experiments.size(); ++i)
    if (!commands.experiments[i].isEmpty())  // one per experiment, in order; empty: no command makes it
      html += paragraph(esc(QString("Experiment %1 again:").arg(c.experiments[static_cast<size_t>(i)].number))) +
              command(commands.experiments[i]);
  return {html, {}};
}

ReportBlock inputs(const ReportContent& c) {
  const DataOptions& o = c.calibrationOptions;
  QString reading = QString("normalisation %1").arg(normalizationTable().name(o.normalization));
  reading += o.mean.empty() && o.std.empty() ? QString(", the file's mean and std") : QString(", mean/std given");
  QList<QPair<QString, QString>> rows{
      {"Model", code(c.modelPath)},
      {"Model SHA-256", code(c.modelSha256)},
      {"Calibration set", code(c.calibrationPath)},
      {"Calibration SHA-256", code(c.calibrationSha256)},
      {"Calibration read with", esc(reading)},
  };
  if (!c.evaluationPath.isEmpty()) rows.push_back({"Validation set", code(c.evaluationPath)});
  rows.push_back({"Report source", esc(c.origin)});
  return {heading(2, "Inputs", "inputs") + facts(rows), {}};
}

ReportBlock versions(const ReportContent& c) {
  auto v = [](const std::string& s) { return esc(s.empty() ? QString("(not recorded)") : q(s)); };
  return {heading(2, "Library versions", "versions") + paragraph("As recorded with the run.") +
              facts({{"RoundLab", v(c.versions.roundlab)},
                     {"LibTorch", v(c.versions.torch)},
                     {"HDF5", v(c.versions.hdf5)},
                     {"zlib", v(c.versions.zlib)}}),
          {}};
}

ReportBlock settings(const ReportContent& c) {
  const std::map<std::string, std::string> values = requestToText(c.result.request);
  const std::map<std::string, std::string> defaults = requestToText(QuantizationRequest{});
  QList<QStringList> rows;
  for (const RequestField& f : requestFields()) {
    const QString value = q(values.at(f.key)), fallback = q(defaults.at(f.key));
    const QString option = commandLineOption(f.key);
    rows << QStringList{f.key, value, value == fallback ? QString("(default)") : fallback,
                        option.isEmpty() ? QString("none (rerun only)") : option};
  }
  QString html = heading(2, "Settings", "settings") +
                 paragraph(QString("Every setting of the run's request (%1 settings; names as in the session file's "
                                   "<code>/manifest/request</code>).")
                               .arg(rows.size())) +
                 table({{"Setting"}, {"Value"}, {"Default"}, {"roundlab-cli option"}}, rows);
  if (!c.result.request.bits.empty()) {
    QList<QStringList> overrides;
    for (const auto& [layer, bits] : c.result.request.bits) overrides << QStringList{q(layer), QString::number(bits)};
    html += heading(3, "Per-layer bit overrides") +
            paragraph("Layers pinned to a width (a mixed-precision allocation, or the user's choice).") +
            table({{"Layer", false, true}, {"Bits", true}}, overrides);
  }
  return {html, {}};
}

ReportBlock timing(const ReportContent& c) {
  QString html = heading(2, "Time and notes", "timing");
  QList<QStringList> rows;
  for (const auto& [phase, seconds] : c.result.phases) rows << QStringList{q(phase), fixed(seconds, 2)};
  rows << QStringList{"total (wall)", fixed(c.result.wallSeconds, 2)};
  html += table({{"Phase"}, {"Time (s)", true}}, rows);
  const QuantMethod method = c.result.request.method;
  if (c.result.request.adaround.stopWhenSettled && method != QuantMethod::Rtn && method != QuantMethod::Gptq)
    html += paragraph(esc(QString("Stopping rule (each unit stops when settled): %1.")
                              .arg(QString::fromStdString(stoppingSummary(c.result)))));
  if (c.result.notes.empty()) return {html + paragraph("The run did everything as asked (no notes)."), {}};
  html += paragraph("What the run could not do as asked:") + "<ul>";
  for (const std::string& note : c.result.notes) html += "<li>" + esc(note) + "</li>";
  return {html + "</ul>", {}};
}

}  // namespace

ReportDocument reportDocument(const ReportContent& c) {
  ReportDocument d;
  d.title = c.title;
  d.subtitle =
      QString("Written %1 by RoundLab %2 from the %3.").arg(c.generated, q(libraryVersions().roundlab), c.origin);
  d.blocks.push_back(summary(c));
  d.blocks.push_back(reproduce(c));
  d.blocks.push_back(inputs(c));
  d.blocks.push_back(versions(c));
  addLayerResults(c, d.blocks);
  addAllocations(c, d.blocks);
  addRuns(c, d.blocks);
  addExperiments(c, d.blocks);
  addImportance(c, d.blocks);
  d.blocks.push_back(settings(c));  // the full list, for reference: Reproduce has the commands
  d.blocks.push_back(timing(c));
  return d;
}

}  // namespace roundlab::report
